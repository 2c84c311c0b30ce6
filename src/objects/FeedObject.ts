import { DurableObject } from "cloudflare:workers";
import type { Caller } from "../auth/verify-token";
import { DEFAULT_LIFETIME_MS } from "../limits";
import { userObject } from "./addresses";
import { writtenBefore, WRITTEN_BEFORE_SQL, writtenBeforeBindings } from "./erasure-rule";
import { afterPosition, Keyset, keysetBindings } from "./keyset";
import { Schema } from "./migrations";
import type { ActivityRecord, DateRange, FeedApplyResult, FeedUpdate } from "./records";
import { toActivityResource } from "../schemas/activity";

export interface FeedQuery {
  /** activities: by lastModifiedDateTime; recent: those with history items, by their newest item. */
  view: "activities" | "recent";
  top: number;
  range: DateRange;
  cursor: string | null;
  /** Also give the cursor after each activity, for a caller that may end the page sooner ($expand). */
  cursorsAfter: boolean;
  /** Whether the page also says how many activities the whole view holds within the range. */
  count: boolean;
}

/** A listed activity: its id, and its Graph JSON (without @odata.context), rendered when it was stored. */
export interface ListedActivity {
  id: string;
  resource: string;
}

export type FeedPage =
  | {
      kind: "page";
      activities: ListedActivity[];
      nextCursor: string | null;
      /** cursorsAfter[i] continues the walk after activities[i]; empty unless asked for. */
      cursorsAfter: string[];
      /** How many activities the view holds within the range, when asked for. */
      count: number | null;
    }
  | { kind: "bad-cursor" };

const MIGRATIONS: string[] = [
  `CREATE TABLE feed_entry (
     activity_id TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     activity TEXT,
     last_modified_ms INTEGER,
     recent_ms INTEGER,
     expiration_ms INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX feed_by_last_modified ON feed_entry (last_modified_ms, activity_id) WHERE activity IS NOT NULL;
   CREATE INDEX feed_by_recent ON feed_entry (recent_ms, activity_id) WHERE recent_ms IS NOT NULL;
   CREATE TABLE cursor_key (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), raw BLOB NOT NULL);`,
  // When each tombstone was recorded, so it can go once it is no longer needed (those already there count from now);
  // and the feed's registration with its user's registry, with the latest erasure's instant it enforces.
  `ALTER TABLE feed_entry ADD COLUMN deleted_ms INTEGER;
   UPDATE feed_entry SET deleted_ms = CAST(unixepoch('subsec') * 1000 AS INTEGER) WHERE activity IS NULL;
   CREATE INDEX feed_tombstone_by_deleted ON feed_entry (deleted_ms) WHERE activity IS NULL;
   CREATE TABLE registration (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), erased_before_ms INTEGER);`,
  // Each entry's Graph JSON, rendered as it is stored, so a page is joined from it rather than rebuilt.
  // Entries stored before this step are rendered as they are read, until their activity next changes.
  `ALTER TABLE feed_entry ADD COLUMN resource TEXT;`,
];

/** The Graph JSON a page lists for an activity. */
const render = (activity: ActivityRecord) => JSON.stringify(toActivityResource(activity));

/**
 * How long a tombstone lives. It exists to beat a late push of an older state of its activity.
 * Any older state that was live was last modified before the delete, so it expired (activity
 * lifetime) before the tombstone is this old, and a feed stores an expired state as a tombstone:
 * after this, no push can bring the activity back, however late it arrives. The extra day covers
 * clock differences between objects.
 */
export const TOMBSTONE_LIFETIME_MS = DEFAULT_LIFETIME_MS + 24 * 60 * 60 * 1000;

/** Tombstones deleted per alarm run. */
const PRUNE_BATCH = 1000;

