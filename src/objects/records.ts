// What crosses RPC between the Worker and the objects, and between the objects: plain data,
// no classes, so every shape survives structured clone.

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
  /**
   * When this activity's data began to be written to its object, where that is not createdMs: the
   * import that restored it (see erasure-rule.ts). Absent for an activity created where it is.
   */
  sinceMs?: number;
}

/** A history item as the client writes it; the object adds the server-owned fields. */
export interface HistoryItemWrite {
  id: string;
  startedMs: number;
  lastActiveMs: number | null;
  activeDurationSeconds: number | null;
  /** Whether the service computed activeDurationSeconds (the client sent none), so a PATCH that moves the times computes it again. */
  activeDurationComputed: boolean;
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

/** A problem with a request body, as the validators word it: where it is, what kind, what was expected. */
export interface BodyIssue {
  code: string;
  path: (string | number)[];
  message: string;
  /** For unrecognized_keys: the properties the type does not define. */
  keys?: string[];
}

/** Inclusive bounds on lastModifiedDateTime, in epoch ms. */
export interface DateRange {
  from: number;
  to: number;
}

export const ALL_TIME: DateRange = { from: Number.MIN_SAFE_INTEGER, to: Number.MAX_SAFE_INTEGER };

/** What an activity's object tells its feed: its latest state, numbered so an older state never wins. */
export interface FeedUpdate {
  activityId: string;
  /** Increases with every change to the activity, across deletes and re-creation. */
  version: number;
  /**
   * The activity (null once deleted or expired) when it changed since its feed last acknowledged
   * an update; absent when only its history items did, so the feed keeps the activity it holds.
   */
  activity?: ActivityRecord | null;
  /** The newest live history item's lastModifiedDateTime; null when it has none. */
  recentMs: number | null;
}

/** Whose data a registry holds: one user of one tenant, across apps. */
export interface UserKey {
  tenantId: string;
  userId: string;
}

/** What a feed learns when it registers with its user's registry. */
export interface FeedRegistration {
  /** false: the update was written before the latest erasure, so the app was not registered for it. */
  registered: boolean;
  /** The latest erasure's request instant: the feed refuses anything written before it. null: none. */
  erasedBeforeMs: number | null;
}

/** A feed's answer to an update: applied (or already superseded), or refused as written before an erasure. */
export type FeedApplyResult =
  | { kind: "applied" }
  | { kind: "erased"; beforeMs: number }
  /** An update without the activity could not be applied alone: send the whole state. */
  | { kind: "needs-activity" };

/** What an erasure would remove from an activity's object. */
export interface ActivityInventory {
  live: boolean;
  historyItems: number;
}

/** An activity's object after an erasure: emptied, or kept because the activity was created after the request. */
export type ActivityErasure = { kind: "erased" } | { kind: "kept" };

/** What an erasure removed. */
export interface ErasureCounts {
  apps: number;
  activities: number;
  historyItems: number;
}
