import { DurableObject } from "cloudflare:workers";
import { afterPosition, Keyset, keysetBindings } from "./keyset";
import { Schema } from "./migrations";
import type { ActivityRecord, DateRange, FeedUpdate } from "./records";

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

export type FeedPage =
  | {
      kind: "page";
      activities: ActivityRecord[];
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
];

const SORT_COLUMN = { activities: "last_modified_ms", recent: "recent_ms" } as const;
const INDEX = { activities: "feed_by_last_modified", recent: "feed_by_recent" } as const;

/**
 * The index of one (tenant, user, app)'s activities, kept in step by the activities' own
 * objects. A deleted activity stays as a tombstone row (its id and version) so that a late,
 * older update cannot bring it back.
 */
export class FeedObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly keyset: Keyset;
  private readonly schema: Schema;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.keyset = new Keyset(this.sql);
    this.schema = new Schema(ctx.storage, MIGRATIONS);
    void ctx.blockConcurrencyWhile(async () => this.schema.upgrade());
  }

  /** Records an activity's state unless a newer one is already recorded. Idempotent. */
  async apply(update: FeedUpdate): Promise<void> {
    this.schema.ensure();
    const activity = update.activity;
    this.sql.exec(
      `INSERT INTO feed_entry (activity_id, version, activity, last_modified_ms, recent_ms, expiration_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (activity_id) DO UPDATE SET version = excluded.version, activity = excluded.activity,
         last_modified_ms = excluded.last_modified_ms, recent_ms = excluded.recent_ms, expiration_ms = excluded.expiration_ms
       WHERE excluded.version > feed_entry.version`,
      update.activityId,
      update.version,
      activity ? JSON.stringify(activity) : null,
      activity?.lastModifiedMs ?? null,
      activity ? update.recentMs : null,
      activity?.expirationMs ?? null,
    );
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
    const rows = this.sql.exec<{ activity_id: string; activity: string; sort_ms: number }>(
      `SELECT activity_id, activity, ${sort} AS sort_ms FROM feed_entry INDEXED BY ${INDEX[query.view]}
       WHERE ${conditions.join(" AND ")} ORDER BY ${sort} DESC, activity_id DESC LIMIT ?`,
      ...bindings,
      query.top + 1,
    );
    const positionOf = (row: { activity_id: string; sort_ms: number }) => ({ sortMs: row.sort_ms, id: row.activity_id });
    const page = await this.keyset.page(rows, query.top, scope, positionOf, (row) => row.activity.length);
    return {
      kind: "page",
      activities: page.rows.map((row) => JSON.parse(row.activity) as ActivityRecord),
      nextCursor: page.nextCursor,
      cursorsAfter: query.cursorsAfter ? await Promise.all(page.rows.map((row) => this.keyset.cursorAfter(positionOf(row), scope))) : [],
      count,
    };
  }

  private countLive(view: FeedQuery["view"], range: DateRange, now: number): number {
    const { conditions, bindings } = liveEntries(view, range, now);
    return this.sql
      .exec<{ count: number }>(`SELECT count(*) AS count FROM feed_entry WHERE ${conditions.join(" AND ")}`, ...bindings)
      .one().count;
  }
}

/** The conditions that pick a view's live entries with lastModifiedDateTime in the range. */
function liveEntries(view: FeedQuery["view"], range: DateRange, now: number) {
  const conditions = ["activity IS NOT NULL", "expiration_ms > ?", "last_modified_ms BETWEEN ? AND ?"];
  const bindings: (string | number)[] = [now, range.from, range.to];
  if (view === "recent") conditions.push("recent_ms IS NOT NULL");
  return { conditions, bindings };
}
