import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { verifyAccessToken } from "./verify-token";

/** Verifies the bearer token and sets `c.var.caller`; failures become 401/403 Graph errors. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    c.set("caller", await verifyAccessToken(c.req.header("Authorization"), c.env));
    await next();
  };
}
