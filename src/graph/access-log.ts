import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";

/**
 * One structured JSON line per request (Workers Logs indexes the fields): request id, method,
 * route pattern, status, duration and the caller's tenant. Never a token or a body.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const started = performance.now();
    await next();
    console.log(
      JSON.stringify({
        level: c.res.status >= 500 ? "error" : "info",
        requestId: c.var.requestId,
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        tenantId: c.var.caller?.tenantId ?? null,
      }),
    );
  };
}
