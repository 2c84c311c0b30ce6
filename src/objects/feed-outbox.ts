import type { Caller } from "../auth/verify-token";
import { feedObject } from "./addresses";
import { withDeadline } from "./deadline";
import { VERSIONS_PER_MS } from "./erasure-rule";
import type { ActivityErasure, ActivityRecord, FeedUpdate } from "./records";

/** How long a write waits for its feed to acknowledge before leaving the update to the retry. */
const FEED_PUSH_TIMEOUT_MS = 2000;

/** Retry delay after the nth failed feed push: 1 s doubling up to 5 minutes. */
const feedRetryDelayMs = (attempts: number) => Math.min(1000 * 2 ** (attempts - 1), 300_000);

/**
 * When a noted change is retried if nothing acknowledges it first: just after its push would
 * have timed out and been retried. Scheduled with the change itself, so a crash between the
 * commit and the push still delivers it.
 */
const FIRST_RETRY_MS = FEED_PUSH_TIMEOUT_MS + feedRetryDelayMs(1);

/** The activity's state as its feed should show it: the activity itself only when asked for. */
export interface FeedState {
  activity?: ActivityRecord | null;
  recentMs: number | null;
}

/** What a change touched: the activity itself (or its life), or only its history items. */
export type FeedChange = "activity" | "history-items";

/** What the outbox needs from its activity's object besides its tables. */
export interface OutboxOwner {
  /** The state to push now; with `withActivity`, the activity too. */
  currentState(now: number, withActivity: boolean): FeedState;
  /** false once the object holds nothing (it never wrote, or it was erased): there is nothing to push. */
  holdsData(): boolean;
  /** The feed refused the update as written before an erasure: erase the object, unless its activity is newer. */
  eraseWrittenBefore(beforeMs: number): Promise<ActivityErasure>;
}

type PendingRow = { tenant_id: string; user_id: string; app_id: string; id: string; feed_version: number; activity_changed: number };

/**
 * An activity object's outbox to its owner's feed (tables `owner` and `feed_outbox`). A write
 * records, inside its own transaction, that the feed must learn the new state and when to retry
 * if it has not (`note`); the owner arms its alarm for that retry and then pushes the state
 * (`push`). A push that fails moves the retry later, one that is acknowledged clears it. Each push
 * carries the current state and a version, so pushes are idempotent and an older one never wins;
 * the activity itself goes only while a change to it is unacknowledged (a history-item write
 * changes no more than the newest item's time). A version is a microsecond clock reading (see
 * erasure-rule.ts), so it keeps increasing even across an erasure of the object.
 */
