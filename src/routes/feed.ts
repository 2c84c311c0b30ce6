import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { jsonContent } from "../schemas/common";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { callObject } from "../graph/call-object";
import { invalidSkiptoken } from "../graph/errors";
import { activitiesPath, collectionText, nextLink, odataContext, selectProperties } from "../graph/odata";
import { expandPage } from "./expand";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { feedObject } from "../objects/addresses";
import type { FeedQuery } from "../objects/FeedObject";
import { type ActivityResource, activitySchema, activitySelectable } from "../schemas/activity";
import { errorResponses } from "../schemas/error";
import { historyItemSelectable } from "../schemas/history-item";
import {
  countOption,
  expandOption,
  filterOption,
  orderbyOption,
  queryOptions,
  selectOption,
  skiptokenOption,
  topOption,
} from "../schemas/query";

const pageOptions = {
  $top: topOption(limits.feedPageDefault, limits.feedPageMax),
  $filter: filterOption,
  $expand: expandOption(historyItemSelectable),
  $select: selectOption(activitySelectable),
  $skiptoken: skiptokenOption,
  $count: countOption,
};

/** GET /activities: in its own order, most recently modified first, which $orderby may name. */
const listQuery = queryOptions({ ...pageOptions, $orderby: orderbyOption });

/** GET /activities/recent: ordered by its newest history item, which no $orderby on an activity can name. */
const recentQuery = queryOptions(pageOptions);

type PageQuery = z.output<typeof recentQuery>;

const collectionSchema = z
  .object({
    "@odata.context": z.string(),
    "@odata.count": z.number().int().optional(),
    value: z.array(activitySchema),
    "@odata.nextLink": z.string().optional(),
  })
  .openapi("userActivityCollection");

const pageResponses = {
  200: {
    description: "One page; follow @odata.nextLink for the next. With $select, only the selected properties (and id).",
    content: jsonContent(collectionSchema),
  },
  ...errorResponses(400, 429),
};

const listActivities = createRoute({
  method: "get",
  path: "/activities",
  summary: "List the caller's activities",
  tags: ["feed"],
  description: "This user's activities through this app, most recently modified first.",
  request: { query: listQuery },
  responses: pageResponses,
});

const RECENT_PATHS = ["/activities/recent", "/activities/recent()", "/activities/microsoft.graph.recent()"];

// One operation in the OpenAPI document for each; the other spellings answer the same.
const recentActivities = RECENT_PATHS.map((path, index) =>
  createRoute({
    method: "get",
    path,
    hide: index > 0,
    summary: "List recent activities",
    tags: ["feed"],
    description: "Activities that have history items, ordered by their newest item's lastModifiedDateTime, newest first.",
    request: { query: recentQuery },
    responses: pageResponses,
  }),
);

const countQuery = queryOptions({ $filter: filterOption });

const countRoute = (path: string, summary: string, hide: boolean) =>
  createRoute({
    method: "get",
    path,
    hide,
    summary,
    tags: ["feed"],
    description: "The number of live activities, with $filter applied, as text/plain.",
    request: { query: countQuery },
    responses: {
      200: { description: "The count, as a decimal number.", content: { "text/plain": { schema: z.string().openapi({ example: "42" }) } } },
      ...errorResponses(400, 429),
    },
  });

const countActivities = countRoute("/activities/$count", "Count the caller's activities", false);
const countRecent = RECENT_PATHS.map((path, index) => countRoute(`${path}/$count`, "Count recent activities", index > 0));

/** One page of the feed in Graph's collection shape, with items expanded and properties selected as asked. */
async function feedPage(c: Context<AppEnv>, view: FeedQuery["view"], options: PageQuery) {
  const caller = c.get("caller");
  const expand = options.$expand;
  const query: FeedQuery = {
    view,
    top: options.$top,
    range: options.$filter,
    cursor: options.$skiptoken,
    cursorsAfter: expand !== null,
    count: options.$count,
  };
  const page = await callObject(feedObject(c.env, caller), (feed) => feed.list(query));
  if (page.kind === "bad-cursor") throw invalidSkiptoken();

  const fragment = view === "recent" ? "Collection(microsoft.graph.userActivity)" : activitiesPath(c.get("pathUser"));
  const annotations = {
    "@odata.context": odataContext(c.req.url, fragment),
    ...(page.count === null ? {} : { "@odata.count": page.count }),
  };
  if (!expand && !options.$select) {
    // The feed's texts joined into the page as they are, parsed and written again by nobody.
    const text = collectionText(
      annotations,
      page.activities.map((activity) => activity.resource),
      { "@odata.nextLink": page.nextCursor ? nextLink(c.req.url, page.nextCursor) : null },
    );
    // The same answer as c.json's, built from text: the typed router cannot see that (hence the cast).
    return c.body(text, 200, { "Content-Type": "application/json" }) as never;
  }
  const { value, nextCursor } = expand
    ? await expandPage(
        c.env,
        caller,
        page.activities.map((activity) => ({ id: activity.id, entry: (expanded) => expanded })),
        expand,
        page,
      )
    : { value: page.activities.map((activity) => JSON.parse(activity.resource) as ActivityResource), nextCursor: page.nextCursor };
  const body: z.infer<typeof collectionSchema> = {
    ...annotations,
    value: value.map((activity) => selectProperties(activity, options.$select)),
  };
  if (nextCursor) body["@odata.nextLink"] = nextLink(c.req.url, nextCursor);
  return c.json(body, 200);
}

/** How many live activities a view holds within the $filter, as text/plain. */
async function feedCount(c: Context<AppEnv>, view: FeedQuery["view"], options: z.output<typeof countQuery>) {
  const count = await callObject(feedObject(c.env, c.get("caller")), (feed) => feed.count(view, options.$filter));
  return c.text(String(count), 200);
}

/** GET /activities, /activities/recent and their /$count, paged by an opaque keyset cursor. */
export const feedRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(listActivities, (c) => feedPage(c, "activities", c.req.valid("query")))
  .openapi(countActivities, (c) => feedCount(c, "activities", c.req.valid("query")));
for (const route of recentActivities) feedRoutes.openapi(route, (c) => feedPage(c, "recent", c.req.valid("query")));
for (const route of countRecent) feedRoutes.openapi(route, (c) => feedCount(c, "recent", c.req.valid("query")));
