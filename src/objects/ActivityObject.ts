import { DurableObject } from "cloudflare:workers";
import { DEFAULT_LIFETIME_MS } from "../limits";

export type Status = "active" | "updated";

export interface ActivityRecord {
  id: string;
  appActivityId: string;
  /** The client-owned properties as a JSON document, opaque to the object. */
  content: string;
  status: Status;
  createdMs: number;
  lastModifiedMs: number;
  expirationMs: number;
}

/** A history item as the client writes it; the object adds the server-owned fields. */
export interface HistoryItemWrite {
  id: string;
  startedMs: number;
  lastActiveMs: number | null;
  activeDurationSeconds: number | null;
  /** null: the object sets createdDateTime + 30 days. */
  expirationMs: number | null;
  userTimezone: string | null;
}

export interface HistoryItemRecord extends Omit<HistoryItemWrite, "expirationMs"> {
  status: Status;
  createdMs: number;
  lastModifiedMs: number;
  expirationMs: number;
}

export interface ActivityPut {
  id: string;
  appActivityId: string;
  /** The client-owned properties as a JSON document. */
  content: string;
  historyItems: HistoryItemWrite[];
}

export type ActivityPutResult =
  | { kind: "created" | "replaced"; activity: ActivityRecord; historyItems: HistoryItemRecord[] }
  /** The server id is already taken by another appActivityId (a 64-bit hash collision). */
  | { kind: "conflict" };

export type HistoryItemWriteResult =
  | { kind: "created" | "replaced"; item: HistoryItemRecord }
  | { kind: "activity-not-found" }
  | { kind: "conflict" };

export type Found<T> = { kind: "found"; value: T } | { kind: "activity-not-found" } | { kind: "item-not-found" };

/** Rows deleted per alarm run, so one sweep never holds the object for long. */
const SWEEP_BATCH = 1000;

// Applied in order, once each; an applied step is never edited, only followed by new ones.
const MIGRATIONS: string[] = [
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
];

type ActivityRow = {
  id: string;
  app_activity_id: string;
  content: string;
  status: string;
  created_ms: number;
  last_modified_ms: number;
  expiration_ms: number;
};

