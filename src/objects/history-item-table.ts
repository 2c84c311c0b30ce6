import { DEFAULT_LIFETIME_MS } from "../limits";
import { type HistoryItemRow, toHistoryItem } from "./activity-tables";
import { afterPosition, keysetBindings, type KeysetPosition } from "./keyset";
import { ALL_TIME, type DateRange, type HistoryItemRecord, type HistoryItemWrite, type Status } from "./records";

/** Which of an activity's live history items to read: a window on lastModifiedDateTime and a count. */
export interface HistoryItemSelection {
  range: DateRange;
  top: number;
}

/** An item as written, and whether that created or replaced it. */
export type WrittenItem = { kind: "created" | "replaced"; item: HistoryItemRecord };

/** What an item write returns of the row it stored. */
type StoredItem = { status: Status; created_ms: number; expiration_ms: number };

// An item write, inserted only while the activity is live (?7 is the write's instant, ?8 its expiry
// or null for the default, ?9 the default lifetime): a new or expired item is created.
const INSERT_LIVE = `INSERT INTO history_item
    (id, started_ms, last_active_ms, active_duration_seconds, active_duration_computed, user_timezone, status, created_ms, last_modified_ms, expiration_ms)
  SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7, coalesce(?8, ?7 + ?9)
  WHERE EXISTS (SELECT 1 FROM activity WHERE expiration_ms > ?7)
  ON CONFLICT (id) DO UPDATE SET
    started_ms = excluded.started_ms, last_active_ms = excluded.last_active_ms,
    active_duration_seconds = excluded.active_duration_seconds, active_duration_computed = excluded.active_duration_computed,
    user_timezone = excluded.user_timezone, last_modified_ms = excluded.last_modified_ms`;

/**
 * Replaces a live item whose expiry stays what it is (status updated, createdDateTime kept) without
 * naming expiration_ms or created_ms: SQLite writes an index entry again for every indexed column an
 * update sets, changed or not, and Cloudflare bills each as a row written.
 */
const UPSERT_KEEPING_EXPIRY = `${INSERT_LIVE}, status = 'updated'
  WHERE history_item.expiration_ms > ?7 AND history_item.expiration_ms = coalesce(?8, history_item.created_ms + ?9)
  RETURNING status, created_ms, expiration_ms`;

/**
 * Every other item write: a live item is replaced (status updated, createdDateTime kept, and with it
 * the default expiry), an expired one created anew; with ?10 = 1 (create only) a live item is left as it was.
 * In DO UPDATE every expression reads the stored row: the new values follow from whether it is live.
 */
const UPSERT = `${INSERT_LIVE},
    status = iif(history_item.expiration_ms > ?7, 'updated', 'active'),
    created_ms = iif(history_item.expiration_ms > ?7, history_item.created_ms, ?7),
    expiration_ms = coalesce(?8, iif(history_item.expiration_ms > ?7, history_item.created_ms, ?7) + ?9)
  WHERE ?10 = 0 OR history_item.expiration_ms <= ?7
  RETURNING status, created_ms, expiration_ms`;

/**
 * The history_item table of one activity's object: each statement on it, and nothing else. The
 * object decides when they run, always inside its own transactions.
 */
export class HistoryItemTable {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Writes one item (one statement; two when it changes an expiry), only while the activity is live (undefined otherwise; the
   * forms without `createOnly` are for callers that know it is): a live item with this id is
   * replaced (status updated, createdDateTime kept, and with it the default expiry), an expired
   * or absent one is created. With `createOnly`, a live item is left as it was, and undefined returned.
   */
  upsert(write: HistoryItemWrite, now: number): WrittenItem;
  upsert(write: HistoryItemWrite, now: number, createOnly: boolean): WrittenItem | undefined;
  upsert(write: HistoryItemWrite, now: number, createOnly = false): WrittenItem | undefined {
    const bindings = [
      write.id,
      write.startedMs,
      write.lastActiveMs,
      write.activeDurationSeconds,
      write.activeDurationComputed ? 1 : 0,
      write.userTimezone,
      now,
      write.expirationMs,
      DEFAULT_LIFETIME_MS,
    ];
    // Most writes keep the stored expiry (a replace without one, a PATCH): tried first, as the statement
    // that leaves it and createdDateTime out, so that the expiry's index entry is not written again.
    // Nothing returned: the expiry changes, the item had expired, or the activity is not live.
    const stored =
      (createOnly ? undefined : this.sql.exec<StoredItem>(UPSERT_KEEPING_EXPIRY, ...bindings).toArray()[0]) ??
      this.sql.exec<StoredItem>(UPSERT, ...bindings, createOnly ? 1 : 0).toArray()[0];
    if (!stored) return undefined;
    const item: HistoryItemRecord = {
      ...write,
      status: stored.status,
      createdMs: stored.created_ms,
      lastModifiedMs: now,
      expirationMs: stored.expiration_ms,
    };
    return { kind: stored.status === "updated" ? "replaced" : "created", item };
  }

