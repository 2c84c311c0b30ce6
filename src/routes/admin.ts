import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { authenticateAdministrator } from "../auth/authenticate";
import { callObject } from "../graph/call-object";
import { GraphError, itemNotFound } from "../graph/errors";
import { isMediaType } from "../graph/json-body";
import { methodNotAllowed } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { feedObject, userObject } from "../objects/addresses";
import type { UserKey } from "../objects/records";
import { activitySchema, EXAMPLE_APP_ACTIVITY_ID } from "../schemas/activity";
import { guidSchema, jsonContent } from "../schemas/common";
import { errorResponse, errorResponses, registerErrorResponses } from "../schemas/error";
import { erasureOperationSchema, toErasureOperationResource } from "../schemas/operation";
import { queryOptions } from "../schemas/query";
import { subscriptionSchema, type SubscriptionResource, toSubscriptionResource } from "../schemas/subscription";
import { importSummarySchema } from "../schemas/user-import";
import { registeredApps } from "./user-apps";
import { userExport } from "./user-export";
import { userImport } from "./user-import";

// A tenant administrator's duties: hand one user their data, bring it back, and erase it. Called by the
// tenant's own daemon app (an application token with the admin role), never by a user, and only
// ever about users of the token's own tenant.

/** The development token's user and app (`npm run token`), whom the examples name. */
const DEV_USER = "00000000-0000-0000-0000-00000000a11c";
const DEV_APP = "11111111-2222-3333-4444-555555555555";

const userParams = z.object({
  oid: z
    .string()
    .min(1)
    .max(limits.identityClaimChars, `expected a user's object id (oid) of at most ${limits.identityClaimChars} characters`)
    .openapi({
      description: "The user's object id (the oid claim of their tokens), in the administrator's own tenant.",
      example: DEV_USER,
    }),
});

const noOptions = queryOptions({});

const operationParams = userParams.extend({
  operationId: guidSchema.openapi({ description: "The erasure's id, from the Location of the DELETE." }),
});

/** The errors an admin route documents: Graph's envelope, as for every route, with what 403, 404 and 415 mean here. */
const adminErrors = (...statuses: (400 | 404 | 415)[]) => ({
  ...errorResponses(...statuses),
  403: errorResponse(
    "Not an application token with the admin role (ADMIN_ROLE): a delegated token, or one without the role (accessDenied).",
    { accessDenied: ["accessDenied", "Insufficient privileges: the application token needs the app role UserActivity.Admin."] },
  ),
  ...(statuses.includes(404)
    ? {
        404: errorResponse("No such operation for this user (itemNotFound).", {
          itemNotFound: ["itemNotFound", "No erasure '9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c' exists for this user."],
        }),
      }
    : {}),
  ...(statuses.includes(415)
    ? {
        415: errorResponse("The body is not application/x-ndjson (UnsupportedMediaType).", {
          UnsupportedMediaType: [
            "UnsupportedMediaType",
            "The request body must be NDJSON (one JSON object a line): send 'Content-Type: application/x-ndjson' (got 'application/json').",
          ],
        }),
      }
    : {}),
});

// Graph's example times, as the export prints them, with the expiry the service sets 30 days after the
// last write: an import refuses times to come, so the example is long expired and imports as expired.
const EXAMPLE_CREATED = "2015-02-11T20:54:24.345Z";
const EXAMPLE_STARTED = "2015-02-11T20:54:04.345Z";
const EXAMPLE_EXPIRES = "2015-03-13T20:54:24.345Z";

/**
 * A line as the export prints it: Graph's example activity with its example session, of the
 * development token's app, so that a documentation tool's generated import body is accepted (and
 * counted as expired) for the development user; its id is the one the development tenant, user and app derive from its appActivityId.
 */
