// What a write's push to the feed carries: the activity only while a change to it is
// unacknowledged, otherwise just the version and the newest item's time, which the feed applies
// without touching the activity it holds, and never over a newer version.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import { FeedObject } from "../src/objects/FeedObject";
import type { FeedUpdate } from "../src/objects/records";
import { call, historyItemPath, historyItemsPath } from "./support/api";
import { freshUserWithActivity } from "./support/users";
import { activityStub, feedStub, sqlIn } from "./support/objects";

afterEach(() => vi.restoreAllMocks());

const ITEM = { startedDateTime: "2015-02-11T20:54:04Z" };

/** A fresh user with one activity, and a look at its feed entry and at the activity's feed version. */
async function freshActivity() {
  const { token, caller, id } = await freshUserWithActivity();
  const entry = async () =>
    (await sqlIn(feedStub(caller), "SELECT version, activity, recent_ms FROM feed_entry WHERE activity_id = ?", id))[0] as {
      version: number;
      activity: string | null;
      recent_ms: number | null;
    };
  const version = async () => (await sqlIn(activityStub(id, caller), "SELECT version FROM feed_outbox"))[0]!.version as number;
  return { token, caller, id, entry, version };
}

/** Replaces the activity by a PUT to its appActivityId, with `displayText` to tell the pushes apart. */
const replaceActivity = (token: string, appActivityId: string, displayText: string) =>
  call("PUT", `/v1.0/me/activities/${encodeURIComponent(appActivityId)}`, {
    token,
    body: { activitySourceHost: "https://www.contoso.com", activationUrl: "https://www.contoso.com/b", visualElements: { displayText } },
  });

it("pushes a history-item write without the activity, and the feed keeps the activity it holds", async () => {
  const { token, id, entry, version } = await freshActivity();
  const before = await entry();
  const applied = vi.spyOn(FeedObject.prototype, "apply");
  const put = await call("PUT", historyItemPath(id, crypto.randomUUID()), { token, body: ITEM });
  expect(put.status).toBe(201);
  const lastModifiedMs = Date.parse(put.body.lastModifiedDateTime);
  expect(applied.mock.calls.map(([update]) => update)).toEqual([{ activityId: id, version: await version(), recentMs: lastModifiedMs }]);
  expect(await entry()).toEqual({ version: await version(), activity: before.activity, recent_ms: lastModifiedMs });
});

it("pushes an activity write with the activity", async () => {
  const { token, id, entry, version } = await freshActivity();
  const applied = vi.spyOn(FeedObject.prototype, "apply");
  const activity = await call("GET", `/v1.0/me/activities/${id}`, { token });
  const replaced = await replaceActivity(token, activity.body.appActivityId, "replaced");
  expect(replaced.status).toBe(200);
  const update = applied.mock.calls[0]?.[0] as FeedUpdate;
  expect(update).toEqual({
    activityId: id,
    version: await version(),
    activity: {
      id,
      appActivityId: activity.body.appActivityId,
      content: expect.any(String),
      status: "updated",
      createdMs: Date.parse(replaced.body.createdDateTime),
      lastModifiedMs: Date.parse(replaced.body.lastModifiedDateTime),
      expirationMs: Date.parse(replaced.body.expirationDateTime),
    },
    recentMs: null,
  });
  expect(applied).toHaveBeenCalledTimes(1);
  expect(JSON.parse(update.activity!.content).visualElements.displayText).toBe("replaced");
  expect((await entry()).activity).toBe(JSON.stringify(update.activity));
});

it("sends the activity with every push until a change to it is acknowledged, then no more", async () => {
  const { token, caller, id, entry } = await freshActivity();
  const activity = await call("GET", `/v1.0/me/activities/${id}`, { token });
  const applied = vi.spyOn(FeedObject.prototype, "apply").mockRejectedValueOnce(new Error("feed down"));
  const replaced = await replaceActivity(token, activity.body.appActivityId, "unacknowledged");
  expect(replaced.status).toBe(200);
  // Its retry would push too: without the alarm, only the writes below push.
  await runInDurableObject(activityStub(id, caller), (_instance, state) => state.storage.deleteAlarm());
  // The feed refused that push; the next write, to a history item, carries the activity with it.
  expect((await call("POST", historyItemsPath(id), { token, body: ITEM })).status).toBe(201);
  expect((await call("POST", historyItemsPath(id), { token, body: ITEM })).status).toBe(201);
  const carried = applied.mock.calls.map(([update]) =>
    update.activity === undefined ? "items only" : JSON.parse(update.activity!.content).visualElements.displayText,
  );
  expect(carried).toEqual(["unacknowledged", "unacknowledged", "items only"]);
  expect(JSON.parse((await entry()).activity!).content).toBe(applied.mock.calls[1]![0].activity!.content);
});

it("applies an update without the activity only over an older version, and keeps the activity it holds", async () => {
  const { caller, id, entry } = await freshActivity();
  const feed = feedStub(caller);
  const stored = await entry();
  // Older or the same: nothing changes.
  for (const version of [stored.version - 1, stored.version]) {
    await feed.apply({ activityId: id, version, recentMs: Date.now() }, caller);
    expect(await entry()).toEqual(stored);
  }
  // Newer: the version and the newest item's time change, the activity stays as it was.
  await feed.apply({ activityId: id, version: stored.version + 1, recentMs: 1234 }, caller);
  expect(await entry()).toEqual({ version: stored.version + 1, activity: stored.activity, recent_ms: 1234 });
});

it("keeps a tombstone a tombstone under a newer update without the activity", async () => {
  const { token, caller, id, entry } = await freshActivity();
  expect((await call("DELETE", `/v1.0/me/activities/${id}`, { token })).status).toBe(204);
  const tombstone = await entry();
  expect(tombstone).toEqual({ version: expect.any(Number), activity: null, recent_ms: null });
  await feedStub(caller).apply({ activityId: id, version: tombstone.version + 1, recentMs: 5678 }, caller);
  expect(await entry()).toEqual({ version: tombstone.version + 1, activity: null, recent_ms: null });
  const listed = await call("GET", "/v1.0/me/activities", { token });
  expect({ status: listed.status, value: listed.body.value }).toEqual({ status: 200, value: [] });
});

it("asks for the whole state for an update without the activity that it cannot apply alone, and the outbox sends it", async () => {
  const { token, caller, id, entry } = await freshActivity();
  const stored = await entry();
  // A feed that lost the entry (no entry to keep the activity of) cannot apply an update of the items alone.
  await sqlIn(feedStub(caller), "DELETE FROM feed_entry WHERE activity_id = ?", id);
  expect(await feedStub(caller).apply({ activityId: id, version: stored.version + 1, recentMs: 1 }, caller)).toEqual({
    kind: "needs-activity",
  });
  expect(await entry()).toBeUndefined();
  // A history-item write then pushes twice: its items alone, and on that answer the whole.
  const applied = vi.spyOn(FeedObject.prototype, "apply");
  const posted = await call("POST", historyItemsPath(id), { token, body: ITEM });
  expect(posted.status).toBe(201);
  expect(applied.mock.calls.map(([update]) => (update.activity === undefined ? "items only" : "with the activity"))).toEqual([
    "items only",
    "with the activity",
  ]);
  expect(await entry()).toEqual({
    version: expect.any(Number),
    activity: stored.activity,
    recent_ms: Date.parse(posted.body.lastModifiedDateTime),
  });
});
