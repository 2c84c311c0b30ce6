// An activity that is gone (deleted, or expired and swept) leaves nothing of its user in its object
// once the feed has acknowledged that: the object deletes all its storage, as an erasure does, so no
// erasure needs to find it. Each test reads the whole object: every table, row, key and its alarm.
import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FeedObject } from "../src/objects/FeedObject";
import { activityPath, appActivityPath, call, freshAppActivityId, historyItemsPath } from "./support/api";
import { activityBody } from "./support/builders";
import { withoutContext } from "./support/graph";
import { activityStub, feedStub, HOLDS_NOTHING, sqlIn, storageOf } from "./support/objects";
import { freshUser, type TestUser } from "./support/users";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const ITEM = { startedDateTime: "2015-02-11T20:54:04Z" };

/** The feed's entry for the activity (a tombstone once it is gone: no activity). */
const entryOf = async (user: TestUser, id: string) =>
  sqlIn(feedStub(user.caller), "SELECT activity_id, activity IS NULL AS tombstone FROM feed_entry WHERE activity_id = ?", id);

/** The ids of the activities the user's feed lists. */
const listed = async (user: TestUser) =>
  ((await call("GET", "/v1.0/me/activities", { as: user.as })).body.value as { id: string }[]).map((activity) => activity.id);

/** A fresh user's activity with two history items, paged once so that its object holds a cursor key too; and what it holds. */
async function seeded() {
  const user = freshUser();
  const appActivityId = freshAppActivityId();
  const put = await call("PUT", appActivityPath(appActivityId), { as: user.as, body: activityBody({ historyItems: [ITEM, ITEM] }) });
  expect(put.status).toBe(201);
  const id: string = put.body.id;
  const page = await call("GET", `${historyItemsPath(id)}?$top=1`, { as: user.as });
  expect(page.body["@odata.nextLink"]).toEqual(expect.any(String));
  const stub = activityStub(id, user.caller);
  // What an object that forgot nothing would keep of the user after the delete: their ids, and a key.
  const { rows } = await storageOf(stub);
  expect({ owner: rows.owner, cursorKeys: rows.cursor_key?.length }).toEqual({
    owner: [{ singleton: 1, tenant_id: user.caller.tenantId, user_id: user.caller.userId, app_id: user.caller.appId, id }],
    cursorKeys: 1,
  });
  return { user, appActivityId, id, stub, put };
}

describe("a gone activity's object holds nothing once its feed knows", () => {
  it("deleted: no table, row, key or alarm as soon as the DELETE answers; the feed keeps a tombstone", async () => {
    const { user, id, stub } = await seeded();
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);

    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
    expect(await entryOf(user, id)).toEqual([{ activity_id: id, tombstone: 1 }]);
    // Reading it, or deleting it again, writes nothing back.
    expect((await call("GET", activityPath(id), { as: user.as })).status).toBe(404);
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(404);
    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
  });

  it("expired and swept by the alarm: nothing left, and the feed keeps a tombstone", async () => {
    const { user, id, stub } = await seeded();
    await sqlIn(stub, "UPDATE activity SET expiration_ms = ?", Date.now() - 1000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
    expect(await entryOf(user, id)).toEqual([{ activity_id: id, tombstone: 1 }]);
  });

  it("expired and then deleted before the alarm swept it: a 404, and nothing left", async () => {
    const { user, id, stub } = await seeded();
    await sqlIn(stub, "UPDATE activity SET expiration_ms = ?", Date.now() - 1000);
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(404);

    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
    expect(await entryOf(user, id)).toEqual([{ activity_id: id, tombstone: 1 }]);
  });

  it("a failed push keeps what the retry needs; the retry, after a crash, delivers the deletion and then nothing is left", async () => {
    const { user, id, stub } = await seeded();
    const apply = vi.spyOn(FeedObject.prototype, "apply").mockRejectedValue(new Error("feed down"));
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    // The deletion waits for its feed: the owner (to find the feed) and the outbox stay, with the retry's alarm.
    const waiting = await storageOf(stub);
    expect({ owners: waiting.rows.owner?.length, alarm: waiting.alarm }).toEqual({ owners: 1, alarm: expect.any(Number) });
    // The retry fails too, and is set again.
    await runDurableObjectAlarm(stub);
    const retried = await storageOf(stub);
    expect({ owners: retried.rows.owner?.length, alarm: retried.alarm }).toEqual({ owners: 1, alarm: expect.any(Number) });
    expect(apply.mock.calls.length).toBeGreaterThanOrEqual(2);

    apply.mockRestore();
    await abortAllDurableObjects();
    // A stub of the aborted instance is broken: a new one reaches the restarted object. (Under load its
    // alarm may have run on its own already: either way, it is the alarm that forgets.)
    const restarted = activityStub(id, user.caller);
    await runDurableObjectAlarm(restarted);
    expect(await storageOf(restarted)).toEqual(HOLDS_NOTHING);
    expect(await entryOf(user, id)).toEqual([{ activity_id: id, tombstone: 1 }]);
  });

  it("a deletion the feed stored but whose answer was lost is pushed again by the retry, then nothing is left", async () => {
    const { user, id, stub } = await seeded();
    const apply = FeedObject.prototype.apply;
    vi.spyOn(FeedObject.prototype, "apply").mockImplementation(async function (this: FeedObject, ...args) {
      await apply.apply(this, args);
      throw new Error("answer lost");
    });
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    expect(await entryOf(user, id)).toEqual([{ activity_id: id, tombstone: 1 }]);
    expect((await storageOf(stub)).tables).not.toEqual([]);

    vi.restoreAllMocks();
    await runDurableObjectAlarm(stub);
    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
  });
});

