import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { checkBodyId } from "../graph/body-id";
import { callObject } from "../graph/call-object";
import { activityNotFound, badRequest, conflict, invalidSkiptoken, itemNotFound } from "../graph/errors";
import { jsonBody } from "../graph/json-body";
import { activitiesPath, nextLink, odataContext, selectProperties } from "../graph/odata";
import { describeIssues, validationHook } from "../graph/validation";
import { limits } from "../limits";
import { activityObject } from "../objects/addresses";
import type { HistoryItemWriteResult } from "../objects/activity-results";
import type { HistoryItemRecord } from "../objects/records";
import { activitySchema } from "../schemas/activity";
import { activityIdSchema, historyItemIdSchema, jsonContent } from "../schemas/common";
import { errorResponses } from "../schemas/error";
import {
  historyItemCreateSchema,
  historyItemPatchSchema,
  historyItemReplaceSchema,
  historyItemSchema,
  historyItemSelectable,
  type HistoryItemResource,
  toHistoryItemResource,
  toHistoryItemWrite,
} from "../schemas/history-item";
import {
  countOption,
  filterOption,
  orderbyOption,
  queryOptions,
  selectOption,
  type Selection,
  skiptokenOption,
  topOption,
} from "../schemas/query";
import { activityAnswer, activityQuery, expandSelection } from "./activities";

const COLLECTION = "/activities/{id}/historyItems";
const ITEM = "/activities/{id}/historyItems/{historyItemId}";

const activityParams = z.object({ id: activityIdSchema });
const itemParams = z.object({ id: activityIdSchema, historyItemId: historyItemIdSchema });
const noOptions = queryOptions({});
const itemQuery = queryOptions({ $select: selectOption(historyItemSelectable) });

const listQuery = queryOptions({
  $top: topOption(limits.historyItemPageDefault, limits.historyItemPageMax),
  $filter: filterOption,
  $skiptoken: skiptokenOption,
  $select: selectOption(historyItemSelectable),
  $count: countOption,
  $orderby: orderbyOption,
});

const createItem = createRoute({
  method: "post",
  path: COLLECTION,
  summary: "Create a history item",
  tags: ["history items"],
  description: "Creates an item; without an `id` the service assigns a random GUID. An `id` that already exists is a 409.",
  middleware: [jsonBody()] as const,
  request: { params: activityParams, query: noOptions, body: { required: true, content: jsonContent(historyItemCreateSchema) } },
  responses: { 201: { description: "Created.", content: jsonContent(historyItemSchema) }, ...errorResponses(400, 404, 409, 413, 415, 429) },
});

const listItems = createRoute({
  method: "get",
  path: COLLECTION,
  summary: "List an activity's history items",
  tags: ["history items"],
  description: "The live items, most recently modified first, a page at a time; follow @odata.nextLink for the next page.",
  request: { params: activityParams, query: listQuery },
  responses: {
    200: {
      description: "One page of live items; with $select, only the selected properties (and id).",
      content: jsonContent(
        z.object({
          "@odata.context": z.string(),
          "@odata.count": z.number().int().optional(),
          value: z.array(historyItemSchema),
          "@odata.nextLink": z.string().optional(),
        }),
      ),
    },
    ...errorResponses(400, 404, 429),
  },
});

const countItems = createRoute({
  method: "get",
  path: `${COLLECTION}/$count`,
  summary: "Count an activity's history items",
  tags: ["history items"],
  description: "The number of live items, with $filter applied, as text/plain.",
  request: { params: activityParams, query: queryOptions({ $filter: filterOption }) },
  responses: {
    200: { description: "The count, as a decimal number.", content: { "text/plain": { schema: z.string().openapi({ example: "3" }) } } },
    ...errorResponses(400, 404, 429),
  },
});