type HistoryItemRow = {
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

const toActivity = (row: ActivityRow): ActivityRecord => ({
  id: row.id,
  appActivityId: row.app_activity_id,
  content: row.content,
  status: row.status as Status,
  createdMs: row.created_ms,
  lastModifiedMs: row.last_modified_ms,
  expirationMs: row.expiration_ms,
});

const toHistoryItem = (row: HistoryItemRow): HistoryItemRecord => ({
  id: row.id,
  startedMs: row.started_ms,
  lastActiveMs: row.last_active_ms,
  activeDurationSeconds: row.active_duration_seconds,
  userTimezone: row.user_timezone,
  status: row.status as Status,
  createdMs: row.created_ms,
  lastModifiedMs: row.last_modified_ms,
  expirationMs: row.expiration_ms,
});

/**
 * One user activity and its history items, for one (tenant, user, app). Every method runs its
 * reads and writes synchronously (no await in between), so the input gate makes each one
 * atomic; this is the only place that sets timestamps, status and expiry.
 */
export class ActivityObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => this.migrate());
  }

  private migrate(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)");
    const applied = this.sql.exec<{ version: number | null }>("SELECT max(version) AS version FROM schema_migration").one().version ?? 0;
    for (let version = applied + 1; version <= MIGRATIONS.length; version++) {
      this.ctx.storage.transactionSync(() => {
        this.sql.exec(MIGRATIONS[version - 1]!);
        this.sql.exec("INSERT INTO schema_migration (version, applied_ms) VALUES (?, ?)", version, Date.now());
      });
    }
  }

  /** Creates or replaces the activity, with a deep insert of history items. */
  async putActivity(put: ActivityPut): Promise<ActivityPutResult> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): ActivityPutResult => {
      let existing = this.activityRow();
      if (existing && existing.expiration_ms <= now) {
        this.deleteEverything();
        existing = undefined;
      }
      if (existing && existing.app_activity_id !== put.appActivityId) return { kind: "conflict" };
      const activity: ActivityRecord = {
        id: put.id,
        appActivityId: put.appActivityId,
        content: put.content,
        status: existing ? "updated" : "active",
        createdMs: existing?.created_ms ?? now,
        lastModifiedMs: now,
        expirationMs: now + DEFAULT_LIFETIME_MS,
      };
      this.sql.exec(
        `INSERT INTO activity (singleton, id, app_activity_id, content, status, created_ms, last_modified_ms, expiration_ms)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (singleton) DO UPDATE SET content = excluded.content, status = excluded.status,
           last_modified_ms = excluded.last_modified_ms, expiration_ms = excluded.expiration_ms`,
        activity.id,
        activity.appActivityId,
        activity.content,
        activity.status,
        activity.createdMs,
        activity.lastModifiedMs,
        activity.expirationMs,
      );
      const historyItems = put.historyItems.map((item) => this.upsertHistoryItem(item, now).item);
      return { kind: existing ? "replaced" : "created", activity, historyItems };
    });
    await this.armAlarm();
    return result;
  }

  /** The activity, with its live items when asked for, if it exists and has not expired. */
  async getActivity(withHistoryItems: boolean): Promise<{ activity: ActivityRecord; historyItems: HistoryItemRecord[] | null } | null> {
    const now = Date.now();
    const row = this.liveActivityRow(now);
    if (!row) return null;
    return { activity: toActivity(row), historyItems: withHistoryItems ? this.liveHistoryItems(now) : null };
  }

  /** Deletes the activity and its history items; false when there was none. */
  async deleteActivity(): Promise<boolean> {
    const existed = this.liveActivityRow(Date.now()) !== undefined;
    this.ctx.storage.transactionSync(() => this.deleteEverything());
    await this.ctx.storage.deleteAlarm();
    return existed;
  }

  /** POST: creates an item; conflict when a live item already has this id. */
  async createHistoryItem(write: HistoryItemWrite): Promise<HistoryItemWriteResult> {
    return this.writeHistoryItem(write, "create");
  }

  /** PUT: creates or replaces the whole item. */
  async putHistoryItem(write: HistoryItemWrite): Promise<HistoryItemWriteResult> {
    return this.writeHistoryItem(write, "upsert");
  }

  async getHistoryItem(id: string): Promise<Found<HistoryItemRecord>> {
    const now = Date.now();
    if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
    const row = this.liveHistoryItemRow(id, now);
    return row ? { kind: "found", value: toHistoryItem(row) } : { kind: "item-not-found" };
  }

  /** The live items, most recently modified first. */
  async listHistoryItems(): Promise<Found<HistoryItemRecord[]>> {
    const now = Date.now();
    if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
    return { kind: "found", value: this.liveHistoryItems(now) };
  }

  async deleteHistoryItem(id: string): Promise<Found<null>> {
    const now = Date.now();
    if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
    const deleted = this.sql.exec("DELETE FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).rowsWritten > 0;
    return deleted ? { kind: "found", value: null } : { kind: "item-not-found" };
  }

  /** Hard-deletes what has expired, a batch at a time, and re-arms for the next expiry. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const activity = this.activityRow();
      if (!activity || activity.expiration_ms <= now) {
        this.deleteEverything();
        return;
      }
      this.sql.exec(
        `DELETE FROM history_item WHERE id IN
           (SELECT id FROM history_item WHERE expiration_ms <= ? ORDER BY expiration_ms LIMIT ?)`,
        now,
        SWEEP_BATCH,
      );
    });
    await this.armAlarm();
  }

  private writeHistoryItem(write: HistoryItemWrite, mode: "create" | "upsert"): Promise<HistoryItemWriteResult> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): HistoryItemWriteResult => {
      if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
      if (mode === "create" && this.liveHistoryItemRow(write.id, now)) return { kind: "conflict" };
      return this.upsertHistoryItem(write, now);
    });
    return this.armAlarm().then(() => result);
  }

  /** Writes one item: a live item with this id is replaced (keeping createdDateTime), anything else is created. */
  private upsertHistoryItem(write: HistoryItemWrite, now: number): { kind: "created" | "replaced"; item: HistoryItemRecord } {
    const existing = this.liveHistoryItemRow(write.id, now);
    const createdMs = existing?.created_ms ?? now;
    const item: HistoryItemRecord = {
      ...write,
      status: existing ? "updated" : "active",
      createdMs,
      lastModifiedMs: now,
      expirationMs: write.expirationMs ?? createdMs + DEFAULT_LIFETIME_MS,
    };
    this.sql.exec(
      `INSERT OR REPLACE INTO history_item
         (id, started_ms, last_active_ms, active_duration_seconds, user_timezone, status, created_ms, last_modified_ms, expiration_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      item.id,
      item.startedMs,
      item.lastActiveMs,
      item.activeDurationSeconds,
      item.userTimezone,
      item.status,
      item.createdMs,
      item.lastModifiedMs,
      item.expirationMs,
    );
    return { kind: existing ? "replaced" : "created", item };
  }

  /** Sets the alarm to the earliest expiry still stored, or clears it when nothing is. */
  private async armAlarm(): Promise<void> {
    const earliest = this.sql
      .exec<{ at: number | null }>(
        "SELECT min(at) AS at FROM (SELECT expiration_ms AS at FROM activity UNION ALL SELECT min(expiration_ms) FROM history_item)",
      )
      .one().at;
    if (earliest === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(earliest);
  }

  private deleteEverything(): void {
    this.sql.exec("DELETE FROM history_item");
    this.sql.exec("DELETE FROM activity");
  }

  private activityRow(): ActivityRow | undefined {
    return this.sql.exec<ActivityRow>("SELECT * FROM activity").toArray()[0];
  }

  private liveActivityRow(now: number): ActivityRow | undefined {
    const row = this.activityRow();
    return row && row.expiration_ms > now ? row : undefined;
  }

  private liveHistoryItems(now: number): HistoryItemRecord[] {
    return this.sql
      .exec<HistoryItemRow>("SELECT * FROM history_item WHERE expiration_ms > ? ORDER BY last_modified_ms DESC, id DESC", now)
      .toArray()
      .map(toHistoryItem);
  }

  private liveHistoryItemRow(id: string, now: number): HistoryItemRow | undefined {
    return this.sql.exec<HistoryItemRow>("SELECT * FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).toArray()[0];
  }
}
