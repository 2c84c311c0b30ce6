import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { activityPath, type Answer, appActivityPath, call, freshAppActivityId, historyItemPath, historyItemsPath } from "./support/api";
import { activityBody } from "./support/builders";
import { activitiesContext, historyItemsContext, withoutContext } from "./support/graph";

// Each test has a user of its own, so that its feed and its objects are its own.

/** PUTs a fresh activity for `user`; the answer, which must be a 201. */
async function putActivity(user: string, overrides: Record<string, unknown> = {}): Promise<Answer> {
  const answer = await call("PUT", appActivityPath(freshAppActivityId()), { as: { user }, body: activityBody(overrides) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer;
}

// ---------------------------------------------------------------------------------------------
describe("4. $filter bounds with a fraction beyond the millisecond", () => {
  it("lt, le, gt and ge compare exactly: an item modified at …01.408 is below …01.4081 and not at or above it", async () => {
    const user = crypto.randomUUID();
    const activity = await putActivity(user);
    const id = activity.body.id;
    const item = await call("PUT", historyItemPath(id, crypto.randomUUID()), { as: { user }, body: { startedDateTime: "2026-01-01T00:00:00Z" } });
    expect(item.status).toBe(201);
    const at = item.body.lastModifiedDateTime as string; // …ss.fffZ
    const beyond = (digits: string) => at.replace("Z", `${digits}Z`);
    const cases: [string, boolean][] = [
      [`lt ${beyond("1")}`, true],
      [`lt ${beyond("0001")}`, true],
      [`le ${beyond("1")}`, true],
      [`gt ${beyond("1")}`, false],
      [`ge ${beyond("1")}`, false],
      [`ge ${beyond("9999")}`, false],
      [`lt ${at}`, false],
      [`le ${at}`, true],
      [`ge ${at}`, true],
      [`gt ${at}`, false],
      [`ge ${beyond("0000")}`, true],
      [`lt ${beyond("0000")}`, false],
    ];
    for (const [condition, included] of cases) {
      const filter = encodeURIComponent(`lastModifiedDateTime ${condition}`);
      const list = await call("GET", `${historyItemsPath(id)}?$filter=${filter}`, { as: { user } });
      expect({ condition, status: list.status, body: list.body }).toEqual({
        condition,
        status: 200,
        body: { "@odata.context": historyItemsContext(id, { user }), value: included ? [withoutContext(item.body)] : [] },
      });
      const expanded = await call("GET", `${activityPath(id)}?$expand=${encodeURIComponent(`historyItems($filter=lastModifiedDateTime ${condition})`)}`, {
        as: { user },
      });
      expect({ condition, status: expanded.status, items: expanded.body.historyItems }).toEqual({
        condition,
        status: 200,
        items: included ? [withoutContext(item.body)] : [],
      });
    }

    // The feed filters activities the same way.
    const activityAt = activity.body.lastModifiedDateTime as string;
    for (const [operator, included] of [["lt", true], ["le", true], ["gt", false], ["ge", false]] as const) {
      const condition = `${operator} ${activityAt.replace("Z", "1Z")}`;
      const feed = await call("GET", `/v1.0/me/activities?$filter=${encodeURIComponent(`lastModifiedDateTime ${condition}`)}`, { as: { user } });
      expect({ condition, status: feed.status, body: feed.body }).toEqual({
        condition,
        status: 200,
        body: { "@odata.context": activitiesContext({ user }), value: included ? [withoutContext(activity.body)] : [] },
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("5. free JSON is kept as sent, a __proto__ member included", () => {
  it("contentInfo and visualElements.content keep __proto__ at every depth: in the PUT's answer, a GET, $expand and the feed", async () => {
    const user = crypto.randomUUID();
    const contentInfo = '{"__proto__":{"x":1},"name":"n","nested":{"__proto__":[1,2]}}';
    const content = '{"__proto__":{"type":"AdaptiveCard"},"body":[{"__proto__":null}]}';
    const base = JSON.stringify(activityBody({ visualElements: { displayText: "Contoso article", content: "CONTENT" }, contentInfo: "INFO" }));
    const raw = base.replace('"CONTENT"', content).replace('"INFO"', contentInfo);
    const put = await call("PUT", appActivityPath(freshAppActivityId()), { as: { user }, raw });
    expect(put.status).toBe(201);
    const id = put.body.id;
    const answers = [
      put.body,
      (await call("GET", activityPath(id), { as: { user } })).body,
      (await call("GET", `${activityPath(id)}?$expand=historyItems`, { as: { user } })).body,
      (await call("GET", "/v1.0/me/activities", { as: { user } })).body.value[0],
      (await call("GET", "/v1.0/me/activities?$expand=historyItems", { as: { user } })).body.value[0],
    ];
    for (const answer of answers) {
      expect({ contentInfo: JSON.stringify(answer.contentInfo), content: JSON.stringify(answer.visualElements.content) }).toEqual({ contentInfo, content });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("7. CORS for Microsoft's Graph clients in a browser", () => {
  const preflight = (requestHeaders: string, method = "GET") =>
    exports.default.fetch(
      new Request("https://feed.test/v1.0/me/activities", {
        method: "OPTIONS",
        headers: { Origin: "https://app.contoso.com", "Access-Control-Request-Method": method, "Access-Control-Request-Headers": requestHeaders },
      }),
    );
  const allowed = (response: Response) => response.headers.get("access-control-allow-headers")!.toLowerCase().split(",");

  it("a preflight allows what the classic client and Kiota send, and PATCH", async () => {
    // The classic client's TelemetryHandler sends SdkVersion to custom hosts; Kiota adds User-Agent and Retry-Attempt;
    // request options add Prefer, ConsistencyLevel, Cache-Control and the conditional headers.
    const sent = [
      "authorization",
      "content-type",
      "accept",
      "client-request-id",
      "return-client-request-id",
      "sdkversion",
      "user-agent",
      "retry-attempt",
      "prefer",
      "consistencylevel",
      "cache-control",
      "if-match",
      "if-none-match",
    ];
    const response = await preflight(sent.join(", "), "PATCH");
    expect(response.status).toBe(204);
    expect(allowed(response).sort()).toEqual([...sent].sort());
    expect(response.headers.get("access-control-allow-methods")).toBe("GET,PUT,POST,PATCH,DELETE");
  });

  it("a page can read the challenge and the ids of an answer: WWW-Authenticate, request-id, client-request-id, Retry-After, Location", async () => {
    const answer = await call("GET", "/v1.0/me/activities", { token: null, headers: { Origin: "https://app.contoso.com" } });
    expect({
      status: answer.status,
      challenge: answer.headers.get("WWW-Authenticate"),
      origin: answer.headers.get("access-control-allow-origin"),
      exposed: answer.headers.get("access-control-expose-headers"),
    }).toEqual({
      status: 401,
      challenge: "Bearer",
      origin: "*",
      exposed: "WWW-Authenticate,request-id,client-request-id,Retry-After,Location",
    });
  });
});
