import { DurableObject } from "cloudflare:workers";
import type { Caller } from "../auth/verify-token";
import { DEFAULT_LIFETIME_MS } from "../limits";
import { feedObject } from "./addresses";
import { AFTER_KEYSET, openCursor, sealCursor, storedCursorKey } from "./cursor";
import type { DateRange, FeedUpdate } from "./FeedObject";
import { migrate } from "./migrations";

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
  /** Whose activity this is: fixed for the object's life, and where its feed lives. */
  owner: Caller;
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

export type HistoryItemPage =
  | { kind: "page"; items: HistoryItemRecord[]; nextCursor: string | null }
  | { kind: "activity-not-found" }
  | { kind: "bad-cursor" };

/** Which of an activity's live history items to read: a window on lastModifiedDateTime and a count. */
export interface HistoryItemSelection {
  range: DateRange;
  top: number;
}

/** Rows deleted per alarm run, so one sweep never holds the object for long. */
const SWEEP_BATCH = 1000;

/** How long a write waits for its feed to acknowledge before leaving the update to the retry. */
const FEED_PUSH_TIMEOUT_MS = 2000;

/** Retry delay after the nth failed feed push: 1 s doubling up to 5 minutes. */
const feedRetryDelayMs = (attempts: number) => Math.min(1000 * 2 ** (attempts - 1), 300_000);

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

type OwnerRow = { tenant_id: string; user_id: string; app_id: string; id: string; feed_version: number };

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

interface CursorState {
  range: [number, number];
  sortMs: number;
  id: string;
}

const isCursorState = (value: unknown): value is CursorState =>
  typeof value === "object" &&
  value !== null &&
  Array.isArray((value as CursorState).range) &&
  typeof (value as CursorState).sortMs === "number" &&
  typeof (value as CursorState).id === "string";

/**
 * One user activity and its history items, for one (tenant, user, app). Every method does its
 * reads and writes synchronously in one transaction (no await in between), so each is atomic;
 * this is the only place that sets timestamps, status and expiry. Each change is also recorded
 * for the owner's feed in the same transaction, pushed before the method returns, and retried
 * from the alarm until the feed acknowledges it.
 */
