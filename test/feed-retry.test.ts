// A write's only storage for its feed is the note in its own transaction: an acknowledged push
// writes nothing and leaves the alarm at the retry the write set, and that alarm finds the change
// acknowledged (or, after a restart lost the memory of it, pushes it once more) and clears it.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import { FeedObject } from "../src/objects/FeedObject";
import { MIGRATIONS } from "../src/objects/activity-tables";
import { migrate } from "../src/objects/migrations";
import { call, historyItemPath } from "./support/api";
import { freshUserWithActivity } from "./support/users";
import { activityStub, alarmOf, feedStub, NOTHING_PENDING, OUTBOX_STATE, sqlIn } from "./support/objects";
import { callerFor } from "./support/tokens";

afterEach(() => vi.restoreAllMocks());

const ITEM = { startedDateTime: "2015-02-11T20:54:04Z" };

async function freshActivity() {
  const { token, caller, id } = await freshUserWithActivity();
  const stub = activityStub(id, caller);
  const entry = async () => await sqlIn(feedStub(caller), "SELECT * FROM feed_entry WHERE activity_id = ?", id);
  return { token, id, stub, entry };
}

it("an acknowledged push leaves the retry and the alarm where the write set them; the alarm then clears the retry and moves to the expiry", async () => {
  const { token, id, stub, entry } = await freshActivity();
  const retryAt = await alarmOf(stub);
  expect(await sqlIn(stub, OUTBOX_STATE)).toEqual([{ retry_at_ms: retryAt, attempts: 0, acknowledged: 0, activity_acknowledged: 0 }]);

  // A second write shares the retry already set (it is sooner than its own), so it sets no alarm.
  const put = await call("PUT", historyItemPath(id, crypto.randomUUID()), { token, body: ITEM });
  expect(put.status).toBe(201);
  expect(await alarmOf(stub)).toBe(retryAt);
  expect(await sqlIn(stub, OUTBOX_STATE)).toEqual([{ retry_at_ms: retryAt, attempts: 0, acknowledged: 0, activity_acknowledged: 0 }]);
  // The feed has it already: the push was acknowledged before the write answered.
  const delivered = await entry();
  expect(delivered).toEqual([expect.objectContaining({ recent_ms: Date.parse(put.body.lastModifiedDateTime) })]);

  expect(await runDurableObjectAlarm(stub)).toBe(true);
  expect(await sqlIn(stub, OUTBOX_STATE)).toEqual(NOTHING_PENDING);
  const { activity } = (await sqlIn(stub, "SELECT expiration_ms AS activity FROM activity"))[0] as { activity: number };
  expect(await alarmOf(stub)).toBe(activity);
  // Found acknowledged, nothing was pushed again.
  expect(await entry()).toEqual(delivered);
});

it("an object restarted after an acknowledged push pushes the change once more when the retry runs: the feed keeps what it has", async () => {
  const { token, id, stub, entry } = await freshActivity();
  const put = await call("PUT", historyItemPath(id, crypto.randomUUID()), { token, body: ITEM });
  expect(put.status).toBe(201);
  const delivered = await entry();
  await abortAllDurableObjects();

  const applied = vi.spyOn(FeedObject.prototype, "apply");
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  // Knowing nothing acknowledged, it sends the whole state, at the version the feed already has.
  const { version } = (await sqlIn(stub, "SELECT version FROM feed_outbox"))[0] as { version: number };
  expect(applied.mock.calls.map(([update]) => update)).toEqual([
    { activityId: id, version, activity: expect.objectContaining({ id }), recentMs: Date.parse(put.body.lastModifiedDateTime) },
  ]);
  expect(await entry()).toEqual(delivered);
  expect(await sqlIn(stub, OUTBOX_STATE)).toEqual(NOTHING_PENDING);
  const { activity } = (await sqlIn(stub, "SELECT expiration_ms AS activity FROM activity"))[0] as { activity: number };
  expect(await alarmOf(stub)).toBe(activity);
});

it("upgrades an outbox of the earlier layout: the version counter moves from owner, a pending change stays pending, an acknowledged one is known acknowledged", async () => {
  const owner = ["tenant", "user", "app", "42"];
  const layouts = await Promise.all(
    [{ pending: true }, { pending: false }].map(async ({ pending }) => {
      const stub = activityStub(crypto.randomUUID(), callerFor({ user: crypto.randomUUID() }));
      return runInDurableObject(stub, (_instance, state) => {
        // The schema as it was before this step, with what the earlier code wrote into it.
        migrate(state.storage, MIGRATIONS.slice(0, 4));
        const sql = state.storage.sql;
        sql.exec("INSERT INTO owner (singleton, tenant_id, user_id, app_id, id, feed_version) VALUES (1, ?, ?, ?, ?, 7000)", ...owner);
        if (pending)
          sql.exec("INSERT INTO feed_outbox (singleton, version, attempts, retry_at_ms, activity_changed) VALUES (1, 7000, 2, 99, 1)");
        migrate(state.storage, MIGRATIONS);
        return {
          owner: sql.exec("SELECT * FROM owner").toArray(),
          outbox: sql.exec("SELECT * FROM feed_outbox").toArray(),
        };
      });
    }),
  );
  const ownerRow = { singleton: 1, tenant_id: "tenant", user_id: "user", app_id: "app", id: "42" };
  expect(layouts).toEqual([
    {
      owner: [ownerRow],
      outbox: [{ singleton: 1, version: 7000, attempts: 2, retry_at_ms: 99, activity_version: 7000, acked_version: 0 }],
    },
    {
      owner: [ownerRow],
      outbox: [{ singleton: 1, version: 7000, attempts: 0, retry_at_ms: null, activity_version: 0, acked_version: 7000 }],
    },
  ]);
});
