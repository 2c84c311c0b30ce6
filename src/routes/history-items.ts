import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import type { Caller } from "../auth/verify-token";
import { activityNotFound, conflict, invalidSkiptoken, itemNotFound } from "../graph/errors";
import { activitiesPath, nextLink, odataContext } from "../graph/odata";
import { parseFilter, parseTop } from "../graph/query";
import { jsonBody } from "../graph/json-body";
import { methodNotAllowed, queryOptions } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { activityObject } from "../objects/addresses";
import { callObject } from "../graph/call-object";
import type { HistoryItemWriteResult } from "../objects/ActivityObject";
import { ALL_TIME } from "../objects/records";
import { limits } from "../limits";
import { activityIdSchema, historyItemIdSchema, pagingQuerySchema } from "../schemas/common";
import { errorResponses } from "../schemas/error";
import {
  historyItemCreateSchema,
  historyItemReplaceSchema,
  historyItemSchema,
  type HistoryItemResource,
  toHistoryItemResource,
  toHistoryItemWrite,
} from "../schemas/history-item";

const COLLECTION = "/me/activities/{id}/historyItems";
const ITEM = "/me/activities/{id}/historyItems/{historyItemId}";

const activityParams = z.object({ id: activityIdSchema });
const itemParams = z.object({ id: activityIdSchema, historyItemId: historyItemIdSchema });
const json = <T extends z.ZodType>(schema: T) => ({ "application/json": { schema } });

const createItem = createRoute({
  method: "post",
  path: COLLECTION,
  summary: "Create a history item",
  description: "Creates an item; without an `id` the service assigns a random GUID. An `id` that already exists is a 409.",
  middleware: [queryOptions(), jsonBody()] as const,
  request: { params: activityParams, body: { required: true, content: json(historyItemCreateSchema) } },
  responses: { 201: { description: "Created.", content: json(historyItemSchema) }, ...errorResponses(400, 404, 409, 413, 415, 429) },
});

const putItem = createRoute({
  method: "put",
  path: ITEM,
  summary: "Create or replace a history item",
  description: "Creates (201) or replaces (200) the whole item; createdDateTime survives a replace, omitted fields do not.",
  middleware: [queryOptions(), jsonBody()] as const,
  request: { params: itemParams, body: { required: true, content: json(historyItemReplaceSchema) } },
  responses: {
    200: { description: "Replaced.", content: json(historyItemSchema) },
    201: { description: "Created.", content: json(historyItemSchema) },
    ...errorResponses(400, 404, 413, 415, 429),
  },
});

const listItems = createRoute({
  method: "get",
  path: COLLECTION,
  summary: "List an activity's history items",
  description: "The live items, most recently modified first, a page at a time; follow @odata.nextLink for the next page.",
  middleware: [queryOptions("$top", "$filter", "$skiptoken")] as const,
  request: {
    params: activityParams,
    query: pagingQuerySchema(limits.historyItemPageDefault, limits.historyItemPageMax),
  },
  responses: {
    200: {
      description: "One page of live items.",
      content: json(z.object({ "@odata.context": z.string(), value: z.array(historyItemSchema), "@odata.nextLink": z.string().optional() })),
    },
    ...errorResponses(400, 404, 429),
  },
});

const getItem = createRoute({
  method: "get",
  path: ITEM,
  summary: "Get a history item",
  middleware: [queryOptions()] as const,
  request: { params: itemParams },
  responses: { 200: { description: "The item.", content: json(historyItemSchema) }, ...errorResponses(400, 404, 429) },
});

const deleteItem = createRoute({
  method: "delete",
  path: ITEM,
  summary: "Delete a history item",
  middleware: [queryOptions()] as const,
  request: { params: itemParams },
  responses: { 204: { description: "Deleted." }, ...errorResponses(400, 404, 429) },
});

const collectionContext = (requestUrl: string, caller: Caller, id: string) =>
  odataContext(requestUrl, `${activitiesPath(caller.userId)}('${id}')/historyItems`);