describe("an activity PUT again before its object forgot it", () => {
  it("while the deletion's push is failing: the new activity stays whole and reaches the feed; deleting it leaves nothing", async () => {
    const { user, appActivityId, id, stub } = await seeded();
    const apply = vi.spyOn(FeedObject.prototype, "apply").mockRejectedValueOnce(new Error("feed down"));
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    expect(apply).toHaveBeenCalledTimes(1);

    const again = await call("PUT", appActivityPath(appActivityId), { as: user.as, body: activityBody({ historyItems: [ITEM] }) });
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 201, id });
    // The retry of the deletion finds a live activity: it is kept.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const read = await call("GET", `${activityPath(id)}?$expand=historyItems`, { as: user.as });
    expect({ status: read.status, body: withoutContext(read.body) }).toEqual({ status: 200, body: withoutContext(again.body) });
    expect(await listed(user)).toEqual([id]);

    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
    expect(await listed(user)).toEqual([]);
  });

  it("while the deletion's push is on its way: the deletion, acknowledged after, leaves the new activity alone", async () => {
    const { user, appActivityId, id, stub } = await seeded();
    const apply = FeedObject.prototype.apply;
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const spy = vi.spyOn(FeedObject.prototype, "apply").mockImplementationOnce(async function (this: FeedObject, ...args) {
      await held;
      return apply.apply(this, args);
    });
    const deleting = call("DELETE", activityPath(id), { as: user.as });
    await vi.waitFor(() => expect(spy).toHaveBeenCalledTimes(1));

    const again = await call("PUT", appActivityPath(appActivityId), { as: user.as, body: activityBody({ historyItems: [ITEM] }) });
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 201, id });
    release();
    expect((await deleting).status).toBe(204);

    const read = await call("GET", `${activityPath(id)}?$expand=historyItems`, { as: user.as });
    expect({ status: read.status, body: withoutContext(read.body) }).toEqual({ status: 200, body: withoutContext(again.body) });
    expect(await listed(user)).toEqual([id]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await listed(user)).toEqual([id]);

    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
  });

  it("in the millisecond of the deletion's version: the object forgets only once the clock has passed it, so the PUT numbers above", async () => {
    const { user, appActivityId, id, stub } = await seeded();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now());
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    // A write now would number its change from the clock, at or below the deletion's: the object waits.
    expect((await storageOf(stub)).tables).not.toEqual([]);

    const again = await call("PUT", appActivityPath(appActivityId), { as: user.as, body: activityBody() });
    expect({ status: again.status, id: again.body.id }).toEqual({ status: 201, id });
    expect(await listed(user)).toEqual([id]);

    vi.useRealTimers();
    expect((await call("DELETE", activityPath(id), { as: user.as })).status).toBe(204);
    expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
    expect(await listed(user)).toEqual([]);
  });
});
