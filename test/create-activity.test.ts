// POST /me/activities: create through the collection, as the typed Kiota SDK does (it has no PUT).
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, DAY_MS, freshAppActivityId, GUID } from "./support/api";
import { activityBody, activityResource } from "./support/builders";
import { activityContext, expectGraphError } from "./support/graph";
import { activityStub } from "./support/objects";
import { expectJson, freshUser, rowsOf } from "./support/users";

const post = (user: ReturnType<typeof freshUser>, body: unknown, path = "/v1.0/me/activities") => call("POST", path, { as: user.as, body });

describe("POST /me/activities", () => {
  it("creates the activity its body's appActivityId names: 201, the id a PUT of that appActivityId reaches", async () => {
    const user = freshUser();
    const appActivityId = freshAppActivityId();
    const body = activityBody({ appActivityId });

    const answer = await post(user, body);

    expectJson(answer, 201, activityResource(appActivityId, body, { user: user.oid }));
    expect(answer.body.createdDateTime).toBe(answer.body.lastModifiedDateTime);
    expect(Date.parse(answer.body.expirationDateTime) - Date.parse(answer.body.lastModifiedDateTime)).toBe(30 * DAY_MS);
    const put = await call("PUT", `/v1.0/me/activities/${encodeURIComponent(appActivityId)}`, { as: user.as, body: activityBody() });
    expect({ status: put.status, id: put.body.id, createdDateTime: put.body.createdDateTime }).toEqual({
      status: 200,
      id: answer.body.id,
      createdDateTime: answer.body.createdDateTime,
    });
    const feed = await call("GET", "/v1.0/me/activities", { as: user.as });
    expect(feed.body.value.map((activity: { id: string }) => activity.id)).toEqual([answer.body.id]);
  });

  it("answers 409 conflict when a live activity has that appActivityId, and leaves it as it was", async () => {
    const user = freshUser();
    const appActivityId = freshAppActivityId();
    const first = await post(user, activityBody({ appActivityId }));
    const rows = await rowsOf(user, first.body.id);

    const again = await post(user, activityBody({ appActivityId, appDisplayName: "Again" }));

    expectGraphError(
      again,
      409,
      "conflict",
      `An activity with appActivityId '${appActivityId}' already exists (id '${first.body.id}'); PATCH or PUT it to change it.`,
    );
    expect(await rowsOf(user, first.body.id)).toEqual(rows);
  });

  it("creates again once the activity is deleted or has expired", async () => {
    const user = freshUser();
    const appActivityId = freshAppActivityId();
    const first = await post(user, activityBody({ appActivityId }));
    expect((await call("DELETE", `/v1.0/me/activities/${first.body.id}`, { as: user.as })).status).toBe(204);
    const afterDelete = await post(user, activityBody({ appActivityId }));
    expectJson(afterDelete, 201, activityResource(appActivityId, activityBody(), { user: user.oid }));

    await runInDurableObject(activityStub(first.body.id, user.caller), (_instance, state) => {
      state.storage.sql.exec("UPDATE activity SET expiration_ms = ?", Date.now() - 1);
    });
    const afterExpiry = await post(user, activityBody({ appActivityId }));
    expectJson(afterExpiry, 201, activityResource(appActivityId, activityBody(), { user: user.oid }));
  });

  it("deep-inserts history items", async () => {
    const user = freshUser();
    const appActivityId = freshAppActivityId();
    const itemId = crypto.randomUUID();
    const body = activityBody({
      appActivityId,
      historyItems: [
        { id: itemId, startedDateTime: "2015-02-11T20:54:04.345Z", lastActiveDateTime: "2015-02-11T20:54:24.345Z" },
        { startedDateTime: "2015-02-12T08:00:00Z" },
      ],
    });

    const answer = await post(user, body);

    const item = (fields: Record<string, unknown>) => ({
      status: "active",
      userTimezone: null,
      createdDateTime: answer.body.createdDateTime,
      lastModifiedDateTime: answer.body.createdDateTime,
      lastActiveDateTime: null,
      expirationDateTime: new Date(Date.parse(answer.body.createdDateTime) + 30 * DAY_MS).toISOString(),
      activeDurationSeconds: null,
      ...fields,
    });
    expectJson(answer, 201, {
      ...activityResource(appActivityId, body, { user: user.oid }),
      historyItems: [
        item({
          id: itemId,
          startedDateTime: "2015-02-11T20:54:04.345Z",
          lastActiveDateTime: "2015-02-11T20:54:24.345Z",
          activeDurationSeconds: 20,
        }),
        item({ id: expect.stringMatching(GUID), startedDateTime: "2015-02-12T08:00:00.000Z" }),
      ],
    });
  });

  it.each([
    ["no appActivityId", activityBody(), "The property 'appActivityId' is required."],
    ["an empty appActivityId", activityBody({ appActivityId: "" }), "Invalid value for 'appActivityId': expected 1 to 1024 characters."],
    [
      "an appActivityId with a control character",
      activityBody({ appActivityId: "a\u0007b" }),
      "Invalid value for 'appActivityId': expected no control characters.",
    ],
    ["an appActivityId that is not a string", activityBody({ appActivityId: 5 }), "Invalid value for 'appActivityId': expected a string."],
    [
      "no visualElements",
      { appActivityId: "x", activitySourceHost: "https://www.contoso.com", activationUrl: "https://www.contoso.com/a" },
      "The property 'visualElements' is required.",
    ],
    [
      "an id",
      activityBody({ appActivityId: "x", id: "42" }),
      /^Invalid value for 'id': expected '\d+', the id of the item the URL names, or no id at all\.$/,
    ],
  ])("answers a body with %s with 400 naming the property, storing nothing", async (_name, body, message) => {
    const user = freshUser();
    const answer = await post(user, body);
    expectGraphError(answer, 400, "BadRequest", typeof message === "string" ? message : expect.stringMatching(message));
    const feed = await call("GET", "/v1.0/me/activities", { as: user.as });
    expect(feed.body.value).toEqual([]);
  });

  it("is served under every prefix, and at /me/activities/ with a trailing slash", async () => {
    const user = freshUser();
    for (const path of ["/me/activities", "/beta/me/activities", "/v1.0/me/activities/"]) {
      const appActivityId = freshAppActivityId();
      const answer = await post(user, activityBody({ appActivityId }), path);
      const prefix = path.startsWith("/beta") ? "/beta" : path.startsWith("/v1.0") ? "/v1.0" : "";
      expectJson(answer, 201, {
        ...activityResource(appActivityId, activityBody(), { user: user.oid }),
        "@odata.context": activityContext({ user: user.oid, prefix }),
      });
    }
  });
});
