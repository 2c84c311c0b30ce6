// The service with two bench-only doors, for the measurements that the public API cannot make.
// Started from the service's own wrangler.toml and .dev.vars with only the entry point replaced
// (bench/run.ts), it serves src/'s app unchanged and binds src/'s Durable Objects through thin
// subclasses that add:
//   - ActivityObject: a timed wrapper around the real alarm() and a row count, so the expiry
//     sweep can be timed (expired items are invisible to every public read);
//   - FeedObject: a seeding call that feeds synthetic updates through the real apply(), so a
//     feed can hold 10,000 activities without 10,000 activity objects being created first;
//   - a seeding door for history items: the object's own putActivity() RPC (the deep insert's
//     path behind the Worker's validation), 1,000 items per call, so one activity can hold
//     100,000 items within seconds;
//   - FeedObject: a count of its constructions, so the continuity phase can tell whether the feed
//     holding idle live sockets was evicted (hibernated) and built again when a change woke it;
//   - both: counters of the SQL statements, alarm calls and feed RPCs each request causes, taken
//     at the objects' one seam: the DurableObjectState they are constructed with is instrumented
//     before they receive it, so every statement they run through ctx.storage is counted,
//     whatever their inner layout.
// The Worker and its objects share one isolate under `wrangler dev`, so the counters are plain
// module state that the Worker can read back.
// Nothing here is reachable from the deployed service: src/ has no bench code.
import { ActivityObject as ServiceActivityObject, FeedObject as ServiceFeedObject } from "../../src/index";
// The registry needs no bench door; it is bound as it is.
export { UserObject } from "../../src/index";
import service from "../../src/index";
import type { Caller } from "../../src/auth/verify-token";
import type { FeedApplyResult, FeedUpdate } from "../../src/objects/records";
import { activityIdFor, activityObject, feedObject } from "../../src/objects/addresses";
import { historyItemReplaceSchema, toHistoryItemWrite } from "../../src/schemas/history-item";

/** Storage operations by kind, since the last reset. */
const counts = new Map<string, number>();
const count = (key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * The cursors of the statements run since the last count, by object class: their rowsRead and
 * rowsWritten (what Cloudflare bills) are final once the caller has read them, so they are summed
 * when the counts are read. Kept only from the first read of the counts on (the counts phase).
 */
let measuringRows = false;
const cursors: [string, SqlStorageCursor<Record<string, SqlStorageValue>>][] = [];

/** Every distinct statement seen since the start, with the bindings of its first use. */
const statements = new Map<string, { label: string; query: string; bindings: unknown[] }>();

const kinds = new Map<string, string>();

/** A statement's kind: its first words, with whitespace folded (cached: the statements are constants). */
function statementKind(query: string, length = 70): string {
  const key = length === 70 ? query : `${length}:${query}`;
  let kind = kinds.get(key);
  if (kind === undefined) {
    kind = query.replace(/\s+/g, " ").trim().slice(0, length);
    kinds.set(key, kind);
  }
  return kind;
}

type Exec = (query: string, ...bindings: SqlStorageValue[]) => SqlStorageCursor<Record<string, SqlStorageValue>>;

/**
 * Instruments the state an object is about to be constructed with: every SQL statement and alarm
 * call made through its storage is counted under the object's class name. This is the seam: the
 * objects receive their DurableObjectState as always (workerd accepts no stand-in for it) and do
 * not know it is counted. Returns the uncounted exec, for the bench's own queries.
 */
function instrument(ctx: DurableObjectState, label: string): Exec {
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec.bind(sql) as Exec;
  sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
    const key = `${label} sql: ${statementKind(query)}`;
    count(key);
    if (!statements.has(key)) statements.set(key, { label, query, bindings });
    const cursor = exec(query, ...bindings);
    if (measuringRows) cursors.push([label, cursor]);
    return cursor;
  }) as SqlStorage["exec"];
  for (const method of ["setAlarm", "deleteAlarm", "getAlarm"] as const) {
    const original = storage[method].bind(storage) as (...args: unknown[]) => unknown;
    (storage as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      count(`${label} storage.${method}`);
      return original(...args);
    };
  }
  return exec;
}

