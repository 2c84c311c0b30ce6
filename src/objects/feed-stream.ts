import type { Caller } from "../auth/verify-token";
import { DEFAULT_LIFETIME_MS } from "../limits";
import { cutPage, digestTag, type Keyset, readPayload, unsealedToken } from "./keyset";
import type { ActivityRecord } from "./records";
import { toActivityResource } from "../schemas/activity";

// A feed's change stream. Every entry of the feed (one per activity, live or a tombstone) carries
// the position of its latest change: every apply that changes what the feed shows moves the entry
// to the next position, in the same statement. A delta round walks the entries between its
// watermark and the head it began with, in position order through their index, a page from where
// the last one stopped: a page reads its own rows, however long the stream; an entry that moves
// meanwhile goes past the head, to the next round. See docs/decisions.md for why nothing is missed.

/**
 * How long a removed activity stays in the stream as a tombstone, and so how long a delta token
 * stays good: one rule. A tombstone also beats a late push of an older state of its activity: any
 * older state that was live was last modified before the delete, so it expired (the activity
 * lifetime) before the tombstone is this old. The extra day covers clock differences between objects.
 */
export const STREAM_HORIZON_MS = DEFAULT_LIFETIME_MS + 24 * 60 * 60 * 1000;

/**
 * Positions are readings of the feed's clock, this many a millisecond, kept strictly increasing:
 * max(head + 1, now × 1000). So a position also says when its change was applied, and a feed whose
 * storage was deleted (an erasure) still numbers every later change above every earlier one.
 */
export const POSITIONS_PER_MS = 1000;

/** The next position, as SQL over feed_entry, with the apply's instant bound as `now`. */
export const nextPositionSql = (now: string) =>
  `max(coalesce((SELECT max(position) FROM feed_entry INDEXED BY feed_by_position), 0) + 1, ${now} * ${POSITIONS_PER_MS})`;

/** What storing a whole state returns when it changed the entry: its new position, whether that created it, or removed it. */
export type AppliedState = { position: number; born: number; removed: number };

/**
 * Stores an activity's whole state in its entry, unless a newer one is there (nothing returned): a
 * newer state moves the entry to the stream's next position; it was created there when its entry
 * was not live before. Bindings: ?1 the activity's id, ?2 the version, ?3 the activity (null: a
 * tombstone), ?4 its resource, ?5 lastModified, ?6 the newest item's time, ?7 the expiry, ?8 when
 * removed, ?9 now. With `keepRecent`, the newest item's time is left out of the update, and an
 * entry whose time differs is left as it was: SQLite writes an index entry again for every indexed
 * column an update names, changed or not (a row written, as Cloudflare bills it).
 */
const applyState = (keepRecent: boolean) =>
  `INSERT INTO feed_entry (activity_id, version, activity, resource, last_modified_ms, recent_ms, expiration_ms, deleted_ms, position, born_version)
   VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ${nextPositionSql("?9")}, ?2)
   ON CONFLICT (activity_id) DO UPDATE SET version = excluded.version, activity = excluded.activity, resource = excluded.resource,
     last_modified_ms = excluded.last_modified_ms,${keepRecent ? "" : " recent_ms = excluded.recent_ms,"} expiration_ms = excluded.expiration_ms,
     deleted_ms = excluded.deleted_ms, position = excluded.position,
     born_version = iif(feed_entry.activity IS NULL OR feed_entry.expiration_ms <= ?9, excluded.version, feed_entry.born_version)
   WHERE excluded.version > feed_entry.version${keepRecent ? " AND feed_entry.recent_ms IS excluded.recent_ms" : ""}
   RETURNING position, born_version = version AS born, activity IS NULL AS removed`;

export const APPLY_STATE = applyState(false);
export const APPLY_STATE_KEEPING_RECENT = applyState(true);

/** The Graph JSON a page or a round lists for an activity. */
export const render = (activity: ActivityRecord) => JSON.stringify(toActivityResource(activity));

/** How a change shows to someone following the feed (Graph's changeType). */
export type ChangeType = "created" | "updated" | "deleted";

/** One applied change of an activity, at its position in the stream. */
export interface StreamChange {
  activityId: string;
  changeType: ChangeType;
  position: number;
}

