import type { Administrator, Caller } from "./auth/verify-token";

/** Hono's typing of this app: the Worker's bindings and what middleware puts on the context (read with `c.get`: hono builds a new object for each read of `c.var`). */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    /** This request's id, returned as `request-id`. */
    requestId: string;
    /** The caller's `client-request-id`, or the request id when none was sent (as Graph does). */
    clientRequestId: string;
    caller: Caller;
    /** The caller's user principal names from the token (upn, preferred_username). */
    principalNames: string[];
    /** When the caller's token stops being accepted, in epoch ms (a live socket is closed then). */
    tokenExpiresMs: number;
    /** The user as the request's path names them: the caller's oid for /me, the decoded {user} of /users/{user}. */
    pathUser: string;
    /** On the admin routes: the tenant's administrative application. */
    administrator: Administrator;
    /** The request as received, when canonicalRequest rewrote it. */
    received: Request;
  };
};
