import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { callObject } from "../graph/call-object";
import { GraphError, itemNotFound, quoted } from "../graph/errors";
import { jsonBody } from "../graph/json-body";
import { odataContext, versionPrefix } from "../graph/odata";
import { methodNotAllowed } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { validateEndpoints } from "../notifications/handshake";
import { checkEndpoint, lifetimeEnd, newSubscription } from "../notifications/subscription-request";
import { feedObject } from "../objects/addresses";
import type { SubscriptionChanges, SubscriptionRecord } from "../objects/subscription-records";
import { errorResponse, errorResponses } from "../schemas/error";
import { GUID_PATTERN, jsonContent } from "../schemas/common";
import { queryOptions } from "../schemas/query";
import {
  subscriptionCreateSchema,
  subscriptionIdSchema,
  subscriptionListSchema,
  subscriptionPatchSchema,
  subscriptionSchema,
  toSubscriptionResource,
} from "../schemas/subscription";

// Graph's /subscriptions, for change notifications of the caller's activities: the Worker judges
// each request and runs the validation handshake; the caller's feed keeps the subscriptions and
// delivers to them. A subscription belongs to one feed (tenant, user, app): any other caller's is not found.

const noOptions = queryOptions({});
const idParams = z.object({ id: subscriptionIdSchema });

const ITEM_PATH = "/subscriptions/{id}";

/** The 400s of a write that runs the handshake: a body's problem, or an endpoint that failed it (ValidationError, as Graph's). */
const handshakeErrors = {
  400: errorResponse(
    "Invalid body or query option (BadRequest, invalidRequest), or an endpoint failed the validation handshake (ValidationError).",
    {
      invalidRequest: ["invalidRequest", "The query option '$search' is not supported (this request takes none)."],
      BadRequest: [
        "BadRequest",
        "Invalid value for 'notificationUrl': expected an https URL (plain http only to a loopback address: localhost, 127.0.0.0/8 or [::1], where the deployment allows it); got 'http://contoso.com/hook'.",
      ],
      ValidationError: [
        "ValidationError",
        "Subscription validation request failed. The notificationUrl 'https://webhook.azurewebsites.net/api/send/myNotifyClient' failed: it answered 404 instead of 200. An endpoint must answer the POST of {url}?validationToken={token} with 200 and the token, exactly, as text/plain, within 10 s; nothing was stored.",
      ],
    },
  ),
};

const notFound = {
  404: errorResponse("No live subscription with this id for this user and app (itemNotFound).", {
    itemNotFound: ["itemNotFound", "The subscription '7f105c7d-2dc5-4530-97cd-4e7ae6534c07' does not exist."],
  }),
};

const createSubscription = createRoute({
  method: "post",
  path: "/subscriptions",
  summary: "Subscribe to changes of the caller's activities",
  tags: ["continuity"],
  description:
    "Creates a subscription (Graph's change notifications) once each endpoint has passed the validation handshake: a POST of " +
    "{url}?validationToken={token} answered within 10 s with 200 and the token as text/plain. Nothing is stored otherwise. " +
    `At most ${limits.subscriptionsPerFeed} live subscriptions per user and app. Ours: Graph has no subscriptions to activities.`,
  middleware: [jsonBody()] as const,
  request: { query: noOptions, body: { required: true, content: jsonContent(subscriptionCreateSchema) } },
  responses: {
    201: {
      description: "Created.",
      headers: z.object({ Location: z.string().openapi({ description: "The subscription's URL." }) }),
      content: jsonContent(subscriptionSchema),
    },
    ...errorResponses(400, 413, 415, 429),
    ...handshakeErrors,
    403: errorResponse(
      "The token lacks the scope or is app-only, the resource names another user, or the feed holds its limit of live subscriptions (accessDenied).",
      {
        accessDenied: [
          "accessDenied",
          `This user and app already have ${limits.subscriptionsPerFeed} live subscriptions, the most allowed; delete one, or let one expire, first.`,
        ],
      },
    ),
  },
});

const listSubscriptions = createRoute({
  method: "get",
  path: "/subscriptions",
  summary: "List the caller's subscriptions",
  tags: ["continuity"],
  description: "The live subscriptions of this user and app, oldest first.",
  request: { query: noOptions },
  responses: { 200: { description: "The subscriptions.", content: jsonContent(subscriptionListSchema) }, ...errorResponses(400, 429) },
});

const getSubscription = createRoute({
  method: "get",
  path: ITEM_PATH,
  summary: "Get a subscription",
  tags: ["continuity"],
  request: { params: idParams, query: noOptions },
  responses: {
    200: { description: "The subscription.", content: jsonContent(subscriptionSchema) },
    ...errorResponses(400, 404, 429),
    ...notFound,
  },
});

const patchSubscription = createRoute({
  method: "patch",
  path: ITEM_PATH,
  summary: "Renew a subscription, or move its notificationUrl",
  tags: ["continuity"],
  description:
    "Changes expirationDateTime (the same limits as at creation) and notificationUrl (after the validation handshake); nothing else. Answers the whole subscription.",
  middleware: [jsonBody()] as const,
  request: { params: idParams, query: noOptions, body: { required: true, content: jsonContent(subscriptionPatchSchema) } },
  responses: {
    200: { description: "Updated.", content: jsonContent(subscriptionSchema) },
    ...errorResponses(400, 404, 413, 415, 429),
    ...handshakeErrors,
    ...notFound,
  },
});