export interface QueryPlan {
  object: string;
  statement: string;
  plan: string[];
  /**
   * Why the statement's cost grows with a table that grows (history_item, feed_entry): it scans
   * it, or it sorts every matching row before its LIMIT; null when it does neither.
   */
  grows: string | null;
}

const GROWING = /\b(history_item|feed_entry)\b/;

/** Whether a plan makes a statement's cost grow with a table that grows. */
function growth(query: string, plan: string[]): string | null {
  const limited = /\bLIMIT\b/i.test(query);
  for (const line of plan) {
    // SCAN … USING INDEX under a LIMIT walks the index in order and stops early.
    if (/^SCAN (history_item|feed_entry)\b/.test(line) && !(limited && /USING (COVERING )?INDEX/.test(line))) return "scans the table";
  }
  if (GROWING.test(query) && plan.some((line) => line.startsWith("USE TEMP B-TREE FOR ORDER BY"))) {
    return "reads and sorts every matching row before the LIMIT";
  }
  return null;
}

/** EXPLAIN QUERY PLAN of every single statement this class has run, with its first bindings. */
function queryPlans(exec: Exec, label: string): QueryPlan[] {
  const plans: QueryPlan[] = [];
  for (const { label: owner, query, bindings } of statements.values()) {
    // Schema statements (migrations, miniflare's own) run once per object, never per request.
    if (owner !== label || /^\s*CREATE\b/i.test(query) || query.includes("__miniflare") || query.includes("schema_migration")) continue;
    let plan: string[];
    try {
      plan = exec(`EXPLAIN QUERY PLAN ${query}`, ...(bindings as SqlStorageValue[]))
        .toArray()
        .map((row) => String(row.detail));
    } catch (error) {
      plan = [`(not explained: ${String(error)})`];
    }
    plans.push({ object: label, statement: statementKind(query, 200), plan, grows: growth(query, plan) });
  }
  return plans;
}

/** One run of the activity's alarm: when it started and ended, in epoch ms. */
export interface AlarmRun {
  startedMs: number;
  endedMs: number;
}

export class ActivityObject extends ServiceActivityObject {
  private readonly alarmRuns: AlarmRun[] = [];
  private readonly rawExec: Exec;

  constructor(ctx: DurableObjectState, env: Env) {
    const rawExec = instrument(ctx, "ActivityObject");
    super(ctx, env);
    this.rawExec = rawExec;
  }

  benchQueryPlans(): QueryPlan[] {
    return queryPlans(this.rawExec, "ActivityObject");
  }

  override async alarm(): Promise<void> {
    const startedMs = Date.now();
    await super.alarm();
    this.alarmRuns.push({ startedMs, endedMs: Date.now() });
  }

  /** Rows in history_item, expired or not, and the alarm runs this instance has seen. */
  async benchState(): Promise<{ rows: number; alarmRuns: AlarmRun[] }> {
    const rows = Number(this.rawExec("SELECT count(*) AS n FROM history_item").one().n);
    return { rows, alarmRuns: this.alarmRuns };
  }
}

/** FeedObject instances constructed since the isolate started: one more after a hibernated feed wakes. */
let feedConstructions = 0;

export class FeedObject extends ServiceFeedObject {
  private readonly rawExec: Exec;

  constructor(ctx: DurableObjectState, env: Env) {
    const rawExec = instrument(ctx, "FeedObject");
    super(ctx, env);
    this.rawExec = rawExec;
    feedConstructions++;
  }

  benchQueryPlans(): QueryPlan[] {
    return queryPlans(this.rawExec, "FeedObject");
  }

  override async apply(update: FeedUpdate, owner: Caller): Promise<FeedApplyResult> {
    count("FeedObject rpc: apply");
    return super.apply(update, owner);
  }

