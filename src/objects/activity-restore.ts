import type { ActivityRestore, ActivityRestoreResult, RestoreOutcome } from "./activity-results";
import { soonest } from "./alarm-schedule";
import { readActivityHead, restoreActivityRow } from "./activity-tables";
import type { FeedOutbox } from "./feed-outbox";
import type { HistoryItemTable } from "./history-item-table";

// An import, inside an activity's object: the activity and its history items restored with their
// own ids, times, status and expiry. Per record, the newer lastModifiedDateTime wins and a tie
// keeps what is here, so importing the same export twice changes nothing; nothing is deleted.

/** What a restore writes through: the object's tables and outbox, and its way of emptying itself. */
export interface RestoreTarget {
  sql: SqlStorage;
  items: HistoryItemTable;
  outbox: FeedOutbox;
  /** Deletes the activity and its history items (one stored but expired, before a live one is restored). */
  deleteEverything(): void;
}

/** An import of an activity that has expired already: nothing of it is written. */
export function expiredRestore(restore: ActivityRestore): ActivityRestoreResult {
  return { kind: "restored", activity: "expired", historyItems: { imported: 0, skipped: 0, expired: restore.historyItems.length } };
}

/**
 * Restores a live activity (the object has a schema), inside the caller's transaction, and notes the
 * change for its feed. Returns the result, and the earliest expiry it wrote (for the alarm).
 */
export function restoreActivity(
  target: RestoreTarget,
  restore: ActivityRestore,
  now: number,
): { result: ActivityRestoreResult; expiresAt: number | null } {
  const { sql, items, outbox } = target;
  const { activity } = restore;
  const stored = readActivityHead(sql);
  if (stored && stored.app_activity_id !== activity.appActivityId) return { result: { kind: "conflict" }, expiresAt: null };
  const live = stored && stored.expiration_ms > now ? stored : undefined;
  if (stored && !live) target.deleteEverything();
  // An object that ever stored its activity has adopted its owner with it.
  if (!stored) outbox.adopt(restore.owner, activity.id);
  const activityOutcome: RestoreOutcome = live && live.last_modified_ms >= activity.lastModifiedMs ? "skipped" : "imported";
  if (activityOutcome === "imported") restoreActivityRow(sql, activity, now);
  const counts: Record<RestoreOutcome, number> = { imported: 0, skipped: 0, expired: 0 };
  let expiresAt = activityOutcome === "imported" ? activity.expirationMs : null;
  for (const item of restore.historyItems) {
    const outcome = item.expirationMs <= now ? "expired" : items.restore(item, now) ? "imported" : "skipped";
    counts[outcome]++;
    if (outcome === "imported") expiresAt = soonest(expiresAt, item.expirationMs);
  }
  if (activityOutcome === "imported") outbox.note(now);
  else if (counts.imported > 0) outbox.note(now, "history-items");
  return {
    result: { kind: "restored", activity: activityOutcome, historyItems: counts },
    expiresAt,
  };
}
