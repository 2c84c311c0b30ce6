// The Durable Objects behind an answer, reached as the Worker reaches them (src/objects/addresses.ts),
// so a test can look at their rows and alarms.
import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { env } from "cloudflare:workers";
import type { Caller } from "../../src/auth/verify-token";
import { activityObject, feedObject, userObject } from "../../src/objects/addresses";
import { DEV_CALLER } from "./tokens";

/** The object that holds activity `activityId` for `caller` (the development identity unless told otherwise). */
export const activityStub = (activityId: string, caller: Caller = DEV_CALLER) => activityObject(env, caller, activityId);

/** The feed index of `caller`'s activities. */
export const feedStub = (caller: Caller = DEV_CALLER) => feedObject(env, caller);

/** The registry of one user's apps and erasures (the development identity's unless told otherwise). */
export const userStub = (caller: Pick<Caller, "tenantId" | "userId"> = DEV_CALLER) =>
  userObject(env, { tenantId: caller.tenantId, userId: caller.userId });

/**
 * Everything an object stores: every table and index it has, every row of every table, its
 * key-value keys and its alarm. An object that holds nothing has none of them (`HOLDS_NOTHING`).
 */
export const storageOf = (stub: DurableObjectStub<Rpc.DurableObjectBranded | undefined>) =>
  runInDurableObject(stub, async (_instance, state) => {
    const sql = state.storage.sql;
    const schema = sql.exec<{ type: string; name: string }>("SELECT type, name FROM sqlite_master").toArray();
    // The runtime's own tables (_cf_KV, _cf_METADATA) cannot be read: list() and getAlarm() read them.
    const tables = schema.filter((entry) => entry.type === "table" && !entry.name.startsWith("_cf_")).map((entry) => entry.name);
    return {
      tables: schema.map((entry) => entry.name),
      rows: Object.fromEntries(tables.map((name) => [name, sql.exec(`SELECT * FROM "${name}"`).toArray()])),
      keys: [...(await state.storage.list()).keys()],
      alarm: await state.storage.getAlarm(),
    };
  });

export const HOLDS_NOTHING = { tables: [], rows: {}, keys: [], alarm: null };

/** Runs one SQL statement inside an object and returns its rows. */
export const sqlIn = (stub: DurableObjectStub, query: string, ...bindings: unknown[]) =>
  runInDurableObject(stub, (_instance, state) => state.storage.sql.exec(query, ...bindings).toArray());

/**
 * An activity object's outbox as its feed sees it: the retry, the failed attempts, and whether the
 * feed has acknowledged the latest change and the activity's latest change (known after the alarm
 * that runs the retry, or after a push that followed failures: an acknowledgement alone writes nothing).
 */
export const OUTBOX_STATE =
  "SELECT retry_at_ms, attempts, version = acked_version AS acknowledged, activity_version <= acked_version AS activity_acknowledged FROM feed_outbox";

/** OUTBOX_STATE once the feed has everything and no retry is set. */
export const NOTHING_PENDING = [{ retry_at_ms: null, attempts: 0, acknowledged: 1, activity_acknowledged: 1 }];

/** When an object's alarm is set to fire (epoch ms), or null. */
export const alarmOf = (stub: DurableObjectStub) => runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());

/**
 * When an activity object's alarm fires after the feed retry its latest write set: a write leaves
 * the alarm no later than that retry (3 s out), and the run finds the push acknowledged and sets
 * the alarm for whatever is due next (an expiry). Asserts the retry came first.
 */
export async function alarmAfterRetry(stub: DurableObjectStub): Promise<number | null> {
  const retry = await alarmOf(stub);
  expect(retry).toBeLessThanOrEqual(Date.now() + 3000);
  expect(await runDurableObjectAlarm(stub)).toBe(true);
  return alarmOf(stub);
}

/** Every row an activity's object holds: the activity and its history items (by id). */
export const storedRows = (activityId: string, caller: Caller = DEV_CALLER) =>
  runInDurableObject(activityStub(activityId, caller), (_instance, state) => ({
    activity: state.storage.sql.exec("SELECT * FROM activity").toArray(),
    historyItems: state.storage.sql.exec("SELECT * FROM history_item ORDER BY id").toArray(),
  }));

/** The ids of every activity object that has storage, to show that a rejected request created none. */
export const activityObjectIds = async () => (await listDurableObjectIds(env.ACTIVITIES)).map((id) => id.toString()).sort();
