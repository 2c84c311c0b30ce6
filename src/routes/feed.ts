import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { invalidSkiptoken } from "../graph/errors";
import { activitiesPath, nextLink, odataContext } from "../graph/odata";
import { parseExpand, parseFilter, parseTop } from "../graph/query";
import { methodNotAllowed, queryOptions } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { activityObject, feedObject } from "../objects/addresses";
import { callObject } from "../graph/call-object";
import type { FeedQuery } from "../objects/FeedObject";
import { ALL_TIME } from "../objects/records";
import { activitySchema, toActivityResource } from "../schemas/activity";
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

/** One page of the feed in Graph's collection shape, with items expanded when asked. */
async function feedPage(c: Context<AppEnv>, view: FeedQuery["view"]) {
  const caller = c.var.caller;
  const params = new URL(c.req.url).searchParams;
  const query: FeedQuery = {
    view,
    top: parseTop(params.get("$top") ?? undefined, limits.feedPageDefault, limits.feedPageMax),
    range: params.has("$filter") ? parseFilter(params.get("$filter")!) : ALL_TIME,
    cursor: params.get("$skiptoken"),
  };
  const expand = params.has("$expand") ? { range: parseExpand(params.get("$expand")!), top: limits.historyItemsPerExpand } : null;

  const page = await callObject(feedObject(c.env, caller), (feed) => feed.list(query));
  if (page.kind === "bad-cursor") throw invalidSkiptoken();

  let value = page.activities.map((activity) => toActivityResource(activity));
  if (expand) {
    // The items live with each activity: read them from its object, which also has the freshest activity.
    const expanded = await Promise.all(
      page.activities.map((activity) => callObject(activityObject(c.env, caller, activity.id), (object) => object.getActivity(expand))),
    );
    value = expanded.flatMap((found) =>
      found ? [{ ...toActivityResource(found.activity), historyItems: (found.historyItems ?? []).map(toHistoryItemResource) }] : [],
    );
  }

  const fragment = view === "recent" ? "Collection(microsoft.graph.userActivity)" : activitiesPath(caller.userId);
  const body: z.infer<typeof collectionSchema> = { "@odata.context": odataContext(c.req.url, fragment), value };
  if (page.nextCursor) body["@odata.nextLink"] = nextLink(c.req.url, page.nextCursor);
  return c.json(body, 200);
}

/** GET /me/activities and /me/activities/recent, paged by an opaque keyset cursor. */
export const feedRoutes = recentActivities
  .reduce(
    (routes, route) => routes.openapi(route, (c) => feedPage(c, "recent")),
    new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(listActivities, (c) => feedPage(c, "activities")),
  )
  .all("/me/activities", methodNotAllowed(["GET"]));
