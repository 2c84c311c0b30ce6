import { DurableObject } from "cloudflare:workers";
import type { ActivityRecord } from "./ActivityObject";
import { AFTER_KEYSET, openCursor, sealCursor, storedCursorKey } from "./cursor";
import { migrate } from "./migrations";

/** What an activity's object tells its feed: its latest state, numbered so an older state never wins. */
export interface FeedUpdate {
  activityId: string;
  /** Increases with every change to the activity, across deletes and re-creation. */
  version: number;
  /** null once the activity is deleted or expired. */
  activity: ActivityRecord | null;
  /** The newest live history item's lastModifiedDateTime; null when it has none. */
  recentMs: number | null;
}

/** Inclusive bounds on lastModifiedDateTime, in epoch ms. */
export interface DateRange {
  from: number;
  to: number;
}

export const ALL_TIME: DateRange = { from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };

export interface FeedQuery {
  /** activities: by lastModifiedDateTime; recent: those with history items, by their newest item. */
  view: "activities" | "recent";
  top: number;
  range: DateRange;
  cursor: string | null;
}

export type FeedPage = { kind: "page"; activities: ActivityRecord[]; nextCursor: string | null } | { kind: "bad-cursor" };

interface CursorState {
  view: FeedQuery["view"];
  range: [number, number];
  sortMs: number;
  activityId: string;
}

const MIGRATIONS: string[] = [
  `CREATE TABLE feed_entry (
     activity_id TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     activity TEXT,
     last_modified_ms INTEGER,
     recent_ms INTEGER,
     expiration_ms INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX feed_by_last_modified ON feed_entry (last_modified_ms, activity_id) WHERE activity IS NOT NULL;
   CREATE INDEX feed_by_recent ON feed_entry (recent_ms, activity_id) WHERE recent_ms IS NOT NULL;
   CREATE TABLE cursor_key (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), raw BLOB NOT NULL);`,
];

const SORT_COLUMN = { activities: "last_modified_ms", recent: "recent_ms" } as const;
const INDEX = { activities: "feed_by_last_modified", recent: "feed_by_recent" } as const;

const isCursorState = (value: unknown): value is CursorState => {
  const state = value as CursorState;
  return (
    typeof state === "object" &&
    state !== null &&
    (state.view === "activities" || state.view === "recent") &&
    Array.isArray(state.range) &&
    typeof state.sortMs === "number" &&
    typeof state.activityId === "string"
  );
};

/**
 * The index of one (tenant, user, app)'s activities, kept in step by the activities' own
 * objects. A deleted activity stays as a tombstone row (its id and version) so that a late,
 * older update cannot bring it back.
 */
export class FeedObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private key!: CryptoKey;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage, MIGRATIONS);
      this.key = await storedCursorKey(this.sql);
    });
  }

  /** Records an activity's state unless a newer one is already recorded. Idempotent. */
  async apply(update: FeedUpdate): Promise<void> {
    const activity = update.activity;
    this.sql.exec(
      `INSERT INTO feed_entry (activity_id, version, activity, last_modified_ms, recent_ms, expiration_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (activity_id) DO UPDATE SET version = excluded.version, activity = excluded.activity,
         last_modified_ms = excluded.last_modified_ms, recent_ms = excluded.recent_ms, expiration_ms = excluded.expiration_ms
       WHERE excluded.version > feed_entry.version`,
      update.activityId,
      update.version,
      activity ? JSON.stringify(activity) : null,
      activity?.lastModifiedMs ?? null,
      activity ? update.recentMs : null,
      activity?.expirationMs ?? null,
    );
  }

  /** One page of live activities, newest first, and a cursor for the next page when there is one. */
  async list(query: FeedQuery): Promise<FeedPage> {
    const sort = SORT_COLUMN[query.view];
    const conditions = ["activity IS NOT NULL", "expiration_ms > ?", "last_modified_ms BETWEEN ? AND ?"];
    const bindings: (string | number)[] = [Date.now(), query.range.from, query.range.to];
    if (query.view === "recent") conditions.push("recent_ms IS NOT NULL");
    if (query.cursor !== null) {
      const state = await openCursor(this.key, query.cursor);
      if (
        !isCursorState(state) ||
        state.view !== query.view ||
        state.range[0] !== query.range.from ||
        state.range[1] !== query.range.to
      ) {
        return { kind: "bad-cursor" };
      }
      conditions.push(AFTER_KEYSET(sort, "activity_id"));
      bindings.push(state.sortMs, state.sortMs, state.activityId);
    }
    // Walk the view's own index in order and stop at the page's end, never sorting the whole feed.
    const rows = this.sql
      .exec<{ activity_id: string; activity: string; sort_ms: number }>(
        `SELECT activity_id, activity, ${sort} AS sort_ms FROM feed_entry INDEXED BY ${INDEX[query.view]}
         WHERE ${conditions.join(" AND ")} ORDER BY ${sort} DESC, activity_id DESC LIMIT ?`,
        ...bindings,
        query.top + 1,
      )
      .toArray();
    const page = rows.slice(0, query.top);
    const last = page.at(-1);
    const nextCursor =
      rows.length > query.top && last
        ? await sealCursor(this.key, {
            view: query.view,
            range: [query.range.from, query.range.to],
            sortMs: last.sort_ms,
            activityId: last.activity_id,
          } satisfies CursorState)
        : null;
    return { kind: "page", activities: page.map((row) => JSON.parse(row.activity) as ActivityRecord), nextCursor };
  }
}
