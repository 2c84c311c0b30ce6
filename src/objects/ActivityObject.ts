import { DurableObject } from "cloudflare:workers";
import { AlarmSchedule, soonest } from "./alarm-schedule";
import { expiredRestore, restoreActivity } from "./activity-restore";
import {
  ActivityTable,
  earliestExpiry,
  type HistoryItemRow,
  MIGRATIONS,
  storeActivity,
  toActivity,
  toHistoryItem,
} from "./activity-tables";
import { FeedOutbox } from "./feed-outbox";
import { HistoryItemTable, type HistoryItemSelection } from "./history-item-table";
import { Keyset, type KeysetPosition } from "./keyset";
import { Schema } from "./migrations";
import type {
  ActivityPatchResult,
  ActivityPut,
  ActivityPutResult,
  ActivityRestore,
  ActivityRestoreResult,
  Found,
  HistoryItemPage,
  HistoryItemPageQuery,
  HistoryItemPatchResult,
  HistoryItemWriteResult,
} from "./activity-results";
import type { ActivityErasure, ActivityInventory, ActivityRecord, DateRange, HistoryItemRecord, HistoryItemWrite } from "./records";
import { type ActivityContent, patchActivityContent } from "../schemas/activity";
import { patchHistoryItem } from "../schemas/history-item";

/**
 * One user activity and its history items, for one (tenant, user, app). Every method does its
 * reads and writes synchronously in one transaction (no await in between), so each is atomic;
 * this is the only place that sets timestamps, status and expiry. Each change is also noted in
 * the feed outbox in the same transaction, and pushed to the owner's feed before the method returns.
 * Once the activity is gone and its feed has that, the object deletes all its storage: no erasure need find it.
 */