const SORT_COLUMN = { activities: "last_modified_ms", recent: "recent_ms" } as const;
const INDEX = { activities: "feed_by_last_modified", recent: "feed_by_recent" } as const;

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
  /** Whether the user's registry lists this feed's app. */
  private registered = false;
  /** Whether `registered` and `erasedBeforeMs` are stored as they are here. */
  private registrationStored = false;
  /** The latest erasure's instant: updates written before it are refused. */
  private erasedBeforeMs: number | null = null;
  /** The alarm time this instance last set (null: none); undefined until it has set one. */
  private alarmAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.keyset = new Keyset(this.sql);
    this.schema = new Schema(ctx.storage, MIGRATIONS);
    void ctx.blockConcurrencyWhile(async () => {
      this.schema.upgrade();
      if (this.schema.exists) this.loadRegistration();
    });
  }

  /**
   * Records an activity's state, or what changed of it, unless a newer one is already recorded.
   * Idempotent. An update written before the user's latest erasure is refused (and the entry
   * removed): the activity must erase itself.
   */
  async apply(update: FeedUpdate, owner: Caller): Promise<FeedApplyResult> {
    const whole = update.activity;
    if (whole === undefined) return this.applyHistoryItems(update);
    if (!this.registered) {
      const answer = await userObject(this.env, owner).registerFeed(owner, owner.appId, { version: update.version, activity: whole });
      if (answer.registered) this.registered = true;
      this.raiseErasedBefore(answer.erasedBeforeMs);
    }
    const now = Date.now();
    // Read the watermark only now: an erasure may have begun while the registry answered.
    const result = this.ctx.storage.transactionSync((): FeedApplyResult & { tombstone?: boolean } => {
      if (this.erasedBeforeMs !== null && writtenBefore({ version: update.version, activity: whole }, this.erasedBeforeMs)) {
        const stored = this.schema.exists
          ? this.sql.exec<{ version: number }>("SELECT version FROM feed_entry WHERE activity_id = ?", update.activityId).toArray()[0]
              ?.version
          : undefined;
        // An older update than the one stored is merely superseded; a newer one is refused, and its entry goes.
        if (stored !== undefined && stored >= update.version) return { kind: "applied" };
        if (stored !== undefined) this.sql.exec("DELETE FROM feed_entry WHERE activity_id = ?", update.activityId);
        return { kind: "erased", beforeMs: this.erasedBeforeMs };
      }
      this.schema.ensure();
      if (!this.registrationStored) this.storeRegistration();
      // An expired state is stored as a tombstone: it shows nothing, and the alarm prunes it.
      const activity = whole !== null && whole.expirationMs > now ? whole : null;
      this.sql.exec(
        `INSERT INTO feed_entry (activity_id, version, activity, resource, last_modified_ms, recent_ms, expiration_ms, deleted_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (activity_id) DO UPDATE SET version = excluded.version, activity = excluded.activity, resource = excluded.resource,
           last_modified_ms = excluded.last_modified_ms, recent_ms = excluded.recent_ms, expiration_ms = excluded.expiration_ms,
           deleted_ms = excluded.deleted_ms
         WHERE excluded.version > feed_entry.version`,
        update.activityId,
        update.version,
        activity ? JSON.stringify(activity) : null,
        activity ? render(activity) : null,
        activity?.lastModifiedMs ?? null,
        activity ? update.recentMs : null,
        activity?.expirationMs ?? null,
        activity ? null : now,
      );
      return { kind: "applied", tombstone: activity === null };
    });
    if (result.tombstone) await this.armAlarm();
    return result.kind === "erased" ? { kind: "erased", beforeMs: result.beforeMs } : { kind: "applied" };
  }

  /**
   * An update without the activity (only its history items changed): the entry keeps the activity
   * it holds, sent with every change to it until one was acknowledged, and takes the newer version
   * and newest item time; a tombstone stays one. Where it cannot be judged alone (no registration
   * or no entry here, or an erasure in force, which judges whole states), the whole is asked for.
   */
  private applyHistoryItems(update: FeedUpdate): FeedApplyResult {
    if (!this.registered || !this.schema.exists || this.erasedBeforeMs !== null) return { kind: "needs-activity" };
    // One statement writes: no transaction needed around it.
    const applied = this.sql.exec(
      "UPDATE feed_entry SET version = ?, recent_ms = CASE WHEN activity IS NULL THEN NULL ELSE ? END WHERE activity_id = ? AND version < ?",
      update.version,
      update.recentMs,
      update.activityId,
      update.version,
    ).rowsWritten;
    // Nothing written: an older update, superseded, unless there is no entry at all.
    if (applied > 0 || this.sql.exec("SELECT 1 FROM feed_entry WHERE activity_id = ?", update.activityId).toArray().length)
      return { kind: "applied" };
    return { kind: "needs-activity" };
  }

  /** How many live activities a view holds with lastModifiedDateTime in the range. */
  async count(view: FeedQuery["view"], range: DateRange): Promise<number> {
    return this.schema.exists ? this.countLive(view, range, Date.now()) : 0;
  }

  /** One page of live activities, newest first, and a cursor for the next page when there is one. */
  async list(query: FeedQuery): Promise<FeedPage> {
    // A feed that was never written to lists nothing, and never issued a cursor.
    if (!this.schema.exists) {
      if (query.cursor !== null) return { kind: "bad-cursor" };
      return { kind: "page", activities: [], nextCursor: null, cursorsAfter: [], count: query.count ? 0 : null };
    }
    const sort = SORT_COLUMN[query.view];
    const scope = JSON.stringify([query.view, query.range.from, query.range.to]);
    const now = Date.now();
    const { conditions, bindings } = liveEntries(query.view, query.range, now);
    if (query.cursor !== null) {
      const after = await this.keyset.open(query.cursor, scope);
      if (!after) return { kind: "bad-cursor" };
      conditions.push(afterPosition(sort, "activity_id"));
      bindings.push(...keysetBindings(after));
    }
    const count = query.count ? this.countLive(query.view, query.range, now) : null;
    // Walk the view's own index in order and stop at the page's end, never sorting the whole feed;
    // rows are read one at a time, so a page of large activities stops reading at its size.
    const rows = this.sql.exec<{ activity_id: string; resource: string | null; activity: string | null; sort_ms: number }>(
      `SELECT activity_id, resource, iif(resource IS NULL, activity, NULL) AS activity, ${sort} AS sort_ms FROM feed_entry INDEXED BY ${INDEX[query.view]}
       WHERE ${conditions.join(" AND ")} ORDER BY ${sort} DESC, activity_id DESC LIMIT ?`,
      ...bindings,
      query.top + 1,
    );
    const positionOf = (row: { activity_id: string; sort_ms: number }) => ({ sortMs: row.sort_ms, id: row.activity_id });
    const page = await this.keyset.page(rows, query.top, scope, positionOf, (row) => (row.resource ?? row.activity!).length);
    return {
      kind: "page",
      activities: page.rows.map((row) => ({
        id: row.activity_id,
        resource: row.resource ?? render(JSON.parse(row.activity!) as ActivityRecord),
      })),
      nextCursor: page.nextCursor,
      cursorsAfter: query.cursorsAfter ? await Promise.all(page.rows.map((row) => this.keyset.cursorAfter(positionOf(row), scope))) : [],
      count,
    };
  }

  private countLive(view: FeedQuery["view"], range: DateRange, now: number): number {
    const { conditions, bindings } = liveEntries(view, range, now);
    return this.sql.exec<{ count: number }>(`SELECT count(*) AS count FROM feed_entry WHERE ${conditions.join(" AND ")}`, ...bindings).one()
      .count;
  }

  /** Starts an erasure here: from now on, updates written before `beforeMs` are refused. Idempotent. */
  async beginErasure(beforeMs: number): Promise<void> {
    this.schema.ensure();
    this.registered = true;
    this.raiseErasedBefore(beforeMs);
    this.storeRegistration();
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
      return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM feed_entry").one().n;
    });
    this.keyset = new Keyset(this.sql);
    if (remaining > 0) return { emptied: false };
    await this.ctx.storage.deleteAll();
    this.schema.forget();
    this.registered = false;
    this.registrationStored = false;
    this.erasedBeforeMs = null;
    this.alarmAt = null;
    return { emptied: true };
  }

  /** Prunes the tombstones that have outlived TOMBSTONE_LIFETIME_MS (a batch at a time) and re-arms. Safe to run any number of times. */
  override async alarm(): Promise<void> {
    this.alarmAt = undefined;
    if (!this.schema.exists) return;
    this.sql.exec(
      `DELETE FROM feed_entry WHERE activity_id IN (SELECT activity_id FROM feed_entry INDEXED BY feed_tombstone_by_deleted
         WHERE activity IS NULL AND deleted_ms <= ? ORDER BY deleted_ms LIMIT ?)`,
      Date.now() - TOMBSTONE_LIFETIME_MS,
      PRUNE_BATCH,
    );
    await this.armAlarm();
  }

  /** Sets the alarm to when the oldest tombstone is due to go, or clears it when there is none. */
  private async armAlarm(): Promise<void> {
    const oldest = this.sql
      .exec<{ at: number | null }>(
        "SELECT min(deleted_ms) AS at FROM feed_entry INDEXED BY feed_tombstone_by_deleted WHERE activity IS NULL",
      )
      .one().at;
    const next = oldest === null ? null : oldest + TOMBSTONE_LIFETIME_MS;
    // Most tombstones are younger than the oldest: skip the storage write then.
    if (next === this.alarmAt) return;
    this.alarmAt = next;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private raiseErasedBefore(instantMs: number | null): void {
    if (instantMs === null || (this.erasedBeforeMs !== null && this.erasedBeforeMs >= instantMs)) return;
    this.erasedBeforeMs = instantMs;
    this.registrationStored = false;
  }

  private storeRegistration(): void {
    this.sql.exec("INSERT OR REPLACE INTO registration (singleton, erased_before_ms) VALUES (1, ?)", this.erasedBeforeMs);
    this.registrationStored = true;
  }

  /** Reads the registration a feed stored with its first entry (a feed from before registries has none: it registers on its next update). */
  private loadRegistration(): void {
    const registration = this.sql.exec<{ erased_before_ms: number | null }>("SELECT erased_before_ms FROM registration").toArray()[0];
    if (!registration) return;
    this.registered = true;
    this.raiseErasedBefore(registration.erased_before_ms);
    this.registrationStored = this.erasedBeforeMs === registration.erased_before_ms;
  }
}

/** The conditions that pick a view's live entries with lastModifiedDateTime in the range. */
function liveEntries(view: FeedQuery["view"], range: DateRange, now: number) {
  const conditions = ["activity IS NOT NULL", "expiration_ms > ?", "last_modified_ms BETWEEN ? AND ?"];
  const bindings: (string | number)[] = [now, range.from, range.to];
  if (view === "recent") conditions.push("recent_ms IS NOT NULL");
  return { conditions, bindings };
}
