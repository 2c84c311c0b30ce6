import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { Caller } from "../auth/verify-token";
import { invalidSkiptoken } from "../graph/errors";
import { activitiesPath, nextLink, odataContext } from "../graph/odata";
import { parseExpand, parseFilter, parseTop } from "../graph/query";
import { methodNotAllowed, queryOptions } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { activityObject, feedObject } from "../objects/addresses";
import { callObject } from "../graph/call-object";
import type { HistoryItemSelection } from "../objects/ActivityObject";
import type { FeedPage, FeedQuery } from "../objects/FeedObject";
import { ALL_TIME } from "../objects/records";
import { type ActivityResource, activitySchema, toActivityResource } from "../schemas/activity";
import { pagingQuerySchema } from "../schemas/common";
import { errorResponses } from "../schemas/error";
import { toHistoryItemResource } from "../schemas/history-item";

const OPTIONS = ["$top", "$expand", "$filter", "$skiptoken"];

const feedQuery = pagingQuerySchema(limits.feedPageDefault, limits.feedPageMax).extend({
  $expand: z.string().optional().openapi({
    description: "historyItems, optionally historyItems($filter=lastModifiedDateTime ge 2018-01-01T00:00:00Z).",
  }),
});

const collectionSchema = z
  .object({ "@odata.context": z.string(), value: z.array(activitySchema), "@odata.nextLink": z.string().optional() })
  .openapi("userActivityCollection");

const feedRoute = (path: string, summary: string, description: string) =>
  createRoute({
    method: "get",
    path,
    summary,
    description,
    middleware: [queryOptions(...OPTIONS)] as const,
    request: { query: feedQuery },
    responses: {
      200: { description: "One page; follow @odata.nextLink for the next.", content: { "application/json": { schema: collectionSchema } } },
      ...errorResponses(400, 429),
    },
  });

const listActivities = feedRoute(
  "/me/activities",
  "List the caller's activities",
  "This user's activities through this app, most recently modified first.",
);

const RECENT_PATHS = ["/me/activities/recent", "/me/activities/recent()", "/me/activities/microsoft.graph.recent()"];

const recentActivities = RECENT_PATHS.map((path, index) =>
  ({
    ...feedRoute(
      path,
      "List recent activities",
      "Activities that have history items, ordered by their newest item's lastModifiedDateTime, newest first.",
    ),
    // One operation in the OpenAPI document; the other spellings answer the same.
    hide: index > 0,
  }),
);

/** Activities whose items are read at once, in parallel, while an expanded page is filled. */
const EXPAND_BATCH = 20;

/**
 * The page's activities with their items, read from each activity's object (which also has the
 * freshest activity), a batch at a time and only while the page stays within limits.pageChars:
 * a page cut short continues after its last activity. The first activity is always included.
 */
async function expandPage(
  env: Env,
  caller: Caller,
  page: Extract<FeedPage, { kind: "page" }>,
  items: HistoryItemSelection,
): Promise<{ value: ActivityResource[]; nextCursor: string | null }> {
  const value: ActivityResource[] = [];
  let chars = 0;
  for (let start = 0; start < page.activities.length; start += EXPAND_BATCH) {
    const batch = page.activities.slice(start, start + EXPAND_BATCH);
    const found = await Promise.all(batch.map((activity) => callObject(activityObject(env, caller, activity.id), (object) => object.getActivity(items))));
    for (const [k, expanded] of found.entries()) {
      // Deleted or expired since the feed listed it.
      if (!expanded) continue;
      const resource = { ...toActivityResource(expanded.activity), historyItems: (expanded.historyItems ?? []).map(toHistoryItemResource) };
      chars += JSON.stringify(resource).length;
      if (value.length > 0 && chars > limits.pageChars) return { value, nextCursor: page.cursorsAfter[start + k - 1]! };
      value.push(resource);
    }
  }
  return { value, nextCursor: page.nextCursor };
}

/** One page of the feed in Graph's collection shape, with items expanded when asked. */
async function feedPage(c: Context<AppEnv>, view: FeedQuery["view"]) {
  const caller = c.var.caller;
  const params = new URL(c.req.url).searchParams;
  const expand = params.has("$expand") ? { range: parseExpand(params.get("$expand")!), top: limits.historyItemsPerExpand } : null;
  const query: FeedQuery = {
    view,
    top: parseTop(params.get("$top") ?? undefined, limits.feedPageDefault, limits.feedPageMax),
    range: params.has("$filter") ? parseFilter(params.get("$filter")!) : ALL_TIME,
    cursor: params.get("$skiptoken"),
    cursorsAfter: expand !== null,
  };

  const page = await callObject(feedObject(c.env, caller), (feed) => feed.list(query));
  if (page.kind === "bad-cursor") throw invalidSkiptoken();

  const { value, nextCursor } = expand
    ? await expandPage(c.env, caller, page, expand)
    : { value: page.activities.map((activity) => toActivityResource(activity)), nextCursor: page.nextCursor };

  const fragment = view === "recent" ? "Collection(microsoft.graph.userActivity)" : activitiesPath(caller.userId);
  const body: z.infer<typeof collectionSchema> = { "@odata.context": odataContext(c.req.url, fragment), value };
  if (nextCursor) body["@odata.nextLink"] = nextLink(c.req.url, nextCursor);
  return c.json(body, 200);
}

/** GET /me/activities and /me/activities/recent, paged by an opaque keyset cursor. */
export const feedRoutes = recentActivities
  .reduce(
    (routes, route) => routes.openapi(route, (c) => feedPage(c, "recent")),
    new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(listActivities, (c) => feedPage(c, "activities")),
  )
  .all("/me/activities", methodNotAllowed(["GET"]));
