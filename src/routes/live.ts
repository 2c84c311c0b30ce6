import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { LIVE_SUBPROTOCOL, offeredSubprotocols } from "../auth/authenticate";
import { callObject } from "../graph/call-object";
import { GraphError } from "../graph/errors";
import { validationHook } from "../graph/validation";
import { feedObject } from "../objects/addresses";
import { liveSocketRequest } from "../objects/feed-live";
import { errorResponses } from "../schemas/error";
import { queryOptions } from "../schemas/query";

// GET /activities/live: a WebSocket told of each change of the caller's feed as it is applied (ours:
// Graph has nothing like it). The token was verified before the upgrade (authenticate), from the
// Authorization header or, for a browser, the `bearer.{token}` subprotocol.

const liveOperation = createRoute({
  method: "get",
  path: "/activities/live",
  tags: ["continuity"],
  summary: "Follow the caller's activities live (WebSocket)",
  description:
    "Upgrades to a WebSocket that receives one changeNotification-shaped JSON message per change of the feed " +
    "(changeType, resource, resourceData), then pull the change with your deltaLink. Browsers offer the subprotocols " +
    "'graph-activities' and 'bearer.{token}'; other clients may send Authorization. Closed (1008) when the token expires. Ours.",
  request: { query: queryOptions({}) },
  responses: {
    101: { description: "Switching protocols: the socket is open." },
    ...errorResponses(400, 426, 429),
  },
});

/** GET /activities/live. */
export const liveRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(liveOperation, async (c) => {
  if (c.req.header("Upgrade")?.toLowerCase() !== "websocket") {
    throw new GraphError(426, "upgradeRequired", "This resource is a WebSocket: send 'Upgrade: websocket'.", { Upgrade: "websocket" });
  }
  const offered = offeredSubprotocols(c.req.raw);
  if (offered.length > 0 && !offered.includes(LIVE_SUBPROTOCOL)) {
    throw new GraphError(400, "invalidRequest", `Offer the WebSocket subprotocol '${LIVE_SUBPROTOCOL}' (or none, with Authorization).`);
  }
  const opened = await callObject(feedObject(c.env, c.get("caller")), (feed) => feed.fetch(liveSocketRequest(c.get("tokenExpiresMs"))));
  // Accept the protocol, never echoing the token.
  const headers = offered.length > 0 ? { "Sec-WebSocket-Protocol": LIVE_SUBPROTOCOL } : undefined;
  return new Response(null, { status: 101, webSocket: opened.webSocket, headers }) as never;
});
