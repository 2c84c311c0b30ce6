import type { ActivityRecord, FeedUpdate } from "./records";

// What an erasure of a user's data erases, in one place: the feed, the registry and the activity
// objects all apply this rule, so they agree on what survives without asking each other.

/**
 * Feed versions are readings of a clock in microseconds, kept strictly increasing per activity:
 * max(previous + 1, now × 1000). So a version also says when its change was made, and an
 * activity object that was erased (and so forgot its counter) still numbers every later change
 * above every change made before it.
 */
export const VERSIONS_PER_MS = 1000;

/** A whole state an update carries: its version, and the activity (null once deleted). */
export type WholeState = Pick<FeedUpdate, "version"> & { activity: ActivityRecord | null };

/**
 * Whether a feed update carries anything written before `instantMs` (an erasure's request): a
 * change made before it, or an activity whose data began to be written before it (its history
 * items may be older). That is its creation, or for an imported activity its import (sinceMs): an
 * import is a change made now, whatever dates the data it restores carries.
 */
export function writtenBefore(update: WholeState, instantMs: number): boolean {
  return (
    update.version < instantMs * VERSIONS_PER_MS ||
    (update.activity !== null && (update.activity.sinceMs ?? update.activity.createdMs) < instantMs)
  );
}

/** `writtenBefore` for a feed_entry row; bind the instant twice with `writtenBeforeBindings`. */
export const WRITTEN_BEFORE_SQL =
  "(version < ? OR (activity IS NOT NULL AND coalesce(json_extract(activity, '$.sinceMs'), json_extract(activity, '$.createdMs')) < ?))";

export const writtenBeforeBindings = (instantMs: number) => [instantMs * VERSIONS_PER_MS, instantMs];
