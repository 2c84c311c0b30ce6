import { notificationTimes } from "../limits";
import { changeNotifier, type LifecycleEvent, lifecycleNotification } from "../notifications/change-notifications";
import { richBody } from "../notifications/rich-notifications";
import { postNotifications } from "../notifications/webhook";
import { type AlarmSchedule, soonest } from "./alarm-schedule";
import { render, type StreamChange } from "./feed-stream";
import type { ActivityRecord } from "./records";
import { CHANGE_BIT, reauthorizeDue, type Subscription, type SubscriptionTable } from "./feed-subscriptions";

/** After a failed delivery, the waits before the next tries; the last repeats until the retry window closes. */
const RETRY_DELAYS_MS = [10_000, 30_000, 60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000];

/**
 * How soon the alarm must look at a change that is logged but not yet delivered: the delivery
 * itself starts at once, and this only catches one the object did not live to finish (a crash,
 * an eviction), so every change logged is delivered even then.
 */
export const UNDELIVERED_CHECK_MS = RETRY_DELAYS_MS[0]!;

/** Changes in one POST to a receiver at most. */
const CHANGES_PER_POST = 100;

type LoggedChange = {
  position: number;
  activity_id: string;
  change_mask: number;
  version: number;
  change_ms: number;
};

type LifecycleRow = {
  id: string;
  url: string;
  body: string;
  created_ms: number;
  attempts: number;
};

/**
 * A warning in the Worker's logs for the operator: a subscription whose receiver fails. It names
 * the subscription, the app and the receiver's host, never the URL (its path or query may carry a
 * secret of the app's).
 */
function logDelivery(message: string, subscription: Subscription, details: Record<string, number>): void {
  const { id, applicationId, notificationUrl } = subscription.record;
  console.warn(
    JSON.stringify({ level: "warn", message, subscriptionId: id, applicationId, host: new URL(notificationUrl).host, ...details }),
  );
}

const CHANGE_TYPE_OF_BIT = { 1: "created", 2: "updated", 4: "deleted" } as const;

/**
 * Graph's change notifications for one feed: each change a live subscription asked for is logged
 * (table `change_log`, keyed by its stream position) in the transaction that applies it, so it is
 * delivered even if the object dies right after; each subscription keeps the position it has
 * delivered up to. Deliveries run outside every write, one POST in flight per subscription at a
 * time (changes that pile up meanwhile share the next POST), so a slow or dead receiver holds up
 * only itself. A failed POST is retried with backoff for notificationTimes.retryWindowMs from its
 * change, then dropped with a `missed` lifecycle notification. Lifecycle notifications wait in
 * `lifecycle_outbox` until delivered (or dropped after the same window).
 */