  /**
   * Writes an imported item as it was exported (its own times, status and expiry), unless a live item
   * with this id was modified as late or later; whether it was written. For a live activity only.
   */
  restore(item: HistoryItemRecord, now: number): boolean {
    return (
      this.sql
        .exec(
          `INSERT INTO history_item
             (id, started_ms, last_active_ms, active_duration_seconds, active_duration_computed, user_timezone, status, created_ms, last_modified_ms, expiration_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET
             started_ms = excluded.started_ms, last_active_ms = excluded.last_active_ms,
             active_duration_seconds = excluded.active_duration_seconds, active_duration_computed = excluded.active_duration_computed,
             user_timezone = excluded.user_timezone, status = excluded.status, created_ms = excluded.created_ms,
             last_modified_ms = excluded.last_modified_ms, expiration_ms = excluded.expiration_ms
           WHERE history_item.expiration_ms <= ? OR history_item.last_modified_ms < excluded.last_modified_ms
           RETURNING 1`,
          item.id,
          item.startedMs,
          item.lastActiveMs,
          item.activeDurationSeconds,
          item.activeDurationComputed ? 1 : 0,
          item.userTimezone,
          item.status,
          item.createdMs,
          item.lastModifiedMs,
          item.expirationMs,
          now,
        )
        .toArray().length > 0
    );
  }

  /** The live items in the selection, most recently modified first, after a keyset position when given. */
  live(now: number, selection: HistoryItemSelection, after?: KeysetPosition): HistoryItemRecord[] {
    const keyset = after ? `AND ${afterPosition("last_modified_ms", "id")}` : "";
    return this.sql
      .exec<HistoryItemRow>(
        `SELECT * FROM history_item WHERE expiration_ms > ? AND last_modified_ms BETWEEN ? AND ? ${keyset}
         ORDER BY last_modified_ms DESC, id DESC LIMIT ?`,
        now,
        selection.range.from,
        selection.range.to,
        ...(after ? keysetBindings(after) : []),
        selection.top,
      )
      .toArray()
      .map(toHistoryItem);
  }

  /** How many live items have lastModifiedDateTime in the range (the whole range of time: all of them). */
  countLive(now: number, range: DateRange = ALL_TIME): number {
    return this.sql
      .exec<{ count: number }>(
        "SELECT count(*) AS count FROM history_item WHERE expiration_ms > ? AND last_modified_ms BETWEEN ? AND ?",
        now,
        range.from,
        range.to,
      )
      .one().count;
  }

  /** A live item, whatever the activity's state. */
  liveRow(id: string, now: number): HistoryItemRow | undefined {
    return this.sql.exec<HistoryItemRow>("SELECT * FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).toArray()[0];
  }

  /** A live item of the live activity, read in one statement. */
  liveRowOfLiveActivity(id: string, now: number): HistoryItemRow | undefined {
    return this.sql
      .exec<HistoryItemRow>(
        "SELECT * FROM history_item WHERE id = ?1 AND expiration_ms > ?2 AND EXISTS (SELECT 1 FROM activity WHERE expiration_ms > ?2)",
        id,
        now,
      )
      .toArray()[0];
  }

  /** Deletes a live item; false when there was none. */
  deleteLive(id: string, now: number): boolean {
    return this.sql.exec("DELETE FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).rowsWritten > 0;
  }

  /** Deletes up to `limit` expired items (by default a batch small enough never to hold the object for long), the longest expired first; how many went. */
  sweepExpired(now: number, limit = 1000): number {
    return this.sql.exec(
      `DELETE FROM history_item WHERE id IN
         (SELECT id FROM history_item WHERE expiration_ms <= ? ORDER BY expiration_ms LIMIT ?)`,
      now,
      limit,
    ).rowsWritten;
  }
}
