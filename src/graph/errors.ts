import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { limits } from "../limits";

/** A failure that reaches the client as Graph's error envelope with this status and code. */
export class GraphError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "GraphError";
  }
}

/** The first limits.quotedChars characters of client input, never half a surrogate pair; undefined when it is no longer. */
function cut(text: string): string | undefined {
  if (text.length <= limits.quotedChars) return undefined;
  const end = /[\uD800-\uDBFF]/.test(text[limits.quotedChars - 1]!) ? limits.quotedChars - 1 : limits.quotedChars;
  return text.slice(0, end);
}

/**
 * Client input as an error message quotes it, in single quotes: whole when short, else its first
 * limits.quotedChars characters and its length, so that a message never grows with the input.
 */
export function quoted(text: string): string {
  const start = cut(text);
  return start === undefined ? `'${text}'` : `'${start}…' (${text.length} characters)`;
}

/** Client input as `quoted` shortens it, without the quotes (for a list such as a cycle of ids). */
export function excerpt(text: string): string {
  const start = cut(text);
  return start === undefined ? text : `${start}… (${text.length} characters)`;
}

export const badRequest = (message: string) => new GraphError(400, "BadRequest", message);
export const invalidRequest = (message: string) => new GraphError(400, "invalidRequest", message);
export const itemNotFound = (message: string) => new GraphError(404, "itemNotFound", message);
export const conflict = (message: string) => new GraphError(409, "conflict", message);

/** The activity does not exist for this caller (or has expired): 404, never 403. */
export const activityNotFound = (id: string) => itemNotFound(`The activity '${id}' does not exist.`);

/** A $skiptoken this service did not issue for this request. */
export const invalidSkiptoken = () =>
  invalidRequest("The $skiptoken is not valid for this request: use @odata.nextLink exactly as returned.");

/** A delta token this service did not issue to this caller, or altered. */
export const invalidDeltaToken = () =>
  invalidRequest(
    "The $skiptoken or $deltatoken is not valid for this request: use @odata.nextLink and @odata.deltaLink exactly as returned.",
  );

/** A delta token past the horizon or from before an erasure: 410, and `location` starts a new round. */
export const syncStateNotFound = (location: string) =>
  new GraphError(
    410,
    "syncStateNotFound",
    "The delta token has expired or its sync state was reset; start a new round at the Location given.",
    {
      Location: location,
    },
  );

/** Graph's error body: `{"error":{"code","message","innerError":{date, request-id, client-request-id}}}`. */
export function errorBody(code: string, message: string, requestId: string, clientRequestId: string) {
  return {
    error: {
      code,
      message,
      innerError: {
        // Graph writes this date without fractional seconds or zone designator.
        date: new Date().toISOString().slice(0, 19),
        "request-id": requestId,
        "client-request-id": clientRequestId,
      },
    },
  };
}

/** Any failure as the Graph error it is answered with: an unexpected one is logged, and is a 500. */
export function toGraphError(error: unknown, requestId: string): GraphError {
  if (error instanceof GraphError) return error;
  // Hono's validators throw these only for input they cannot read.
  if (error instanceof HTTPException) return new GraphError(400, "BadRequest", error.message);
  console.error(
    JSON.stringify({ level: "error", requestId, message: String(error), stack: error instanceof Error ? error.stack : undefined }),
  );
  return new GraphError(500, "generalException", "An internal error occurred; quote the request-id if you report it.");
}
