import { DEFAULT_LIFETIME_MS } from "../limits";
import type { Schema } from "./migrations";
import type { HistoryItemRecord, ActivityRecord, Status } from "./records";

// The ActivityObject's tables, how their rows become records, and the statements on the activity row.

// Applied in order, once each; an applied step is never edited, only followed by new ones.
export const MIGRATIONS: string[] = [
  `CREATE TABLE activity (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     id TEXT NOT NULL,
     app_activity_id TEXT NOT NULL,
     content TEXT NOT NULL,
     status TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     last_modified_ms INTEGER NOT NULL,
     expiration_ms INTEGER NOT NULL
   );
   CREATE TABLE history_item (
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
   CREATE INDEX history_item_by_expiration ON history_item (expiration_ms);
   CREATE INDEX history_item_by_last_modified ON history_item (last_modified_ms, id);`,
  // The feed: who owns this activity (so it can find its feed) and the change its feed has not yet acknowledged.
  `CREATE TABLE owner (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     tenant_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     app_id TEXT NOT NULL,
     id TEXT NOT NULL,
     feed_version INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE feed_outbox (
     singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
     version INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     retry_at_ms INTEGER
   );
   CREATE TABLE cursor_key (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), raw BLOB NOT NULL);`,
  // Whether activeDurationSeconds was computed rather than sent, so a PATCH that moves the times computes it again.
  // Items written before this step count as sent: their duration stays as it is.
  `ALTER TABLE history_item ADD COLUMN active_duration_computed INTEGER NOT NULL DEFAULT 0;`,
  // Whether the pending change includes the activity itself (else only its history items): only then
  // does the push carry the activity. A change already pending counts as one that does.
  `ALTER TABLE feed_outbox ADD COLUMN activity_changed INTEGER NOT NULL DEFAULT 1;`,
  // The outbox's row stays for the object's life and holds the version counter (moved from owner), so
  // that a write notes its change in one statement: the version of the activity's latest change
  // (the push carries the activity while that is unacknowledged), and the latest version known
  // acknowledged (a retry that finds its change acknowledged clears itself). Nothing pending counts as acknowledged.
  `ALTER TABLE feed_outbox ADD COLUMN activity_version INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE feed_outbox ADD COLUMN acked_version INTEGER NOT NULL DEFAULT 0;
   UPDATE feed_outbox SET activity_version = version WHERE activity_changed = 1;
   INSERT INTO feed_outbox (singleton, version, attempts, retry_at_ms, activity_version, acked_version)
     SELECT 1, feed_version, 0, NULL, 0, feed_version FROM owner WHERE true
     ON CONFLICT (singleton) DO NOTHING;
   ALTER TABLE feed_outbox DROP COLUMN activity_changed;
   ALTER TABLE owner DROP COLUMN feed_version;`,
  // For an imported activity, when its data began to be written here (the import, or the creation of the
  // activity it joined): an erasure's rule reads it in place of created_ms. NULL: created here, at created_ms.
  `ALTER TABLE activity ADD COLUMN since_ms INTEGER;`,
];

export type ActivityRow = {
  id: string;
  app_activity_id: string;
  content: string;
  status: string;
  created_ms: number;
  last_modified_ms: number;
  expiration_ms: number;
  since_ms: number | null;
};

export type HistoryItemRow = {
  id: string;
  started_ms: number;
  last_active_ms: number | null;
  active_duration_seconds: number | null;
  active_duration_computed: number;
  user_timezone: string | null;
  status: string;
  created_ms: number;
  last_modified_ms: number;
  expiration_ms: number;
};

export const toActivity = (row: ActivityRow): ActivityRecord => ({
  id: row.id,
  appActivityId: row.app_activity_id,
  content: row.content,
  status: row.status as Status,
  createdMs: row.created_ms,
  lastModifiedMs: row.last_modified_ms,
  expirationMs: row.expiration_ms,
  ...(row.since_ms === null ? {} : { sinceMs: row.since_ms }),
});

export const toHistoryItem = (row: HistoryItemRow): HistoryItemRecord => ({
  id: row.id,
  startedMs: row.started_ms,
  lastActiveMs: row.last_active_ms,
  activeDurationSeconds: row.active_duration_seconds,
  activeDurationComputed: row.active_duration_computed === 1,
  userTimezone: row.user_timezone,
  status: row.status as Status,
  createdMs: row.created_ms,
  lastModifiedMs: row.last_modified_ms,
  expirationMs: row.expiration_ms,
});

/**
 * Writes the activity's row, a create or a replace (status updated, createdDateTime kept);
 * either way modified now and expiring 30 days from now.
 */
