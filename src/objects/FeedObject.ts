import { DurableObject } from "cloudflare:workers";
import type { Caller } from "../auth/verify-token";
import { userObject } from "./addresses";
import { AlarmSchedule, soonest } from "./alarm-schedule";
import { VERSIONS_PER_MS, type WholeState, writtenBefore, WRITTEN_BEFORE_SQL, writtenBeforeBindings } from "./erasure-rule";
import { LiveSockets, liveSocketExpiry } from "./feed-live";
import { FeedRegistration } from "./feed-registration";
import {
  type ChangeType,
  type DeltaPage,
  APPLY_STATE,
  APPLY_STATE_KEEPING_RECENT,
  type AppliedState,
  type DeltaQuery,
  FeedStream,
  nextPositionSql,
  render,
  STREAM_HORIZON_MS,
  type StreamChange,
} from "./feed-stream";
import { FeedNotifications, UNDELIVERED_CHECK_MS } from "./feed-notifications";
import { type FeedPage, FeedPages, type FeedQuery } from "./feed-pages";
import { publicRecord, reauthorizeDue, SubscriptionTable } from "./feed-subscriptions";
import { Keyset } from "./keyset";
import { FEED_MIGRATIONS } from "./feed-schema";
import { Schema } from "./migrations";
import type { DateRange, FeedApplyResult, FeedUpdate } from "./records";
import type { NewSubscription, SubscriptionChanges, SubscriptionCreated, SubscriptionRecord } from "./subscription-records";

export type { FeedPage, FeedQuery, ListedActivity } from "./feed-pages";

/**
 * How long a tombstone lives: the stream's horizon (see feed-stream.ts), which also makes sure no
 * late push of an older state can bring its activity back (a feed stores an expired state as a tombstone).
 */
export const TOMBSTONE_LIFETIME_MS = STREAM_HORIZON_MS;

/** Tombstones deleted per alarm run. */
const PRUNE_BATCH = 1000;

/**
 * The index of one (tenant, user, app)'s activities, kept in step by the activities' own
 * objects. A deleted activity stays as a tombstone row (its id and version) so that a late,
 * older update cannot bring it back, until the alarm prunes it (TOMBSTONE_LIFETIME_MS). Before
 * its first entry the feed registers with its user's registry (one call in the feed's life),
 * and from then on refuses updates written before the user's latest erasure.
 */
