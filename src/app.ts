import { OpenAPIHono } from "@hono/zod-openapi";
import { type Context, Hono } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "./app-env";
import { authenticate } from "./auth/authenticate";
import { pathUser } from "./auth/path-user";
import { rateLimit } from "./auth/rate-limit";
import { canonicalRequest } from "./graph/canonical-url";
import { errorBody, GraphError, quoted, toGraphError } from "./graph/errors";
import { accessLog } from "./graph/access-log";
import { noStore, withoutNoStore } from "./graph/no-store";
import { requestId } from "./graph/request-id";
import { sitePage } from "./graph/site-pages";
import { validationHook } from "./graph/validation";
import { adminRoutes } from "./routes/admin";
import { batchRoutes, type Dispatch } from "./routes/batch";
import { subscriptionRoutes } from "./routes/subscriptions";
import { jwksRoutes } from "./routes/jwks";
import { userActivityRoutes } from "./routes/user-activities";
import { registerErrorResponses } from "./schemas/error";

/**
 * The request headers Microsoft's Graph clients send (the classic client's and Kiota's telemetry,
 * retry and user-agent handlers, and the options their request builders set), which a browser
 * must be allowed to send in a preflight.
 */
const GRAPH_CLIENT_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept",
  "client-request-id",
  "return-client-request-id",
  "SdkVersion",
  "User-Agent",
  "Retry-Attempt",
  "Prefer",
  "ConsistencyLevel",
  "Cache-Control",
  "If-Match",
  "If-None-Match",
];

/**
 * The Graph API surface without a version prefix: the user's activity routes under /me and
 * /users/{user}, their subscriptions, and, given a `dispatch`, `$batch`, which runs its requests through it.
 */
export function buildApi(dispatch?: Dispatch) {
  const api = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  api.use("/me/*", authenticate(), rateLimit(), pathUser());
  api.use("/users/:user/*", authenticate(), rateLimit(), pathUser());
  api.route("/me", userActivityRoutes);
  api.route("/users/:user", userActivityRoutes);
  // Graph's change notifications: the caller's own subscriptions, whoever's activities they name (no pathUser).
  api.use("/subscriptions/*", authenticate(), rateLimit());
  api.route("/", subscriptionRoutes);
  // A batch request may address any path these routes begin with (me, users, subscriptions), and nothing else.
  const roots = new Set(api.routes.map((route) => route.path.split("/")[1]!));
  if (dispatch) api.route("/", batchRoutes({ dispatch, roots }));
  registerErrorResponses(api.openAPIRegistry);
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "A delegated (user) access token with the scope UserActivity.ReadWrite.CreatedByApp, pasted without 'Bearer '. " +
      "Running locally (npm run dev), `npm run -s token` prints one for a development user. " +
      "Deployed, it is a Microsoft Entra ID token for this API's app registration, such as " +
      '`az account get-access-token --scope "api://<API client id>/UserActivity.ReadWrite.CreatedByApp"` gives (docs/deploying.md). ' +
      "This page keeps it only while the tab is open.",
  });
  return api;
}

/** Answers with Graph's error envelope. */
function respond(c: Context<AppEnv>, failure: GraphError) {
  for (const [name, value] of Object.entries(failure.headers)) c.header(name, value);
  return c.json(errorBody(failure.code, failure.message, c.get("requestId"), c.get("clientRequestId")), failure.status);
}

/**
 * The Worker's app: request ids, the API under /v1.0, /beta and no prefix, the admin routes, the
 * validationTokens' key set, one error envelope; any other GET is a page of the site Worker (sitePage), such as the OpenAPI
 * documents (public/openapi.json and public/admin/openapi.json, from src/openapi.ts).
 */
export function buildApp() {
  // A batch's requests go through the same middleware and routes, as if each had been sent alone, in an
  // app that holds nothing else: no $batch, no admin routes, no site pages, so no url reaches them however spelled.
  // Built by the first batch, not at startup: most isolates never see one, and its routes cost startup CPU.
  let batched: ReturnType<typeof graphApp> | undefined;
  return graphApp((request, env, ctx) => (batched ??= graphApp(undefined)).fetch(request, env, ctx));
}

/** The app around the API; with a `dispatch` for `$batch`, the whole Worker: the batch, the admin routes and the site's pages too. */
function graphApp(dispatch: Dispatch | undefined) {
  // strict: false, so that a trailing slash names the same resource (Graph's own DELETE example ends in one).
  const app = new Hono<AppEnv>({ strict: false });
  const api = buildApi(dispatch);
  app.use(requestId());
  app.use(noStore());
  app.use(accessLog());
  // Bearer tokens, never cookies: any origin may call, as Graph allows single-page apps to. Only a
  // browser's request (preflights included) carries Origin; other clients get no CORS headers.
  const browserAccess = cors({
    origin: "*",
    allowMethods: ["GET", "PUT", "POST", "PATCH", "DELETE"],
    allowHeaders: GRAPH_CLIENT_HEADERS,
    exposeHeaders: ["WWW-Authenticate", "request-id", "client-request-id", "Retry-After", "Location", "Preference-Applied"],
    maxAge: 600,
  });
  app.use((c, next) => (c.req.header("Origin") === undefined ? next() : browserAccess(c, next)));
  app.use(canonicalRequest());
  for (const prefix of ["/v1.0", "/beta", "/"]) app.route(prefix, api);
  // Not Graph's: served once, without a version prefix, and out of $batch's reach.
  if (dispatch) app.route("/", adminRoutes);
  // The validationTokens' public keys, at the issuer's root ({iss}/.well-known/jwks.json), likewise.
  if (dispatch) app.route("/", jwksRoutes);

  app.notFound(async (c) => {
    const page = dispatch ? await withoutNoStore(c, () => sitePage(c)) : null;
    return page ?? respond(c, new GraphError(404, "itemNotFound", `No resource exists at ${quoted(new URL(c.req.url).pathname)}.`));
  });
  app.onError((error, c) => respond(c, toGraphError(error, c.get("requestId"))));
  return app;
}
