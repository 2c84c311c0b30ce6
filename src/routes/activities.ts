import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { activityNotFound, badRequest, conflict, invalidRequest } from "../graph/errors";
import { activitiesPath, odataContext } from "../graph/odata";
import { jsonBody } from "../graph/json-body";
import { parseExpand } from "../graph/query";
import { methodNotAllowed, queryOptions } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { activityIdFor, activityObject } from "../objects/addresses";
import { callObject } from "../graph/call-object";
import { activityBodySchema, activitySchema, toActivityContent, toActivityResource } from "../schemas/activity";
import { activityIdSchema } from "../schemas/common";
import { errorResponses } from "../schemas/error";
import { toHistoryItemResource, toHistoryItemWrite } from "../schemas/history-item";

const PATH = "/me/activities/{id}";

const putActivity = createRoute({
  method: "put",
  path: PATH,
  summary: "Create or replace an activity",
  description:
    "Creates (201) or replaces (200) the caller's activity named by its appActivityId. Items in `historyItems` are deep-inserted.",
  middleware: [queryOptions(), jsonBody()] as const,
  request: {
    params: z.object({
      id: z.string().openapi({
        description: "The appActivityId, percent-encoded (everything but RFC 2396 unreserved characters escaped).",
        example: "%2Farticle%3F12345",
      }),
    }),
    body: { required: true, content: { "application/json": { schema: activityBodySchema } } },
  },
  responses: {
    200: { description: "Replaced.", content: { "application/json": { schema: activitySchema } } },
    201: { description: "Created.", content: { "application/json": { schema: activitySchema } } },
    ...errorResponses(400, 409, 413, 415, 429),
  },
});

const expandQuery = z.object({
  $expand: z.string().optional().openapi({
    description: "historyItems, optionally historyItems($filter=lastModifiedDateTime ge ...): include the activity's live history items.",
  }),
});

const getActivity = createRoute({
  method: "get",
  path: PATH,
  summary: "Get an activity",
  middleware: [queryOptions("$expand")] as const,
  request: { params: z.object({ id: activityIdSchema }), query: expandQuery },
  responses: {
    200: { description: "The activity.", content: { "application/json": { schema: activitySchema } } },
    ...errorResponses(400, 404, 429),
  },
});

const deleteActivity = createRoute({
  method: "delete",
  path: PATH,
  summary: "Delete an activity and its history items",
  middleware: [queryOptions()] as const,
  request: { params: z.object({ id: activityIdSchema }) },
  responses: { 204: { description: "Deleted." }, ...errorResponses(400, 404, 429) },
});

/** Strictly percent-decodes the appActivityId segment, which the router decodes leniently. */
function appActivityIdFrom(requestUrl: string): string {
  const path = new URL(requestUrl).pathname;
  const raw = path.slice(path.lastIndexOf("/") + 1);
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw invalidRequest("The appActivityId in the URL is not valid percent-encoding.");
  }
  if (decoded.length === 0 || decoded.length > limits.appActivityIdChars) {
    throw invalidRequest(`The appActivityId must be 1 to ${limits.appActivityIdChars} characters once decoded.`);
  }
  // C0 and C1 control characters have no place in an identifier and break logs and headers.
  if (/\p{Cc}/u.test(decoded)) throw invalidRequest("The appActivityId must not contain control characters.");
  return decoded;
}


/** PUT, GET and DELETE of /me/activities/{id}. */
export const activityRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(putActivity, async (c) => {
    const caller = c.var.caller;
    const appActivityId = appActivityIdFrom(c.req.url);
    const body = c.req.valid("json");
    if (body.appActivityId !== undefined && body.appActivityId !== appActivityId) {
      throw badRequest(`The appActivityId in the body ('${body.appActivityId}') must equal the one in the URL ('${appActivityId}').`);
    }
    const historyItems = (body.historyItems ?? []).map((item) => toHistoryItemWrite(item.id ?? crypto.randomUUID(), item));
    const ids = historyItems.map((item) => item.id);
    const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
    if (repeated) throw badRequest(`The history item id '${repeated}' appears more than once in historyItems.`);

    const id = await activityIdFor(caller, appActivityId);
    const result = await callObject(activityObject(c.env, caller, id), (activity) => activity.putActivity({
      owner: caller,
      id,
      appActivityId,
      content: JSON.stringify(toActivityContent(body)),
      historyItems,
    }));
    if (result.kind === "conflict") throw conflict(`The activity id '${id}' is already used by another appActivityId.`);
    const resource = {
      "@odata.context": odataContext(c.req.url, `${activitiesPath(caller.userId)}/$entity`),
      ...toActivityResource(result.activity),
      ...(body.historyItems ? { historyItems: result.historyItems.map(toHistoryItemResource) } : {}),
    };
    return c.json(resource, result.kind === "created" ? 201 : 200);
  })
  .openapi(getActivity, async (c) => {
    const caller = c.var.caller;
    const { id } = c.req.valid("param");
    const { $expand } = c.req.valid("query");
    const expand = $expand === undefined ? null : { range: parseExpand($expand), top: limits.historyItemsPerExpand };
    const found = await callObject(activityObject(c.env, caller, id), (activity) => activity.getActivity(expand));
    if (!found) throw activityNotFound(id);
    return c.json(
      {
        "@odata.context": odataContext(c.req.url, `${activitiesPath(caller.userId)}/$entity`),
        ...toActivityResource(found.activity),
        ...(found.historyItems ? { historyItems: found.historyItems.map(toHistoryItemResource) } : {}),
      },
      200,
    );
  })
  .openapi(deleteActivity, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await callObject(activityObject(c.env, c.var.caller, id), (activity) => activity.deleteActivity()))) throw activityNotFound(id);
    return c.body(null, 204);
  })
  .all("/me/activities/:id", methodNotAllowed(["GET", "PUT", "DELETE"]));
