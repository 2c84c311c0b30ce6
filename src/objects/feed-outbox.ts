import type { Caller } from "../auth/verify-token";
import { feedObject } from "./addresses";
import { Deadlines } from "./deadline";
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

/** What a change touched: the activity itself (or its life), or only its history items. */
export type FeedChange = "activity" | "history-items";

/** How a push ended: done (delivered, or nothing to deliver), or failed with a retry scheduled (see retryAt). */
export type PushOutcome = "done" | "retry-scheduled";

/** What the outbox needs from its activity's object besides its tables. */
export interface OutboxOwner {
  /** The activity if it exists and has not expired, for a push that carries it. */
  liveActivity(now: number): ActivityRecord | null;
  /** false once the object holds nothing (it never wrote, or it was erased): there is nothing to push. */
  holdsData(): boolean;
  /** The feed refused the update as written before an erasure: erase the object, unless its activity is newer. */
  eraseWrittenBefore(beforeMs: number): Promise<ActivityErasure>;
}

/** The outbox's row, with the newest live history item's time as the statement that returned it saw it. */
type OutboxRow = {
  version: number;
  activity_version: number;
  acked_version: number;
  attempts: number;
  retry_at_ms: number | null;
  recent_ms: number | null;
};

/**
 * What a statement on feed_outbox returns: its row and, at the instant bound to the parameter `now`,
 * the newest live item's time (walking the newest-first index until a live item; left to itself
 * SQLite would sort every live item).
 */
const outboxRow = (now: string) => `version, activity_version, acked_version, attempts, retry_at_ms,
  (SELECT last_modified_ms FROM history_item INDEXED BY history_item_by_last_modified
     WHERE expiration_ms > ${now} ORDER BY last_modified_ms DESC LIMIT 1) AS recent_ms`;

/**
 * An activity object's outbox to its owner's feed (tables `owner` and `feed_outbox`, one row
 * each). A write records, inside its own transaction, that the feed must learn the new state and
 * when to retry if it has not (`note`); the owner arms its alarm for that retry and then pushes
 * the state (`push`). Each push carries the current state and a version, so pushes are
 * idempotent and an older one never wins; the activity itself goes only while a change to it is
 * unacknowledged (a history-item write changes no more than the newest item's time). A version is
 * a microsecond clock reading (see erasure-rule.ts), so it keeps increasing even across an
 * erasure of the object.
 *
 * An acknowledgement is kept in memory, not written: the write path's only storage is the note.
 * The retry the note scheduled stays set, and the alarm that runs it (`retry`) finds the
 * change acknowledged and clears it, or pushes it again. An object that lost its memory (evicted,
 * restarted) just pushes once more when the retry comes; the feed ignores what it already has.
 */
