import type { Caller } from "../auth/verify-token";
import type { HistoryItemSelection } from "./history-item-table";
import type { ActivityRecord, BodyIssue, HistoryItemRecord, HistoryItemWrite } from "./records";

// What an ActivityObject's methods take and answer: typed results, never HTTP.

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
  | { kind: "conflict" }
  /** A create (POST) found a live activity with this appActivityId. */
  | { kind: "exists" };

export type ActivityPatchResult =
  | { kind: "patched"; activity: ActivityRecord }
  | { kind: "activity-not-found" }
  /** The merged activity breaks a rule a PUT must pass; nothing was stored. */
  | { kind: "invalid"; issues: BodyIssue[] }
  /** The merged activity, as a GET would answer it, is over the body limit (so it could not be sent back); nothing was stored. */
  | { kind: "too-large"; bytes: number }
  /** The patch names another appActivityId than the stored one. */
  | { kind: "app-activity-id-differs"; appActivityId: string };

export type HistoryItemPatchResult =
  | { kind: "patched"; item: HistoryItemRecord }
  | { kind: "activity-not-found" }
  | { kind: "item-not-found" }
  | { kind: "invalid"; issues: BodyIssue[] };

export type HistoryItemWriteResult =
  { kind: "created" | "replaced"; item: HistoryItemRecord } | { kind: "activity-not-found" } | { kind: "conflict" };

export type Found<T> = { kind: "found"; value: T } | { kind: "activity-not-found" } | { kind: "item-not-found" };

export type HistoryItemPage =
  | { kind: "page"; items: HistoryItemRecord[]; nextCursor: string | null; count: number | null }
  | { kind: "activity-not-found" }
  | { kind: "bad-cursor" };

/** A page of an activity's history items: the selection, where to continue, and whether to count them all. */
export interface HistoryItemPageQuery extends HistoryItemSelection {
  cursor: string | null;
  count: boolean;
}

/** An exported activity and its history items, to be restored as they were (an import). */
export interface ActivityRestore {
  /** Whose activity this is: fixed for the object's life, and where its feed lives. */
  owner: Caller;
  activity: ActivityRecord;
  historyItems: HistoryItemRecord[];
}

/** What became of an imported record: written, left as it was (what is here is as new), or not written as already expired. */
export type RestoreOutcome = "imported" | "skipped" | "expired";

export type ActivityRestoreResult =
  | { kind: "restored"; activity: RestoreOutcome; historyItems: Record<RestoreOutcome, number> }
  /** The server id is already taken by another appActivityId (a 64-bit hash collision). */
  | { kind: "conflict" };
