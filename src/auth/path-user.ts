import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { GraphError, invalidRequest, quoted } from "../graph/errors";

const USERS_SEGMENT = /^(?:\/v1\.0|\/beta)?\/users\/([^/]*)/;

/**
 * Whose activities the path names. `/me` is the caller; `/users/{user}` must be the caller too,
 * by oid or user principal name (the token's upn or preferred_username), compared ignoring case
 * after percent-decoding; anyone else is a 403, since a user may act only on their own
 * activities. Sets `c.get("pathUser")`, the user as @odata.context names them in the form the request used.
 */
export function pathUser(): MiddlewareHandler<AppEnv> {
  return async function pathUser(c, next) {
    const caller = c.get("caller");
    const principalNames = c.get("principalNames");
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
      const own = [caller.userId, ...principalNames].map((name) => name.toLowerCase());
      if (!own.includes(user.toLowerCase())) {
        throw new GraphError(
          403,
          "accessDenied",
          `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of ${quoted(user)}.`,
        );
      }
      c.set("pathUser", user);
    }
    await next();
  };
}
