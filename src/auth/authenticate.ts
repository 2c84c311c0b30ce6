import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { verifyAccessToken, verifyAdministratorToken } from "./verify-token";

/** The subprotocol a browser's WebSocket offers to say that the next one, `bearer.{token}`, carries its token. */
export const LIVE_SUBPROTOCOL = "graph-activities";

/** The WebSocket subprotocols a request offers, in order (none: an empty list). */
export const offeredSubprotocols = (request: Request) =>
  (request.headers.get("Sec-WebSocket-Protocol") ?? "")
    .split(",")
    .map((protocol) => protocol.trim())
    .filter(Boolean);

/**
 * The request's credentials: its Authorization header or, on a WebSocket upgrade (a browser cannot
 * set headers there), a `bearer.{token}` subprotocol offered beside `graph-activities`.
 */
function authorization(request: Request): string | undefined {
  const header = request.headers.get("Authorization");
  if (header !== null || request.headers.get("Upgrade")?.toLowerCase() !== "websocket") return header ?? undefined;
  const offered = offeredSubprotocols(request);
  const bearer = offered.find((protocol) => protocol.startsWith("bearer."));
  return bearer && offered.includes(LIVE_SUBPROTOCOL) ? `Bearer ${bearer.slice("bearer.".length)}` : undefined;
}

/** Verifies the bearer token and sets `c.get("caller")`, `c.get("principalNames")` and `c.get("tokenExpiresMs")`; failures become 401/403 Graph errors. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const { caller, principalNames, expiresMs } = await verifyAccessToken(authorization(c.req.raw), c.env, c.req.url);
    c.set("caller", caller);
    c.set("principalNames", principalNames);
    c.set("tokenExpiresMs", expiresMs);
    await next();
  };
}

/** Verifies an application token with the admin role and sets `c.get("administrator")`; failures become 401/403 Graph errors. */
export function authenticateAdministrator(): MiddlewareHandler<AppEnv> {
  return async function authenticateAdministrator(c, next) {
    c.set("administrator", await verifyAdministratorToken(c.req.header("Authorization"), c.env, c.req.url));
    await next();
  };
}
