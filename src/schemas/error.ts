import { z } from "@hono/zod-openapi";

const errorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "itemNotFound" }),
      message: z.string(),
      innerError: z.object({
        date: z.string(),
        "request-id": z.string(),
        "client-request-id": z.string(),
      }),
    }),
  })
  .openapi("odataError");

/** Seconds to wait, on the answers that ask the client to try again. */
const retryAfter = { "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" as const } } };

/** Every error an operation can document: what it means here, and the headers that come with it. */
const errors = {
  400: { description: "Invalid request: the message names the property, segment or query option." },
  401: { description: "Missing or invalid access token (InvalidAuthenticationToken)." },
  403: {
    description:
      "The token lacks the delegated scope UserActivity.ReadWrite.CreatedByApp, is app-only, or /users/{user} names someone other than the caller (accessDenied).",
  },
  404: { description: "No such activity or history item for this user and app (itemNotFound)." },
  405: {
    description: "The path does not take this method; Allow lists the ones it takes (notAllowed).",
    headers: { Allow: { description: "The methods this path takes.", schema: { type: "string" as const } } },
  },
  409: { description: "A history item with this id, or a live activity with this appActivityId, already exists (conflict)." },
  410: {
    description:
      "The delta token is past the horizon or from before an erasure of the user's data; start over at Location (syncStateNotFound).",
    headers: { Location: { description: "The first request of a new round.", schema: { type: "string" as const } } },
  },
  413: { description: "The body is over the size limit (requestTooLarge)." },
  426: {
    description: "This resource is a WebSocket; send 'Upgrade: websocket' (upgradeRequired).",
    headers: { Upgrade: { description: "websocket", schema: { type: "string" as const } } },
  },
  415: { description: "The body is not application/json (UnsupportedMediaType)." },
  429: {
    description: "This user's read or write rate limit is used up; retry after Retry-After seconds (TooManyRequests).",
    headers: retryAfter,
  },
  503: {
    description:
      "The activity store or the token signing keys are briefly unavailable; retry after Retry-After seconds (serviceNotAvailable).",
    headers: retryAfter,
  },
} as const;

type ErrorStatus = keyof typeof errors;

/** The error responses an operation documents, all in Graph's envelope: `statuses`, and 401, 403, 405 and 503, which any operation can answer. */
export function errorResponses(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    ([401, 403, 405, ...statuses, 503] as const).map((status) => [
      status,
      { ...errors[status], content: { "application/json": { schema: errorSchema } } },
    ]),
  ) as Record<ErrorStatus, (typeof errors)[ErrorStatus] & { content: { "application/json": { schema: typeof errorSchema } } }>;
}
