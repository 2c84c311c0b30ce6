import { DurableObject } from "cloudflare:workers";
import { activityObject, feedObject } from "./addresses";
import { Deadlines } from "./deadline";
import { type WholeState, writtenBefore } from "./erasure-rule";
import { Schema } from "./migrations";
import type { ErasureCounts, FeedRegistration, UserKey } from "./records";

export interface ErasureRecord {
  id: string;
  status: "running" | "succeeded";
  requestedMs: number;
  /** When the job last made progress (or finished). */
  lastActionMs: number;
  /** Why the job is waiting to retry, after a step failed; null while all is well. */
  detail: string | null;
  erased: ErasureCounts;
}

export type ErasureRequest = { kind: "started" | "already-running"; erasure: ErasureRecord };

/** Apps per registry page. */
export const APPS_PER_PAGE = 100;

/** Activity ids listed from a feed per step, and activities erased at once. */
const LIST_PAGE = 500;
const ERASE_BATCH = 25;

/** How long one call to another object may take before the step counts as failed. */
const CALL_TIMEOUT_MS = 30_000;

/** How long one alarm run works before handing over to the next (so no run holds the object for long). */
const RUN_MS = 10_000;

/** When a run dies (eviction, crash, deploy), the job resumes this long after the run began. */
const RESUME_AFTER_MS = 60_000;

/** Retry delay after the nth failed step in a row: 1 s doubling up to 5 minutes. */
const retryDelayMs = (attempts: number) => Math.min(1000 * 2 ** (attempts - 1), 300_000);

// Applied in order, once each; an applied step is never edited, only followed by new ones.
const MIGRATIONS: string[] = [
  // Whose registry this is, and the apps the user has a feed with (generation: bumped by each new feed, see finishApp).
  `CREATE TABLE owner (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), tenant_id TEXT NOT NULL, user_id TEXT NOT NULL);
   CREATE TABLE app (app_id TEXT PRIMARY KEY, generation INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID;
   CREATE TABLE erasure (
     id TEXT PRIMARY KEY,
     requested_ms INTEGER NOT NULL,
     last_action_ms INTEGER NOT NULL,
     completed_ms INTEGER,
     apps INTEGER NOT NULL DEFAULT 0,
     activities INTEGER NOT NULL DEFAULT 0,
     history_items INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0,
     detail TEXT
   ) WITHOUT ROWID;
   CREATE TABLE erasure_app (app_id TEXT PRIMARY KEY, phase TEXT NOT NULL, after_activity_id TEXT) WITHOUT ROWID;
   CREATE TABLE erasure_activity (
     app_id TEXT NOT NULL,
     activity_id TEXT NOT NULL,
     live INTEGER,
     history_items INTEGER,
     PRIMARY KEY (app_id, activity_id)
   ) WITHOUT ROWID;`,
];

type ErasureRow = {
  id: string;
  requested_ms: number;
  last_action_ms: number;
  completed_ms: number | null;
  apps: number;
  activities: number;
  history_items: number;
  attempts: number;
  detail: string | null;
};

/** Where the running erasure stands with one app: mark its feed, list its activities, erase them, then the feed. */
type ErasureAppRow = { app_id: string; phase: "mark" | "list" | "erase" | "feed"; after_activity_id: string | null };

type ErasureActivityRow = { activity_id: string; live: number | null; history_items: number | null };

const toErasure = (row: ErasureRow): ErasureRecord => ({
  id: row.id,
  status: row.completed_ms === null ? "running" : "succeeded",
  requestedMs: row.requested_ms,
  lastActionMs: row.last_action_ms,
  detail: row.detail,
  erased: { apps: row.apps, activities: row.activities, historyItems: row.history_items },
});

/**
 * One user's registry, per (tenant, user): the apps the user has a feed with (each feed
 * registers itself once, before its first entry), and the erasures of the user's data. An
 * erasure is a job run by this object's alarm, one step at a time, each step recorded here once
 * it is done and safe to repeat, so the job survives eviction and restarts and ends the same.
 */