export class FeedNotifications {
  /** Subscriptions (by id) and lifecycle notifications (by id) with a POST in flight in this instance. */
  private readonly inFlight = new Set<string>();
  /** When the first lifecycle notification waiting is due (null: none waits; undefined: not read yet). */
  private lifecycleDue: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly subscriptions: SubscriptionTable,
    private readonly alarm: Pick<AlarmSchedule, "noLaterThan">,
    private readonly env: Env,
  ) {}

  private get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** Logs a change just applied, within its transaction, if a live subscription asked for its type; true when logged. */
  record(change: StreamChange, version: number, now: number): boolean {
    if (!this.subscriptions.wanted(change.changeType, now)) return false;
    this.sql.exec(
      "INSERT INTO change_log (position, activity_id, change_mask, version, change_ms) VALUES (?, ?, ?, ?, ?)",
      change.position,
      change.activityId,
      CHANGE_BIT[change.changeType],
      version,
      now,
    );
    return true;
  }

  /** Starts every delivery that is due and not already in flight; never waits for one. */
  deliver(now: number): void {
    for (const subscription of this.subscriptions.live(now)) {
      if ((subscription.retryMs ?? 0) <= now && !this.inFlight.has(subscription.record.id)) void this.deliverTo(subscription);
    }
    const lifecycleDue = this.lifecycleDueAt();
    if (lifecycleDue === null || lifecycleDue > now) return;
    for (const row of this.sql.exec<LifecycleRow>("SELECT * FROM lifecycle_outbox WHERE retry_ms <= ?", now)) {
      if (!this.inFlight.has(row.id)) void this.deliverLifecycle(row);
    }
    this.lifecycleDue = undefined;
  }

  /**
   * The alarm's share: removes expired subscriptions, queues reauthorizationRequired where due,
   * forgets logged changes no subscription still waits for, then starts what is due.
   */
  runAlarm(now: number): void {
    this.storage.transactionSync(() => {
      for (const subscription of this.subscriptions.all()) {
        if (subscription.record.expirationMs <= now) {
          this.subscriptions.delete(subscription.record.id);
        } else if ((reauthorizeDue(subscription) ?? Infinity) <= now) {
          this.queueLifecycle(subscription, "reauthorizationRequired", now);
          this.subscriptions.markReauthorizeSent(subscription);
        }
      }
      this.sql.exec(
        `DELETE FROM change_log WHERE NOT EXISTS (SELECT 1 FROM subscription
           WHERE subscription.delivered_position < change_log.position AND (subscription.change_mask & change_log.change_mask) != 0)`,
      );
    });
    this.deliver(now);
  }

  /** When the alarm must next run for notifications (null: nothing to do). */
  nextDue(now: number): number | null {
    const pending = new Set(
      this.sql
        .exec<{ id: string }>(
          `SELECT id FROM subscription WHERE EXISTS (SELECT 1 FROM change_log
             WHERE change_log.position > subscription.delivered_position AND (subscription.change_mask & change_log.change_mask) != 0)`,
        )
        .toArray()
        .map((row) => row.id),
    );
    const dues = this.subscriptions
      .all()
      .flatMap((subscription) => [
        subscription.record.expirationMs,
        reauthorizeDue(subscription),
        pending.has(subscription.record.id) ? (subscription.retryMs ?? now + UNDELIVERED_CHECK_MS) : null,
      ]);
    return soonest(...dues, this.lifecycleDueAt());
  }

  /** Removes every subscription, telling each with a lifecycle URL `event` (an erasure's subscriptionRemoved). */
  removeAll(event: LifecycleEvent, now: number): void {
    for (const subscription of this.subscriptions.all()) {
      if (subscription.record.expirationMs > now) this.queueLifecycle(subscription, event, now);
      this.subscriptions.delete(subscription.record.id);
    }
    this.sql.exec("DELETE FROM change_log");
  }

  /** Reads what waits (as the object starts). */
  load(): void {
    this.lifecycleDue = undefined;
    this.lifecycleDueAt();
  }

  /** When the first lifecycle notification waiting is due (null: none), read once and then kept in step. */
  private lifecycleDueAt(): number | null {
    if (this.lifecycleDue === undefined) {
      this.lifecycleDue = this.sql.exec<{ at: number | null }>("SELECT min(retry_ms) AS at FROM lifecycle_outbox").one().at;
    }
    return this.lifecycleDue;
  }

  /** The feed's storage was deleted: nothing waits. */
  forget(): void {
    this.lifecycleDue = undefined;
  }

  /** Whether anything is left to deliver or to wait for: subscriptions, or lifecycle notifications not yet delivered. */
  holdsAny(): boolean {
    return this.subscriptions.all().length > 0 || this.sql.exec("SELECT 1 FROM lifecycle_outbox LIMIT 1").toArray().length > 0;
  }

  /** Queues a lifecycle notification for a subscription with a lifecycle URL. */
  queueLifecycle(subscription: Subscription, event: LifecycleEvent, now: number): void {
    const url = subscription.record.lifecycleNotificationUrl;
    if (url === null) return;
    const id = crypto.randomUUID();
    this.sql.exec(
      "INSERT INTO lifecycle_outbox (id, url, body, created_ms, attempts, retry_ms) VALUES (?, ?, ?, ?, 0, ?)",
      id,
      url,
      JSON.stringify({ value: [lifecycleNotification(id, subscription.record, event)] }),
      now,
      now,
    );
    this.lifecycleDue = Math.min(this.lifecycleDue ?? now, now);
  }

  /** Delivers a subscription's pending changes, a POST at a time, until none is left or one fails. */
  private async deliverTo(subscription: Subscription): Promise<void> {
    const id = subscription.record.id;
    this.inFlight.add(id);
    try {
      for (;;) {
        const now = Date.now();
        if (this.subscriptions.get(id, now) !== subscription) return;
        const changes = this.sql
          .exec<LoggedChange>(
            "SELECT * FROM change_log WHERE position > ? AND (change_mask & ?) != 0 ORDER BY position LIMIT ?",
            subscription.deliveredPosition,
            subscription.mask,
            CHANGES_PER_POST,
          )
          .toArray();
        if (changes.length === 0) return;
        // Positions follow the clock, so the changes past the retry window come first.
        const stale = changes.filter((change) => change.change_ms + notificationTimes.retryWindowMs <= now);
        if (stale.length > 0) {
          this.storage.transactionSync(() => {
            this.subscriptions.recordDelivery(subscription, stale.at(-1)!.position, 0, null);
            this.queueLifecycle(subscription, "missed", now);
          });
          logDelivery("notifications dropped after the retry window (missed)", subscription, { dropped: stale.length });
          continue;
        }
        const delivered = await postNotifications(subscription.record.notificationUrl, await this.body(subscription, changes));
        const after = Date.now();
        if (this.subscriptions.get(id, after) !== subscription) return;
        if (delivered) {
          this.subscriptions.recordDelivery(subscription, changes.at(-1)!.position, 0, null);
        } else {
          const attempts = subscription.attempts + 1;
          const retryMs = after + RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1]!;
          this.subscriptions.recordDelivery(subscription, subscription.deliveredPosition, attempts, retryMs);
          logDelivery("notification delivery failed; will retry", subscription, { attempts, retryInMs: retryMs - after });
          await this.alarm.noLaterThan(retryMs);
          return;
        }
      }
    } finally {
      this.inFlight.delete(id);
    }
  }

  /** The POST's body for some changes: each as Graph's changeNotification, with its id the same on every retry. */
  private async body(subscription: Subscription, changes: LoggedChange[]): Promise<string> {
    const notify = changeNotifier(subscription.record);
    const notifications = changes.map((logged) =>
      notify(logged.position, {
        activityId: logged.activity_id,
        changeType: CHANGE_TYPE_OF_BIT[logged.change_mask as keyof typeof CHANGE_TYPE_OF_BIT],
        version: logged.version,
      }),
    );
    if (!subscription.record.includeResourceData) return JSON.stringify({ value: notifications });
    return JSON.stringify(await richBody(this.env, subscription.record, notifications, (id) => this.resourceOf(id)));
  }

  /** An activity's Graph JSON as the feed holds it now (null once it is gone). */
  private resourceOf(activityId: string): string | null {
    const row = this.sql
      .exec<{ resource: string | null; activity: string }>(
        "SELECT resource, activity FROM feed_entry WHERE activity_id = ? AND activity IS NOT NULL",
        activityId,
      )
      .toArray()[0];
    return row ? (row.resource ?? render(JSON.parse(row.activity) as ActivityRecord)) : null;
  }

  /** Delivers one lifecycle notification; a failure waits its turn again, until the window closes. */
  private async deliverLifecycle(row: LifecycleRow): Promise<void> {
    this.inFlight.add(row.id);
    try {
      const delivered = await postNotifications(row.url, row.body);
      const now = Date.now();
      if (delivered || row.created_ms + notificationTimes.retryWindowMs <= now) {
        this.sql.exec("DELETE FROM lifecycle_outbox WHERE id = ?", row.id);
        this.lifecycleDue = undefined;
        return;
      }
      const retryMs = now + RETRY_DELAYS_MS[Math.min(row.attempts + 1, RETRY_DELAYS_MS.length) - 1]!;
      this.sql.exec("UPDATE lifecycle_outbox SET attempts = attempts + 1, retry_ms = ? WHERE id = ?", retryMs, row.id);
      this.lifecycleDue = undefined;
      await this.alarm.noLaterThan(retryMs);
    } finally {
      this.inFlight.delete(row.id);
    }
  }
}
