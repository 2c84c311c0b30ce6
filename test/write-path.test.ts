// The write path's economies: a verified token is not verified again (it is remembered by its
// hash), and a burst of writes to one activity shares its pushes to the feed, while every write is
// still in the feed when acknowledged.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FeedObject } from "../src/objects/FeedObject";
import { appActivityPath, call, createActivity, historyItemPath, historyItemsPath } from "./support/api";
import { activityBody } from "./support/builders";
import { activitiesContext, jsonAnswer, seen } from "./support/graph";
import { activityStub, feedStub } from "./support/objects";
import { stall, Receiver } from "./support/receiver";
import { fireAlarm, rowsWritten } from "./support/rows";
import { subscribe } from "./support/subscriptions";
import { freshUser, putActivity, type TestUser } from "./support/users";
import { callerFor, mintToken } from "./support/tokens";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

it("checks a token's signature once, then trusts it until it expires", async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  const start = Date.now();
  const token = await mintToken({ user: crypto.randomUUID(), ttl: 10 });
  const verify = vi.spyOn(crypto.subtle, "verify");
  for (let read = 0; read < 3; read++) expect((await call("GET", "/v1.0/me/activities", { token })).status).toBe(200);
  expect(verify).toHaveBeenCalledTimes(1);
  // Past exp and the 60 s clock tolerance, the remembered token is checked again, and refused.
  vi.setSystemTime(start + 71_000);
  const expired = await call("GET", "/v1.0/me/activities", { token });
  expect(expired.status).toBe(401);
  expect(expired.body.error.message).toBe("Lifetime validation failed: the token is expired.");
  expect(verify).toHaveBeenCalledTimes(2);
});

it("remembers a verified token by its SHA-256, never by the token itself", async () => {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  const sha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  // Every key any Map of the isolate is asked for or given while the two requests run.
  const lookups = [vi.spyOn(Map.prototype, "get"), vi.spyOn(Map.prototype, "set")];
  const verify = vi.spyOn(crypto.subtle, "verify");
  const answers = [await call("GET", "/v1.0/me/activities", { token }), await call("GET", "/v1.0/me/activities", { token })];
  const keys = lookups.flatMap((spy) => spy.mock.calls.map(([key]) => key));
  vi.restoreAllMocks();

  for (const answer of answers)
    expect(seen(answer)).toEqual(jsonAnswer(200, { "@odata.context": activitiesContext({ user }), value: [] }, answer));
  // The second request was answered from memory: one signature check for both.
  expect(verify).toHaveBeenCalledTimes(1);
  const signature = token.split(".")[2]!;
  expect(keys.filter((key) => typeof key === "string" && key.includes(signature))).toEqual([]);
  // Looked up twice and remembered once, by the hex SHA-256 of the whole token.
  expect(keys.filter((key) => key === sha256)).toHaveLength(3);
});

it("a burst of writes to one activity: each is in the feed when acknowledged, at one push per write at most", async () => {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const id = await createActivity({ token });
  const feed = feedStub(callerFor({ user }));
  const feedRecentMs = () =>
    runInDurableObject(
      feed,
      (_, state) =>
        state.storage.sql.exec<{ recent_ms: number }>("SELECT recent_ms FROM feed_entry WHERE activity_id = ?", id).one().recent_ms,
    );
  const applies = vi.spyOn(FeedObject.prototype, "apply");
  const writes = await Promise.all(
    Array.from({ length: 30 }, async () => {
      const answer = await call("POST", historyItemsPath(id), { token, body: { startedDateTime: "2015-02-11T20:54:04Z" } });
      // As soon as this write is acknowledged, the feed orders the activity by it or by a later write.
      return { status: answer.status, inFeed: (await feedRecentMs()) >= Date.parse(answer.body.lastModifiedDateTime) };
    }),
  );
  expect(writes).toEqual(Array(30).fill({ status: 201, inFeed: true }));
  // No write waits for another's push: each pushes once, unless a newer write's push was acknowledged first.
  expect(applies.mock.calls.length).toBeGreaterThan(0);
  expect(applies.mock.calls.length).toBeLessThanOrEqual(30);
});