const deleteSubscription = createRoute({
  method: "delete",
  path: ITEM_PATH,
  summary: "Delete a subscription",
  tags: ["continuity"],
  description: "Nothing more is delivered for it.",
  request: { params: idParams, query: noOptions },
  responses: { 204: { description: "Deleted." }, ...errorResponses(400, 404, 429), ...notFound },
});

const reauthorizeSubscription = createRoute({
  method: "post",
  path: `${ITEM_PATH}/reauthorize`,
  summary: "Reauthorize a subscription",
  tags: ["continuity"],
  description: "Answers a reauthorizationRequired lifecycle notification; it renews no lifetime (PATCH expirationDateTime does).",
  request: { params: idParams, query: noOptions },
  responses: { 204: { description: "Reauthorized." }, ...errorResponses(400, 404, 429), ...notFound },
});

/** The 404 of a subscription this caller does not have (another's, expired, deleted, or never one). */
const subscriptionNotFound = (id: string) => itemNotFound(`The subscription ${quoted(id)} does not exist.`);

/** The stored id a URL's {id} names (ids are lowercase GUIDs); anything but a GUID names none. */
function subscriptionKey(id: string): string {
  if (!GUID_PATTERN.test(id)) throw subscriptionNotFound(id);
  return id.toLowerCase();
}

/** A subscription as an answer of its own carries it: with its @odata.context. */
const subscriptionAnswer = (c: Context<AppEnv>, record: SubscriptionRecord) => ({
  "@odata.context": odataContext(c.req.url, "subscriptions/$entity"),
  ...toSubscriptionResource(record),
});

/** The caller's feed, which keeps their subscriptions. */
const feedOf = (c: Context<AppEnv>) => feedObject(c.env, c.get("caller"));

/** POST, GET and the routes of one subscription. */
export const subscriptionRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createSubscription, async (c) => {
    const url = new URL(c.req.url);
    const asker = { caller: c.get("caller"), principalNames: c.get("principalNames"), env: c.env };
    const { subscription, endpoints } = await newSubscription(c.req.valid("json"), asker, url.origin, Date.now());
    await validateEndpoints(endpoints);
    const created = await callObject(feedOf(c), (feed) => feed.createSubscription(subscription));
    if (created.kind === "limit") {
      throw new GraphError(
        403,
        "accessDenied",
        `This user and app already have ${created.limit} live subscriptions, the most allowed; delete one, or let one expire, first.`,
      );
    }
    const location = `${url.origin}${versionPrefix(url.pathname)}/subscriptions/${created.subscription.id}`;
    return c.json(subscriptionAnswer(c, created.subscription), 201, { Location: location });
  })
  .openapi(listSubscriptions, async (c) => {
    const records = await callObject(feedOf(c), (feed) => feed.listSubscriptions());
    return c.json({ "@odata.context": odataContext(c.req.url, "subscriptions"), value: records.map(toSubscriptionResource) }, 200);
  })
  .openapi(getSubscription, async (c) => {
    const { id } = c.req.valid("param");
    const key = subscriptionKey(id);
    const record = await callObject(feedOf(c), (feed) => feed.getSubscription(key));
    if (!record) throw subscriptionNotFound(id);
    return c.json(subscriptionAnswer(c, record), 200);
  })
  .openapi(patchSubscription, async (c) => {
    const { id } = c.req.valid("param");
    const key = subscriptionKey(id);
    const body = c.req.valid("json");
    const changes: SubscriptionChanges = {};
    if (body.expirationDateTime !== undefined) changes.expirationMs = lifetimeEnd(body.expirationDateTime, Date.now());
    if (body.notificationUrl !== undefined) checkEndpoint({ property: "notificationUrl", url: body.notificationUrl }, c.env);
    const stub = feedOf(c);
    const current = await callObject(stub, (feed) => feed.getSubscription(key));
    if (!current) throw subscriptionNotFound(id);
    if (body.notificationUrl !== undefined && body.notificationUrl !== current.notificationUrl) {
      await validateEndpoints([{ property: "notificationUrl", url: body.notificationUrl }]);
      changes.notificationUrl = body.notificationUrl;
    }
    const updated = await callObject(stub, (feed) => feed.updateSubscription(key, changes));
    if (!updated) throw subscriptionNotFound(id);
    return c.json(subscriptionAnswer(c, updated), 200);
  })
  .openapi(deleteSubscription, async (c) => {
    const { id } = c.req.valid("param");
    const key = subscriptionKey(id);
    if (!(await callObject(feedOf(c), (feed) => feed.deleteSubscription(key)))) throw subscriptionNotFound(id);
    return c.body(null, 204);
  })
  .openapi(reauthorizeSubscription, async (c) => {
    const { id } = c.req.valid("param");
    const key = subscriptionKey(id);
    if (!(await callObject(feedOf(c), (feed) => feed.reauthorizeSubscription(key)))) throw subscriptionNotFound(id);
    return c.body(null, 204);
  })
  // A known path with the wrong method: after every route, so that only a method no route takes gets here.
  .all("/subscriptions", methodNotAllowed(["GET", "POST"]))
  .all("/subscriptions/:id/reauthorize", methodNotAllowed(["POST"]))
  .all("/subscriptions/:id", methodNotAllowed(["GET", "PATCH", "DELETE"]));
