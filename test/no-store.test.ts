// Every API answer holds personal data: `Cache-Control: no-store` keeps it out of every cache, and
// `X-Content-Type-Options: nosniff` keeps a browser from reading it as another type. Successes,
// errors, preflights, $batch and the admin export carry both (test/support/graph.ts's `seen`
// checks them on every answer the other tests assert whole); the site's pages keep their own.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Answer, activityPath, appActivityPath, call, freshAppActivityId, GUID, historyItemsPath, ORIGIN, send } from "./support/api";
import { activityBody, activityResource } from "./support/builders";
import { activitiesContext, expectGraphError, jsonAnswer, NO_STORE, noContent, seen } from "./support/graph";
import { mintAdminToken } from "./support/tokens";

/** An answer's two headers, as `seen` reads them. */
const noStoreOf = (headers: Headers) => ({
  cacheControl: headers.get("cache-control"),
  contentTypeOptions: headers.get("x-content-type-options"),
});

/** An answer that is not Graph JSON: status, type, the two headers and the text. */
const plain = (answer: Answer) => ({
  status: answer.status,
  contentType: answer.headers.get("content-type"),
  ...noStoreOf(answer.headers),
  body: answer.body,
});

/** A page of the site Worker (the stand-in from vitest.config.ts serves /docs/ with only a content type). */
async function sitePage(headers: Record<string, string> = {}) {
  const page = await exports.default.fetch(new Request(`${ORIGIN}/docs/`, { headers }));
  return { status: page.status, contentType: page.headers.get("content-type"), ...noStoreOf(page.headers), body: await page.text() };
}

describe("API answers carry Cache-Control: no-store and X-Content-Type-Options: nosniff", () => {
  it("an activity created, read, its items counted, and deleted: 201, 200, the $count text and 204", async () => {
    const appActivityId = freshAppActivityId();
    const created = await send("PUT", appActivityPath(appActivityId), { body: activityBody() });
    expect(seen(created)).toEqual(jsonAnswer(201, activityResource(appActivityId), created));
    const read = await send("GET", activityPath(created.body.id));
    expect(seen(read)).toEqual(jsonAnswer(200, created.body, read));
    // $count answers text/plain, which `call` reads as the JSON number it spells.
    const counted = await call("GET", `${historyItemsPath(created.body.id)}/$count`);
    expect(plain(counted)).toEqual({ status: 200, contentType: "text/plain; charset=UTF-8", ...NO_STORE, body: 0 });
    const deleted = await send("DELETE", activityPath(created.body.id));
    expect(seen(deleted)).toEqual(noContent(deleted));
  });

  it("errors: 401 without a token, 404 for a path that is nobody's, 405, 400 for a bad body", async () => {
    expectGraphError(
      await send("GET", "/v1.0/me/activities", { token: null }),
      401,
      "InvalidAuthenticationToken",
      "Access token is empty. Send 'Authorization: Bearer <token>'.",
    );
    expectGraphError(await send("GET", "/v1.0/nothing/here"), 404, "itemNotFound", "No resource exists at '/v1.0/nothing/here'.");
    expectGraphError(
      await send("PATCH", "/v1.0/me/activities"),
      405,
      "notAllowed",
      "The method PATCH is not allowed on this resource; use GET, POST.",
    );
    expectGraphError(
      await send("PUT", appActivityPath(freshAppActivityId()), { raw: "{" }),
      400,
      "BadRequest",
      expect.stringMatching(/^The request body is not valid JSON: /),
    );
  });

  it("$batch: the batch's own answer (the answers inside it carry only the headers their clients read)", async () => {
    const user = crypto.randomUUID();
    const answer = await send("POST", "/v1.0/$batch", {
      as: { user },
      body: { requests: [{ id: "1", method: "GET", url: "/me/activities" }] },
    });
    const inner = {
      id: "1",
      status: 200,
      headers: {
        "Content-Type": "application/json",
        "request-id": expect.stringMatching(GUID),
        "client-request-id": answer.clientRequestId,
      },
      body: { "@odata.context": activitiesContext({ user }), value: [] },
    };
    expect(seen(answer)).toEqual(jsonAnswer(200, { responses: [inner] }, answer));
  });

  it("$batch refused whole: 400 in Graph's envelope", async () => {
    const answer = await send("POST", "/v1.0/$batch", { body: { requests: "none" } });
    expectGraphError(answer, 400, "BadRequest", "Invalid value for 'requests': expected an array of requests.");
  });

  it("a browser's preflight: 204 with the CORS headers", async () => {
    const preflight = await exports.default.fetch(
      new Request(`${ORIGIN}/v1.0/me/activities`, {
        method: "OPTIONS",
        headers: { Origin: "https://app.contoso.com", "Access-Control-Request-Method": "PUT" },
      }),
    );
    expect({
      status: preflight.status,
      allowOrigin: preflight.headers.get("access-control-allow-origin"),
      ...noStoreOf(preflight.headers),
    }).toEqual({
      status: 204,
      allowOrigin: "*",
      ...NO_STORE,
    });
  });

  it("the admin routes: the export (NDJSON) and a refused token", async () => {
    const exported = await call("GET", `/admin/users/${crypto.randomUUID()}/activities`, { token: await mintAdminToken() });
    expect(plain(exported)).toEqual({ status: 200, contentType: "application/x-ndjson", ...NO_STORE, body: null });
    const refused = await send("GET", `/admin/users/${crypto.randomUUID()}/activities`);
    expectGraphError(
      refused,
      403,
      "accessDenied",
      "Delegated (user) tokens are not accepted here; this route needs an application token (client credentials).",
    );
  });
});

describe("the site's pages", () => {
  it("keep their own headers: the API's are not copied onto them, with or without a browser's Origin", async () => {
    const page = {
      status: 200,
      contentType: "text/html",
      cacheControl: null,
      contentTypeOptions: null,
      body: "<!doctype html><title>docs</title>",
    };
    expect(await sitePage()).toEqual(page);
    expect(await sitePage({ Origin: "https://app.contoso.com" })).toEqual(page);
  });
});