const EXAMPLE_EXPORT_LINE = {
  id: "16520794114987075966",
  appActivityId: EXAMPLE_APP_ACTIVITY_ID,
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?id=12345",
  appDisplayName: "Contoso, Ltd.",
  fallbackUrl: "https://www.contoso.com/article?id=12345",
  contentUrl: "https://www.contoso.com/article?id=12345",
  visualElements: {
    displayText: "Contoso How-To: How to Tie a Reef Knot",
    description: "How to Tie a Reef Knot. A step-by-step visual guide to the art of nautical knot-tying.",
    backgroundColor: "#ff0000",
    content: {
      $schema: "https://adaptivecards.io/schemas/adaptive-card.json",
      type: "AdaptiveCard",
      body: [{ type: "TextBlock", text: "Contoso MainPage" }],
    },
    attribution: {
      iconUrl: "https://www.contoso.com/icon",
      alternateText: "Contoso, Ltd.",
      alternativeText: "Contoso, Ltd.",
      addImageQuery: false,
    },
  },
  contentInfo: { "@context": "https://schema.org", "@type": "Article", author: "Jennifer Booth", name: "How to Tie a Reef Knot" },
  userTimezone: "Africa/Casablanca",
  createdDateTime: EXAMPLE_CREATED,
  lastModifiedDateTime: EXAMPLE_CREATED,
  expirationDateTime: EXAMPLE_EXPIRES,
  status: "active",
  historyItems: [
    {
      id: "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c",
      status: "active",
      userTimezone: "Africa/Casablanca",
      createdDateTime: EXAMPLE_CREATED,
      lastModifiedDateTime: EXAMPLE_CREATED,
      startedDateTime: EXAMPLE_STARTED,
      lastActiveDateTime: EXAMPLE_CREATED,
      expirationDateTime: EXAMPLE_EXPIRES,
      activeDurationSeconds: 20,
    },
  ],
  appId: DEV_APP,
};

/** A line of the export, and of an import's body. */
const exportLineSchema = activitySchema.extend({ appId: z.string() }).openapi("userActivityExportLine", { example: EXAMPLE_EXPORT_LINE });

const exportRoute = createRoute({
  method: "get",
  path: "/admin/users/{oid}/activities",
  summary: "Export a user's activities",
  tags: ["export"],
  description:
    "Every live activity of the user, across apps, each with all its history items: one JSON object per line (NDJSON), streamed. " +
    "Each line is the activity as GET /me/activities/{id}?$expand=historyItems shows it, without @odata.context, plus appId.",
  request: { params: userParams, query: noOptions },
  responses: {
    200: {
      description:
        "The export, one activity per line; a stream that ends without a final newline was cut short, and should be fetched again.",
      content: { "application/x-ndjson": { schema: exportLineSchema } },
    },
    ...adminErrors(400),
  },
});

const importRoute = createRoute({
  method: "post",
  path: "/admin/users/{oid}/activities",
  tags: ["import"],
  summary: "Import a user's activities",
  description:
    "Restores an export of this path (the NDJSON its GET answers) for the user: each line's activity and history items with their own ids, times, status and expiry, unless one here was modified as late or later. " +
    "Idempotent: importing the same export again changes nothing. Read as it streams, a line at a time; a line that cannot be imported is reported with its number, and the rest are imported.",
  request: {
    params: userParams,
    query: noOptions,
    body: {
      required: true,
      description: `An export, one activity per line (at most ${limits.importLineBytes} bytes each); each line names its app (appId).`,
      content: { "application/x-ndjson": { schema: exportLineSchema } },
    },
  },
  responses: {
    200: {
      description:
        "The body was read to its end: what was imported, skipped and refused, line by line (failedLines is 0 when all was imported).",
      content: jsonContent(importSummarySchema),
    },
    ...adminErrors(400, 415),
  },
});

const eraseRoute = createRoute({
  method: "delete",
  path: "/admin/users/{oid}",
  summary: "Erase a user's data",
  tags: ["erasure"],
  description:
    "Starts erasing everything of the user written before now, across apps: activities, history items, feed entries, tombstones, cursor keys, the registry's list of apps. " +
    "Answers at once; follow Location. While an erasure of this user runs, another DELETE answers that one.",
  request: { params: userParams, query: noOptions },
  responses: {
    202: {
      description: "Accepted: the erasure runs in the background.",
      headers: z.object({ Location: z.string().openapi({ description: "The operation's URL." }) }),
      content: jsonContent(erasureOperationSchema),
    },
    ...adminErrors(400),
  },
});

const operationRoute = createRoute({
  method: "get",
  path: "/admin/users/{oid}/operations/{operationId}",
  summary: "Get an erasure's status",
  tags: ["erasure"],
  request: { params: operationParams, query: noOptions },
  responses: {
    200: {
      description: "The erasure: running, or succeeded, with what it erased.",
      content: jsonContent(erasureOperationSchema),
    },
    ...adminErrors(400, 404),
  },
});