const putItem = createRoute({
  method: "put",
  path: ITEM,
  summary: "Create or replace a history item",
  tags: ["history items"],
  description: "Creates (201) or replaces (200) the whole item; createdDateTime survives a replace, omitted fields do not.",
  middleware: [jsonBody()] as const,
  request: { params: itemParams, query: noOptions, body: { required: true, content: jsonContent(historyItemReplaceSchema) } },
  responses: {
    200: { description: "Replaced.", content: jsonContent(historyItemSchema) },
    201: { description: "Created.", content: jsonContent(historyItemSchema) },
    ...errorResponses(400, 404, 413, 415, 429),
  },
});

const getItem = createRoute({
  method: "get",
  path: ITEM,
  summary: "Get a history item",
  tags: ["history items"],
  request: { params: itemParams, query: itemQuery },
  responses: {
    200: { description: "The item; with $select, only the selected properties (and id).", content: jsonContent(historyItemSchema) },
    ...errorResponses(400, 404, 429),
  },
});

const patchItem = createRoute({
  method: "patch",
  path: ITEM,
  summary: "Update a history item",
  tags: ["history items"],
  description:
    "Changes only what the body names; null removes an optional property. The result must pass every rule a PUT must; a computed activeDurationSeconds is computed again when the times move. Answers the whole updated item.",
  middleware: [jsonBody()] as const,
  request: {
    params: itemParams,
    query: noOptions,
    // A reference, not the schema: the activity's object validates the merged item with the PUT's own rules.
    body: { required: true, content: jsonContent({ $ref: "#/components/schemas/activityHistoryItemPatch" }) },
  },
  responses: { 200: { description: "Updated.", content: jsonContent(historyItemSchema) }, ...errorResponses(400, 404, 413, 415, 429) },
});

const deleteItem = createRoute({
  method: "delete",
  path: ITEM,
  summary: "Delete a history item",
  tags: ["history items"],
  request: { params: itemParams, query: noOptions },
  responses: { 204: { description: "Deleted." }, ...errorResponses(400, 404, 429) },
});

const itemActivity = createRoute({
  method: "get",
  path: `${ITEM}/activity`,
  summary: "Get the activity a history item belongs to",
  tags: ["history items"],
  request: { params: itemParams, query: activityQuery },
  responses: {
    200: { description: "The item's activity; with $select, only the selected properties (and id).", content: jsonContent(activitySchema) },
    ...errorResponses(400, 404, 429),
  },
});

const collectionContext = (c: Context<AppEnv>, id: string) =>
  odataContext(c.req.url, `${activitiesPath(c.get("pathUser"))}('${id}')/historyItems`);

/** An item as it is answered alone: its @odata.context and its (selected) properties. */
const itemAnswer = (c: Context<AppEnv>, activityId: string, item: HistoryItemRecord, select: Selection = null) =>
  selectProperties({ "@odata.context": `${collectionContext(c, activityId)}/$entity`, ...toHistoryItemResource(item) }, select);

const historyItemNotFound = (id: string) => itemNotFound(`The history item '${id}' does not exist.`);

/** Answers a write: the item with its status code, or the error the object reported. */
function writeResponse(result: HistoryItemWriteResult, activityId: string, itemId: string) {
  if (result.kind === "activity-not-found") throw activityNotFound(activityId);
  if (result.kind === "conflict") throw conflict(`A history item with id '${itemId}' already exists; PUT it to replace it.`);
  return { item: result.item, created: result.kind === "created" };
}