/** A round's request: the token it continues (none: a first round), or `latest` for a deltaLink from now. */
export interface DeltaQuery {
  owner: Caller;
  token: string | null;
  latest: boolean;
  /** The first request's options ($select, $expand) as the Worker wrote them: carried in the tokens, opaque here. */
  shape: string;
  top: number;
  /**
   * Also give the token after each change, for a caller that may end the page sooner ($expand).
   * Asked by a round's first request, and carried in its tokens like the shape.
   */
  tokensAfter: boolean;
}

/** An activity in a round: live, with its Graph JSON, or removed (deleted or expired). */
export type DeltaChange = { id: string; resource: string } | { id: string; removed: true };

export type DeltaPage =
  | {
      kind: "page";
      shape: string;
      changes: DeltaChange[];
      /** Continues this round (a $skiptoken); null on the round's last page. */
      nextToken: string | null;
      /** Starts the next round (a $deltatoken); only on the round's last page. */
      deltaToken: string | null;
      tokensAfter: string[];
    }
  | { kind: "bad-token" }
  /** The token is past the horizon, or older than the feed's storage (an erasure): start over. */
  | { kind: "gone"; shape: string | null };

/** What a token holds: sealed by the feed, except the origin token of a feed that holds nothing. */
export interface StreamToken {
  /** The feed it was issued by: a digest of (tenant, user, app). */
  feed: string;
  shape: string;
  /** Whether the round's pages give the token after each change (its first request asked). */
  tokensAfter: boolean;
  /** The round lists changes after this position; 0: every live activity (a first round). */
  since: number;
  /** When `since` was the feed's head; null for 0. */
  sinceMs: number | null;
  /** Inside a round: the head when the round began (the next round's `since`) and when that was, and where the walk is. */
  round?: RoundState;
}

/** Where a round is: its head, and the last entry listed (none in a token of an earlier release). */
interface RoundState {
  head: number;
  headMs: number;
  /** The position and id of the last entry listed: the walk goes on after them. */
  position?: number;
  id?: string;
  /** From a token of an earlier release, whose rounds walked ids: the entries up to this id were listed, those after it not yet. */
  after?: string;
}

const isRoundState = (round: RoundState) =>
  Number.isSafeInteger(round.head) &&
  Number.isSafeInteger(round.headMs) &&
  (round.position === undefined ? round.id === undefined : Number.isSafeInteger(round.position) && typeof round.id === "string") &&
  (round.after === undefined || typeof round.after === "string");

const isStreamToken = (value: unknown): value is StreamToken => {
  const token = value as StreamToken;
  return (
    typeof token === "object" &&
    token !== null &&
    typeof token.feed === "string" &&
    typeof token.shape === "string" &&
    typeof token.tokensAfter === "boolean" &&
    Number.isSafeInteger(token.since) &&
    (token.sinceMs === null || Number.isSafeInteger(token.sinceMs)) &&
    (token.round === undefined || (typeof token.round === "object" && token.round !== null && isRoundState(token.round)))
  );
};

type Row = { activity_id: string; position: number; resource: string | null; activity: string | null; live: number };

/** What the stream needs of its feed at the instant of a round. */
export interface FeedState {
  /** Whether the feed holds anything (else it never wrote, or an erasure deleted it all). */
  exists: boolean;
  /** Tokens issued before this instant name changes that may be gone without a tombstone (an erasure): 410. */
  syncFloorMs: number;
}

/** The token that starts from nothing: the only one that travels unsealed, as it grants no more than a first round. */
const originToken = (feed: string, shape: string, tokensAfter: boolean) =>
  unsealedToken({ feed, shape, tokensAfter, since: 0, sinceMs: null } satisfies StreamToken);

/** Delta rounds over one feed's entries. */
export class FeedStream {
  constructor(
    private readonly sql: SqlStorage,
    /** The feed's keyset (a new one after an erasure), which seals the tokens. */
    private readonly keyset: () => Keyset,
  ) {}

