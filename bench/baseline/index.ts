// The baseline: what a history-item write costs with nothing but the Durable Object and its SQL.
// Same binding (ACTIVITIES), same table and indexes, same read-then-upsert in one synchronous
// transaction as ActivityObject.upsertHistoryItem; no router, validation, auth, activity check,
// feed push or alarm. It answers the service's own URLs, so the load generator sends both the
// very same requests (the Authorization header is ignored here).
//
// With `x-bench-feed: 1`, a write also does the one thing the spec adds to it (§7: the feed index
// is updated before the write is acknowledged): after its transaction the object makes one RPC to
// a second object (FEEDS) that upserts one row, as ActivityObject.pushToFeed does. That is the
// least any implementation of the spec can do, so it shows what the write-path targets allow.
//
// GET /me/activities is the bare page: one RPC to that feed object, which reads the newest stored
// texts (each activity's Graph JSON, seeded from the service's own feed through /__bench/feed) in
// one statement through an index; the Worker joins them with a plain, unsigned cursor. No auth, validation or
// expiry. A reference for the feed pages, beside the bare GET their target is judged against.
//
// GET /me/activities/live with `Upgrade: websocket` is the bare live socket: the feed object accepts
// it with the platform's hibernation and does nothing else (no auth, no token expiry, no message).
// A reference for the memory an idle socket costs the service (bench/continuity.ts).
import { DurableObject } from "cloudflare:workers";

interface BaselineEnv {
  ACTIVITIES: DurableObjectNamespace<ActivityObject>;
  FEEDS: DurableObjectNamespace<FeedObject>;
}

const LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Rows read and written by the statements of requests (not schema), as Cloudflare bills them,
 * since the last GET /__bench/rows: the Worker and its objects share one isolate under
 * `wrangler dev`, so this is plain module state. For the benchmark's cost figures only.
 */
const billedRows = { read: 0, written: 0 };

/** The rows a consumed statement read and wrote, added to billedRows. */
function tally<T extends Record<string, SqlStorageValue>>(cursor: SqlStorageCursor<T>): T[] {
  const found = cursor.toArray();
  billedRows.read += cursor.rowsRead;
  billedRows.written += cursor.rowsWritten;
  return found;
}

interface FeedSeed {
  activityId: string;
  lastModifiedMs: number;
  resource: string;
}

interface ItemWrite {
  id: string;
  startedMs: number;
  lastActiveMs: number | null;
  activeDurationSeconds: number | null;
  expirationMs: number | null;
  userTimezone: string | null;
}

type ItemRow = {
  id: string;
  started_ms: number;
  last_active_ms: number | null;
  active_duration_seconds: number | null;
  user_timezone: string | null;
  status: string;
  created_ms: number;
  last_modified_ms: number;
  expiration_ms: number;
};

/** One activity's history items, stored exactly as src/objects/ActivityObject.ts stores them. */
export class ActivityObject extends DurableObject<BaselineEnv> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: BaselineEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS history_item (
         id TEXT PRIMARY KEY,
         started_ms INTEGER NOT NULL,
         last_active_ms INTEGER,
         active_duration_seconds INTEGER,
         user_timezone TEXT,
         status TEXT NOT NULL,
         created_ms INTEGER NOT NULL,
         last_modified_ms INTEGER NOT NULL,
         expiration_ms INTEGER NOT NULL
       ) WITHOUT ROWID;
       CREATE INDEX IF NOT EXISTS history_item_by_expiration ON history_item (expiration_ms);
       CREATE INDEX IF NOT EXISTS history_item_by_last_modified ON history_item (last_modified_ms, id);`,
    );
  }

  /**
   * The same read-then-upsert as ActivityObject.upsertHistoryItem, in one transaction; then, given
   * the activity's id, the feed push (one feed object, as the workload has one user).
   */
  async upsert(write: ItemWrite, feedActivityId: string | null): Promise<{ created: boolean; item: ItemRow }> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync(() => {
      const existing = this.live(write.id, now);
      const createdMs = existing?.created_ms ?? now;
      const item: ItemRow = {
        id: write.id,
        started_ms: write.startedMs,
        last_active_ms: write.lastActiveMs,
        active_duration_seconds: write.activeDurationSeconds,
        user_timezone: write.userTimezone,
        status: existing ? "updated" : "active",
        created_ms: createdMs,
        last_modified_ms: now,
        expiration_ms: write.expirationMs ?? createdMs + LIFETIME_MS,
      };
      tally(
        this.sql.exec(
          `INSERT OR REPLACE INTO history_item
           (id, started_ms, last_active_ms, active_duration_seconds, user_timezone, status, created_ms, last_modified_ms, expiration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          item.id,
          item.started_ms,
          item.last_active_ms,
          item.active_duration_seconds,
          item.user_timezone,
          item.status,
          item.created_ms,
          item.last_modified_ms,
          item.expiration_ms,
        ),
      );
      return { created: !existing, item };
    });
    if (feedActivityId !== null) await this.env.FEEDS.getByName("feed").apply(feedActivityId, now);
    return result;
  }

  /** The same one-row read as ActivityObject.getHistoryItem, without the activity check. */
  get(id: string): ItemRow | null {
    return this.live(id, Date.now()) ?? null;
  }

  private live(id: string, now: number): ItemRow | undefined {
    return tally(this.sql.exec<ItemRow>("SELECT * FROM history_item WHERE id = ? AND expiration_ms > ?", id, now))[0];
  }
}

