import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";

/**
 * One structured JSON line for each error answer (status 400 and up; Workers Logs indexes the
 * fields): the request id a client quotes when it reports one, method, route pattern, status,
 * duration and the caller's tenant. A success writes none: Workers' own invocation log already
 * records its method, path, status and duration, and a line per request would double the log
 * volume and, under `wrangler dev`, cost a fifth of the Worker's time. Never a token or a body.
 */
export function accessLog(): MiddlewareHandler<AppEnv> {
  return async function accessLog(c, next) {
    const started = performance.now();
    await next();
    if (c.res.status < 400) return;
    console.log(
      JSON.stringify({
        level: c.res.status >= 500 ? "error" : "info",
        requestId: c.get("requestId"),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        tenantId: c.get("caller")?.tenantId ?? c.get("administrator")?.tenantId ?? null,
      }),
    );
  };
}
