import type { ActivityRestore, ActivityRestoreResult, RestoreOutcome } from "./activity-results";
import { soonest } from "./alarm-schedule";
import { type ActivityHead, restoreActivityRow } from "./activity-tables";
import type { FeedOutbox } from "./feed-outbox";
import type { HistoryItemTable } from "./history-item-table";

// An import, inside an activity's object: the activity and its history items restored with their
// own ids, times, status and expiry. Per record, the newer lastModifiedDateTime wins and a tie
// keeps what is here, so importing the same export twice changes nothing; nothing is deleted.

/** What a restore writes through: the object's tables and outbox, and its claim on the activity's place (as a PUT makes). */
export interface RestoreTarget {
  sql: SqlStorage;
  items: HistoryItemTable;
  outbox: FeedOutbox;
  /** The live activity's head (undefined: none, an expired one deleted); conflict when the id is another appActivityId's. */
  claim(): ActivityHead | undefined | "conflict";
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
  const live = target.claim();
  if (live === "conflict") return { result: { kind: "conflict" }, expiresAt: null };
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
