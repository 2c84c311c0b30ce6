import { DurableObject } from "cloudflare:workers";
import type { Caller } from "../auth/verify-token";
import { DEFAULT_LIFETIME_MS } from "../limits";
import { type ActivityRow, type HistoryItemRow, MIGRATIONS, toActivity, toHistoryItem } from "./activity-tables";
import { FeedOutbox } from "./feed-outbox";
import { afterPosition, Keyset, keysetBindings, type KeysetPosition } from "./keyset";
import { Schema } from "./migrations";
import type {
  ActivityErasure,
  ActivityInventory,
  ActivityRecord,
  BodyIssue,
  DateRange,
  HistoryItemRecord,
  HistoryItemWrite,
  Status,
} from "./records";
import { type ActivityContent, patchActivityContent } from "../schemas/activity";
import { patchHistoryItem } from "../schemas/history-item";

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

/** Which of an activity's live history items to read: a window on lastModifiedDateTime and a count. */
export interface HistoryItemSelection {
  range: DateRange;
  top: number;
}

/** A page of an activity's history items: the selection, where to continue, and whether to count them all. */
interface HistoryItemPageQuery extends HistoryItemSelection {
  cursor: string | null;
  count: boolean;
}

/** An item as written, and whether that created or replaced it. */
type WrittenItem = { kind: "created" | "replaced"; item: HistoryItemRecord };

/** The soonest of some instants, any of them absent (null: none at all). */
function soonest(...instants: (number | null)[]): number | null {
  const present = instants.filter((instant) => instant !== null);
  return present.length ? Math.min(...present) : null;
}

/** Rows deleted per alarm run, so one sweep never holds the object for long. */
const SWEEP_BATCH = 1000;

/**
 * One user activity and its history items, for one (tenant, user, app). Every method does its
 * reads and writes synchronously in one transaction (no await in between), so each is atomic;
 * this is the only place that sets timestamps, status and expiry. Each change is also noted in
 * the feed outbox in the same transaction, and pushed to the owner's feed before the method returns.
 */