export class FeedOutbox {
  /** The push under way, and the one queued behind it that later writes share. */
  private pushing: Promise<void> | null = null;
  private queuedPush: Promise<void> | null = null;
  /** When the retry the latest note scheduled is due, until the owner has armed for it. */
  private unarmedRetry: number | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly owner: OutboxOwner,
  ) {}

  /** Records whose activity this is (once: it is fixed for the object's life). */
  adopt(owner: Caller, activityId: string): void {
    this.sql.exec(
      "INSERT OR IGNORE INTO owner (singleton, tenant_id, user_id, app_id, id) VALUES (1, ?, ?, ?, ?)",
      owner.tenantId,
      owner.userId,
      owner.appId,
      activityId,
    );
  }

  /**
   * Records, inside the caller's transaction, that the feed must learn this activity's new state
   * as of the write's instant `now`, and schedules its retry.
   */
  note(now: number, change: FeedChange = "activity"): void {
    const version = this.sql
      .exec<{ feed_version: number }>(
        "UPDATE owner SET feed_version = max(feed_version + 1, ?) RETURNING feed_version",
        now * VERSIONS_PER_MS,
      )
      .toArray()[0]?.feed_version;
    if (version === undefined) return;
    // A retry already due sooner stays: a burst of writes keeps one alarm time. A change to the
    // activity stays noted until a push that carried it is acknowledged.
    this.unarmedRetry = this.sql
      .exec<{ retry_at_ms: number }>(
        `INSERT INTO feed_outbox (singleton, version, attempts, retry_at_ms, activity_changed) VALUES (1, ?, 0, ?, ?)
         ON CONFLICT (singleton) DO UPDATE SET version = excluded.version,
           retry_at_ms = min(coalesce(feed_outbox.retry_at_ms, excluded.retry_at_ms), excluded.retry_at_ms),
           activity_changed = max(feed_outbox.activity_changed, excluded.activity_changed)
         RETURNING retry_at_ms`,
        version,
        now + FIRST_RETRY_MS,
        change === "activity" ? 1 : 0,
      )
      .one().retry_at_ms;
  }

  /** The retry the notes since the last call scheduled (null: none): the owner arms its alarm for it before pushing. */
  scheduledRetry(): number | null {
    const retryAt = this.unarmedRetry;
    this.unarmedRetry = null;
    return retryAt;
  }

  /** When the next retry is due; null when the feed is up to date. */
  retryAt(): number | null {
    if (!this.owner.holdsData()) return null;
    return this.sql.exec<{ retry_at_ms: number | null }>("SELECT retry_at_ms FROM feed_outbox").toArray()[0]?.retry_at_ms ?? null;
  }

  /**
   * Resolves once a push that started after the caller's write has finished. Writes that arrive
   * while a push is under way share one queued push, which carries all of them, so a burst of
   * writes costs two round trips to the feed rather than one each.
   */
  push(): Promise<void> {
    if (this.queuedPush) return this.queuedPush;
    const start = () => {
      this.queuedPush = null;
      this.pushing = this.pushOnce().finally(() => (this.pushing = null));
      return this.pushing;
    };
    if (!this.pushing) return start();
    this.queuedPush = this.pushing.then(start, start);
    return this.queuedPush;
  }

  /** Sends the activity's current state to its feed; on failure leaves it for the alarm to retry. */
  private async pushOnce(): Promise<void> {
    const pending = this.pending(Date.now());
    if (!pending) return;
    const { owner, update } = pending;
    try {
      const answer = await withDeadline(feedObject(this.env, owner).apply(update, owner), FEED_PUSH_TIMEOUT_MS, "feed update");
      if (answer.kind === "needs-activity") {
        // The feed could not apply what changed alone: note the activity as changed, and push the whole.
        this.sql.exec("UPDATE feed_outbox SET activity_changed = 1");
        return this.pushOnce();
      }
      if (answer.kind === "erased") {
        // Erased, the object holds nothing more to push; kept (created after the erasure), it noted itself anew.
        if ((await this.owner.eraseWrittenBefore(answer.beforeMs)).kind === "kept") return this.pushOnce();
        return;
      }
      // An erasure may have emptied the object while the feed answered.
      if (this.owner.holdsData()) this.sql.exec("DELETE FROM feed_outbox WHERE version <= ?", update.version);
    } catch (error) {
      if (!this.owner.holdsData()) return;
      // A concurrent push may have delivered a newer state meanwhile and emptied the outbox.
      const attempts = this.sql
        .exec<{ attempts: number }>("UPDATE feed_outbox SET attempts = attempts + 1 RETURNING attempts")
        .toArray()[0]?.attempts;
      if (attempts === undefined) return;
      this.sql.exec("UPDATE feed_outbox SET retry_at_ms = ?", Date.now() + feedRetryDelayMs(attempts));
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "feed update failed; will retry",
          activityId: update.activityId,
          attempts,
          error: String(error),
        }),
      );
    }
  }

  /**
   * The pending update and where it goes; undefined when the feed is up to date. It carries the
   * activity only if the activity itself changed since the feed last acknowledged.
   */
  private pending(now: number): { owner: Caller; update: FeedUpdate } | undefined {
    if (!this.owner.holdsData()) return undefined;
    // Both tables hold one row at most: this yields one only while a change is pending.
    const pending = this.sql
      .exec<PendingRow>(
        "SELECT owner.tenant_id, owner.user_id, owner.app_id, owner.id, owner.feed_version, feed_outbox.activity_changed FROM owner, feed_outbox",
      )
      .toArray()[0];
    if (!pending) return undefined;
    return {
      owner: { tenantId: pending.tenant_id, userId: pending.user_id, appId: pending.app_id },
      update: { activityId: pending.id, version: pending.feed_version, ...this.owner.currentState(now, pending.activity_changed === 1) },
    };
  }
}