  /** Records `total` synthetic activities through the real apply(), in one transaction (after the first, which registers the feed). */
  async benchSeed(owner: Caller, total: number, firstIndex: number): Promise<number> {
    const now = Date.now();
    const update = (i: number): FeedUpdate => {
      const lastModifiedMs = now - i * 1000;
      return {
        activityId: String(1_000_000_000_000 + i),
        version: 1,
        activity: {
          id: String(1_000_000_000_000 + i),
          appActivityId: `/bench/${i}`,
          content: JSON.stringify({
            activitySourceHost: "https://bench.example",
            activationUrl: `https://bench.example/${i}`,
            appDisplayName: "bench",
            fallbackUrl: null,
            contentUrl: null,
            visualElements: { displayText: `Activity ${i}`, description: null, backgroundColor: null, content: null, attribution: null },
            contentInfo: null,
            userTimezone: null,
          }),
          status: "active",
          createdMs: lastModifiedMs,
          lastModifiedMs,
          expirationMs: lastModifiedMs + 30 * 24 * 3600 * 1000,
        },
        recentMs: lastModifiedMs,
      };
    };
    // The first apply of a feed calls its registry; once registered, apply() does its SQL synchronously
    // before its first await, so the rest run inside one transaction.
    if (total > 0) await this.apply(update(firstIndex), owner);
    this.ctx.storage.transactionSync(() => {
      for (let i = firstIndex + 1; i < firstIndex + total; i++) void this.apply(update(i), owner);
    });
    return total;
  }
}

const json = (value: unknown) => Response.json(value);

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__bench/activity-state" && request.method === "POST") {
      const { caller, id } = (await request.json()) as { caller: Caller; id: string };
      const stub = activityObject(env, caller, id) as unknown as DurableObjectStub<ActivityObject>;
      return json(await stub.benchState());
    }
    if (url.pathname === "/__bench/query-plans" && request.method === "POST") {
      const { caller, id } = (await request.json()) as { caller: Caller; id: string };
      const activity = activityObject(env, caller, id) as unknown as DurableObjectStub<ActivityObject>;
      const feed = feedObject(env, caller) as unknown as DurableObjectStub<FeedObject>;
      return json([...(await activity.benchQueryPlans()), ...(await feed.benchQueryPlans())]);
    }
    if (url.pathname === "/__bench/feed-constructions" && request.method === "POST") {
      // Read in the Worker, so asking wakes no object.
      return json({ constructions: feedConstructions });
    }
    if (url.pathname === "/__bench/counts" && request.method === "POST") {
      for (const [label, cursor] of cursors) {
        counts.set(`${label} rows read`, (counts.get(`${label} rows read`) ?? 0) + cursor.rowsRead);
        counts.set(`${label} rows written`, (counts.get(`${label} rows written`) ?? 0) + cursor.rowsWritten);
      }
      cursors.length = 0;
      measuringRows = true;
      const snapshot = Object.fromEntries(counts);
      counts.clear();
      return json(snapshot);
    }
    if (url.pathname === "/__bench/seed-items" && request.method === "POST") {
      // Items shaped by the route's own schema and mapping, written by the object's own deep insert.
      const { caller, appActivityId, ids, item } = (await request.json()) as {
        caller: Caller;
        appActivityId: string;
        ids: string[];
        item: unknown;
      };
      const id = await activityIdFor(caller, appActivityId);
      const stub = activityObject(env, caller, id);
      const found = await stub.getActivity();
      if (!found) return new Response("no such activity", { status: 404 });
      const body = historyItemReplaceSchema.parse(item);
      for (let first = 0; first < ids.length; first += 1000) {
        const result = await stub.putActivity({
          owner: caller,
          id,
          appActivityId,
          content: found.activity.content,
          historyItems: ids.slice(first, first + 1000).map((itemId) => toHistoryItemWrite(itemId, body)),
        });
        if (result.kind === "conflict") return new Response("conflict", { status: 409 });
      }
      return json({ seeded: ids.length });
    }
    if (url.pathname === "/__bench/seed-feed" && request.method === "POST") {
      const { caller, total, firstIndex } = (await request.json()) as { caller: Caller; total: number; firstIndex: number };
      const stub = feedObject(env, caller) as unknown as DurableObjectStub<FeedObject>;
      return json({ seeded: await stub.benchSeed(caller, total, firstIndex) });
    }
    return service.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
