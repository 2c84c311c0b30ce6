import type { Caller } from "../auth/verify-token";
import { utf8 } from "../graph/encoding";
import { callObject } from "../graph/call-object";
import { limits } from "../limits";
import type { HistoryItemPage } from "../objects/activity-results";
import { activityObject, feedObject, userObject } from "../objects/addresses";
import type { FeedPage, ListedActivity } from "../objects/FeedObject";
import { ALL_TIME, type ActivityRecord, type UserKey } from "../objects/records";
import { toActivityResource } from "../schemas/activity";
import { toHistoryItemResource } from "../schemas/history-item";
import { registeredApps } from "./user-apps";

// The export of one user's data as NDJSON: one line per live activity, across the user's apps,
// with all its history items. The Worker walks the registry's apps, each app's feed and each
// activity's items a page at a time and writes as it goes, so however much the user has, it
// holds a few pages at once, and the client reads the first line long before the last is made.

/** History items read per call. */
const ITEMS_PER_PAGE = 200;

/** Activities whose first page is fetched ahead of the one being written. */
const READ_AHEAD = 16;

const ALL_ITEMS = { range: ALL_TIME, top: ITEMS_PER_PAGE };

/**
 * The user's export as a byte stream. The registry's first page is read before it returns, so a
 * store that cannot be reached is still an error response; a failure later ends the stream early
 * (the last line then lacks its newline).
 */
export async function userExport(env: Env, user: UserKey, requestId: string): Promise<ReadableStream<Uint8Array>> {
  const firstApps = await callObject(userObject(env, user), (registry) => registry.apps(null));
  const lines = exportLines(env, user, firstApps);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(utf8(next.value));
      } catch (error) {
        console.error(JSON.stringify({ level: "error", requestId, message: "export ended early", error: String(error) }));
        controller.error(error);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}

/** The export's text, a piece at a time: every app from the registry, in app id order. */
async function* exportLines(env: Env, user: UserKey, firstApps: string[]): AsyncGenerator<string> {
  for await (const appId of registeredApps(env, user, firstApps)) yield* appLines(env, { ...user, appId });
}

/** One app's activities, in its feed's order (most recently modified first). */
async function* appLines(env: Env, owner: Caller): AsyncGenerator<string> {
  let cursor: string | null = null;
  do {
    const after: string | null = cursor;
    const page: FeedPage = await callObject(feedObject(env, owner), (feed) =>
      feed.list({ view: "activities", top: limits.feedPageMax, range: ALL_TIME, cursor: after, cursorsAfter: false, count: false }),
    );
    if (page.kind === "bad-cursor") throw new Error("the feed refused the cursor it issued");
    for await (const start of readAhead(page.activities, (activity) => activityStart(env, owner, activity))) {
      if (start) yield* activityLine(env, owner, start);
    }
    cursor = page.nextCursor;
  } while (cursor !== null);
}

interface ActivityStart {
  activity: ActivityRecord;
  items: Extract<HistoryItemPage, { kind: "page" }>;
}

/** The activity as its own object has it now, with its first page of items; null when it has gone meanwhile. */
const activityStart = (env: Env, owner: Caller, listed: ListedActivity): Promise<ActivityStart | null> =>
  callObject(activityObject(env, owner, listed.id), (activity) => activity.getActivityPage(ALL_ITEMS));

/**
 * One line: the activity as `GET /me/activities/{id}?$expand=historyItems` shows it (without
 * `@odata.context`), with `appId` first and every item, written a page of items at a time.
 */
async function* activityLine(env: Env, owner: Caller, start: ActivityStart): AsyncGenerator<string> {
  const resource = JSON.stringify(toActivityResource(start.activity));
  yield `{"appId":${JSON.stringify(owner.appId)},${resource.slice(1, -1)},"historyItems":[`;
  let page: HistoryItemPage = start.items;
  let separator = "";
  while (page.kind === "page") {
    if (page.items.length > 0) {
      yield separator + page.items.map((item) => JSON.stringify(toHistoryItemResource(item))).join(",");
      separator = ",";
    }
    const cursor: string | null = page.nextCursor;
    if (cursor === null) break;
    // An activity deleted meanwhile ends its list here.
    page = await callObject(activityObject(env, owner, start.activity.id), (activity) =>
      activity.listHistoryItems({ ...ALL_ITEMS, cursor, count: false }),
    );
  }
  yield "]}\n";
}

/** Runs `fetch` for up to READ_AHEAD items at once and yields the results in the items' order. */
async function* readAhead<T, R>(items: T[], fetch: (item: T) => Promise<R>): AsyncGenerator<R> {
  const started: Promise<R>[] = [];
  let next = 0;
  const startNext = () => {
    const promise = fetch(items[next++]!);
    // Not yet awaited: a failure is reported when its turn comes, not as an unhandled rejection.
    promise.catch(() => undefined);
    started.push(promise);
  };
  while (next < items.length && started.length < READ_AHEAD) startNext();
  while (started.length > 0) {
    const result = await started.shift()!;
    if (next < items.length) startNext();
    yield result;
  }
}
