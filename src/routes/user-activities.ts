import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { methodNotAllowed } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { activityRoutes } from "./activities";
import { deltaRoutes } from "./delta";
import { feedRoutes } from "./feed";
import { historyItemRoutes } from "./history-items";
import { liveRoutes } from "./live";

/**
 * Every route on a user's activities, relative to the user: declared once, and mounted under
 * `/me` and `/users/{user}` (as the whole API is mounted once per version prefix).
 */
export const userActivityRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  // The feed's static paths (/activities/recent, /activities/$count, delta, live) go before /activities/{id}.
  .route("/", feedRoutes)
  .route("/", deltaRoutes)
  .route("/", liveRoutes)
  .route("/", activityRoutes)
  .route("/", historyItemRoutes)
  // A known path with the wrong method: after every route, so that only a method no route takes gets here.
  .all("/activities", methodNotAllowed(["GET", "POST"]))
  .all("/activities/:id/historyItems/$count", methodNotAllowed(["GET"]))
  .all("/activities/:id/historyItems/:historyItemId/activity", methodNotAllowed(["GET"]))
  .all("/activities/:id/historyItems/:historyItemId", methodNotAllowed(["GET", "PUT", "PATCH", "DELETE"]))
  .all("/activities/:id/historyItems", methodNotAllowed(["GET", "POST"]))
  .all("/activities/:id", methodNotAllowed(["GET", "PUT", "PATCH", "DELETE"]));