export class FeedOutbox {
  /** When the retry the latest note scheduled is due, until the owner has armed for it. */
  private unarmedRetry: number | null = null;
  /** The newest version the feed acknowledged in this instance's life (the stored one counts too). */
  private acked = 0;
  /**
   * The outbox's row as the latest note (or read) returned it, so that the push that follows a
   * write reads nothing; undefined when not known (not yet read, or changed by another statement).
   */
  private row: OutboxRow | undefined;
  /** Whose activity this is, read once: it is fixed for the object's life. */
  private owned: { owner: Caller; activityId: string } | undefined;
  private readonly deadlines = new Deadlines();

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
    this.owned = undefined;
  }

  /**
   * Records, inside the caller's transaction, that the feed must learn this activity's new state
   * as of the write's instant `now` (one statement: the next version, and its retry), and
   * schedules its retry. A retry already due sooner stays: a burst of writes keeps one alarm time.
   * Should the transaction roll back, the caller calls forgetNoted().
   */
  note(now: number, change: FeedChange = "activity"): void {
    this.row = this.sql
      .exec<OutboxRow>(
        `INSERT INTO feed_outbox (singleton, version, attempts, retry_at_ms, activity_version, acked_version)
         VALUES (1, ?1, 0, ?2, iif(?4, ?1, 0), 0)
         ON CONFLICT (singleton) DO UPDATE SET version = max(feed_outbox.version + 1, ?1),
           retry_at_ms = min(coalesce(feed_outbox.retry_at_ms, ?2), ?2),
           activity_version = iif(?4, max(feed_outbox.version + 1, ?1), feed_outbox.activity_version)
         RETURNING ${outboxRow("?3")}`,
        now * VERSIONS_PER_MS,
        now + FIRST_RETRY_MS,
        now,
        change === "activity" ? 1 : 0,
      )
      .one();
    this.unarmedRetry = this.row.retry_at_ms;
  }

  /** The retry the notes since the last call scheduled (null: none): the owner arms its alarm for it before pushing. */
  scheduledRetry(): number | null {
    const retryAt = this.unarmedRetry;
    this.unarmedRetry = null;
    return retryAt;
  }

  /** When the next retry is due; null when no change is waiting to be found acknowledged. */
  retryAt(): number | null {
    if (!this.owner.holdsData()) return null;
    return this.stored(Date.now())?.retry_at_ms ?? null;
  }

  /**
   * The instant from which the object may forget its feed: the feed has acknowledged the latest
   * change, and the clock has passed (in ms) every version sent, so a write after a deleteAll
   * still numbers above them (see erasure-rule.ts). null while a change awaits acknowledgement.
   */
  forgettableFrom(): number | null {
    if (!this.owner.holdsData()) return null;
    const row = this.stored(Date.now());
    if (row && row.version > this.acked) return null;
    return Math.floor((row?.version ?? 0) / VERSIONS_PER_MS) + 1;
  }

  /** Forgets what the notes returned: the transaction they were made in rolled back. */
  forgetNoted(): void {
    this.unarmedRetry = null;
    this.row = undefined;
  }

  /** Forgets what this instance knew of its feed: the object's storage was deleted. */
  forget(): void {
    this.forgetNoted();
    this.acked = 0;
    this.owned = undefined;
  }

  /**
   * The alarm's part: a change not known acknowledged is pushed again (an alarm that fires before
   * the retry is due, for an expiry, pushes it early: pushes are idempotent); once acknowledged,
   * its retry is cleared (stored, with the version acknowledged). A change newer than the
   * acknowledged one, noted during the push, is being pushed by its own write: it is looked at
   * again a retry later.
   */
  async retry(): Promise<void> {
    if (!this.owner.holdsData()) return;
    // Read afresh: items may have expired since the row was returned.
    this.row = undefined;
    const due = this.stored(Date.now());
    if (!due || due.retry_at_ms === null) return;
    if (due.version > this.acked && (await this.push()) === "retry-scheduled") return;
    this.clearAcknowledged();
  }

  /** Stores what the feed acknowledged: a change it has needs no retry. */
  private clearAcknowledged(): void {
    if (!this.owner.holdsData()) return;
    this.sql.exec(
      `UPDATE feed_outbox SET acked_version = max(acked_version, ?1), attempts = iif(version <= ?1, 0, attempts),
         retry_at_ms = iif(version <= ?1, NULL, max(retry_at_ms, ?2))
       WHERE retry_at_ms IS NOT NULL`,
      this.acked,
      Date.now() + FIRST_RETRY_MS,
    );
    this.row = undefined;
  }

  /**
   * Sends the activity's current state to its feed (so it carries every write made so far) and
   * resolves once the feed has answered; on failure leaves it for the alarm to retry. Each write
   * pushes at once, without waiting for a push already under way: the feed keeps the newest version
   * whatever order they arrive in. `wholeActivity`: send the activity even if the feed has it.
   */
  async push(wholeActivity = false): Promise<PushOutcome> {
    const pending = this.pending(Date.now(), wholeActivity);
    if (!pending) return "done";
    const { owner, update, attempts } = pending;
    try {
      const answer = await this.deadlines.race(feedObject(this.env, owner).apply(update, owner), FEED_PUSH_TIMEOUT_MS, "feed update");
      if (answer.kind === "needs-activity") return this.push(true);
      if (answer.kind === "erased") {
        // Erased, the object holds nothing more to push; kept (created after the erasure), it noted itself anew.
        if ((await this.owner.eraseWrittenBefore(answer.beforeMs)).kind === "kept") return this.push();
        return "done";
      }
      this.acked = Math.max(this.acked, update.version);
      // After failures the retry schedule is cleared at once, so the next failure starts it afresh.
      if (attempts > 0) this.clearAcknowledged();
      return "done";
    } catch (error) {
      if (!this.owner.holdsData()) return "done";
      this.row = undefined;
      // A concurrent push may have delivered a newer state meanwhile.
      const attempts = this.sql
        .exec<{ attempts: number }>("UPDATE feed_outbox SET attempts = attempts + 1 WHERE version > ? RETURNING attempts", this.acked)
        .toArray()[0]?.attempts;
      if (attempts === undefined) return "done";
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
      return "retry-scheduled";
    }
  }

  /**
   * The pending update and where it goes; undefined when the feed is up to date. It carries the
   * activity if the activity itself changed since the feed last acknowledged, or when asked for.
   */
  private pending(now: number, wholeActivity: boolean): { owner: Caller; update: FeedUpdate; attempts: number } | undefined {
    if (!this.owner.holdsData()) return undefined;
    const row = this.stored(now);
    const owned = (this.owned ??= this.readOwner());
    if (!row || !owned) return undefined;
    if (row.version <= this.acked && !wholeActivity) return undefined;
    const withActivity = wholeActivity || row.activity_version > this.acked;
    return {
      owner: owned.owner,
      update: {
        activityId: owned.activityId,
        version: row.version,
        ...(withActivity ? { activity: this.owner.liveActivity(now) } : {}),
        recentMs: row.recent_ms,
      },
      attempts: row.attempts,
    };
  }

  /** The outbox's row (undefined: none), as the latest note returned it or else read now; the stored acknowledgement counts as known. */
  private stored(now: number): OutboxRow | undefined {
    this.row ??= this.sql.exec<OutboxRow>(`SELECT ${outboxRow("?")} FROM feed_outbox`, now).toArray()[0];
    if (this.row) this.acked = Math.max(this.acked, this.row.acked_version);
    return this.row;
  }

  private readOwner(): { owner: Caller; activityId: string } | undefined {
    const row = this.sql
      .exec<{ tenant_id: string; user_id: string; app_id: string; id: string }>("SELECT tenant_id, user_id, app_id, id FROM owner")
      .toArray()[0];
    return row && { owner: { tenantId: row.tenant_id, userId: row.user_id, appId: row.app_id }, activityId: row.id };
  }
}
