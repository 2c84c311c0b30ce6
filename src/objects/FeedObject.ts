import { DurableObject } from "cloudflare:workers";
import type { Caller } from "../auth/verify-token";
import { userObject } from "./addresses";
import { AlarmSchedule, soonest } from "./alarm-schedule";
import { writtenBefore, WRITTEN_BEFORE_SQL, writtenBeforeBindings } from "./erasure-rule";
import { LiveSockets, liveSocketExpiry } from "./feed-live";
import { FeedRegistration } from "./feed-registration";
import {
  type ChangeType,
  type DeltaPage,
  type DeltaQuery,
  FeedStream,
  nextPositionSql,
  render,
  STREAM_HORIZON_MS,
  type StreamChange,
} from "./feed-stream";
import { afterPosition, Keyset, keysetBindings } from "./keyset";
import { Schema } from "./migrations";
import type { ActivityRecord, DateRange, FeedApplyResult, FeedUpdate } from "./records";

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
  // The change stream: each entry's position (that of its latest change; entries already here count
  // from their version, a clock reading of the same scale), and the version its current life began
  // with (a change at that version created it). Tokens from before sync_floor_ms are gone (410).
  `ALTER TABLE feed_entry ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE feed_entry ADD COLUMN born_version INTEGER NOT NULL DEFAULT 0;
   UPDATE feed_entry SET position = version, born_version = version;
   CREATE INDEX feed_by_position ON feed_entry (position);
   ALTER TABLE registration ADD COLUMN sync_floor_ms INTEGER NOT NULL DEFAULT 0;`,
];

/**
 * How long a tombstone lives: the stream's horizon (see feed-stream.ts), which also makes sure no
 * late push of an older state can bring its activity back (a feed stores an expired state as a tombstone).
 */
