import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { verifyAccessToken, verifyAdministratorToken } from "./verify-token";

/** Verifies the bearer token and sets `c.get("caller")` and `c.get("principalNames")`; failures become 401/403 Graph errors. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const { caller, principalNames } = await verifyAccessToken(c.req.header("Authorization"), c.env, c.req.url);
    c.set("caller", caller);
    c.set("principalNames", principalNames);
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