/**
 * One row per activity (feed_entry): the least a feed index can hold, which the feed push upserts.
 * For the bare page, each activity's Graph JSON as the service's feed stores it (page_text, seeded
 * by the benchmark, indexed by time, never touched by a push): a page reads its newest texts through
 * that index, the ten it lists and one more (is there a next page?).
 */
export class FeedObject extends DurableObject<BaselineEnv> {
  constructor(ctx: DurableObjectState, env: BaselineEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      // No index on the time: the feed push's upsert stays one row written.
      `CREATE TABLE IF NOT EXISTS feed_entry (activity_id TEXT PRIMARY KEY, last_modified_ms INTEGER NOT NULL) WITHOUT ROWID;
       CREATE TABLE IF NOT EXISTS page_text (activity_id TEXT PRIMARY KEY, last_modified_ms INTEGER NOT NULL, resource TEXT NOT NULL) WITHOUT ROWID;
       CREATE INDEX IF NOT EXISTS page_text_by_time ON page_text (last_modified_ms, activity_id);`,
    );
  }

  seed(entries: FeedSeed[]): void {
    for (const entry of entries) {
      this.ctx.storage.sql.exec(
        "INSERT OR REPLACE INTO page_text (activity_id, last_modified_ms, resource) VALUES (?, ?, ?)",
        entry.activityId,
        entry.lastModifiedMs,
        entry.resource,
      );
    }
  }

  /** The bare page: the `top` newest stored texts, read in one statement, and the position after them when more follow. */
  page(top: number): { texts: string[]; after: [number, string] | null } {
    const rows = tally(
      this.ctx.storage.sql.exec<{ activity_id: string; last_modified_ms: number; resource: string }>(
        "SELECT activity_id, last_modified_ms, resource FROM page_text ORDER BY last_modified_ms DESC, activity_id DESC LIMIT ?",
        top + 1,
      ),
    );
    const page = rows.slice(0, top);
    const last = page.at(-1);
    return { texts: page.map((row) => row.resource), after: rows.length > top && last ? [last.last_modified_ms, last.activity_id] : null };
  }

  /** The bare live socket: accepted with hibernation, and nothing more. */
  override fetch(): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client });
  }

  apply(activityId: string, lastModifiedMs: number): void {
    tally(
      this.ctx.storage.sql.exec(
        `INSERT INTO feed_entry (activity_id, last_modified_ms) VALUES (?, ?)
         ON CONFLICT (activity_id) DO UPDATE SET last_modified_ms = excluded.last_modified_ms`,
        activityId,
        lastModifiedMs,
      ),
    );
  }
}

const ITEM = /^(?:\/v1\.0|\/beta)?\/me\/activities\/([^/]+)\/historyItems(?:\/([^/]+))?$/;
const FEED = /^(?:\/v1\.0|\/beta)?\/me\/activities$/;
const LIVE = /^(?:\/v1\.0|\/beta)?\/me\/activities\/live$/;

const toMs = (value: unknown) => (typeof value === "string" ? Date.parse(value) : null);

export default {
  async fetch(request: Request, env: BaselineEnv): Promise<Response> {
    const url = new URL(request.url);
    const { pathname } = url;
    if (pathname === "/__bench/rows") {
      const counted = { ...billedRows };
      billedRows.read = billedRows.written = 0;
      return Response.json(counted);
    }
    const feed = env.FEEDS.getByName("feed");
    if (pathname === "/__bench/feed" && request.method === "POST") {
      await feed.seed((await request.json()) as FeedSeed[]);
      return new Response(null, { status: 204 });
    }
    if (LIVE.test(pathname) && request.headers.get("Upgrade") === "websocket") return feed.fetch(request);
    // The bare page: one RPC to the feed object, its texts joined, and a plain (unsigned) cursor.
    if (FEED.test(pathname) && request.method === "GET") {
      const { texts, after } = await feed.page(Number(url.searchParams.get("$top") ?? 10));
      const link = after
        ? `,"@odata.nextLink":${JSON.stringify(`${url.origin}${pathname}?$skiptoken=${btoa(JSON.stringify(after))}`)}`
        : "";
      return new Response(`{"value":[${texts.join(",")}]${link}}`, { headers: { "Content-Type": "application/json" } });
    }
    const match = ITEM.exec(pathname);
    if (!match) return new Response(null, { status: 404 });
    const stub = env.ACTIVITIES.getByName(match[1]!);
    const itemId = match[2];
    if (request.method === "GET" && itemId) {
      const item = await stub.get(itemId);
      return item ? Response.json(item) : new Response(null, { status: 404 });
    }
    if (request.method === "PUT" || request.method === "POST") {
      const body = (await request.json()) as Record<string, unknown>;
      const write: ItemWrite = {
        id: itemId ?? (typeof body.id === "string" ? body.id : crypto.randomUUID()),
        startedMs: toMs(body.startedDateTime) ?? 0,
        lastActiveMs: toMs(body.lastActiveDateTime),
        activeDurationSeconds: typeof body.activeDurationSeconds === "number" ? body.activeDurationSeconds : null,
        expirationMs: toMs(body.expirationDateTime),
        userTimezone: typeof body.userTimezone === "string" ? body.userTimezone : null,
      };
      const { created, item } = await stub.upsert(write, request.headers.get("x-bench-feed") === "1" ? match[1]! : null);
      return Response.json(item, { status: created ? 201 : 200 });
    }
    return new Response(null, { status: 405 });
  },
} satisfies ExportedHandler<BaselineEnv>;