export function storeActivity(
  sql: SqlStorage,
  base: Pick<ActivityRecord, "id" | "appActivityId" | "createdMs">,
  replacing: boolean,
  content: string,
  now: number,
): ActivityRecord {
  const row = sql
    .exec<ActivityRow>(
      `INSERT INTO activity (singleton, id, app_activity_id, content, status, created_ms, last_modified_ms, expiration_ms)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET content = excluded.content, status = excluded.status,
         last_modified_ms = excluded.last_modified_ms, expiration_ms = excluded.expiration_ms
       RETURNING *`,
      base.id,
      base.appActivityId,
      content,
      replacing ? "updated" : "active",
      base.createdMs,
      now,
      now + DEFAULT_LIFETIME_MS,
    )
    .one();
  return toActivity(row);
}

/**
 * Writes an imported activity's row as it was exported: its own times, status and expiry. Its data
 * here began now, or, when it replaces one already here, when that one's did.
 */
export function restoreActivityRow(sql: SqlStorage, activity: ActivityRecord, now: number): void {
  sql.exec(
    `INSERT INTO activity (singleton, id, app_activity_id, content, status, created_ms, last_modified_ms, expiration_ms, since_ms)
     VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (singleton) DO UPDATE SET content = excluded.content, status = excluded.status, created_ms = excluded.created_ms,
       last_modified_ms = excluded.last_modified_ms, expiration_ms = excluded.expiration_ms,
       since_ms = coalesce(activity.since_ms, activity.created_ms)`,
    activity.id,
    activity.appActivityId,
    activity.content,
    activity.status,
    activity.createdMs,
    activity.lastModifiedMs,
    activity.expirationMs,
    now,
  );
}

/** The activity's row without its content, which may be as large as a body. */
export type ActivityHead = Omit<ActivityRow, "content">;

/** The activity's row, live or expired, read without its content; undefined when there is none. */
export function readActivityHead(sql: SqlStorage): ActivityHead | undefined {
  return sql
    .exec<ActivityHead>("SELECT id, app_activity_id, status, created_ms, last_modified_ms, expiration_ms, since_ms FROM activity")
    .toArray()[0];
}

/** The earliest expiry of the activity and its items, live or not (null: nothing here). */
export function earliestExpiry(sql: SqlStorage): number | null {
  return sql
    .exec<{ at: number | null }>(
      `SELECT min(at) AS at FROM (
         SELECT expiration_ms AS at FROM activity
         UNION ALL SELECT min(expiration_ms) FROM history_item)`,
    )
    .one().at;
}

/** The reads of the activity's row. An object without a schema never wrote: it has no activity, and nothing to read. */
export class ActivityTable {
  constructor(
    private readonly sql: SqlStorage,
    private readonly schema: Schema,
  ) {}

  /** The activity's row, live or expired; undefined when there is none. */
  row(): ActivityRow | undefined {
    if (!this.schema.exists) return undefined;
    return this.sql.exec<ActivityRow>("SELECT * FROM activity").toArray()[0];
  }

  /** The activity's row if it has not expired. */
  liveRow(now: number): ActivityRow | undefined {
    const row = this.row();
    return row && row.expiration_ms > now ? row : undefined;
  }

  /** The activity's row without its content, which may be as large as a body; undefined when there is none. */
  head(): ActivityHead | undefined {
    return this.schema.exists ? readActivityHead(this.sql) : undefined;
  }

  /** The activity as a record if it has not expired; null when there is none. */
  live(now: number): ActivityRecord | null {
    const row = this.liveRow(now);
    return row ? toActivity(row) : null;
  }

  /**
   * Before a whole activity is written here (PUT, POST, import): the live activity's head; undefined
   * when none is live (an expired one is deleted with its items; an object that never stored one
   * `adopt`s its owner, as it is fixed with the first activity); conflict when the server id belongs
   * to another appActivityId (a hash collision).
   */
  claim(appActivityId: string, now: number, adopt: () => void): ActivityHead | undefined | "conflict" {
    const stored = this.head();
    if (stored && stored.app_activity_id !== appActivityId) return "conflict";
    if (stored && stored.expiration_ms > now) return stored;
    if (stored) this.deleteWithItems();
    else adopt();
    return undefined;
  }

  /** Deletes the activity and every history item, live or not. */
  deleteWithItems(): void {
    this.sql.exec("DELETE FROM history_item");
    this.sql.exec("DELETE FROM activity");
  }

  /** The activity's expiry, live or not (undefined: there is none). */
  expiration(): number | undefined {
    return this.head()?.expiration_ms;
  }

  /** Whether the activity exists and has not expired. */
  isLive(now: number): boolean {
    const expiration = this.expiration();
    return expiration !== undefined && expiration > now;
  }
}