export class FeedObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private keyset: Keyset;
  private readonly schema: Schema;
  private readonly registration: FeedRegistration;
  private readonly stream: FeedStream;
  private readonly pages: FeedPages;
  private readonly sockets: LiveSockets;
  private readonly alarmSchedule: AlarmSchedule;
  private readonly subscriptions: SubscriptionTable;
  private readonly notifications: FeedNotifications;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.keyset = new Keyset(this.sql);
    this.schema = new Schema(ctx.storage, FEED_MIGRATIONS);
    this.registration = new FeedRegistration(this.sql);
    this.stream = new FeedStream(this.sql, () => this.keyset);
    this.pages = new FeedPages(this.sql, () => this.keyset);
    this.sockets = new LiveSockets(ctx);
    this.alarmSchedule = new AlarmSchedule(
      ctx.storage,
      () => soonest(this.pruneDue(), this.sockets.earliestExpiry(), this.schema.exists ? this.notifications.nextDue(Date.now()) : null),
      () => this.schema.exists || ctx.getWebSockets().length > 0,
    );
    this.subscriptions = new SubscriptionTable(this.sql);
    this.notifications = new FeedNotifications(ctx.storage, this.subscriptions, this.alarmSchedule, env);
    void ctx.blockConcurrencyWhile(async () => {
      this.schema.upgrade();
      if (!this.schema.exists) return;
      this.registration.load();
      this.subscriptions.load();
      this.notifications.load();
    });
  }

  /**
   * Records an activity's state, or what changed of it, unless a newer one is already recorded.
   * Idempotent. An update written before the user's latest erasure is refused (and the entry
   * removed): the activity must erase itself.
   */
  async apply(update: FeedUpdate, owner: Caller): Promise<FeedApplyResult> {
    const whole = update.activity;
    if (whole === undefined) return this.applyHistoryItems(update, owner);
    const registration = this.registration;
    await this.register(owner, { version: update.version, activity: whole });
    const now = Date.now();
    // Read the watermark only now: an erasure may have begun while the registry answered.
    const result = this.ctx.storage.transactionSync((): FeedApplyResult & { change?: StreamChange; logged?: boolean } => {
      const erasedBeforeMs = registration.erasedBeforeMs;
      if (erasedBeforeMs !== null && writtenBefore({ version: update.version, activity: whole }, erasedBeforeMs)) {
        const stored = this.schema.exists
          ? this.sql.exec<{ version: number }>("SELECT version FROM feed_entry WHERE activity_id = ?", update.activityId).toArray()[0]
              ?.version
          : undefined;
        // An older update than the one stored is merely superseded; a newer one is refused, and its entry goes.
        if (stored !== undefined && stored >= update.version) return { kind: "applied" };
        if (stored !== undefined) {
          this.sql.exec("DELETE FROM feed_entry WHERE activity_id = ?", update.activityId);
          // Gone without a tombstone: no delta round from before can tell.
          registration.raiseSyncFloor(now);
          registration.store();
        }
        return { kind: "erased", beforeMs: erasedBeforeMs };
      }
      // A feed whose storage begins (again) never issued the tokens a previous one did.
      if (!this.schema.exists) registration.raiseSyncFloor(now);
      this.schema.ensure();
      registration.store();
      // An expired state is stored as a tombstone: it shows nothing, and the alarm prunes it.
      const activity = whole !== null && whole.expirationMs > now ? whole : null;
      const bindings = [
        update.activityId,
        update.version,
        activity ? JSON.stringify(activity) : null,
        activity ? render(activity) : null,
        activity?.lastModifiedMs ?? null,
        activity ? update.recentMs : null,
        activity?.expirationMs ?? null,
        activity ? null : now,
        now,
      ];
      // Most states keep the newest item's time (an activity PUT): tried first with the statement that leaves it as it is.
      const applied =
        this.sql.exec<AppliedState>(APPLY_STATE_KEEPING_RECENT, ...bindings).toArray()[0] ??
        this.sql.exec<AppliedState>(APPLY_STATE, ...bindings).toArray()[0];
      if (!applied) return { kind: "applied" };
      const changeType: ChangeType = applied.removed ? "deleted" : applied.born ? "created" : "updated";
      const change = { activityId: update.activityId, changeType, position: applied.position };
      return { kind: "applied", change, logged: this.notifications.record(change, update.version, now) };
    });
    if (result.kind === "erased") return { kind: "erased", beforeMs: result.beforeMs };
    if (result.change) await this.changed(result.change, result.logged === true, owner);
    if (result.change?.changeType === "deleted") await this.alarmSchedule.arm();
    return { kind: "applied" };
  }

  /** Registers the feed with its user's registry, once in its life, before its first entry (`first`) or subscription. */
  private async register(owner: Caller, first: WholeState): Promise<void> {
    if (this.registration.registered) return;
    const answer = await userObject(this.env, owner).registerFeed(owner, owner.appId, first);
    if (answer.registered) this.registration.registered = true;
    this.registration.raiseErasedBefore(answer.erasedBeforeMs);
  }

  /**
   * Tells whoever follows the feed of a change just applied: its live sockets, and its
   * subscriptions when the change was logged for them (the alarm then makes sure it is delivered).
   */
  private async changed(change: StreamChange, logged: boolean, owner: Caller): Promise<void> {
    this.sockets.notify([change], owner);
    if (!logged) return;
    const now = Date.now();
    this.notifications.deliver(now);
    await this.alarmSchedule.noLaterThan(now + UNDELIVERED_CHECK_MS);
  }

  /**
   * An update without the activity (only its history items changed): the entry keeps the activity
   * it holds, sent with every change to it until one was acknowledged, and takes the newer version
   * and newest item time; a tombstone stays one. Where it cannot be judged alone (no registration
   * or no entry here, or an erasure in force, which judges whole states), the whole is asked for.
   */
  private async applyHistoryItems(update: FeedUpdate, owner: Caller): Promise<FeedApplyResult> {
    if (!this.registration.registered || !this.schema.exists || this.registration.erasedBeforeMs !== null)
      return { kind: "needs-activity" };
    // A live entry moves to the stream's next position; a tombstone stays where it is.
    const now = Date.now();
    const applied = this.ctx.storage.transactionSync(() => {
      const row = this.sql
        .exec<{ position: number; removed: number }>(
          `UPDATE feed_entry SET version = ?1, recent_ms = CASE WHEN activity IS NULL THEN NULL ELSE ?2 END,
           position = iif(activity IS NULL, position, ${nextPositionSql("?5")})
         WHERE activity_id = ?3 AND version < ?4
         RETURNING position, activity IS NULL AS removed`,
          update.version,
          update.recentMs,
          update.activityId,
          update.version,
          now,
        )
        .toArray()[0];
      if (!row || row.removed) return { row, change: null, logged: false };
      const change: StreamChange = { activityId: update.activityId, changeType: "updated", position: row.position };
      return { row, change, logged: this.notifications.record(change, update.version, now) };
    });
    if (applied.change) await this.changed(applied.change, applied.logged, owner);
    // Nothing written: an older update, superseded, unless there is no entry at all.
    if (applied.row || this.sql.exec("SELECT 1 FROM feed_entry WHERE activity_id = ?", update.activityId).toArray().length)
      return { kind: "applied" };
    return { kind: "needs-activity" };
  }

  /** How many live activities a view holds with lastModifiedDateTime in the range. */
  async count(view: FeedQuery["view"], range: DateRange): Promise<number> {
    return this.schema.exists ? this.pages.count(view, range, Date.now()) : 0;
  }

  /** One page of live activities, newest first, and a cursor for the next page when there is one. */
  async list(query: FeedQuery): Promise<FeedPage> {
    return this.pages.list(query, this.schema.exists);
  }

  /** One page of a delta round (see feed-stream.ts). */
  async delta(query: DeltaQuery): Promise<DeltaPage> {
    return this.stream.round(query, { exists: this.schema.exists, syncFloorMs: this.registration.syncFloorMs });
  }

  /**
   * Opens a live socket on this feed, told of every change as it is applied, and closed when its
   * token expires. The object's one HTTP door: a WebSocket leaves an object only in the answer to a
   * fetch (see liveSocketRequest, the only request the Worker sends here).
   */
  override async fetch(request: Request): Promise<Response> {
    const expiresMs = liveSocketExpiry(request);
    if (expiresMs === null) return new Response(null, { status: 400 });
    const socket = this.sockets.accept(expiresMs);
    await this.alarmSchedule.noLaterThan(expiresMs);
    return new Response(null, { status: 101, webSocket: socket });
  }

  /** Completes the closing handshake a client began. */
  override webSocketClose(socket: WebSocket, code: number, reason: string): void {
    try {
      socket.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  /** Stores a new subscription (validated, its endpoints' handshakes passed), delivered every change it asks for from now on. */
  async createSubscription(subscription: NewSubscription): Promise<SubscriptionCreated> {
    const now = Date.now();
    const owner = { tenantId: subscription.tenantId, userId: subscription.creatorId, appId: subscription.applicationId };
    // A subscription registers the feed as an entry does, so the user's registry lists it (admin listing, erasure).
    await this.register(owner, { version: now * VERSIONS_PER_MS, activity: null });
    this.schema.ensure();
    const created = this.ctx.storage.transactionSync(() => {
      this.registration.store();
      return this.subscriptions.create(subscription, this.stream.positionAt(now), now);
    });
    if (created.kind === "created") await this.alarmSchedule.noLaterThan(subscription.expirationMs);
    return created;
  }

  /** The feed's live subscriptions, oldest first. */
  async listSubscriptions(): Promise<SubscriptionRecord[]> {
    return this.subscriptions.live(Date.now()).map((subscription) => publicRecord(subscription.record));
  }

  /** A live subscription (null: none, or expired). */
  async getSubscription(id: string): Promise<SubscriptionRecord | null> {
    const subscription = this.subscriptions.get(id, Date.now());
    return subscription ? publicRecord(subscription.record) : null;
  }

  /** Applies a PATCH (validated; a new notificationUrl's handshake passed); a new URL is tried at once. */
  async updateSubscription(id: string, changes: SubscriptionChanges): Promise<SubscriptionRecord | null> {
    const now = Date.now();
    const subscription = this.subscriptions.get(id, now);
    if (!subscription) return null;
    this.ctx.storage.transactionSync(() => {
      this.subscriptions.update(subscription, changes);
      if (changes.notificationUrl !== undefined) this.subscriptions.recordDelivery(subscription, subscription.deliveredPosition, 0, null);
    });
    this.notifications.deliver(now);
    await this.alarmSchedule.noLaterThan(reauthorizeDue(subscription) ?? subscription.record.expirationMs);
    return publicRecord(subscription.record);
  }

  /** Removes a subscription: nothing more is delivered to it. False when there was none (or it expired). */
  async deleteSubscription(id: string): Promise<boolean> {
    return this.subscriptions.get(id, Date.now()) !== undefined && this.subscriptions.delete(id);
  }

  /** Whether a live subscription exists to reauthorize (Graph's reauthorize renews no lifetime). */
  async reauthorizeSubscription(id: string): Promise<boolean> {
    return this.subscriptions.get(id, Date.now()) !== undefined;
  }

  /** Starts an erasure here: from now on, updates written before `beforeMs` are refused. Idempotent. */
  async beginErasure(beforeMs: number): Promise<void> {
    const now = Date.now();
    this.schema.ensure();
    this.ctx.storage.transactionSync(() => {
      this.registration.registered = true;
      this.registration.raiseErasedBefore(beforeMs);
      this.registration.raiseSyncFloor(now);
      this.registration.store();
      // The user's subscriptions go too, each app told with subscriptionRemoved.
      this.notifications.removeAll("subscriptionRemoved", now);
    });
    this.notifications.deliver(now);
    await this.alarmSchedule.arm();
  }

  /** Ids of the entries (live or tombstones) after `after`, in id order: at most `top`. */
  async activityIds(after: string | null, top: number): Promise<string[]> {
    if (!this.schema.exists) return [];
    return this.sql
      .exec<{ activity_id: string }>(
        "SELECT activity_id FROM feed_entry WHERE activity_id > ? ORDER BY activity_id LIMIT ?",
        after ?? "",
        top,
      )
      .toArray()
      .map((row) => row.activity_id);
  }

  /**
   * Ends an erasure here: removes every entry written before `beforeMs` and the cursor key; a feed
   * left with no entry is deleted altogether (it holds nothing, not even a schema). Idempotent.
   */
  async finishErasure(beforeMs: number): Promise<{ emptied: boolean }> {
    if (!this.schema.exists) return { emptied: true };
    const remaining = this.ctx.storage.transactionSync(() => {
      this.sql.exec(`DELETE FROM feed_entry WHERE ${WRITTEN_BEFORE_SQL}`, ...writtenBeforeBindings(beforeMs));
      this.sql.exec("DELETE FROM cursor_key");
      // Entries went without tombstones: every delta token issued so far is gone.
      this.registration.raiseSyncFloor(Date.now());
      this.registration.store();
      return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM feed_entry").one().n;
    });
    this.keyset = new Keyset(this.sql);
    if (remaining > 0 || this.notifications.holdsAny()) return { emptied: false };
    await this.deleteStorage();
    return { emptied: true };
  }

  /** Deletes everything the feed stores; open sockets still close when their tokens expire. */
  private async deleteStorage(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.schema.forget();
    this.registration.forget();
    this.subscriptions.forget();
    this.notifications.forget();
    this.alarmSchedule.forget();
    await this.alarmSchedule.arm();
  }

  /**
   * Prunes the tombstones that have outlived the stream's horizon (a batch at a time), closes the
   * sockets whose tokens expired, runs the notifications' share (feed-notifications.ts), and
   * re-arms. A feed an erasure emptied, once its last lifecycle notification is delivered, deletes
   * all it stores. Safe to run any number of times.
   */
  override async alarm(): Promise<void> {
    this.alarmSchedule.fired();
    const now = Date.now();
    this.sockets.closeExpired(now);
    if (this.schema.exists) {
      this.sql.exec(
        `DELETE FROM feed_entry WHERE activity_id IN (SELECT activity_id FROM feed_entry INDEXED BY feed_tombstone_by_deleted
           WHERE activity IS NULL AND deleted_ms <= ? ORDER BY deleted_ms LIMIT ?)`,
        now - TOMBSTONE_LIFETIME_MS,
        PRUNE_BATCH,
      );
      this.notifications.runAlarm(now);
      const erasedEmpty = this.registration.erasedBeforeMs !== null && !this.notifications.holdsAny();
      if (erasedEmpty && this.sql.exec("SELECT 1 FROM feed_entry LIMIT 1").toArray().length === 0) return this.deleteStorage();
    }
    await this.alarmSchedule.arm();
  }

  /** When the oldest tombstone is due to go (null: there is none). */
  private pruneDue(): number | null {
    if (!this.schema.exists) return null;
    const oldest = this.sql
      .exec<{ at: number | null }>(
        "SELECT min(deleted_ms) AS at FROM feed_entry INDEXED BY feed_tombstone_by_deleted WHERE activity IS NULL",
      )
      .one().at;
    return oldest === null ? null : oldest + TOMBSTONE_LIFETIME_MS;
  }
}
