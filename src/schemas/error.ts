import { z } from "@hono/zod-openapi";

export const errorSchema = z
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

const descriptions = {
  400: "Invalid request: the message names the property, segment or query option.",
  401: "Missing or invalid access token (InvalidAuthenticationToken).",
  403: "The token lacks the delegated scope UserActivity.ReadWrite.CreatedByApp, or is app-only (accessDenied).",
  404: "No such activity or history item for this user and app (itemNotFound).",
  409: "A history item with this id already exists (conflict).",
  413: "The body is over the size limit (requestTooLarge).",
  415: "The body is not application/json (UnsupportedMediaType).",
  503: "The activity's storage is briefly unavailable; retry after Retry-After seconds (serviceNotAvailable).",
} as const;

/** The error responses an operation documents, all in Graph's envelope. */
export function errorResponses(...statuses: (keyof typeof descriptions)[]) {
  return Object.fromEntries(
    [401, 403, ...statuses, 503].map((status) => [
      status,
      { description: descriptions[status as keyof typeof descriptions], content: { "application/json": { schema: errorSchema } } },
    ]),
  ) as Record<keyof typeof descriptions, { description: string; content: { "application/json": { schema: typeof errorSchema } } }>;
}