describe("rows written per write, as Cloudflare bills them (index entries included; a setAlarm or deleteAlarm is one)", () => {
  const body = { startedDateTime: "2015-02-11T20:54:04Z" };

  /** A fresh user's activity, its objects, and each write kind, the item's PUT first (a create), then its replace. */
  async function writer(user: TestUser = freshUser()) {
    const { id, appActivityId } = await putActivity(user);
    const item = crypto.randomUUID();
    const as = user.as;
    const writes = {
      "PUT item (create)": () => call("PUT", historyItemPath(id, item), { as, body }),
      "PUT item (replace)": () => call("PUT", historyItemPath(id, item), { as, body }),
      "POST item": () => call("POST", historyItemsPath(id), { as, body }),
      "PATCH item": () => call("PATCH", historyItemPath(id, item), { as, body: { userTimezone: "Europe/Paris" } }),
      "PUT activity (replace)": () => call("PUT", appActivityPath(appActivityId as string), { as, body: activityBody() }),
    };
    return { objects: { activity: activityStub(id, user.caller), feed: feedStub(user.caller) }, writes };
  }

  /** Each write's rows and statements, by object; with `alarm`, its activity's alarm run is counted with it. */
  async function measure(alarm: boolean) {
    const { objects, writes } = await writer();
    const measured: Record<string, unknown> = {};
    for (const [kind, write] of Object.entries(writes)) {
      // In a burst, the write before set the retry this one finds pending; sparse, the alarm has cleared it.
      if (alarm) await fireAlarm(objects.activity);
      measured[kind] = await rowsWritten(objects, async () => {
        expect((await write()).status).toBeLessThan(300);
        if (alarm) await fireAlarm(objects.activity);
      });
    }
    return measured;
  }

  it("in a burst (the retry a write before noted still pending): an item write 3 or 4 rows in its activity's object, 3 in the feed", async () => {
    // A new item: its row, its two index entries and the outbox's row. A replace keeps the expiry's entry as it is.
    const created = { rows: 4, statements: ["INSERT INTO history_item", "INSERT INTO feed_outbox"] };
    const replaced = { ...created, rows: 3 };
    const feed = { rows: 3, statements: ["UPDATE feed_entry SET"] };
    // With no subscription, the feed runs nothing for notifications: they are held in memory (feed-notifications.ts).
    expect(await measure(false)).toEqual({
      "PUT item (create)": { activity: created, feed },
      "PUT item (replace)": { activity: replaced, feed },
      "POST item": { activity: created, feed },
      "PATCH item": { activity: { rows: 3, statements: ["SELECT * FROM", ...created.statements] }, feed },
      "PUT activity (replace)": {
        activity: {
          rows: 2,
          statements: ["SELECT id, app_activity_id,", "INSERT INTO activity", "INSERT INTO feed_outbox", "SELECT * FROM"],
        },
        // The feed's entry, its lastModifiedDateTime's index entry and its position's; the newest item's time is as it was.
        feed: { rows: 3, statements: ["INSERT INTO feed_entry"] },
      },
    });
  });

  it("sparse (each write after its retry's alarm ran, counted with its own): 3 rows more in the activity's object, for the alarm", async () => {
    const rows = Object.fromEntries(
      Object.entries(await measure(true)).map(([kind, objects]) => [
        kind,
        Object.fromEntries(Object.entries(objects as Record<string, { rows: number }>).map(([name, counted]) => [name, counted.rows])),
      ]),
    );
    // The write arms the retry (a setAlarm); its alarm finds the change acknowledged, clears the retry and arms for the expiry.
    expect(rows).toEqual({
      "PUT item (create)": { activity: 7, feed: 3 },
      "PUT item (replace)": { activity: 6, feed: 3 },
      "POST item": { activity: 7, feed: 3 },
      "PATCH item": { activity: 6, feed: 3 },
      "PUT activity (replace)": { activity: 5, feed: 3 },
    });
  });

  it("with a subscription listening, a write logs its change for it: one statement and one row more in the feed's transaction, none in the activity's object", async () => {
    const user = freshUser();
    // A receiver that never answers keeps the first delivery in flight, so no delivery writes while the write is counted.
    await subscribe(user, new Receiver(stall));
    const { objects, writes } = await writer(user);
    // The first logged change arms the feed's alarm for its delivery (a setAlarm); the next ones find it armed.
    expect((await writes["PUT item (create)"]()).status).toBe(201);
    const counted = await rowsWritten(objects, async () => expect((await writes["PUT item (replace)"]()).status).toBe(200));
    expect(counted).toEqual({
      activity: { rows: 3, statements: ["INSERT INTO history_item", "INSERT INTO feed_outbox"] },
      // Then the feed starts what is due: nothing (the subscription's POST is in flight already, and no lifecycle notification waits).
      feed: { rows: 4, statements: ["UPDATE feed_entry SET", "INSERT INTO change_log"] },
    });
  });
});
