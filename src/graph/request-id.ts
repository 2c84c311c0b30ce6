import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";

const CLIENT_REQUEST_ID_MAX = 128;

/** The client-request-id to echo: the caller's when well-formed, else `fallback` (as Graph does, the request id). */
export function echoedClientRequestId(sent: string | null | undefined, fallback: string): string {
  return sent && sent.length <= CLIENT_REQUEST_ID_MAX && /^[\x21-\x7e]+$/.test(sent) ? sent : fallback;
}

/** Gives every request a `request-id` and echoes a well-formed `client-request-id`, as Graph does. */
export function requestId(): MiddlewareHandler<AppEnv> {
  return async function requestId(c, next) {
    const id = crypto.randomUUID();
    const clientRequestId = echoedClientRequestId(c.req.header("client-request-id"), id);
    c.set("requestId", id);
    c.set("clientRequestId", clientRequestId);
    // Set before the answer exists, so every answer is made with them: set after, each would copy the answer.
    c.header("request-id", id);
    c.header("client-request-id", clientRequestId);
    await next();
  };
}
