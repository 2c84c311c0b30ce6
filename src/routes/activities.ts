import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { checkBodyId } from "../graph/body-id";
import { callObject } from "../graph/call-object";
import { activityNotFound, badRequest, conflict, GraphError, invalidRequest } from "../graph/errors";
import { jsonBody } from "../graph/json-body";
import { activitiesPath, odataContext, selectProperties } from "../graph/odata";
import { describeIssues, validationHook } from "../graph/validation";
import { limits } from "../limits";
import { activityIdFor, activityObject } from "../objects/addresses";
import type { ActivityPutResult } from "../objects/activity-results";
import type { HistoryItemRecord } from "../objects/records";
import {
  activityBodySchema,
  activityCreateSchema,
  activityPatchSchema,
  activitySchema,
  activitySelectable,
  EXAMPLE_APP_ACTIVITY_ID,
  sentBackBytes,
  toActivityContent,
  toActivityResource,
} from "../schemas/activity";
import { activityIdSchema, CONTROL_CHARACTER, jsonContent } from "../schemas/common";
import { errorResponses } from "../schemas/error";
import { historyItemSelectable, toHistoryItemResource, toHistoryItemWrite } from "../schemas/history-item";
import { expandOption, queryOptions, selectOption, type Expansion, type Selection } from "../schemas/query";

const PATH = "/activities/{id}";
const activityParams = z.object({ id: activityIdSchema });
const noOptions = queryOptions({});

/** The options of a GET that returns one activity. */
export const activityQuery = queryOptions({ $expand: expandOption(historyItemSelectable), $select: selectOption(activitySelectable) });

const createActivity = createRoute({
  method: "post",
  path: "/activities",
  summary: "Create an activity",
  tags: ["activities"],
  description:
    "Creates the caller's activity named by the body's appActivityId (the typed SDKs create this way; PUT is Graph's reference). 409 when a live activity with that appActivityId exists. Items in `historyItems` are deep-inserted.",
  middleware: [jsonBody()] as const,
  request: { query: noOptions, body: { required: true, content: jsonContent(activityCreateSchema) } },
  responses: {
    201: { description: "Created.", content: jsonContent(activitySchema) },
    ...errorResponses(400, 409, 413, 415, 429),
  },
});

const putActivity = createRoute({
  method: "put",
  path: PATH,
  summary: "Create or replace an activity",
  tags: ["activities"],
  description:
    "Creates (201) or replaces (200) the caller's activity named by its appActivityId. Items in `historyItems` are deep-inserted.",
  middleware: [jsonBody()] as const,
  request: {
    params: z.object({
      // The value, as OpenAPI describes parameters: clients (Swagger UI among them) percent-encode it into the path.
      id: z.string().openapi({
        description:
          "The appActivityId, percent-encoded in the path (everything but RFC 2396 unreserved characters escaped): /article?12345 is sent as %2Farticle%3F12345.",
        example: EXAMPLE_APP_ACTIVITY_ID,
      }),
    }),
    query: noOptions,
    body: { required: true, content: jsonContent(activityBodySchema) },
  },
  responses: {
    200: { description: "Replaced.", content: jsonContent(activitySchema) },
    201: { description: "Created.", content: jsonContent(activitySchema) },
    ...errorResponses(400, 409, 413, 415, 429),
  },
});

const getActivity = createRoute({
  method: "get",
  path: PATH,
  summary: "Get an activity",
  tags: ["activities"],
  request: { params: activityParams, query: activityQuery },
  responses: {
    200: { description: "The activity; with $select, only the selected properties (and id).", content: jsonContent(activitySchema) },
    ...errorResponses(400, 404, 429),
  },
});

const patchActivity = createRoute({
  method: "patch",
  path: PATH,
  summary: "Update an activity",
  tags: ["activities"],
  description:
    "Changes only what the body names: visualElements and its attribution merge member by member, contentInfo and visualElements.content are replaced whole, null removes an optional property. The result must pass every rule a PUT must. Answers the whole updated activity.",
  middleware: [jsonBody()] as const,
  request: {
    params: activityParams,
    query: noOptions,
    // A reference, not the schema: the activity's object validates the merged result with the PUT's own rules.
    body: { required: true, content: jsonContent({ $ref: "#/components/schemas/userActivityPatch" }) },
  },
  responses: { 200: { description: "Updated.", content: jsonContent(activitySchema) }, ...errorResponses(400, 404, 413, 415, 429) },
});

