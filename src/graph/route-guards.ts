import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { GraphError } from "./errors";

/** 405 for a known path with the wrong method, naming the allowed ones. */
export function methodNotAllowed(allowed: string[]): MiddlewareHandler<AppEnv> {
  return async function methodNotAllowed(c) {
    throw new GraphError(405, "notAllowed", `The method ${c.req.method} is not allowed on this resource; use ${allowed.join(", ")}.`, {
      Allow: allowed.join(", "),
    });
  };
}
