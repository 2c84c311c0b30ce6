// /users/{user}/activities…: every /me/activities route, for the caller's own oid or user principal
// name (compared ignoring case, after percent-decoding); anyone else's is a 403.
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../src/openapi";
import { call, freshAppActivityId, ORIGIN } from "./support/api";
import { activityBody } from "./support/builders";
import {
  activityContext,
  errorAnswer,
  expectGraphError,
  historyItemContext,
  historyItemsContext,
  seen,
  withoutContext,
} from "./support/graph";
import { expectJson, freshUser, postItem, putActivity, rowsOf } from "./support/users";

const UPN = "Adele.Vance@contoso.com";
const PREFERRED = "adele@contoso.onmicrosoft.com";

/** Every operation the OpenAPI document lists under /users/{user}: the routes this file must cover. */
function userRoutes(): { method: string; path: string }[] {
  return Object.entries(openApiDocument().paths ?? {})
    .filter(([path]) => path.startsWith("/users/{user}/"))
    .flatMap(([path, item]) => Object.keys(item).map((method) => ({ method: method.toUpperCase(), path })));
}

/** A body each write accepts. */
const bodyFor = (method: string, path: string) => {
  if (method === "GET" || method === "DELETE") return undefined;
  if (path.endsWith("/historyItems") || path.endsWith("{historyItemId}")) return { startedDateTime: "2015-02-11T20:54:04.345Z" };
  return activityBody(method === "POST" ? { appActivityId: freshAppActivityId() } : {});
};

describe("/users/{user}/activities", () => {
  it("answers 403 accessDenied on every route for another user, storing nothing", async () => {
    const user = freshUser({ upn: UPN });
    const activity = await putActivity(user);
    const item = await postItem(user, activity.id, { startedDateTime: "2015-02-11T20:54:04.345Z" });
    const rows = await rowsOf(user, activity.id);
    const routes = userRoutes();
    expect(routes.length).toBe(19);

    for (const other of [crypto.randomUUID(), "someone.else@contoso.com", `${user.oid}x`, "me"]) {
      for (const { method, path } of routes) {
        const url = `/v1.0${path}`
          .replace("{user}", encodeURIComponent(other))
          // The caller's own activity and item (for the PUT of an activity, an appActivityId like any other).
          .replace("{id}", activity.id)
          .replace("{historyItemId}", item.id);
        const answer = await call(method, url, { as: user.as, body: bodyFor(method, path) });
        const message = `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of '${other}'.`;
        expect({ route: `${method} ${path}`, ...seen(answer) }).toEqual({
          route: `${method} ${path}`,
          ...errorAnswer(403, "accessDenied", message, answer),
        });
      }
    }
    expect(await rowsOf(user, activity.id)).toEqual(rows);
    expect((await call("GET", "/v1.0/me/activities", { as: user.as })).body.value.map((a: { id: string }) => a.id)).toEqual([activity.id]);
  });

  it("asks for a token first: 401 without one, whoever the path names", async () => {
    const answer = await call("GET", `/v1.0/users/${crypto.randomUUID()}/activities`, { token: null });
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe("InvalidAuthenticationToken");
  });

  it("serves the caller's own oid in any case, with @odata.context in the form the request used", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    for (const form of [user.oid, user.oid.toUpperCase()]) {
      const list = await call("GET", `/v1.0/users/${form}/activities`, { as: user.as });
      expectJson(list, 200, { "@odata.context": `${ORIGIN}/v1.0/$metadata#users('${form}')/activities`, value: [activity] });
      const one = await call("GET", `/beta/users/${form}/activities/${activity.id}`, { as: user.as });
      expectJson(one, 200, { "@odata.context": activityContext({ user: form, prefix: "/beta" }), ...activity });
    }
  });

  it("serves the caller's upn and preferred_username, percent-encoded or not, ignoring case", async () => {
    const user = freshUser({ upn: UPN, preferred_username: PREFERRED });
    const activity = await putActivity(user);
    for (const form of [
      UPN,
      UPN.toLowerCase(),
      encodeURIComponent(UPN),
      encodeURIComponent(UPN.toUpperCase()),
      PREFERRED,
      PREFERRED.toUpperCase(),
    ]) {
      const decoded = decodeURIComponent(form);
      const answer = await call("GET", `/v1.0/users/${form}/activities/${activity.id}`, { as: user.as });
      expectJson(answer, 200, { "@odata.context": activityContext({ user: encodeURIComponent(decoded) }), ...activity });
    }
    // A token without those claims names the user only by oid.
    const bare = freshUser();
    const refused = await call("GET", `/v1.0/users/${encodeURIComponent(UPN)}/activities`, { as: bare.as });
    expect(refused.status).toBe(403);
  });

  it("writes through /users/{user} what /me reads, and the other way round", async () => {
    const user = freshUser({ upn: UPN });
    const base = `/v1.0/users/${encodeURIComponent(UPN)}/activities`;
    const appActivityId = freshAppActivityId();
    const created = await call("POST", base, { as: user.as, body: activityBody({ appActivityId }) });
    expect(created.status).toBe(201);
    expect(created.body["@odata.context"]).toBe(activityContext({ user: encodeURIComponent(UPN) }));
    const item = await call("POST", `${base}/${created.body.id}/historyItems`, {
      as: user.as,
      body: { startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    expect(item.body["@odata.context"]).toBe(historyItemContext(created.body.id, { user: encodeURIComponent(UPN) }));

    const viaMe = await call("GET", `/v1.0/me/activities/${created.body.id}/historyItems/${item.body.id}`, { as: user.as });
    expectJson(viaMe, 200, {
      ...withoutContext(item.body),
      "@odata.context": `${historyItemsContext(created.body.id, { user: user.oid })}/$entity`,
    });
    const patched = await call("PATCH", `/v1.0/me/activities/${created.body.id}`, { as: user.as, body: { appDisplayName: "Changed" } });
    const viaUsers = await call("GET", `${base}/${created.body.id}`, { as: user.as });
    expectJson(viaUsers, 200, { ...patched.body, "@odata.context": activityContext({ user: encodeURIComponent(UPN) }) });
  });

  it("answers 400 for a {user} that is not valid percent-encoding", async () => {
    const user = freshUser();
    const answer = await call("GET", "/v1.0/users/%E0%A4%A/activities", { as: user.as });
    expectGraphError(answer, 400, "invalidRequest", "The user in the URL is not valid percent-encoding.");
  });
});
