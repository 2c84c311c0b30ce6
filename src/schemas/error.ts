import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { limits } from "../limits";

const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ description: "Graph's error code for the status, such as itemNotFound for a 404." }),
      message: z.string(),
      innerError: z.object({
        date: z.string(),
        "request-id": z.string(),
        "client-request-id": z.string(),
      }),
    }),
  })
  .openapi("odataError");

/** An error body as the service writes it, for a document's example (fixed ids and date). */
const errorExample = (code: string, message: string) => ({
  error: {
    code,
    message,
    innerError: {
      date: "2026-11-27T20:00:00",
      "request-id": "b1a3c5e7-2d4f-4a6b-8c0e-1f3a5c7e9b2d",
      "client-request-id": "b1a3c5e7-2d4f-4a6b-8c0e-1f3a5c7e9b2d",
    },
  },
});

type Header = { description: string; schema: { type: "integer" | "string" } };

/** One documented error response: what it means here, its headers, and named examples of the body the service sends. */
export function errorResponse(
  description: string,
  examples: Record<string, [code: string, message: string]>,
  headers?: Record<string, Header>,
) {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: {
      "application/json": {
        schema: { $ref: "#/components/schemas/odataError" },
        examples: Object.fromEntries(
          Object.entries(examples).map(([name, [code, message]]) => [name, { value: errorExample(code, message) }]),
        ),
      },
    },
  };
}

/** Seconds to wait, on the answers that ask the client to try again. */
const retryAfter = { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" as const } } };

const INVALID_DESCRIPTION = "Invalid request: the message names the property, segment or query option.";
const QUERY_OPTION: [string, string] = ["invalidRequest", "The query option '$search' is not supported (this request takes none)."];

// Each one's examples are the code and message the service sends with that status (src/graph/errors.ts and the middleware).
const ERROR_RESPONSES = {
  invalidRequest: errorResponse(INVALID_DESCRIPTION, { invalidRequest: QUERY_OPTION }),
  // An operation that takes a JSON body (the ones that document 415) answers BadRequest for the body.
  invalidRequestOrBody: errorResponse(INVALID_DESCRIPTION, {
    invalidRequest: QUERY_OPTION,
    BadRequest: ["BadRequest", "The request body is not valid JSON: Unexpected end of JSON input"],
  }),
  invalidAuthenticationToken: errorResponse("Missing or invalid access token (InvalidAuthenticationToken).", {
    InvalidAuthenticationToken: ["InvalidAuthenticationToken", "Lifetime validation failed: the token is expired."],
  }),
  accessDenied: errorResponse(
    "The token lacks the delegated scope UserActivity.ReadWrite.CreatedByApp, is app-only, or /users/{user} names someone other than the caller (accessDenied).",
    { accessDenied: ["accessDenied", "Insufficient privileges: the token needs the delegated scope UserActivity.ReadWrite.CreatedByApp."] },
  ),
  itemNotFound: errorResponse("No such activity or history item for this user and app (itemNotFound).", {
    itemNotFound: ["itemNotFound", "The activity '13881113971988980728' does not exist."],
  }),
  notAllowed: errorResponse(
    "The path does not take this method; Allow lists the ones it takes (notAllowed).",
    { notAllowed: ["notAllowed", "The method POST is not allowed on this resource; use GET, PUT, PATCH, DELETE."] },
    { Allow: { description: "The methods this path takes.", schema: { type: "string" } } },
  ),
  conflict: errorResponse("A history item with this id, or a live activity with this appActivityId, already exists (conflict).", {
    conflict: [
      "conflict",
      "An activity with appActivityId '/article?12345' already exists (id '13881113971988980728'); PATCH or PUT it to change it.",
    ],
  }),
  syncStateNotFound: errorResponse(
    "The delta token is past the horizon or from before an erasure of the user's data; start over at Location (syncStateNotFound).",
    {
      syncStateNotFound: [
        "syncStateNotFound",
        "The delta token has expired or its sync state was reset; start a new round at the Location given.",
      ],
    },
    { Location: { description: "The first request of a new round.", schema: { type: "string" } } },
  ),
  upgradeRequired: errorResponse(
    "This resource is a WebSocket; send 'Upgrade: websocket' (upgradeRequired).",
    { upgradeRequired: ["upgradeRequired", "This resource is a WebSocket: send 'Upgrade: websocket'."] },
    { Upgrade: { description: "websocket", schema: { type: "string" } } },
  ),
  requestTooLarge: errorResponse(`The body is over ${limits.bodyBytes} bytes (requestTooLarge).`, {
    requestTooLarge: ["requestTooLarge", `The request body is larger than ${limits.bodyBytes} bytes.`],
  }),
  unsupportedMediaType: errorResponse("The body is not application/json (UnsupportedMediaType).", {
    UnsupportedMediaType: [
      "UnsupportedMediaType",
      "The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got 'text/plain').",
    ],
  }),
  tooManyRequests: errorResponse(
    "This user's read or write rate limit is used up; retry after Retry-After seconds (TooManyRequests).",
    { TooManyRequests: ["TooManyRequests", "Too many requests for this user; retry after 60 seconds."] },
    retryAfter,
  ),
  serviceNotAvailable: errorResponse(
    "The activity store or the token signing keys are briefly unavailable; retry after Retry-After seconds (serviceNotAvailable).",
    { serviceNotAvailable: ["serviceNotAvailable", "The activity store is briefly unavailable; retry the request."] },
    retryAfter,
  ),
};

type ErrorResponseName = keyof typeof ERROR_RESPONSES;

/** The documented response for each error status. */
const BY_STATUS = {
  400: "invalidRequest",
  401: "invalidAuthenticationToken",
  403: "accessDenied",
  404: "itemNotFound",
  405: "notAllowed",
  409: "conflict",
  410: "syncStateNotFound",
  413: "requestTooLarge",
  415: "unsupportedMediaType",
  426: "upgradeRequired",
  429: "tooManyRequests",
  503: "serviceNotAvailable",
} as const satisfies Record<number, ErrorResponseName>;

type ErrorStatus = keyof typeof BY_STATUS;

/** A reference to a response registered under components.responses. */
export const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });

/**
 * The error responses an operation documents, as references to the shared ones (registerErrorResponses):
 * `statuses`, and 401, 403, 405 and 503, which any operation can answer.
 */
export function errorResponses(...statuses: ErrorStatus[]) {
  const all = [401, 403, 405, ...statuses, 503] as const;
  return Object.fromEntries(
    all.map((status) => [status, responseRef(status === 400 && statuses.includes(415) ? "invalidRequestOrBody" : BY_STATUS[status])]),
  ) as Record<ErrorStatus, ReturnType<typeof responseRef>>;
}

/** Registers Graph's error envelope and every error response that errorResponses refers to, once per document. */
export function registerErrorResponses(registry: OpenAPIHono["openAPIRegistry"]) {
  registry.register("odataError", errorSchema);
  for (const [name, response] of Object.entries(ERROR_RESPONSES)) registry.registerComponent("responses", name, response);
}