export class UserObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly schema: Schema;
  private readonly deadlines = new Deadlines();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new Schema(ctx.storage, MIGRATIONS);
    void ctx.blockConcurrencyWhile(async () => this.schema.upgrade());
  }

  /**
   * A new feed (one per app) registers before it stores its first entry. Answers the latest
   * erasure's instant, which the feed enforces from then on; an update written before it does
   * not register the app (the feed refuses it, and the activity erases itself).
   */
  async registerFeed(user: UserKey, appId: string, first: WholeState): Promise<FeedRegistration> {
    this.schema.ensure();
    return this.ctx.storage.transactionSync((): FeedRegistration => {
      this.adopt(user);
      const erasedBeforeMs = this.sql.exec<{ at: number | null }>("SELECT max(requested_ms) AS at FROM erasure").one().at;
      if (erasedBeforeMs !== null && writtenBefore(first, erasedBeforeMs)) return { registered: false, erasedBeforeMs };
      this.sql.exec("INSERT INTO app (app_id) VALUES (?) ON CONFLICT (app_id) DO UPDATE SET generation = generation + 1", appId);
      return { registered: true, erasedBeforeMs };
    });
  }

  /** The apps the user has a feed with, in app id order, after `after`: at most APPS_PER_PAGE. */
  async apps(after: string | null): Promise<string[]> {
    if (!this.schema.exists) return [];
    return this.sql
      .exec<{ app_id: string }>("SELECT app_id FROM app WHERE app_id > ? ORDER BY app_id LIMIT ?", after ?? "", APPS_PER_PAGE)
      .toArray()
      .map((row) => row.app_id);
  }

  /** Starts erasing everything of this user written before now; while one erasure runs, answers that one. */
  async requestErasure(user: UserKey): Promise<ErasureRequest> {
    this.schema.ensure();
    const now = Date.now();
    const request = this.ctx.storage.transactionSync((): ErasureRequest => {
      this.adopt(user);
      const running = this.sql.exec<ErasureRow>("SELECT * FROM erasure WHERE completed_ms IS NULL").toArray()[0];
      if (running) return { kind: "already-running", erasure: toErasure(running) };
      const id = crypto.randomUUID();
      this.sql.exec("INSERT INTO erasure (id, requested_ms, last_action_ms) VALUES (?, ?, ?)", id, now, now);
      this.sql.exec("INSERT INTO erasure_app (app_id, phase) SELECT app_id, 'mark' FROM app");
      return { kind: "started", erasure: toErasure(this.sql.exec<ErasureRow>("SELECT * FROM erasure WHERE id = ?", id).one()) };
    });
    // No await between the commit and setAlarm, so both are written together: the job cannot be recorded and never run.
    if (request.kind === "started") await this.ctx.storage.setAlarm(now);
    return request;
  }

  /** An erasure of this user, running or done; null when there is none with this id. */
  async erasure(id: string): Promise<ErasureRecord | null> {
    if (!this.schema.exists) return null;
    const row = this.sql.exec<ErasureRow>("SELECT * FROM erasure WHERE id = ?", id).toArray()[0];
    return row ? toErasure(row) : null;
  }

  /** Runs the erasure job for a while, then hands over to the next run; a failed step is retried with backoff. */
  override async alarm(): Promise<void> {
    if (!this.schema.exists) return;
    const running = this.sql.exec<ErasureRow>("SELECT * FROM erasure WHERE completed_ms IS NULL").toArray()[0];
    if (!running) return;
    // Should this run die, the job carries on from its last recorded step.
    await this.ctx.storage.setAlarm(Date.now() + RESUME_AFTER_MS);
    const until = Date.now() + RUN_MS;
    try {
      while (await this.step(running)) {
        if (Date.now() >= until) return await this.ctx.storage.setAlarm(Date.now());
      }
      // Done. A request that came in meanwhile started an erasure of its own, which needs the alarm.
      if (this.sql.exec("SELECT 1 FROM erasure WHERE completed_ms IS NULL").toArray().length > 0)
        await this.ctx.storage.setAlarm(Date.now());
      else await this.ctx.storage.deleteAlarm();
    } catch (error) {
      const attempts = this.sql
        .exec<{ attempts: number }>(
          "UPDATE erasure SET attempts = attempts + 1, detail = ? WHERE id = ? RETURNING attempts",
          "A step failed; the erasure is retrying.",
          running.id,
        )
        .one().attempts;
      await this.ctx.storage.setAlarm(Date.now() + retryDelayMs(attempts));
      console.warn(
        JSON.stringify({
          level: "warn",
          message: "erasure step failed; will retry",
          erasureId: running.id,
          attempts,
          error: String(error),
        }),
      );
    }
  }

  /** Does the next step of the running erasure and records it; false once the erasure is complete. */
  private async step(erasure: ErasureRow): Promise<boolean> {
    const app = this.sql.exec<ErasureAppRow>("SELECT * FROM erasure_app ORDER BY app_id LIMIT 1").toArray()[0];
    if (!app) {
      this.progress(erasure, () =>
        this.sql.exec("UPDATE erasure SET completed_ms = ? WHERE id = ? AND completed_ms IS NULL", Date.now(), erasure.id),
      );
      return false;
    }
    const before = erasure.requested_ms;
    const owner = { ...this.owner(), appId: app.app_id };
    const feed = feedObject(this.env, owner);
    switch (app.phase) {
      case "mark": {
        // From here on the feed refuses updates written before the request, so none slips in behind the listing.
        await this.call(feed.beginErasure(before), "mark the feed");
        this.progress(erasure, () => this.sql.exec("UPDATE erasure_app SET phase = 'list' WHERE app_id = ?", app.app_id));
        return true;
      }
      case "list": {
        const ids = await this.call(feed.activityIds(app.after_activity_id, LIST_PAGE), "list the feed");
        this.progress(erasure, () => {
          for (const id of ids) this.sql.exec("INSERT OR IGNORE INTO erasure_activity (app_id, activity_id) VALUES (?, ?)", app.app_id, id);
          this.sql.exec(
            "UPDATE erasure_app SET after_activity_id = ?, phase = ? WHERE app_id = ?",
            ids.at(-1) ?? app.after_activity_id,
            ids.length < LIST_PAGE ? "erase" : "list",
            app.app_id,
          );
        });
        return true;
      }
      case "erase": {
        const batch = this.sql
          .exec<ErasureActivityRow>("SELECT * FROM erasure_activity WHERE app_id = ? ORDER BY activity_id LIMIT ?", app.app_id, ERASE_BATCH)
          .toArray();
        if (batch.length === 0) {
          this.progress(erasure, () => this.sql.exec("UPDATE erasure_app SET phase = 'feed' WHERE app_id = ?", app.app_id));
          return true;
        }
        const activity = (row: ErasureActivityRow) => activityObject(this.env, owner, row.activity_id);
        // Counted first and recorded, then erased: a repeated step (after a crash) counts nothing twice.
        const uncounted = batch.filter((row) => row.history_items === null);
        if (uncounted.length > 0) {
          const counts = await Promise.all(uncounted.map((row) => this.call(activity(row).inventory(), "count an activity")));
          this.progress(erasure, () =>
            uncounted.forEach((row, i) =>
              this.sql.exec(
                "UPDATE erasure_activity SET live = ?, history_items = ? WHERE app_id = ? AND activity_id = ? AND history_items IS NULL",
                counts[i]!.live ? 1 : 0,
                counts[i]!.historyItems,
                app.app_id,
                row.activity_id,
              ),
            ),
          );
          return true;
        }
        const outcomes = await Promise.all(batch.map((row) => this.call(activity(row).eraseWrittenBefore(before), "erase an activity")));
        this.progress(erasure, () =>
          batch.forEach((row, i) => {
            // Counted only by the run that removes the row, however often the step is repeated.
            const counted = this.sql
              .exec<{ live: number; history_items: number }>(
                "DELETE FROM erasure_activity WHERE app_id = ? AND activity_id = ? RETURNING live, history_items",
                app.app_id,
                row.activity_id,
              )
              .toArray()[0];
            if (counted && outcomes[i]!.kind === "erased") {
              this.sql.exec(
                "UPDATE erasure SET activities = activities + ?, history_items = history_items + ? WHERE id = ?",
                counted.live,
                counted.history_items,
                erasure.id,
              );
            }
          }),
        );
        return true;
      }
      case "feed": {
        // A feed that registers again meanwhile (a new one, after this one emptied) bumps the generation and stays registered.
        const generation = this.sql
          .exec<{ generation: number }>("SELECT generation FROM app WHERE app_id = ?", app.app_id)
          .toArray()[0]?.generation;
        const { emptied } = await this.call(feed.finishErasure(before), "erase the feed");
        this.progress(erasure, () => {
          if (this.sql.exec("DELETE FROM erasure_app WHERE app_id = ?", app.app_id).rowsWritten === 0) return;
          if (emptied) this.sql.exec("DELETE FROM app WHERE app_id = ? AND generation = ?", app.app_id, generation ?? 0);
          this.sql.exec("UPDATE erasure SET apps = apps + 1 WHERE id = ?", erasure.id);
        });
        return true;
      }
    }
  }

  /** Records a step's outcome, in one transaction with the erasure's progress. */
  private progress(erasure: ErasureRow, record: () => void): void {
    this.ctx.storage.transactionSync(() => {
      record();
      this.sql.exec("UPDATE erasure SET last_action_ms = ?, attempts = 0, detail = NULL WHERE id = ?", Date.now(), erasure.id);
    });
  }

  /** One call to another object, failing the step when it takes too long. */
  private call<T>(answer: T, what: string): Promise<Awaited<T>> {
    return this.deadlines.race(answer, CALL_TIMEOUT_MS, what);
  }

  private adopt(user: UserKey): void {
    this.sql.exec("INSERT OR IGNORE INTO owner (singleton, tenant_id, user_id) VALUES (1, ?, ?)", user.tenantId, user.userId);
  }

  private owner(): UserKey {
    const row = this.sql.exec<{ tenant_id: string; user_id: string }>("SELECT tenant_id, user_id FROM owner").one();
    return { tenantId: row.tenant_id, userId: row.user_id };
  }
}