export class ActivityObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private keyset: Keyset;
  private readonly outbox: FeedOutbox;
  private readonly schema: Schema;
  private readonly activity: ActivityTable;
  private readonly items: HistoryItemTable;
  private readonly alarmSchedule: AlarmSchedule;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.keyset = new Keyset(this.sql);
    this.outbox = new FeedOutbox(this.sql, env, {
      liveActivity: (now) => this.activity.live(now),
      holdsData: () => this.schema.exists,
      eraseWrittenBefore: (beforeMs) => this.eraseOrKeep(beforeMs),
    });
    this.schema = new Schema(ctx.storage, MIGRATIONS);
    this.activity = new ActivityTable(this.sql, this.schema);
    this.items = new HistoryItemTable(this.sql);
    this.alarmSchedule = new AlarmSchedule(
      ctx.storage,
      () => soonest(earliestExpiry(this.sql), this.outbox.retryAt()),
      () => this.schema.exists,
    );
    void ctx.blockConcurrencyWhile(async () => this.schema.upgrade());
  }

  /** PUT: creates or replaces the activity, with a deep insert of history items. */
  async putActivity(put: ActivityPut): Promise<ActivityPutResult> {
    return this.writeActivity(put, "upsert");
  }

  /** POST: creates the activity, with a deep insert of history items; exists when a live one is already here. */
  async createActivity(put: ActivityPut): Promise<ActivityPutResult> {
    return this.writeActivity(put, "create");
  }

  /**
   * PATCH: merges the patch (a JSON object) into the stored activity and holds the result to the
   * PUT's rules, then stores it as a replace would; all in one transaction, so no write comes between.
   */
  async patchActivity(patch: unknown): Promise<ActivityPatchResult> {
    const now = Date.now();
    const result = this.transaction((): ActivityPatchResult => {
      const row = this.activity.liveRow(now);
      if (!row) return { kind: "activity-not-found" };
      const patched = patchActivityContent(JSON.parse(row.content) as ActivityContent, patch, row.app_activity_id);
      if (patched.kind !== "merged") return patched;
      if (patched.appActivityId !== undefined && patched.appActivityId !== row.app_activity_id) {
        return { kind: "app-activity-id-differs", appActivityId: row.app_activity_id };
      }
      const activity = storeActivity(this.sql, toActivity(row), true, JSON.stringify(patched.content), now);
      this.outbox.note(now);
      return { kind: "patched", activity };
    });
    await this.settle();
    return result;
  }

  /**
   * Import: restores an exported activity and its items as they were, but for what is here as new or
   * newer (activity-restore.ts). One that has expired already writes nothing, not even a schema.
   */
  async restoreActivity(restore: ActivityRestore): Promise<ActivityRestoreResult> {
    const now = Date.now();
    if (restore.activity.expirationMs <= now) return expiredRestore(restore);
    this.schema.ensure();
    const target = {
      sql: this.sql,
      items: this.items,
      outbox: this.outbox,
      claim: () => this.activity.claim(restore.activity.appActivityId, now, () => this.outbox.adopt(restore.owner, restore.activity.id)),
    };
    const { result, expiresAt } = this.transaction(() => restoreActivity(target, restore, now));
    await this.settle(expiresAt);
    return result;
  }

  /** The activity, with a selection of its live items when asked for, if it exists and has not expired. */
  async getActivity(
    historyItems: HistoryItemSelection | null = null,
  ): Promise<{ activity: ActivityRecord; historyItems: HistoryItemRecord[] | null } | null> {
    const now = Date.now();
    const row = this.activity.liveRow(now);
    if (!row) return null;
    return { activity: toActivity(row), historyItems: historyItems ? this.items.live(now, historyItems) : null };
  }

  /** The activity with the first page of its live items and the cursor that continues them (one call for both); null when it does not exist. */
  async getActivityPage(
    selection: HistoryItemSelection,
  ): Promise<{ activity: ActivityRecord; items: Extract<HistoryItemPage, { kind: "page" }> } | null> {
    const row = this.activity.liveRow(Date.now());
    if (!row) return null;
    const items = await this.listHistoryItems({ ...selection, cursor: null, count: false });
    return items.kind === "page" ? { activity: toActivity(row), items } : null;
  }

  /** Deletes the activity and its history items (then, once the feed has that, everything); false when there was none. */
  async deleteActivity(): Promise<boolean> {
    const now = Date.now();
    const existed = this.transaction(() => {
      const expiration = this.activity.expiration();
      const existed = expiration !== undefined && expiration > now;
      if (expiration !== undefined) {
        this.activity.deleteWithItems();
        this.outbox.note(now);
      }
      return existed;
    });
    await this.settle();
    await this.forgetIfGone();
    return existed;
  }

  /** POST: creates an item; conflict when a live item already has this id. */
  async createHistoryItem(write: HistoryItemWrite): Promise<HistoryItemWriteResult> {
    return this.writeHistoryItem(write, "create");
  }

  /** PUT: creates or replaces the whole item. */
  async putHistoryItem(write: HistoryItemWrite): Promise<HistoryItemWriteResult> {
    return this.writeHistoryItem(write, "upsert");
  }

  async getHistoryItem(id: string): Promise<Found<HistoryItemRecord>> {
    const found = this.findLiveItem(id, Date.now());
    return found.kind === "found" ? { kind: "found", value: toHistoryItem(found.value) } : found;
  }

  /** The activity that holds a live item (its `activity` navigation), with a selection of its items when asked for. */
  async getHistoryItemActivity(
    id: string,
    historyItems: HistoryItemSelection | null = null,
  ): Promise<Found<{ activity: ActivityRecord; historyItems: HistoryItemRecord[] | null }>> {
    const now = Date.now();
    const row = this.activity.liveRow(now);
    if (!row) return { kind: "activity-not-found" };
    if (!this.items.liveRow(id, now)) return { kind: "item-not-found" };
    return {
      kind: "found",
      value: { activity: toActivity(row), historyItems: historyItems ? this.items.live(now, historyItems) : null },
    };
  }

  /** One page of the live items, most recently modified first, a cursor for the next page, and their number when asked. */
  async listHistoryItems(query: HistoryItemPageQuery): Promise<HistoryItemPage> {
    if (!this.activity.isLive(Date.now())) return { kind: "activity-not-found" };
    const scope = JSON.stringify([query.range.from, query.range.to]);
    let after: KeysetPosition | undefined;
    if (query.cursor !== null) {
      after = await this.keyset.open(query.cursor, scope);
      if (!after) return { kind: "bad-cursor" };
    }
    // Read after the await: the page must reflect one instant.
    const now = Date.now();
    const rows = this.items.live(now, { range: query.range, top: query.top + 1 }, after);
    const count = query.count ? this.items.countLive(now, query.range) : null;
    const positionOf = (item: HistoryItemRecord) => ({ sortMs: item.lastModifiedMs, id: item.id });
    const page = await this.keyset.page(rows, query.top, scope, positionOf, (item) => JSON.stringify(item).length);
    return { kind: "page", items: page.rows, nextCursor: page.nextCursor, count };
  }

  /** How many live items have lastModifiedDateTime in the range. */
  async countHistoryItems(range: DateRange): Promise<Found<number>> {
    const now = Date.now();
    if (!this.activity.isLive(now)) return { kind: "activity-not-found" };
    return { kind: "found", value: this.items.countLive(now, range) };
  }

  /**
   * PATCH: merges the patch (a JSON object) into the live item and holds the result to the PUT's
   * rules, then stores it as a replace would; all in one transaction, so no write comes between.
   */
  async patchHistoryItem(id: string, patch: unknown): Promise<HistoryItemPatchResult> {
    const now = Date.now();
    const result = this.transaction((): HistoryItemPatchResult => {
      const found = this.findLiveItem(id, now);
      if (found.kind !== "found") return found;
      const patched = patchHistoryItem(toHistoryItem(found.value), patch);
      if (patched.kind === "invalid") return patched;
      const { item } = this.items.upsert(patched.write, now);
      this.outbox.note(now, "history-items");
      return { kind: "patched", item };
    });
    await this.settle(result.kind === "patched" ? result.item.expirationMs : null);
    return result;
  }

  async deleteHistoryItem(id: string): Promise<Found<null>> {
    const now = Date.now();
    const found = this.transaction((): Found<null> => {
      if (!this.activity.isLive(now)) return { kind: "activity-not-found" };
      if (!this.items.deleteLive(id, now)) return { kind: "item-not-found" };
      this.outbox.note(now, "history-items");
      return { kind: "found", value: null };
    });
    await this.settle();
    return found;
  }

  /** What an erasure would remove here: the live activity, and its live history items. */
  async inventory(): Promise<ActivityInventory> {
    const now = Date.now();
    if (!this.activity.isLive(now)) return { live: false, historyItems: 0 };
    return { live: true, historyItems: this.items.countLive(now) };
  }

  /**
   * Erases everything here (the object then holds nothing, not even a schema), unless the
   * activity was created at or after `beforeMs`: then it is kept, with a new cursor key, and its
   * feed is told of it again. Idempotent.
   */
  async eraseWrittenBefore(beforeMs: number): Promise<ActivityErasure> {
    const outcome = await this.eraseOrKeep(beforeMs);
    if (outcome.kind === "kept") await this.settle();
    return outcome;
  }

  /**
   * Hard-deletes what has expired (a batch at a time), retries an unacknowledged feed update,
   * and re-arms for whichever comes next; once the activity is gone and delivered, deletes all
   * storage. Safe to run any number of times.
   */
  override async alarm(): Promise<void> {
    this.alarmSchedule.fired();
    if (!this.schema.exists) return;
    const now = Date.now();
    const changed = this.transaction(() => {
      const expiration = this.activity.expiration();
      if (expiration !== undefined && expiration <= now) {
        this.activity.deleteWithItems();
        this.outbox.note(now);
        return true;
      }
      const swept = this.items.sweepExpired(now);
      if (swept > 0) this.outbox.note(now, "history-items");
      return swept > 0;
    });
    // The alarm is set below, knowing everything: the note's retry needs no arming of its own.
    this.outbox.scheduledRetry();
    if (changed) await this.outbox.push();
    await this.outbox.retry();
    await this.alarmSchedule.arm();
    await this.forgetIfGone();
  }

  /**
   * Runs `body` as one transaction, rolled back if it throws; then what a note in it told the outbox
   * is forgotten too, as the outbox keeps the row a note returns.
   */
  private transaction<T>(body: () => T): T {
    try {
      return this.ctx.storage.transactionSync(body);
    } catch (error) {
      this.outbox.forgetNoted();
      throw error;
    }
  }

  private async writeActivity(put: ActivityPut, mode: "create" | "upsert"): Promise<ActivityPutResult> {
    this.schema.ensure();
    const now = Date.now();
    const result = this.transaction((): ActivityPutResult => {
      const live = this.activity.claim(put.appActivityId, now, () => this.outbox.adopt(put.owner, put.id));
      if (live === "conflict") return { kind: "conflict" };
      if (live && mode === "create") return { kind: "exists" };
      const base = { id: put.id, appActivityId: put.appActivityId, createdMs: live?.created_ms ?? now };
      const activity = storeActivity(this.sql, base, live !== undefined, put.content, now);
      const historyItems = put.historyItems.map((item) => this.items.upsert(item, now).item);
      this.outbox.note(now);
      return { kind: live ? "replaced" : "created", activity, historyItems };
    });
    await this.settle(
      result.kind === "created" || result.kind === "replaced" ? soonest(...result.historyItems.map((item) => item.expirationMs)) : null,
    );
    return result;
  }

  private async writeHistoryItem(write: HistoryItemWrite, mode: "create" | "upsert"): Promise<HistoryItemWriteResult> {
    const now = Date.now();
    const result = this.transaction((): HistoryItemWriteResult => {
      if (!this.schema.exists) return { kind: "activity-not-found" };
      const written = this.items.upsert(write, now, mode === "create");
      if (!written) return this.activity.isLive(now) ? { kind: "conflict" } : { kind: "activity-not-found" };
      this.outbox.note(now, "history-items");
      return written;
    });
    await this.settle(result.kind === "created" || result.kind === "replaced" ? result.item.expirationMs : null);
    return result;
  }

  /**
   * After a write: makes the alarm fire no later than the feed retry the write scheduled (so that a
   * crash during the push still delivers it) and the earliest expiry it wrote, then pushes. The
   * alarm keeps its time after an acknowledged push: when it fires it finds the change delivered.
   * A failed push moved the retry: the alarm is set for it.
   */
  private async settle(expiresAt: number | null = null): Promise<void> {
    // An object that has never written has nothing to push or expire.
    if (!this.schema.exists) return;
    const due = soonest(this.outbox.scheduledRetry(), expiresAt);
    if (due !== null) await this.alarmSchedule.noLaterThan(due);
    if ((await this.outbox.push()) === "retry-scheduled") await this.alarmSchedule.arm();
  }

  /** The erasure itself: see eraseWrittenBefore (which also tells the feed of a kept activity). */
  private async eraseOrKeep(beforeMs: number): Promise<ActivityErasure> {
    if (!this.schema.exists) return { kind: "erased" };
    const activity = this.activity.head();
    // A new key, so no cursor issued before the erasure opens again.
    this.keyset = new Keyset(this.sql);
    // Kept when its data here began at or after the request: its creation, or the import that restored it.
    if (activity && (activity.since_ms ?? activity.created_ms) >= beforeMs) {
      this.transaction(() => {
        this.sql.exec("DELETE FROM cursor_key");
        this.outbox.note(Date.now());
      });
      return { kind: "kept" };
    }
    await this.deleteStorage();
    return { kind: "erased" };
  }

  /**
   * An activity gone (deleted, or expired and swept) leaves the object one duty: its feed's
   * acknowledgement. Once done, all storage goes, as in an erasure. Waits once (a millisecond at
   * most, in practice) for the clock to pass the versions sent; else the alarm comes back for it.
   */
  private async forgetIfGone(): Promise<void> {
    for (let waited = false; this.schema.exists && this.activity.expiration() === undefined; waited = true) {
      const from = this.outbox.forgettableFrom();
      if (from === null) return;
      if (Date.now() >= from) return this.deleteStorage();
      if (waited) return this.alarmSchedule.noLaterThan(from);
      await scheduler.wait(from - Date.now());
    }
  }

  /** Deletes all storage, alarm too: the object is as if it never existed, until its next write. */
  private async deleteStorage(): Promise<void> {
    this.keyset = new Keyset(this.sql);
    this.schema.forget();
    this.outbox.forget();
    this.alarmSchedule.forget();
    await this.ctx.storage.deleteAll();
  }

  /** A live item of the live activity; when there is none, which of the two is missing. */
  private findLiveItem(id: string, now: number): Found<HistoryItemRow> {
    if (!this.schema.exists) return { kind: "activity-not-found" };
    const row = this.items.liveRowOfLiveActivity(id, now);
    if (row) return { kind: "found", value: row };
    return this.activity.isLive(now) ? { kind: "item-not-found" } : { kind: "activity-not-found" };
  }
}
