// Delta rounds from a test: one page, a round followed through its nextLinks to its deltaLink, a
// client that applies rounds, and tokens opened and sealed again as their feed seals them.
import type { StreamToken } from "../../src/objects/feed-stream";
import type { FeedObject } from "../../src/objects/FeedObject";
import type { ActivityRecord } from "../../src/objects/records";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Caller } from "../../src/auth/verify-token";
import { Keyset, readPayload } from "../../src/objects/keyset";
import { type Answer, call, ORIGIN } from "./api";
import { activitiesContext } from "./graph";
import { feedStub, sqlIn } from "./objects";
import type { TestUser } from "./users";

/** The first request of a round on the caller's own activities. */
export const DELTA = "/v1.0/me/activities/delta";

/** @odata.context of a delta page: the activities' own, then `/$delta`. */
export const deltaContext = (options: { prefix?: string; user?: string } = {}) => `${activitiesContext(options)}/$delta`;

/** How a round lists a deleted or expired activity. */
export const removed = (id: string) => ({ id, "@removed": { reason: "deleted" } });

/** The path and query of a URL the service gave (absolute) or a test wrote (a path). */
const pathOf = (url: string) => (url.startsWith(ORIGIN) ? url.slice(ORIGIN.length) : url);

/** GET on a delta URL (a link as given, or a path) as `user`. */
export const deltaPage = (user: TestUser, url: string, headers: Record<string, string> = {}) =>
  call("GET", pathOf(url), { as: user.as, headers });

/** Asserts a delta page whole but for its value: 200, JSON, its context, and exactly one of the links. */
export function expectDeltaPage(answer: Answer, context: string) {
  expect({ status: answer.status, contentType: answer.headers.get("content-type") }, JSON.stringify(answer.body)).toEqual({
    status: 200,
    contentType: "application/json",
  });
  const link = "@odata.nextLink" in answer.body ? "@odata.nextLink" : "@odata.deltaLink";
  expect(answer.body).toEqual({ "@odata.context": context, value: expect.any(Array), [link]: expect.stringMatching(/^https:\/\//) });
}

/** One round as a client reads it. */
export interface DeltaRound {
  pages: Answer[];
  /** Every page's value, in order. */
  values: any[];
  deltaLink: string;
}

export interface RoundOptions {
  headers?: Record<string, string>;
  /** Each page's @odata.context: the user's own on /v1.0 unless told otherwise. */
  context?: string;
  maxPages?: number;
}

/**
 * Follows a round from `url` through its nextLinks to its deltaLink, each page a 200 with exactly
 * one link, and no activity twice in the round.
 */
export async function deltaRound(user: TestUser, url: string, options: RoundOptions = {}): Promise<DeltaRound> {
  const { headers = {}, context = deltaContext({ user: user.oid }), maxPages = 1100 } = options;
  const pages: Answer[] = [];
  for (let next: string | undefined = url; pages.length < maxPages;) {
    const answer: Answer = await deltaPage(user, next, headers);
    expectDeltaPage(answer, context);
    pages.push(answer);
    next = answer.body["@odata.nextLink"];
    if (next !== undefined) continue;
    const values = pages.flatMap((page) => page.body.value);
    const ids = values.map((value) => value.id);
    expect(new Set(ids).size, `an activity listed twice in one round: ${ids}`).toBe(ids.length);
    return { pages, values, deltaLink: answer.body["@odata.deltaLink"] };
  }
  throw new Error(`the round from ${url} did not end within ${maxPages} pages`);
}

/** Sorts a round's entries (or resources) by id, to compare them whatever order the round lists them in. */
export const byId = <T extends { id: string }>(values: T[]) => [...values].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The token a link carries ($skiptoken or $deltatoken). */
export function tokenOf(link: string): string {
  const params = new URL(link).searchParams;
  return (params.get("$skiptoken") ?? params.get("$deltatoken"))!;
}

/** A link with its token replaced. */
export function withToken(link: string, token: string): string {
  const url = new URL(link);
  const option = url.searchParams.has("$skiptoken") ? "$skiptoken" : "$deltatoken";
  return `${url.origin}${url.pathname}?${option}=${encodeURIComponent(token)}`;
}

/** What a delta token says, read without its seal. */
export type DeltaTokenPayload = StreamToken;

/** The payload of a link's token. */
export const payloadOf = (link: string) => readPayload(tokenOf(link)) as DeltaTokenPayload;

/**
 * A link whose token says what `change` makes of it, sealed again under the key of `caller`'s
 * feed, as that feed seals its own: a token the feed issued, as if at another instant.
 */
export async function resealed(caller: Caller, link: string, change: (payload: DeltaTokenPayload) => DeltaTokenPayload): Promise<string> {
  const payload = change(payloadOf(link));
  const token = await runInDurableObject(feedStub(caller), (_instance, state) => new Keyset(state.storage.sql).seal(payload));
  return withToken(link, token);
}

/**
 * Makes `caller`'s feed look as if its storage began at `ms` (it records that instant as its sync
 * floor: no token it issued can be older), for a test that ages its tokens as far back.
 */
export async function feedBeganAt(caller: Caller, ms: number): Promise<void> {
  const stub = feedStub(caller);
  await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec("UPDATE registration SET sync_floor_ms = ?", ms));
  // Read afresh from storage, as after a restart.
  await evictDurableObject(stub);
}

/**
 * A client of the delta query: it keeps what rounds told it, by id (a live activity replaces what
 * it held, a removed one goes).
 */
export class DeltaClient {
  readonly held = new Map<string, Record<string, unknown>>();

  /** Applies one page's value. */
  apply(value: Record<string, any>[]): void {
    for (const entry of value) {
      if ("@removed" in entry) this.held.delete(entry.id);
      else this.held.set(entry.id, entry);
    }
  }

  /** What it holds, by id. */
  activities(): Record<string, unknown>[] {
    return byId([...this.held.values()] as { id: string }[]);
  }
}

/**
 * Fills `user`'s feed with `n` more entries, applied by the feed itself as pushes from activity
 * objects would be (copies of one real activity under other ids): for the page limits, which need
 * more activities than HTTP writes can make quickly.
 */
export async function fillFeed(user: TestUser, n: number): Promise<string[]> {
  const [{ activity }] = (await sqlIn(feedStub(user.caller), "SELECT activity FROM feed_entry")) as [{ activity: string }];
  const model = JSON.parse(activity) as ActivityRecord;
  return runInDurableObject(feedStub(user.caller), async (instance: FeedObject) => {
    const ids: string[] = [];
    for (let k = 0; k < n; k++) {
      const id = String(5_000_000_000_000_000_000n + BigInt(k));
      const record = { ...model, id, appActivityId: `${model.appActivityId}#${k}` };
      await instance.apply({ activityId: id, version: Date.now() * 1000 + k, activity: record, recentMs: null }, user.caller);
      ids.push(id);
    }
    return ids;
  });
}

/** Every activity `GET /me/activities` lists (with `query` added), all pages, by id. */
export async function feedActivities(user: TestUser, query = ""): Promise<Record<string, unknown>[]> {
  const values: { id: string }[] = [];
  for (let next: string | undefined = `/v1.0/me/activities?$top=200${query}`; next !== undefined;) {
    const answer: Answer = await call("GET", pathOf(next), { as: user.as });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    values.push(...answer.body.value);
    next = answer.body["@odata.nextLink"];
  }
  return byId(values);
}
