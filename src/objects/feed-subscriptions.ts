import { limits, notificationTimes } from "../limits";
import type { ChangeType } from "./feed-stream";
import type { NewSubscription, SubscriptionChanges, SubscriptionCreated, SubscriptionRecord } from "./subscription-records";

/** A change type as a bit, so a subscription's set and a change match with one `&` in SQL. */
export const CHANGE_BIT: Record<ChangeType, number> = { created: 1, updated: 2, deleted: 4 };

/** A subscription with its delivery state, as the feed holds it in memory (a copy of its row). */
export interface Subscription {
  record: NewSubscription;
  /** CHANGE_BIT of every change type it asked for. */
  mask: number;
  /** The stream position of the last change delivered (or dropped); changes past it are pending. */
  deliveredPosition: number;
  /** Failed deliveries in a row. */
  attempts: number;
  /** No delivery before this instant (null: none failed). */
  retryMs: number | null;
  /** Whether reauthorizationRequired was sent for its current expiry. */
  reauthorizeSent: boolean;
}

type SubscriptionRow = {
  id: string;
  record: string;
  change_mask: number;
  expiration_ms: number;
  delivered_position: number;
  attempts: number;
  retry_ms: number | null;
  reauthorize_sent: number;
};

/** The record as the Worker renders it: without what only the feed needs. */
export const publicRecord = ({ issuer: _issuer, tenantId: _tenantId, ...record }: NewSubscription): SubscriptionRecord => record;

/** When reauthorizationRequired is due for a subscription (null: it has no lifecycle URL, or it was sent). */
export const reauthorizeDue = (subscription: Subscription): number | null =>
  subscription.record.lifecycleNotificationUrl === null || subscription.reauthorizeSent
    ? null
    : subscription.record.expirationMs - notificationTimes.reauthorizeBeforeMs;

/**
 * A feed's subscriptions (table `subscription`), held in memory in step with their rows: at most
 * limits.subscriptionsPerFeed live ones, so every write can tell at no cost whether anyone listens.
 * An expired subscription is gone for every caller at once, and its row goes with the next alarm.
 */
export class SubscriptionTable {
  private readonly byId = new Map<string, Subscription>();

  constructor(private readonly sql: SqlStorage) {}

  /** Reads the rows (as the object starts). */
  load(): void {
    this.byId.clear();
    for (const row of this.sql.exec<SubscriptionRow>("SELECT * FROM subscription")) {
      this.byId.set(row.id, {
        record: JSON.parse(row.record) as NewSubscription,
        mask: row.change_mask,
        deliveredPosition: row.delivered_position,
        attempts: row.attempts,
        retryMs: row.retry_ms,
        reauthorizeSent: row.reauthorize_sent === 1,
      });
    }
  }

  /** The feed's storage was deleted. */
  forget(): void {
    this.byId.clear();
  }

  /** The live subscriptions at `now`, oldest first. */
  live(now: number): Subscription[] {
    return [...this.byId.values()].filter((subscription) => subscription.record.expirationMs > now);
  }

  /** Every subscription held, live or expired. */
  all(): Subscription[] {
    return [...this.byId.values()];
  }

  /** The live subscription `id` (undefined: none, or expired). */
  get(id: string, now: number): Subscription | undefined {
    const subscription = this.byId.get(id);
    return subscription && subscription.record.expirationMs > now ? subscription : undefined;
  }

  /** Whether a change of this type is asked for by any live subscription. */
  wanted(changeType: ChangeType, now: number): boolean {
    return this.live(now).some((subscription) => (subscription.mask & CHANGE_BIT[changeType]) !== 0);
  }

  /** Stores a new subscription, delivered the changes after `position`, unless the feed holds its limit. */
  create(record: NewSubscription, position: number, now: number): SubscriptionCreated {
    if (this.live(now).length >= limits.subscriptionsPerFeed) return { kind: "limit", limit: limits.subscriptionsPerFeed };
    const subscription: Subscription = {
      record,
      mask: record.changeTypes.reduce((mask, type) => mask | CHANGE_BIT[type], 0),
      deliveredPosition: position,
      attempts: 0,
      retryMs: null,
      reauthorizeSent: false,
    };
    this.sql.exec(
      `INSERT INTO subscription (id, record, change_mask, expiration_ms, delivered_position, attempts, retry_ms, reauthorize_sent)
       VALUES (?, ?, ?, ?, ?, 0, NULL, 0)`,
      record.id,
      JSON.stringify(record),
      subscription.mask,
      record.expirationMs,
      position,
    );
    this.byId.set(record.id, subscription);
    return { kind: "created", subscription: publicRecord(record) };
  }

  /** Applies a PATCH; a new expiry may call for reauthorizationRequired again. */
  update(subscription: Subscription, changes: SubscriptionChanges): void {
    const record = { ...subscription.record, ...changes };
    const reauthorizeSent = changes.expirationMs === undefined ? subscription.reauthorizeSent : false;
    this.sql.exec(
      "UPDATE subscription SET record = ?, expiration_ms = ?, reauthorize_sent = ? WHERE id = ?",
      JSON.stringify(record),
      record.expirationMs,
      reauthorizeSent ? 1 : 0,
      record.id,
    );
    Object.assign(subscription, { record, reauthorizeSent });
  }

  /** Records where delivery stands: the last position delivered, the failures in a row and the next try. */
  recordDelivery(subscription: Subscription, deliveredPosition: number, attempts: number, retryMs: number | null): void {
    this.sql.exec(
      "UPDATE subscription SET delivered_position = ?, attempts = ?, retry_ms = ? WHERE id = ?",
      deliveredPosition,
      attempts,
      retryMs,
      subscription.record.id,
    );
    Object.assign(subscription, { deliveredPosition, attempts, retryMs });
  }

  /** Records that reauthorizationRequired was sent for the current expiry. */
  markReauthorizeSent(subscription: Subscription): void {
    this.sql.exec("UPDATE subscription SET reauthorize_sent = 1 WHERE id = ?", subscription.record.id);
    subscription.reauthorizeSent = true;
  }

  /** Removes a subscription; false when there was none. */
  delete(id: string): boolean {
    this.sql.exec("DELETE FROM subscription WHERE id = ?", id);
    return this.byId.delete(id);
  }
}
