import type { Caller } from "./auth/verify-token";

/** Hono's typing of this app: the Worker's bindings and what middleware puts on `c.var`. */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    /** This request's id, returned as `request-id`. */
    requestId: string;
    /** The caller's `client-request-id`, or the request id when none was sent (as Graph does). */
    clientRequestId: string;
    caller: Caller;
  };
};