const deleteActivity = createRoute({
  method: "delete",
  path: PATH,
  summary: "Delete an activity and its history items",
  tags: ["activities"],
  request: { params: activityParams, query: noOptions },
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
  if (CONTROL_CHARACTER.test(decoded)) throw invalidRequest("The appActivityId must not contain control characters.");
  return decoded;
}

/** An activity as it is answered: its @odata.context, its properties, and its history items when there are any to show. */
export function activityAnswer(
  c: Context<AppEnv>,
  found: { activity: Parameters<typeof toActivityResource>[0]; historyItems: HistoryItemRecord[] | null },
  options: { context?: string; select?: Selection; expand?: Expansion | null } = {},
) {
  const itemSelect = options.expand?.select ?? null;
  const resource = {
    "@odata.context": odataContext(c.req.url, options.context ?? `${activitiesPath(c.get("pathUser"))}/$entity`),
    ...toActivityResource(found.activity),
    ...(found.historyItems
      ? { historyItems: found.historyItems.map((item) => selectProperties(toHistoryItemResource(item), itemSelect)) }
      : {}),
  };
  return selectProperties(resource, options.select ?? null);
}

/** The history items selection an $expand asks the object for. */
export const expandSelection = (expand: Expansion | null) => (expand ? { range: expand.range, top: limits.historyItemsPerExpand } : null);

type ActivityBody = z.infer<typeof activityBodySchema>;

/** The 413 a PUT of the GET's body would get, for a write whose activity would be `bytes` bytes as a GET answers it. */
const tooLargeToSendBack = (bytes: number) =>
  new GraphError(
    413,
    "requestTooLarge",
    `The activity would be ${bytes} bytes as a GET answers it, more than the ${limits.bodyBytes} bytes a request body may hold, so it could not be sent back; nothing was stored.`,
  );

/** PUT and POST: checks what only the Worker can (ids), then has the activity's object write it; the answer, and whether it was created. */
async function writeActivity(c: Context<AppEnv>, appActivityId: string, body: ActivityBody, mode: "create" | "upsert") {
  const caller = c.get("caller");
  const id = await activityIdFor(caller, appActivityId);
  checkBodyId(body, id);
  const historyItems = (body.historyItems ?? []).map((item) => toHistoryItemWrite(item.id ?? crypto.randomUUID(), item));
  const ids = historyItems.map((item) => item.id);
  const repeated = ids.find((itemId, index) => ids.indexOf(itemId) !== index);
  if (repeated) throw badRequest(`The history item id '${repeated}' appears more than once in historyItems.`);

  const content = JSON.stringify(toActivityContent(body));
  const bytes = sentBackBytes(appActivityId, content);
  if (bytes > limits.bodyBytes) throw tooLargeToSendBack(bytes);
  const put = { owner: caller, id, appActivityId, content, historyItems };
  const stub = activityObject(c.env, caller, id);
  const result: ActivityPutResult = await callObject(stub, (activity) =>
    mode === "create" ? activity.createActivity(put) : activity.putActivity(put),
  );
  if (result.kind === "conflict") throw conflict(`The activity id '${id}' is already used by another appActivityId.`);
  if (result.kind === "exists") {
    throw conflict(`An activity with appActivityId '${appActivityId}' already exists (id '${id}'); PATCH or PUT it to change it.`);
  }
  return {
    answer: activityAnswer(c, { activity: result.activity, historyItems: body.historyItems ? result.historyItems : null }),
    created: result.kind === "created",
  };
}

/** POST /activities, and PUT, GET, PATCH and DELETE of /activities/{id}. */
export const activityRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createActivity, async (c) => {
    const body = c.req.valid("json");
    const { answer } = await writeActivity(c, body.appActivityId, body, "create");
    return c.json(answer, 201);
  })
  .openapi(putActivity, async (c) => {
    const appActivityId = appActivityIdFrom(c.req.url);
    const body = c.req.valid("json");
    if (body.appActivityId != null && body.appActivityId !== appActivityId) {
      throw badRequest(`The appActivityId in the body ('${body.appActivityId}') must equal the one in the URL ('${appActivityId}').`);
    }
    const { answer, created } = await writeActivity(c, appActivityId, body, "upsert");
    return created ? c.json(answer, 201) : c.json(answer, 200);
  })
  .openapi(getActivity, async (c) => {
    const { id } = c.req.valid("param");
    const { $expand, $select } = c.req.valid("query");
    const found = await callObject(activityObject(c.env, c.get("caller"), id), (activity) =>
      activity.getActivity(expandSelection($expand)),
    );
    if (!found) throw activityNotFound(id);
    return c.json(activityAnswer(c, found, { select: $select, expand: $expand }), 200);
  })
  .openapi(patchActivity, async (c) => {
    const { id } = c.req.valid("param");
    const patch: unknown = await c.req.json();
    checkBodyId(patch, id);
    const result = await callObject(activityObject(c.env, c.get("caller"), id), (activity) => activity.patchActivity(patch));
    if (result.kind === "activity-not-found") throw activityNotFound(id);
    if (result.kind === "invalid") throw badRequest(describeIssues(result.issues, "request body"));
    if (result.kind === "too-large") throw tooLargeToSendBack(result.bytes);
    if (result.kind === "app-activity-id-differs") {
      throw badRequest(`The appActivityId in the body must equal the activity's own ('${result.appActivityId}'); it cannot be changed.`);
    }
    return c.json(activityAnswer(c, { activity: result.activity, historyItems: null }), 200);
  })
  .openapi(deleteActivity, async (c) => {
    const { id } = c.req.valid("param");
    if (!(await callObject(activityObject(c.env, c.get("caller"), id), (activity) => activity.deleteActivity())))
      throw activityNotFound(id);
    return c.body(null, 204);
  });
activityRoutes.openAPIRegistry.register("userActivityPatch", activityPatchSchema);
