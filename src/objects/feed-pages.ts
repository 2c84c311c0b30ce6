import { render } from "./feed-stream";
import { afterPosition, type Keyset, keysetBindings } from "./keyset";
import type { ActivityRecord, DateRange } from "./records";

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

const SORT_COLUMN = { activities: "last_modified_ms", recent: "recent_ms" } as const;
const INDEX = { activities: "feed_by_last_modified", recent: "feed_by_recent" } as const;

/** The feed's pages (GET /me/activities and /recent): live entries read through a view's own index, a page at a time. */
export class FeedPages {
  constructor(
    private readonly sql: SqlStorage,
    private readonly keyset: () => Keyset,
  ) {}

  /** One page of live activities, newest first, and a cursor for the next page when there is one. */
  async list(query: FeedQuery, exists: boolean): Promise<FeedPage> {
    // A feed that was never written to lists nothing, and never issued a cursor.
    if (!exists) {
      if (query.cursor !== null) return { kind: "bad-cursor" };
      return { kind: "page", activities: [], nextCursor: null, cursorsAfter: [], count: query.count ? 0 : null };
    }
    const sort = SORT_COLUMN[query.view];
    const scope = JSON.stringify([query.view, query.range.from, query.range.to]);
    const now = Date.now();
    const { conditions, bindings } = liveEntries(query.view, query.range, now);
    if (query.cursor !== null) {
      const after = await this.keyset().open(query.cursor, scope);
      if (!after) return { kind: "bad-cursor" };
      conditions.push(afterPosition(sort, "activity_id"));
      bindings.push(...keysetBindings(after));
    }
    const count = query.count ? this.count(query.view, query.range, now) : null;
    // Walk the view's own index in order and stop at the page's end, never sorting the whole feed;
    // rows are read one at a time, so a page of large activities stops reading at its size.
    const rows = this.sql.exec<{ activity_id: string; resource: string | null; activity: string | null; sort_ms: number }>(
      `SELECT activity_id, resource, iif(resource IS NULL, activity, NULL) AS activity, ${sort} AS sort_ms FROM feed_entry INDEXED BY ${INDEX[query.view]}
       WHERE ${conditions.join(" AND ")} ORDER BY ${sort} DESC, activity_id DESC LIMIT ?`,
      ...bindings,
      query.top + 1,
    );
    const positionOf = (row: { activity_id: string; sort_ms: number }) => ({ sortMs: row.sort_ms, id: row.activity_id });
    const page = await this.keyset().page(rows, query.top, scope, positionOf, (row) => (row.resource ?? row.activity!).length);
    return {
      kind: "page",
      activities: page.rows.map((row) => ({
        id: row.activity_id,
        resource: row.resource ?? render(JSON.parse(row.activity!) as ActivityRecord),
      })),
      nextCursor: page.nextCursor,
      cursorsAfter: query.cursorsAfter ? await Promise.all(page.rows.map((row) => this.keyset().cursorAfter(positionOf(row), scope))) : [],
      count,
    };
  }

  /** How many live activities a view holds with lastModifiedDateTime in the range at `now`. */
  count(view: FeedQuery["view"], range: DateRange, now: number): number {
    const { conditions, bindings } = liveEntries(view, range, now);
    return this.sql.exec<{ count: number }>(`SELECT count(*) AS count FROM feed_entry WHERE ${conditions.join(" AND ")}`, ...bindings).one()
      .count;
  }
}

/** The conditions that pick a view's live entries with lastModifiedDateTime in the range. */
function liveEntries(view: FeedQuery["view"], range: DateRange, now: number) {
  const conditions = ["activity IS NOT NULL", "expiration_ms > ?", "last_modified_ms BETWEEN ? AND ?"];
  const bindings: (string | number)[] = [now, range.from, range.to];
  if (view === "recent") conditions.push("recent_ms IS NOT NULL");
  return { conditions, bindings };
}