export class ActivityObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private key: Promise<CryptoKey> | undefined;
  /** The alarm time this instance last set (null: none); undefined until it has set one. */
  private alarmAt: number | null | undefined;
  /** The feed push under way, and the one queued behind it that later writes share. */
  private pushing: Promise<void> | null = null;
  private queuedPush: Promise<void> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => migrate(ctx.storage, MIGRATIONS));
  }

  /** Creates or replaces the activity, with a deep insert of history items. */
  async putActivity(put: ActivityPut): Promise<ActivityPutResult> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): ActivityPutResult => {
      let existing = this.activityRow();
      if (existing && existing.app_activity_id !== put.appActivityId) return { kind: "conflict" };
      if (existing && existing.expiration_ms <= now) {
        this.deleteEverything();
        existing = undefined;
      }
      this.sql.exec(
        "INSERT OR IGNORE INTO owner (singleton, tenant_id, user_id, app_id, id) VALUES (1, ?, ?, ?, ?)",
        put.owner.tenantId,
        put.owner.userId,
        put.owner.appId,
        put.id,
      );
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
      this.noteFeedChange();
      return { kind: existing ? "replaced" : "created", activity, historyItems };
    });
    await this.settle();
    return result;
  }

  /** The activity, with a selection of its live items when asked for, if it exists and has not expired. */
  async getActivity(
    historyItems: HistoryItemSelection | null = null,
  ): Promise<{ activity: ActivityRecord; historyItems: HistoryItemRecord[] | null } | null> {
    const now = Date.now();
    const row = this.liveActivityRow(now);
    if (!row) return null;
    return { activity: toActivity(row), historyItems: historyItems ? this.liveHistoryItems(now, historyItems) : null };
  }

  /** Deletes the activity and its history items; false when there was none. */
  async deleteActivity(): Promise<boolean> {
    const now = Date.now();
    const existed = this.ctx.storage.transactionSync(() => {
      const existed = this.liveActivityRow(now) !== undefined;
      if (this.activityRow()) {
        this.deleteEverything();
        this.noteFeedChange();
      }
      return existed;
    });
    await this.settle();
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

  /** One page of the live items, most recently modified first, and a cursor for the next page. */
  async listHistoryItems(selection: HistoryItemSelection, cursor: string | null): Promise<HistoryItemPage> {
    const now = Date.now();
    if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
    let after: CursorState | undefined;
    if (cursor !== null) {
      const state = await openCursor(await this.cursorKey(), cursor);
      if (!isCursorState(state) || state.range[0] !== selection.range.from || state.range[1] !== selection.range.to) {
        return { kind: "bad-cursor" };
      }
      after = state;
    }
    // Read again after the await: the page must reflect one instant.
    const rows = this.liveHistoryItems(Date.now(), { ...selection, top: selection.top + 1 }, after);
    const items = rows.slice(0, selection.top);
    const last = items.at(-1);
    const nextCursor =
      rows.length > selection.top && last
        ? await sealCursor(await this.cursorKey(), {
            range: [selection.range.from, selection.range.to],
            sortMs: last.lastModifiedMs,
            id: last.id,
          } satisfies CursorState)
        : null;
    return { kind: "page", items, nextCursor };
  }

  async deleteHistoryItem(id: string): Promise<Found<null>> {
    const now = Date.now();
    const found = this.ctx.storage.transactionSync((): Found<null> => {
      if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
      if (this.sql.exec("DELETE FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).rowsWritten === 0) {
        return { kind: "item-not-found" };
      }
      this.noteFeedChange();
      return { kind: "found", value: null };
    });
    await this.settle();
    return found;
  }

  /**
   * Hard-deletes what has expired (a batch at a time), retries an unacknowledged feed update,
   * and re-arms for whichever comes next. Safe to run any number of times.
   */
  override async alarm(): Promise<void> {
    // A running alarm is no longer set; whatever comes next must be set again.
    this.alarmAt = undefined;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const activity = this.activityRow();
      if (activity && activity.expiration_ms <= now) {
        this.deleteEverything();
        this.noteFeedChange();
        return;
      }
      const swept = this.sql.exec(
        `DELETE FROM history_item WHERE id IN
           (SELECT id FROM history_item WHERE expiration_ms <= ? ORDER BY expiration_ms LIMIT ?)`,
        now,
        SWEEP_BATCH,
      ).rowsWritten;
      if (swept > 0) this.noteFeedChange();
    });
    await this.settle();
  }

  private async writeHistoryItem(write: HistoryItemWrite, mode: "create" | "upsert"): Promise<HistoryItemWriteResult> {
    const now = Date.now();
    const result = this.ctx.storage.transactionSync((): HistoryItemWriteResult => {
      if (!this.liveActivityRow(now)) return { kind: "activity-not-found" };
      if (mode === "create" && this.liveHistoryItemRow(write.id, now)) return { kind: "conflict" };
      const written = this.upsertHistoryItem(write, now);
      this.noteFeedChange();
      return written;
    });
    await this.settle();
    return result;
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

  /** Records, inside the caller's transaction, that the feed must learn this activity's new state. */
  private noteFeedChange(): void {
    const version = this.sql.exec<{ feed_version: number }>(
      "UPDATE owner SET feed_version = feed_version + 1 RETURNING feed_version",
    ).toArray()[0]?.feed_version;
    if (version === undefined) return;
    this.sql.exec(
      `INSERT INTO feed_outbox (singleton, version, attempts, retry_at_ms) VALUES (1, ?, 0, NULL)
       ON CONFLICT (singleton) DO UPDATE SET version = excluded.version`,
      version,
    );
  }

  /** After a write: pushes any pending feed update, then sets the alarm for what comes next. */
  private async settle(): Promise<void> {
    await this.feedPushAfterThisWrite();
    await this.armAlarm();
  }

  /**
   * Resolves once a push that started after the caller's write has finished. Writes that arrive
   * while a push is under way share one queued push, which carries all of them, so a burst of
   * writes costs two round trips to the feed rather than one each.
   */
  private feedPushAfterThisWrite(): Promise<void> {
    if (this.queuedPush) return this.queuedPush;
    const start = () => {
      this.queuedPush = null;
      this.pushing = this.pushToFeed().finally(() => (this.pushing = null));
      return this.pushing;
    };
    if (!this.pushing) return start();
    this.queuedPush = this.pushing.then(start, start);
    return this.queuedPush;
  }

  /** Sends the activity's current state to its feed; on failure leaves it for the alarm to retry. */
  private async pushToFeed(): Promise<void> {
    const update = this.feedUpdate(Date.now());
    if (!update) return;
    const { owner, change } = update;
    let timer: ReturnType<typeof setTimeout> | null = null;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${FEED_PUSH_TIMEOUT_MS} ms`)), FEED_PUSH_TIMEOUT_MS);
      });
      await Promise.race([feedObject(this.env, owner).apply(change), timeout]);
      this.sql.exec("DELETE FROM feed_outbox WHERE version <= ?", change.version);
    } catch (error) {
      // A concurrent push may have delivered a newer state meanwhile and emptied the outbox.
      const attempts = this.sql
        .exec<{ attempts: number }>("UPDATE feed_outbox SET attempts = attempts + 1 RETURNING attempts")
        .toArray()[0]?.attempts;
      if (attempts === undefined) return;
      this.sql.exec("UPDATE feed_outbox SET retry_at_ms = ?", Date.now() + feedRetryDelayMs(attempts));
      console.warn(JSON.stringify({ level: "warn", message: "feed update failed; will retry", activityId: change.activityId, attempts, error: String(error) }));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The pending feed update, built from the current state; undefined when the feed is up to date. */
  private feedUpdate(now: number): { owner: Caller; change: FeedUpdate } | undefined {
    if (!this.sql.exec("SELECT 1 FROM feed_outbox").toArray().length) return undefined;
    const owner = this.sql.exec<OwnerRow>("SELECT * FROM owner").one();
    const activity = this.liveActivityRow(now);
    const recent = this.sql
      .exec<{ last_modified_ms: number }>(
        // Walk the newest-first index until a live item; left to itself SQLite would sort every live item.
        "SELECT last_modified_ms FROM history_item INDEXED BY history_item_by_last_modified WHERE expiration_ms > ? ORDER BY last_modified_ms DESC LIMIT 1",
        now,
      )
      .toArray()[0];
    return {
      owner: { tenantId: owner.tenant_id, userId: owner.user_id, appId: owner.app_id },
      change: {
        activityId: owner.id,
        version: owner.feed_version,
        activity: activity ? toActivity(activity) : null,
        recentMs: recent?.last_modified_ms ?? null,
      },
    };
  }

  /** Sets the alarm to the earliest expiry or feed retry still pending, or clears it when there is none. */
  private async armAlarm(): Promise<void> {
    const next = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT expiration_ms AS at FROM activity
           UNION ALL SELECT min(expiration_ms) FROM history_item
           UNION ALL SELECT retry_at_ms FROM feed_outbox)`,
      )
      .one().at;
    // Most writes leave the earliest expiry where it was: skip the storage write then.
    if (next === this.alarmAt) return;
    this.alarmAt = next;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
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

  private liveHistoryItems(now: number, selection: HistoryItemSelection, after?: CursorState): HistoryItemRecord[] {
    const keyset = after ? `AND ${AFTER_KEYSET("last_modified_ms", "id")}` : "";
    return this.sql
      .exec<HistoryItemRow>(
        `SELECT * FROM history_item WHERE expiration_ms > ? AND last_modified_ms BETWEEN ? AND ? ${keyset}
         ORDER BY last_modified_ms DESC, id DESC LIMIT ?`,
        now,
        selection.range.from,
        selection.range.to,
        ...(after ? [after.sortMs, after.sortMs, after.id] : []),
        selection.top,
      )
      .toArray()
      .map(toHistoryItem);
  }

  private cursorKey(): Promise<CryptoKey> {
    this.key ??= storedCursorKey(this.sql);
    return this.key;
  }

  private liveHistoryItemRow(id: string, now: number): HistoryItemRow | undefined {
    return this.sql.exec<HistoryItemRow>("SELECT * FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).toArray()[0];
  }
}
