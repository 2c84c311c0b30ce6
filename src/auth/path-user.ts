import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { GraphError, invalidRequest, quoted } from "../graph/errors";
import type { Caller } from "./verify-token";

const USERS_SEGMENT = /^(?:\/v1\.0|\/beta)?\/users\/([^/]*)/;

/** Whether `user` (decoded) is the caller: their oid or one of their user principal names, ignoring case. */
export function isCaller(user: string, caller: Caller, principalNames: readonly string[]): boolean {
  return [caller.userId, ...principalNames].some((name) => name.toLowerCase() === user.toLowerCase());
}

/** The 403 for a path or resource that names another user than the caller. */
export const notTheCaller = (user: string) =>
  new GraphError(
    403,
    "accessDenied",
    `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of ${quoted(user)}.`,
  );

/**
 * Whose activities the path names. `/me` is the caller; `/users/{user}` must be the caller too,
 * by oid or user principal name (the token's upn or preferred_username), compared ignoring case
 * after percent-decoding; anyone else is a 403, since a user may act only on their own
 * activities. Sets `c.get("pathUser")`, the user as @odata.context names them in the form the request used.
 */
export function pathUser(): MiddlewareHandler<AppEnv> {
  return async function pathUser(c, next) {
    const caller = c.get("caller");
    const segment = USERS_SEGMENT.exec(new URL(c.req.url).pathname)?.[1];
    if (segment === undefined) {
      c.set("pathUser", caller.userId);
    } else {
      let user: string;
      try {
        user = decodeURIComponent(segment);
      } catch {
        throw invalidRequest("The user in the URL is not valid percent-encoding.");
      }
      if (!isCaller(user, caller, c.get("principalNames"))) throw notTheCaller(user);
      c.set("pathUser", user);
    }
    await next();
  };
}
