import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { GraphError, invalidRequest } from "./errors";

/** Rejects any query option the route does not support, naming it (400 invalidRequest). */
export function queryOptions(...supported: string[]): MiddlewareHandler<AppEnv> {
  return async function queryOptions(c, next) {
    for (const name of new URL(c.req.url).searchParams.keys()) {
      if (!supported.includes(name)) {
        const hint = supported.length ? `supported here: ${supported.join(", ")}` : "this request takes none";
        throw invalidRequest(`The query option '${name}' is not supported (${hint}).`);
      }
    }
    await next();
  };
}

/** 405 for a known path with the wrong method, naming the allowed ones. */
export function methodNotAllowed(allowed: string[]): MiddlewareHandler<AppEnv> {
  return async function methodNotAllowed(c) {
    throw new GraphError(405, "notAllowed", `The method ${c.req.method} is not allowed on this resource; use ${allowed.join(", ")}.`, {
      Allow: allowed.join(", "),
    });
  };
}