const subscriptionsRoute = createRoute({
  method: "get",
  path: "/admin/users/{oid}/subscriptions",
  summary: "List a user's subscriptions",
  tags: ["subscriptions"],
  description:
    "Every live subscription (change notifications, POST /subscriptions) of the user, across apps: by app id, then oldest first, each as Graph's subscription resource.",
  request: { params: userParams, query: noOptions },
  responses: {
    200: {
      description: "The user's subscriptions.",
      content: jsonContent(z.object({ value: z.array(subscriptionSchema) }).openapi("userSubscriptions")),
    },
    ...adminErrors(400),
  },
});

/** The user an administrator names: always one of the administrator's own tenant. */
const userOf = (administrator: { tenantId: string }, oid: string): UserKey => ({ tenantId: administrator.tenantId, userId: oid });

/** The operation's absolute URL, as Location carries it. */
const operationUrl = (requestUrl: string, oid: string, id: string) =>
  `${new URL(requestUrl).origin}/admin/users/${encodeURIComponent(oid)}/operations/${id}`;

/** The admin routes: export, import and erasure of one user's data, and the list of their subscriptions. */
export const adminRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
adminRoutes.use("/admin/users/*", authenticateAdministrator());
adminRoutes
  .openapi(exportRoute, async (c) => {
    const { oid } = c.req.valid("param");
    const body = await userExport(c.env, userOf(c.get("administrator"), oid), c.get("requestId"));
    // zod-openapi types every application/…json… media type as a JSON body, NDJSON included: hence the cast.
    return c.body(body, 200, { "Content-Type": "application/x-ndjson" }) as never;
  })
  .openapi(importRoute, async (c) => {
    const { oid } = c.req.valid("param");
    const type = c.req.header("Content-Type");
    if (!type || !isMediaType(type, "application/x-ndjson")) {
      throw new GraphError(
        415,
        "UnsupportedMediaType",
        `The request body must be an export, NDJSON in UTF-8: send 'Content-Type: application/x-ndjson' (got '${type ?? "none"}').`,
      );
    }
    return c.json(await userImport(c.env, userOf(c.get("administrator"), oid), c.req.raw.body, c.get("requestId")), 200);
  })
  .openapi(subscriptionsRoute, async (c) => {
    const user = userOf(c.get("administrator"), c.req.valid("param").oid);
    const value: SubscriptionResource[] = [];
    // At most limits.subscriptionsPerFeed per app.
    for await (const appId of registeredApps(c.env, user)) {
      const records = await callObject(feedObject(c.env, { ...user, appId }), (feed) => feed.listSubscriptions());
      value.push(...records.map(toSubscriptionResource));
    }
    return c.json({ value }, 200);
  })
  .openapi(eraseRoute, async (c) => {
    const { oid } = c.req.valid("param");
    const user = userOf(c.get("administrator"), oid);
    const request = await callObject(userObject(c.env, user), (registry) => registry.requestErasure(user));
    return c.json(toErasureOperationResource(request.erasure), 202, { Location: operationUrl(c.req.url, oid, request.erasure.id) });
  })
  .openapi(operationRoute, async (c) => {
    const { oid, operationId } = c.req.valid("param");
    const erasure = await callObject(userObject(c.env, userOf(c.get("administrator"), oid)), (registry) =>
      registry.erasure(operationId.toLowerCase()),
    );
    if (!erasure) throw itemNotFound(`No erasure '${operationId}' exists for this user.`);
    return c.json(toErasureOperationResource(erasure), 200);
  })
  .all("/admin/users/:oid", methodNotAllowed(["DELETE"]))
  .all("/admin/users/:oid/activities", methodNotAllowed(["GET", "POST"]))
  .all("/admin/users/:oid/subscriptions", methodNotAllowed(["GET"]))
  .all("/admin/users/:oid/operations/:operationId", methodNotAllowed(["GET"]));
registerErrorResponses(adminRoutes.openAPIRegistry);
adminRoutes.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
  type: "http",
  scheme: "bearer",
  bearerFormat: "JWT",
  description:
    "An application token (client credentials) with the admin app role (ADMIN_ROLE, UserActivity.Admin by default). " +
    "Running locally (npm run dev), `npm run -s token -- --app-only` prints one. Deployed, it is a Microsoft Entra ID " +
    "token that a daemon app granted the role gets for this API (docs/deploying.md, step 5).",
});