/** The history-item routes under /activities/{id}, and each item's `activity` navigation. */
export const historyItemRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createItem, async (c) => {
    const { id } = c.req.valid("param");
    const write = toHistoryItemWrite(c.req.valid("json").id ?? crypto.randomUUID(), c.req.valid("json"));
    const { item } = writeResponse(
      await callObject(activityObject(c.env, c.get("caller"), id), (activity) => activity.createHistoryItem(write)),
      id,
      write.id,
    );
    return c.json(itemAnswer(c, id, item), 201);
  })
  .openapi(listItems, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const page = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.listHistoryItems({ range: query.$filter, top: query.$top, cursor: query.$skiptoken, count: query.$count }),
    );
    if (page.kind === "activity-not-found") throw activityNotFound(id);
    if (page.kind === "bad-cursor") throw invalidSkiptoken();
    const body: { "@odata.context": string; "@odata.count"?: number; value: HistoryItemResource[]; "@odata.nextLink"?: string } = {
      "@odata.context": collectionContext(c, id),
      ...(page.count === null ? {} : { "@odata.count": page.count }),
      value: page.items.map((item) => selectProperties(toHistoryItemResource(item), query.$select)),
    };
    if (page.nextCursor) body["@odata.nextLink"] = nextLink(c.req.url, page.nextCursor);
    return c.json(body, 200);
  })
  .openapi(countItems, async (c) => {
    const { id } = c.req.valid("param");
    const counted = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.countHistoryItems(c.req.valid("query").$filter),
    );
    if (counted.kind !== "found") throw activityNotFound(id);
    return c.text(String(counted.value), 200);
  })
  .openapi(putItem, async (c) => {
    const { id, historyItemId } = c.req.valid("param");
    const body = c.req.valid("json");
    checkBodyId(body, historyItemId);
    const write = toHistoryItemWrite(historyItemId, body);
    const { item, created } = writeResponse(
      await callObject(activityObject(c.env, c.get("caller"), id), (activity) => activity.putHistoryItem(write)),
      id,
      write.id,
    );
    return created ? c.json(itemAnswer(c, id, item), 201) : c.json(itemAnswer(c, id, item), 200);
  })
  .openapi(getItem, async (c) => {
    const { id, historyItemId } = c.req.valid("param");
    const found = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.getHistoryItem(historyItemId.toLowerCase()),
    );
    if (found.kind === "activity-not-found") throw activityNotFound(id);
    if (found.kind === "item-not-found") throw historyItemNotFound(historyItemId);
    return c.json(itemAnswer(c, id, found.value, c.req.valid("query").$select), 200);
  })
  .openapi(patchItem, async (c) => {
    const { id, historyItemId } = c.req.valid("param");
    const patch: unknown = await c.req.json();
    checkBodyId(patch, historyItemId);
    const result = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.patchHistoryItem(historyItemId.toLowerCase(), patch),
    );
    if (result.kind === "activity-not-found") throw activityNotFound(id);
    if (result.kind === "item-not-found") throw historyItemNotFound(historyItemId);
    if (result.kind === "invalid") throw badRequest(describeIssues(result.issues, "request body"));
    return c.json(itemAnswer(c, id, result.item), 200);
  })
  .openapi(deleteItem, async (c) => {
    const { id, historyItemId } = c.req.valid("param");
    const found = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.deleteHistoryItem(historyItemId.toLowerCase()),
    );
    if (found.kind === "activity-not-found") throw activityNotFound(id);
    if (found.kind === "item-not-found") throw historyItemNotFound(historyItemId);
    return c.body(null, 204);
  })
  .openapi(itemActivity, async (c) => {
    const { id, historyItemId } = c.req.valid("param");
    const { $expand, $select } = c.req.valid("query");
    const found = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.getHistoryItemActivity(historyItemId.toLowerCase(), expandSelection($expand)),
    );
    if (found.kind === "activity-not-found") throw activityNotFound(id);
    if (found.kind === "item-not-found") throw historyItemNotFound(historyItemId);
    const context = `${activitiesPath(c.get("pathUser"))}('${id}')/historyItems('${historyItemId.toLowerCase()}')/activity/$entity`;
    return c.json(activityAnswer(c, found.value, { context, select: $select, expand: $expand }), 200);
  });
historyItemRoutes.openAPIRegistry.register("activityHistoryItemPatch", historyItemPatchSchema);