  /** One page of a round: the changes past the token's watermark, in position order, and the token that continues. */
  async round(query: DeltaQuery, feed: FeedState): Promise<DeltaPage> {
    const tag = await digestTag(JSON.stringify([query.owner.tenantId, query.owner.userId, query.owner.appId]));
    let token: StreamToken | null = null;
    if (query.token !== null) {
      const opened = await this.open(query.token, tag, feed);
      if (opened.kind !== "token") return opened;
      token = opened.token;
    }
    const shape = token?.shape ?? query.shape;
    const tokensAfter = token?.tokensAfter ?? query.tokensAfter;
    // Read synchronously from here on: the head and the page are one instant of the feed.
    const now = Date.now();
    if (!feed.exists)
      return { kind: "page", shape, changes: [], nextToken: null, deltaToken: originToken(tag, shape, tokensAfter), tokensAfter: [] };
    const since = token?.since ?? 0;
    const sinceMs = token?.sinceMs ?? null;
    const round: RoundState = token?.round ?? { head: this.head(), headMs: now };
    const seal = (state: StreamToken) => this.keyset().seal(state);
    if (query.latest) {
      const deltaToken = await seal({ feed: tag, shape, tokensAfter, since: round.head, sinceMs: round.headMs });
      return { kind: "page", shape, changes: [], nextToken: null, deltaToken, tokensAfter: [] };
    }
    const { page, more } = cutPage(
      this.rows(since, round, query.top, now),
      query.top,
      (row) => (row.resource ?? row.activity ?? "").length + 64,
    );
    const changes = page.map((row): DeltaChange =>
      row.live
        ? { id: row.activity_id, resource: row.resource ?? render(JSON.parse(row.activity!) as ActivityRecord) }
        : { id: row.activity_id, removed: true },
    );
    const after = (row: Row) =>
      seal({ feed: tag, shape, tokensAfter, since, sinceMs, round: { ...round, position: row.position, id: row.activity_id } });
    return {
      kind: "page",
      shape,
      changes,
      nextToken: more ? await after(page.at(-1)!) : null,
      deltaToken: more ? null : await seal({ feed: tag, shape, tokensAfter, since: round.head, sinceMs: round.headMs }),
      tokensAfter: tokensAfter ? await Promise.all(page.map(after)) : [],
    };
  }

  /** The latest position in the stream (0: none). */
  private head(): number {
    return (
      this.sql.exec<{ head: number | null }>("SELECT max(position) AS head FROM feed_entry INDEXED BY feed_by_position").one().head ?? 0
    );
  }

  /**
   * A position every change applied so far is at or before, and every later one after (positions
   * are at least the clock's reading, in microseconds): where a new subscription starts.
   */
  positionAt(now: number): number {
    return Math.max(this.head(), now * POSITIONS_PER_MS - 1);
  }

  /**
   * The entries a page lists: those between the watermark `since` and the round's head, in position
   * order (id among equals, as entries stored before positions took their version's) after the last
   * one listed; live ones only in a first round. Read through the positions' index from where the
   * walk stopped, never sorted: `top` + 1 entries, however many changed (and in a first round the
   * removed ones passed on the way).
   */
  private rows(since: number, round: RoundState, top: number, now: number): Iterable<Row> {
    return this.sql.exec<Row>(
      `SELECT activity_id, position, resource, iif(resource IS NULL, activity, NULL) AS activity,
         (activity IS NOT NULL AND expiration_ms > ?1) AS live
       FROM feed_entry INDEXED BY feed_by_position
       WHERE (position, activity_id) > (?2, ?3) AND position <= ?4 AND activity_id > ?5${since === 0 ? " AND activity IS NOT NULL AND expiration_ms > ?1" : ""}
       ORDER BY position, activity_id LIMIT ?6`,
      now,
      round.position ?? since,
      // None listed yet: a null id is past every entry at the watermark, which the round before listed.
      round.id ?? null,
      round.head,
      round.after ?? "",
      top + 1,
    );
  }

  /**
   * A token presented to this feed. Another feed's, or one altered: bad. One this feed sealed but
   * from before its storage began again (an erasure) or past the horizon: gone. The check of the
   * instant comes first, as an erasure also replaced the key that sealed it.
   */
  private async open(text: string, tag: string, feed: FeedState): Promise<{ kind: "token"; token: StreamToken } | DeltaPage> {
    const sealed = text.includes(".");
    const claimed = readPayload(text);
    if (!isStreamToken(claimed) || claimed.feed !== tag) return { kind: "bad-token" };
    if (!sealed) return claimed.since === 0 && claimed.round === undefined ? { kind: "token", token: claimed } : { kind: "bad-token" };
    const from = claimed.sinceMs ?? claimed.round?.headMs ?? 0;
    if (!feed.exists || from < feed.syncFloorMs) return { kind: "gone", shape: claimed.shape };
    const token = await this.keyset().unseal(text);
    if (!isStreamToken(token) || token.feed !== tag) return { kind: "bad-token" };
    if (Date.now() - from > STREAM_HORIZON_MS) return { kind: "gone", shape: token.shape };
    return { kind: "token", token };
  }
}