export class ActivityObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private keyset: Keyset;
  private readonly outbox: FeedOutbox;
  private readonly schema: Schema;
  /** The alarm time this instance last set (null: none); undefined until it has set one. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.keyset = new Keyset(this.sql);
    this.outbox = new FeedOutbox(this.sql, env, {
      liveActivity: (now) => {
        const row = this.liveActivityRow(now);
        return row ? toActivity(row) : null;
      },
      holdsData: () => this.schema.exists,
      eraseWrittenBefore: (beforeMs) => this.eraseOrKeep(beforeMs),
    });
    this.schema = new Schema(ctx.storage, MIGRATIONS);
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
      const row = this.liveActivityRow(now);
      if (!row) return { kind: "activity-not-found" };
      const patched = patchActivityContent(JSON.parse(row.content) as ActivityContent, patch, row.app_activity_id);
      if (patched.kind !== "merged") return patched;
      if (patched.appActivityId !== undefined && patched.appActivityId !== row.app_activity_id) {
        return { kind: "app-activity-id-differs", appActivityId: row.app_activity_id };
      }
      const activity = this.storeActivity(toActivity(row), true, JSON.stringify(patched.content), now);
      this.outbox.note(now);
      return { kind: "patched", activity };
    });
    await this.settle();
    return result;
  }

  /** The activity, with a selection of its live items when asked for, if it exists and has not expired. */
  async getActivity(
    historyItems: HistoryItemSelection | null = null,
  ): Promise<{ activity: ActivityRecord; historyItems: HistoryItemRecord[] | null } | null> {
    const now = Date.now();
    const row = this.liveActivityRow(now);
    if (!row) return null;
    return { activity: toActivity(row), historyItems: historyItems ? this.liveHistoryItems(now, historyItems) : null };
  }

  /** The activity with the first page of its live items and the cursor that continues them (one call for both); null when it does not exist. */
  async getActivityPage(
    selection: HistoryItemSelection,
  ): Promise<{ activity: ActivityRecord; items: Extract<HistoryItemPage, { kind: "page" }> } | null> {
    const row = this.liveActivityRow(Date.now());
    if (!row) return null;
    const items = await this.listHistoryItems({ ...selection, cursor: null, count: false });
    return items.kind === "page" ? { activity: toActivity(row), items } : null;
  }

  /** Deletes the activity and its history items; false when there was none. */
  async deleteActivity(): Promise<boolean> {
    const now = Date.now();
    const existed = this.transaction(() => {
      const expiration = this.activityExpiration();
      const existed = expiration !== undefined && expiration > now;
      if (expiration !== undefined) {
        this.deleteEverything();
        this.outbox.note(now);
      }
      return existed;
    });
    await this.settle();
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
    const row = this.liveActivityRow(now);
    if (!row) return { kind: "activity-not-found" };
    if (!this.liveHistoryItemRow(id, now)) return { kind: "item-not-found" };
    return {
      kind: "found",
      value: { activity: toActivity(row), historyItems: historyItems ? this.liveHistoryItems(now, historyItems) : null },
    };
  }

  /** One page of the live items, most recently modified first, a cursor for the next page, and their number when asked. */
  async listHistoryItems(query: HistoryItemPageQuery): Promise<HistoryItemPage> {
    if (!this.activityIsLive(Date.now())) return { kind: "activity-not-found" };
    const scope = JSON.stringify([query.range.from, query.range.to]);
    let after: KeysetPosition | undefined;
    if (query.cursor !== null) {
      after = await this.keyset.open(query.cursor, scope);
      if (!after) return { kind: "bad-cursor" };
    }
    // Read after the await: the page must reflect one instant.
    const now = Date.now();
    const rows = this.liveHistoryItems(now, { range: query.range, top: query.top + 1 }, after);
    const count = query.count ? this.countLiveHistoryItems(now, query.range) : null;
    const positionOf = (item: HistoryItemRecord) => ({ sortMs: item.lastModifiedMs, id: item.id });
    const page = await this.keyset.page(rows, query.top, scope, positionOf, (item) => JSON.stringify(item).length);
    return { kind: "page", items: page.rows, nextCursor: page.nextCursor, count };
  }

  /** How many live items have lastModifiedDateTime in the range. */
  async countHistoryItems(range: DateRange): Promise<Found<number>> {
    const now = Date.now();
    if (!this.activityIsLive(now)) return { kind: "activity-not-found" };
    return { kind: "found", value: this.countLiveHistoryItems(now, range) };
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
      const { item } = this.upsertHistoryItem(patched.write, now);
      this.outbox.note(now, "history-items");
      return { kind: "patched", item };
    });
    await this.settle(result.kind === "patched" ? result.item.expirationMs : null);
    return result;
  }

  async deleteHistoryItem(id: string): Promise<Found<null>> {
    const now = Date.now();
    const found = this.transaction((): Found<null> => {
      if (!this.activityIsLive(now)) return { kind: "activity-not-found" };
      if (this.sql.exec("DELETE FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).rowsWritten === 0) {
        return { kind: "item-not-found" };
      }
      this.outbox.note(now, "history-items");
      return { kind: "found", value: null };
    });
    await this.settle();
    return found;
  }

  /** What an erasure would remove here: the live activity, and its live history items. */
  async inventory(): Promise<ActivityInventory> {
    const now = Date.now();
    if (!this.activityIsLive(now)) return { live: false, historyItems: 0 };
    const historyItems = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM history_item WHERE expiration_ms > ?", now).one().n;
    return { live: true, historyItems };
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
   * and re-arms for whichever comes next. Safe to run any number of times.
   */
  override async alarm(): Promise<void> {
    // A running alarm is no longer set; whatever comes next must be set again.
    this.alarmAt = undefined;
    if (!this.schema.exists) return;
    const now = Date.now();
    const changed = this.transaction(() => {
      const expiration = this.activityExpiration();
      if (expiration !== undefined && expiration <= now) {
        this.deleteEverything();
        this.outbox.note(now);
        return true;
      }
      const swept = this.sql.exec(
        `DELETE FROM history_item WHERE id IN
           (SELECT id FROM history_item WHERE expiration_ms <= ? ORDER BY expiration_ms LIMIT ?)`,
        now,
        SWEEP_BATCH,
      ).rowsWritten;
      if (swept > 0) this.outbox.note(now, "history-items");
      return swept > 0;
    });
    // The alarm is set below, knowing everything: the note's retry needs no arming of its own.
    this.outbox.scheduledRetry();
    if (changed) await this.outbox.push();
    await this.outbox.retry();
    await this.armAlarm();
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
      const stored = this.sql
        .exec<Pick<ActivityRow, "app_activity_id" | "created_ms" | "expiration_ms">>(
          "SELECT app_activity_id, created_ms, expiration_ms FROM activity",
        )
        .toArray()[0];
      if (stored && stored.app_activity_id !== put.appActivityId) return { kind: "conflict" };
      const live = stored && stored.expiration_ms > now ? stored : undefined;
      if (stored && !live) this.deleteEverything();
      if (live && mode === "create") return { kind: "exists" };
      // An object that ever stored its activity has adopted its owner with it.
      if (!stored) this.outbox.adopt(put.owner, put.id);
      const base = { id: put.id, appActivityId: put.appActivityId, createdMs: live?.created_ms ?? now };
      const activity = this.storeActivity(base, live !== undefined, put.content, now);
      const historyItems = put.historyItems.map((item) => this.upsertHistoryItem(item, now).item);
      this.outbox.note(now);
      return { kind: live ? "replaced" : "created", activity, historyItems };
    });
    await this.settle(
      result.kind === "created" || result.kind === "replaced" ? soonest(...result.historyItems.map((item) => item.expirationMs)) : null,
    );
    return result;
  }

  /**
   * Writes the activity's row, a create or a replace (status updated, createdDateTime kept);
   * either way modified now and expiring 30 days from now.
   */
  private storeActivity(
    base: Pick<ActivityRecord, "id" | "appActivityId" | "createdMs">,
    replacing: boolean,
    content: string,
    now: number,
  ): ActivityRecord {
    const activity: ActivityRecord = {
      id: base.id,
      appActivityId: base.appActivityId,
      content,
      status: replacing ? "updated" : "active",
      createdMs: base.createdMs,
      lastModifiedMs: now,
      expirationMs: now + DEFAULT_LIFETIME_MS,
    };
    this.sql.exec(
      `INSERT INTO activity (singleton, id, app_activity_id, content, status, created_ms, last_modified_ms, expiration_ms)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET content = excluded.content, status = excluded.status,
         last_modified_ms = excluded.last_modified_ms, expiration_ms = excluded.expiration_ms`,
      activity.id,
      activity.appActivityId,
      activity.content,
      activity.status,
      activity.createdMs,
      activity.lastModifiedMs,
      activity.expirationMs,
    );
    return activity;
  }

  private async writeHistoryItem(write: HistoryItemWrite, mode: "create" | "upsert"): Promise<HistoryItemWriteResult> {
    const now = Date.now();
    const result = this.transaction((): HistoryItemWriteResult => {
      if (!this.schema.exists) return { kind: "activity-not-found" };
      const written = this.upsertHistoryItem(write, now, mode === "create");
      if (!written) return this.activityIsLive(now) ? { kind: "conflict" } : { kind: "activity-not-found" };
      this.outbox.note(now, "history-items");
      return written;
    });
    await this.settle(result.kind === "created" || result.kind === "replaced" ? result.item.expirationMs : null);
    return result;
  }

  /**
   * Writes one item in one statement, only while the activity is live (undefined otherwise; the
   * forms without `createOnly` are for callers that know it is): a live item with this id is
   * replaced (status updated, createdDateTime kept, and with it the default expiry), an expired
   * or absent one is created. With `createOnly`, a live item is left as it was, and undefined returned.
   */
  private upsertHistoryItem(write: HistoryItemWrite, now: number): WrittenItem;
  private upsertHistoryItem(write: HistoryItemWrite, now: number, createOnly: boolean): WrittenItem | undefined;
  private upsertHistoryItem(write: HistoryItemWrite, now: number, createOnly = false): WrittenItem | undefined {
    // In DO UPDATE every expression reads the stored row: the new values follow from whether it is live.
    const stored = this.sql
      .exec<{ status: Status; created_ms: number; expiration_ms: number }>(
        `INSERT INTO history_item
           (id, started_ms, last_active_ms, active_duration_seconds, active_duration_computed, user_timezone, status, created_ms, last_modified_ms, expiration_ms)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?7, coalesce(?8, ?7 + ?9)
         WHERE EXISTS (SELECT 1 FROM activity WHERE expiration_ms > ?7)
         ON CONFLICT (id) DO UPDATE SET
           started_ms = excluded.started_ms, last_active_ms = excluded.last_active_ms,
           active_duration_seconds = excluded.active_duration_seconds, active_duration_computed = excluded.active_duration_computed,
           user_timezone = excluded.user_timezone, last_modified_ms = excluded.last_modified_ms,
           status = iif(history_item.expiration_ms > ?7, 'updated', 'active'),
           created_ms = iif(history_item.expiration_ms > ?7, history_item.created_ms, ?7),
           expiration_ms = coalesce(?8, iif(history_item.expiration_ms > ?7, history_item.created_ms, ?7) + ?9)
         WHERE ?10 = 0 OR history_item.expiration_ms <= ?7
         RETURNING status, created_ms, expiration_ms`,
        write.id,
        write.startedMs,
        write.lastActiveMs,
        write.activeDurationSeconds,
        write.activeDurationComputed ? 1 : 0,
        write.userTimezone,
        now,
        write.expirationMs,
        DEFAULT_LIFETIME_MS,
        createOnly ? 1 : 0,
      )
      .toArray()[0];
    if (!stored) return undefined;
    const item: HistoryItemRecord = {
      ...write,
      status: stored.status,
      createdMs: stored.created_ms,
      lastModifiedMs: now,
      expirationMs: stored.expiration_ms,
    };
    return { kind: stored.status === "updated" ? "replaced" : "created", item };
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
    const retryAt = this.outbox.scheduledRetry();
    const due = soonest(retryAt, expiresAt);
    if (due !== null) await this.armNoLaterThan(due);
    if ((await this.outbox.push()) === "retry-scheduled") await this.armAlarm();
  }

  /**
   * Makes the alarm fire no later than `due`. Once this instance has set the alarm it knows when it
   * fires, so most writes need no storage call at all: the alarm is already sooner. One that fires
   * early finds nothing due and sets the alarm for what is.
   */
  private async armNoLaterThan(due: number): Promise<void> {
    if (this.alarmAt === undefined) return this.armAlarm();
    if (this.alarmAt !== null && this.alarmAt <= due) return;
    const next = Math.max(due, Date.now());
    await this.ctx.storage.setAlarm(next);
    this.alarmAt = next;
  }

  /** Sets the alarm to the earliest expiry or feed retry still pending, or clears it when there is none. */
  private async armAlarm(): Promise<void> {
    // An object that holds nothing has no alarm either (erasing it removed it).
    if (!this.schema.exists) return;
    const expiry = this.sql
      .exec<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT expiration_ms AS at FROM activity
           UNION ALL SELECT min(expiration_ms) FROM history_item)`,
      )
      .one().at;
    const retry = this.outbox.retryAt();
    const due = soonest(expiry, retry);
    // A time already past (an item sent expiring in 1600) is due now: workerd refuses an alarm
    // at or before 1970, and a past one would fire at once anyway.
    const next = due === null ? null : Math.max(due, Date.now());
    // Most writes leave the earliest expiry where it was: skip the storage write then.
    if (next === this.alarmAt) return;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
    // Recorded once set: a refused alarm must not pass for one that is set.
    this.alarmAt = next;
  }

  /** The erasure itself: see eraseWrittenBefore (which also tells the feed of a kept activity). */
  private async eraseOrKeep(beforeMs: number): Promise<ActivityErasure> {
    if (!this.schema.exists) return { kind: "erased" };
    const activity = this.activityRow();
    // A new key, so no cursor issued before the erasure opens again.
    this.keyset = new Keyset(this.sql);
    if (activity && activity.created_ms >= beforeMs) {
      this.transaction(() => {
        this.sql.exec("DELETE FROM cursor_key");
        this.outbox.note(Date.now());
      });
      return { kind: "kept" };
    }
    this.schema.forget();
    this.outbox.forget();
    this.alarmAt = null;
    await this.ctx.storage.deleteAll();
    return { kind: "erased" };
  }

  private deleteEverything(): void {
    this.sql.exec("DELETE FROM history_item");
    this.sql.exec("DELETE FROM activity");
  }

  /** The activity's row, live or expired; undefined when there is none (or no schema: the object never wrote). */
  private activityRow(): ActivityRow | undefined {
    if (!this.schema.exists) return undefined;
    return this.sql.exec<ActivityRow>("SELECT * FROM activity").toArray()[0];
  }

  private liveActivityRow(now: number): ActivityRow | undefined {
    const row = this.activityRow();
    return row && row.expiration_ms > now ? row : undefined;
  }

  /** The activity's expiry, live or not (undefined: there is none), read without its content, which may be as large as a body. */
  private activityExpiration(): number | undefined {
    if (!this.schema.exists) return undefined;
    return this.sql.exec<{ expiration_ms: number }>("SELECT expiration_ms FROM activity").toArray()[0]?.expiration_ms;
  }

  /** Whether the activity exists and has not expired. */
  private activityIsLive(now: number): boolean {
    const expiration = this.activityExpiration();
    return expiration !== undefined && expiration > now;
  }

  private liveHistoryItems(now: number, selection: HistoryItemSelection, after?: KeysetPosition): HistoryItemRecord[] {
    const keyset = after ? `AND ${afterPosition("last_modified_ms", "id")}` : "";
    return this.sql
      .exec<HistoryItemRow>(
        `SELECT * FROM history_item WHERE expiration_ms > ? AND last_modified_ms BETWEEN ? AND ? ${keyset}
         ORDER BY last_modified_ms DESC, id DESC LIMIT ?`,
        now,
        selection.range.from,
        selection.range.to,
        ...(after ? keysetBindings(after) : []),
        selection.top,
      )
      .toArray()
      .map(toHistoryItem);
  }

  private countLiveHistoryItems(now: number, range: DateRange): number {
    return this.sql
      .exec<{ count: number }>(
        "SELECT count(*) AS count FROM history_item WHERE expiration_ms > ? AND last_modified_ms BETWEEN ? AND ?",
        now,
        range.from,
        range.to,
      )
      .one().count;
  }

  /** A live item of the live activity, read in one statement; when there is none, which of the two is missing. */
  private findLiveItem(id: string, now: number): Found<HistoryItemRow> {
    if (!this.schema.exists) return { kind: "activity-not-found" };
    const row = this.sql
      .exec<HistoryItemRow>(
        "SELECT * FROM history_item WHERE id = ?1 AND expiration_ms > ?2 AND EXISTS (SELECT 1 FROM activity WHERE expiration_ms > ?2)",
        id,
        now,
      )
      .toArray()[0];
    if (row) return { kind: "found", value: row };
    return this.activityIsLive(now) ? { kind: "item-not-found" } : { kind: "activity-not-found" };
  }

  private liveHistoryItemRow(id: string, now: number): HistoryItemRow | undefined {
    return this.sql.exec<HistoryItemRow>("SELECT * FROM history_item WHERE id = ? AND expiration_ms > ?", id, now).toArray()[0];
  }
}
