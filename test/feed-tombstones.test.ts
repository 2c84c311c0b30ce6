// A deleted activity's tombstone in its feed lives TOMBSTONE_LIFETIME_MS, then the feed's alarm
// prunes it. Safe because every older state a late push could carry has expired by then, and the
// feed stores an expired state as a tombstone, never as a live entry.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { TOMBSTONE_LIFETIME_MS } from "../src/objects/FeedObject";
import type { ActivityRecord } from "../src/objects/records";
import { activityPath, call, DAY_MS } from "./support/api";
import { appUser, ownView, seedActivity, type AppUser } from "./support/admin";
import { alarmOf as alarmIn, feedStub } from "./support/objects";

type EntryRow = { activity_id: string; version: number; activity: string | null; deleted_ms: number | null };

const entries = (who: AppUser) =>
  runInDurableObject(feedStub(who.caller), (_instance, state) =>
    state.storage.sql.exec<EntryRow>("SELECT activity_id, version, activity, deleted_ms FROM feed_entry ORDER BY activity_id").toArray(),
  );
const alarmOf = (who: AppUser) => alarmIn(feedStub(who.caller));
/** Makes a tombstone look `ageMs` old. */
const age = (who: AppUser, activityId: string, ageMs: number) =>
  runInDurableObject(feedStub(who.caller), (_instance, state) => {
    state.storage.sql.exec("UPDATE feed_entry SET deleted_ms = ? WHERE activity_id = ?", Date.now() - ageMs, activityId);
  });

async function deleteActivity(who: AppUser, id: string) {
  expect((await call("DELETE", activityPath(id), { token: who.token })).status).toBe(204);
}

describe("feed tombstones", () => {
  it("live 31 days: the activity lifetime and a day for clock differences", () => {
    expect(TOMBSTONE_LIFETIME_MS).toBe(31 * DAY_MS);
  });

  it("are recorded with when they were made, and the feed's alarm is set for the oldest to go", async () => {
    const who = await appUser("contoso-notes");
    const id = await seedActivity(who);
    const before = Date.now();
    await deleteActivity(who, id);
    const [tombstone] = await entries(who);
    expect(tombstone).toEqual({ activity_id: id, version: expect.any(Number), activity: null, deleted_ms: expect.any(Number) });
    expect(tombstone!.deleted_ms).toBeGreaterThanOrEqual(before);
    expect(await alarmOf(who)).toBe(tombstone!.deleted_ms! + TOMBSTONE_LIFETIME_MS);
  });

  it("are pruned once older than the bound, younger ones and live entries stay, and the alarm moves to the next", async () => {
    const who = await appUser("contoso-notes");
    const [old, young, live] = [await seedActivity(who), await seedActivity(who), await seedActivity(who)];
    await deleteActivity(who, old);
    await deleteActivity(who, young);
    await age(who, old, TOMBSTONE_LIFETIME_MS + 1);
    await age(who, young, TOMBSTONE_LIFETIME_MS - 60_000);
    expect(await runDurableObjectAlarm(feedStub(who.caller))).toBe(true);
    const left = await entries(who);
    expect(left.map((row) => row.activity_id).sort()).toEqual([young, live].sort());
    const youngRow = left.find((row) => row.activity_id === young)!;
    expect(await alarmOf(who)).toBe(youngRow.deleted_ms! + TOMBSTONE_LIFETIME_MS);

    await age(who, young, TOMBSTONE_LIFETIME_MS);
    expect(await runDurableObjectAlarm(feedStub(who.caller))).toBe(true);
    expect((await entries(who)).map((row) => row.activity_id)).toEqual([live]);
    expect(await alarmOf(who)).toBeNull();
  });

  it("once pruned, a late push of an older state brings nothing back: by then that state has expired", async () => {
    const who = await appUser("contoso-notes");
    const id = await seedActivity(who);
    const shown = await ownView(who, id);
    const [{ version }] = (await entries(who)) as [EntryRow];
    await deleteActivity(who, id);
    await age(who, id, TOMBSTONE_LIFETIME_MS);
    await runDurableObjectAlarm(feedStub(who.caller));
    expect(await entries(who)).toEqual([]);

    // The state the push carries was last modified before the delete, so at the bound it has expired.
    const stale: ActivityRecord = {
      id,
      appActivityId: shown.appActivityId as string,
      content: JSON.stringify({ visualElements: { displayText: "stale" } }),
      status: "active",
      createdMs: Date.now() - TOMBSTONE_LIFETIME_MS - 1,
      lastModifiedMs: Date.now() - TOMBSTONE_LIFETIME_MS - 1,
      expirationMs: Date.now() - DAY_MS - 1,
    };
    await feedStub(who.caller).apply({ activityId: id, version, activity: stale, recentMs: null }, who.caller);
    expect((await call("GET", "/v1.0/me/activities", { token: who.token })).body.value).toEqual([]);
    expect(await entries(who)).toEqual([{ activity_id: id, version, activity: null, deleted_ms: expect.any(Number) }]);
  });
});