export const TOMBSTONE_LIFETIME_MS = STREAM_HORIZON_MS;

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
  private readonly registration: FeedRegistration;
  private readonly stream: FeedStream;
  private readonly sockets: LiveSockets;
  private readonly alarmSchedule: AlarmSchedule;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.keyset = new Keyset(this.sql);
    this.schema = new Schema(ctx.storage, MIGRATIONS);
    this.registration = new FeedRegistration(this.sql);
    this.stream = new FeedStream(this.sql, () => this.keyset);
    this.sockets = new LiveSockets(ctx);
    this.alarmSchedule = new AlarmSchedule(
      ctx.storage,
      () => soonest(this.pruneDue(), this.sockets.earliestExpiry()),
      () => this.schema.exists || ctx.getWebSockets().length > 0,
    );
    void ctx.blockConcurrencyWhile(async () => {
      this.schema.upgrade();
      if (this.schema.exists) this.registration.load();
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
    if (!registration.registered) {
      const answer = await userObject(this.env, owner).registerFeed(owner, owner.appId, { version: update.version, activity: whole });
      if (answer.registered) registration.registered = true;
      registration.raiseErasedBefore(answer.erasedBeforeMs);
    }
    const now = Date.now();
    // Read the watermark only now: an erasure may have begun while the registry answered.
    const result = this.ctx.storage.transactionSync((): FeedApplyResult & { change?: StreamChange } => {
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
      // A newer state moves the entry to the stream's next position; it was created there when its entry was not live before.
      const applied = this.sql
        .exec<{ position: number; born: number; removed: number }>(
          `INSERT INTO feed_entry (activity_id, version, activity, resource, last_modified_ms, recent_ms, expiration_ms, deleted_ms, position, born_version)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ${nextPositionSql("?9")}, ?2)
           ON CONFLICT (activity_id) DO UPDATE SET version = excluded.version, activity = excluded.activity, resource = excluded.resource,
             last_modified_ms = excluded.last_modified_ms, recent_ms = excluded.recent_ms, expiration_ms = excluded.expiration_ms,
             deleted_ms = excluded.deleted_ms, position = excluded.position,
             born_version = iif(feed_entry.activity IS NULL OR feed_entry.expiration_ms <= ?9, excluded.version, feed_entry.born_version)
           WHERE excluded.version > feed_entry.version
           RETURNING position, born_version = version AS born, activity IS NULL AS removed`,
          update.activityId,
          update.version,
          activity ? JSON.stringify(activity) : null,
          activity ? render(activity) : null,
          activity?.lastModifiedMs ?? null,
          activity ? update.recentMs : null,
          activity?.expirationMs ?? null,
          activity ? null : now,
          now,
        )
        .toArray()[0];
      if (!applied) return { kind: "applied" };
      const changeType: ChangeType = applied.removed ? "deleted" : applied.born ? "created" : "updated";
      return { kind: "applied", change: { activityId: update.activityId, changeType, position: applied.position } };
    });
    if (result.kind === "erased") return { kind: "erased", beforeMs: result.beforeMs };
    if (result.change) this.changed([result.change], owner);
    if (result.change?.changeType === "deleted") await this.alarmSchedule.arm();
    return { kind: "applied" };
  }

  /** Tells whoever follows the feed live of changes just applied. */
  private changed(changes: StreamChange[], owner: Caller): void {
    this.sockets.notify(changes, owner);
  }

  /**
   * An update without the activity (only its history items changed): the entry keeps the activity
   * it holds, sent with every change to it until one was acknowledged, and takes the newer version
   * and newest item time; a tombstone stays one. Where it cannot be judged alone (no registration
   * or no entry here, or an erasure in force, which judges whole states), the whole is asked for.
   */
  private applyHistoryItems(update: FeedUpdate, owner: Caller): FeedApplyResult {
    if (!this.registration.registered || !this.schema.exists || this.registration.erasedBeforeMs !== null)
      return { kind: "needs-activity" };
    // One statement writes: no transaction needed around it. A live entry moves to the stream's next position; a tombstone stays where it is.
    const applied = this.sql
      .exec<{ position: number; removed: number }>(
        `UPDATE feed_entry SET version = ?1, recent_ms = CASE WHEN activity IS NULL THEN NULL ELSE ?2 END,
           position = iif(activity IS NULL, position, ${nextPositionSql("?5")})
         WHERE activity_id = ?3 AND version < ?4
         RETURNING position, activity IS NULL AS removed`,
        update.version,
        update.recentMs,
        update.activityId,
        update.version,
        Date.now(),
      )
      .toArray()[0];
    if (applied && !applied.removed)
      this.changed([{ activityId: update.activityId, changeType: "updated", position: applied.position }], owner);
    // Nothing written: an older update, superseded, unless there is no entry at all.
    if (applied || this.sql.exec("SELECT 1 FROM feed_entry WHERE activity_id = ?", update.activityId).toArray().length)
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

  private countLive(view: FeedQuery["view"], range: DateRange, now: number): number {
    const { conditions, bindings } = liveEntries(view, range, now);
    return this.sql.exec<{ count: number }>(`SELECT count(*) AS count FROM feed_entry WHERE ${conditions.join(" AND ")}`, ...bindings).one()
      .count;
  }

  /** Starts an erasure here: from now on, updates written before `beforeMs` are refused. Idempotent. */
  async beginErasure(beforeMs: number): Promise<void> {
    this.schema.ensure();
    this.registration.registered = true;
    this.registration.raiseErasedBefore(beforeMs);
    this.registration.raiseSyncFloor(Date.now());
    this.registration.store();
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
    if (remaining > 0) return { emptied: false };
    await this.ctx.storage.deleteAll();
    this.schema.forget();
    this.registration.forget();
    this.alarmSchedule.forget();
    // Open sockets still close when their tokens expire.
    await this.alarmSchedule.arm();
    return { emptied: true };
  }

  /**
   * Prunes the tombstones that have outlived the stream's horizon (a batch at a time), closes the
   * sockets whose tokens expired, and re-arms. Safe to run any number of times.
   */
  override async alarm(): Promise<void> {
    this.alarmSchedule.fired();
    this.sockets.closeExpired(Date.now());
    if (this.schema.exists) {
      this.sql.exec(
        `DELETE FROM feed_entry WHERE activity_id IN (SELECT activity_id FROM feed_entry INDEXED BY feed_tombstone_by_deleted
           WHERE activity IS NULL AND deleted_ms <= ? ORDER BY deleted_ms LIMIT ?)`,
        Date.now() - TOMBSTONE_LIFETIME_MS,
        PRUNE_BATCH,
      );
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

/** The conditions that pick a view's live entries with lastModifiedDateTime in the range. */
function liveEntries(view: FeedQuery["view"], range: DateRange, now: number) {
  const conditions = ["activity IS NOT NULL", "expiration_ms > ?", "last_modified_ms BETWEEN ? AND ?"];
  const bindings: (string | number)[] = [now, range.from, range.to];
  if (view === "recent") conditions.push("recent_ms IS NOT NULL");
  return { conditions, bindings };
}