const historyItemNotFound = (id: string) => itemNotFound(`The history item '${id}' does not exist.`);

/** Answers a write: the item with its status code, or the error the object reported. */
function writeResponse(result: HistoryItemWriteResult, activityId: string, itemId: string) {
  if (result.kind === "activity-not-found") throw activityNotFound(activityId);
  if (result.kind === "conflict") throw conflict(`A history item with id '${itemId}' already exists; PUT it to replace it.`);
  return { item: toHistoryItemResource(result.item), status: result.kind === "created" ? (201 as const) : (200 as const) };
}

/** The history-item routes under /me/activities/{id}. */
export const historyItemRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createItem, async (c) => {
    const caller = c.var.caller;
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const write = toHistoryItemWrite(body.id ?? crypto.randomUUID(), body);
    const { item } = writeResponse(await callObject(activityObject(c.env, caller, id), (activity) => activity.createHistoryItem(write)), id, write.id);
    return c.json({ "@odata.context": `${collectionContext(c.req.url, caller, id)}/$entity`, ...item }, 201);
  })
  .openapi(putItem, async (c) => {
    const caller = c.var.caller;
    const { id, historyItemId } = c.req.valid("param");
    const write = toHistoryItemWrite(historyItemId, c.req.valid("json"));
    const { item, status } = writeResponse(await callObject(activityObject(c.env, caller, id), (activity) => activity.putHistoryItem(write)), id, write.id);
    return c.json({ "@odata.context": `${collectionContext(c.req.url, caller, id)}/$entity`, ...item }, status);
  })
  .openapi(listItems, async (c) => {
    const caller = c.var.caller;
    const { id } = c.req.valid("param");
    const { $top, $filter, $skiptoken } = c.req.valid("query");
    const selection = {
      range: $filter === undefined ? ALL_TIME : parseFilter($filter),
      top: parseTop($top, limits.historyItemPageDefault, limits.historyItemPageMax),
    };
    const page = await callObject(activityObject(c.env, caller, id), (activity) => activity.listHistoryItems(selection, $skiptoken ?? null));
    if (page.kind === "activity-not-found") throw activityNotFound(id);
    if (page.kind === "bad-cursor") throw invalidSkiptoken();
    const body: { "@odata.context": string; value: HistoryItemResource[]; "@odata.nextLink"?: string } = {
      "@odata.context": collectionContext(c.req.url, caller, id),
      value: page.items.map(toHistoryItemResource),
    };
    if (page.nextCursor) body["@odata.nextLink"] = nextLink(c.req.url, page.nextCursor);
    return c.json(body, 200);
  })
  .openapi(getItem, async (c) => {
    const caller = c.var.caller;
    const { id, historyItemId } = c.req.valid("param");
    const found = await callObject(activityObject(c.env, caller, id), (activity) => activity.getHistoryItem(historyItemId.toLowerCase()));
    if (found.kind === "activity-not-found") throw activityNotFound(id);
    if (found.kind === "item-not-found") throw historyItemNotFound(historyItemId);
    return c.json({ "@odata.context": `${collectionContext(c.req.url, caller, id)}/$entity`, ...toHistoryItemResource(found.value) }, 200);
  })
  .openapi(deleteItem, async (c) => {
    const { id, historyItemId } = c.req.valid("param");
    const found = await callObject(activityObject(c.env, c.var.caller, id), (activity) => activity.deleteHistoryItem(historyItemId.toLowerCase()));
    if (found.kind === "activity-not-found") throw activityNotFound(id);
    if (found.kind === "item-not-found") throw historyItemNotFound(historyItemId);
    return c.body(null, 204);
  })
  .all("/me/activities/:id/historyItems", methodNotAllowed(["GET", "POST"]))
  .all("/me/activities/:id/historyItems/:historyItemId", methodNotAllowed(["GET", "PUT", "DELETE"]));
