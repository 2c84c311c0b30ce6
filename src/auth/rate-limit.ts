import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { GraphError } from "../graph/errors";

/** Seconds a throttled client is told to wait: the limiters' period (wrangler.toml). */
const RETRY_AFTER_SECONDS = 60;

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Per-user throttling, as Graph throttles this API: reads and writes counted separately for
 * (tenant, user) across apps. Off unless RATE_LIMITING is "on"; 429 TooManyRequests with Retry-After.
 */
export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    if (c.env.RATE_LIMITING === "on") {
      const limiter = READS.has(c.req.method) ? c.env.READ_LIMITER : c.env.WRITE_LIMITER;
      const { tenantId, userId } = c.get("caller");
      const { success } = await limiter.limit({ key: JSON.stringify([tenantId, userId]) });
      if (!success) {
        throw new GraphError(429, "TooManyRequests", `Too many requests for this user; retry after ${RETRY_AFTER_SECONDS} seconds.`, {
          "Retry-After": String(RETRY_AFTER_SECONDS),
        });
      }
    }
    await next();
  };
}
