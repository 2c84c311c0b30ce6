import { z } from "@hono/zod-openapi";
import { namesBatch } from "../graph/batch";
import { decodeBase64 } from "../graph/encoding";
import { excerpt, quoted } from "../graph/errors";
import { limits } from "../limits";
import { CONTROL_CHARACTER, expected } from "./common";

/** The methods a batch request may use: the ones Graph's API has. */
const BATCH_METHODS = ["GET", "PUT", "POST", "PATCH", "DELETE"];

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

/** Where a text's first control character is, and which: `U+0009 at character 5`. */
function controlCharacter(text: string): string {
  const at = text.search(CONTROL_CHARACTER);
  return `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, "0")} at character ${at + 1}`;
}

const batchRequestSchema = z
  .strictObject(
    {
      id: z.string(expected("a string")).min(1, "expected a non-empty string").openapi({
        description: "Names the request and its answer; unique in the batch, ignoring case.",
        example: "1",
      }),
      method: z
        .string(expected(`one of ${BATCH_METHODS.join(", ")}`))
        .refine((method) => BATCH_METHODS.includes(method.toUpperCase()), `expected one of ${BATCH_METHODS.join(", ")}`)
        .openapi({ description: `${BATCH_METHODS.join(", ")}, in any case.`, example: "GET" }),
      url: z
        .string(expected("a URL relative to the version, such as /me/activities"))
        .min(1, "expected a URL relative to the version, such as /me/activities")
        .max(limits.batchUrlChars, {
          error: (issue) => `expected at most ${limits.batchUrlChars} characters (this url has ${(issue.input as string).length})`,
        })
        // The URL parser drops tabs and line breaks, so `.\t.` would be `..` once parsed: such a url is read no further (abort).
        .refine((url) => !CONTROL_CHARACTER.test(url), {
          error: (issue) => `expected a URL without control characters (this one has ${controlCharacter(issue.input as string)})`,
          abort: true,
        })
        .openapi({
          description: `Relative to the batch's version (\`/me/activities/…\` or \`me/activities/…\`), or naming its own (\`/v1.0/me/…\`, \`/beta/me/…\`); at most ${limits.batchUrlChars} characters, without control characters.`,
          example: "/me/activities/recent",
        }),
      headers: z
        .record(
          z.string().regex(HEADER_NAME, "expected an HTTP header name"),
          z
            .string(expected("a string"))
            .regex(HEADER_VALUE, "expected a header value on one line")
            .openapi({ example: "application/json" }),
          {
            error: (issue: { code?: string }) =>
              issue.code === "invalid_key" ? "expected an HTTP header name" : "expected a JSON object of header names and values",
          },
        )
        .nullish()
        .openapi({ description: "The request's headers; `Content-Type` is required with a body. The batch's own Authorization is used." }),
      body: z.unknown().optional().openapi({
        description: "A JSON object or array is sent as JSON; a string is the body's bytes in base64 (for other media types).",
      }),
      dependsOn: z
        .array(z.string(expected("a request id")), expected("an array of request ids"))
        .nullish()
        .openapi({ description: "Ids of requests that must succeed (2xx) before this one runs; otherwise it answers 424." }),
    },
    {
      error: (issue: { input?: unknown; code?: string }) => {
        if (issue.code === "unrecognized_keys") return "is not a property of a batch request (id, method, url, headers, body, dependsOn)";
        return "expected a JSON object with id, method and url";
      },
    },
  )
  .superRefine((request, context) => {
    const hasBody = request.body !== undefined && request.body !== null;
    if (namesBatch(request.url)) context.addIssue({ code: "custom", path: ["url"], message: "a batch cannot contain another $batch" });
    if (hasBody && !Object.keys(request.headers ?? {}).some((name) => name.toLowerCase() === "content-type")) {
      context.addIssue({ code: "custom", path: ["headers"], message: "expected a Content-Type header, since the request has a body" });
    }
    if (hasBody && request.method.toUpperCase() === "GET")
      context.addIssue({ code: "custom", path: ["body"], message: "a GET request has no body" });
    if (typeof request.body === "string" && decodeBase64(request.body) === undefined) {
      context.addIssue({ code: "custom", path: ["body"], message: "expected a JSON object or array, or the body's bytes in base64" });
    }
  });

export type BatchRequest = z.infer<typeof batchRequestSchema>;

/** The first dependency cycle among the requests (ids as sent, in order), if any. */
function dependencyCycle(requests: BatchRequest[]): string[] | undefined {
  const byId = new Map(requests.map((request) => [request.id.toLowerCase(), request]));
  const done = new Set<string>();
  const visit = (request: BatchRequest, path: BatchRequest[]): string[] | undefined => {
    const key = request.id.toLowerCase();
    const seenAt = path.indexOf(request);
    if (seenAt !== -1) return [...path.slice(seenAt), request].map(({ id }) => id);
    if (done.has(key)) return undefined;
    for (const dependency of request.dependsOn ?? []) {
      const next = byId.get(dependency.toLowerCase());
      const cycle = next && visit(next, [...path, request]);
      if (cycle) return cycle;
    }
    done.add(key);
    return undefined;
  };
  for (const request of requests) {
    const cycle = visit(request, []);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The body of POST /$batch. */
export const batchBodySchema = z
  .strictObject(
    {
      requests: z
        .array(batchRequestSchema, expected("an array of requests"))
        .min(1, "expected at least one request")
        .max(limits.batchRequests, {
          error: (issue) => `expected at most ${limits.batchRequests} requests (this batch has ${(issue.input as unknown[]).length})`,
        }),
    },
    {
      error: (issue: { input?: unknown; code?: string }) =>
        issue.code === "unrecognized_keys" ? "is not a property of a batch (only requests)" : "expected a JSON object with requests",
    },
  )
  .superRefine(({ requests }, context) => {
    const indexById = new Map<string, number>();
    requests.forEach((request, index) => {
      const earlier = indexById.get(request.id.toLowerCase());
      if (earlier !== undefined) {
        context.addIssue({
          code: "custom",
          path: ["requests", index, "id"],
          message: `${quoted(request.id)} is already the id of requests[${earlier}] (ids are compared ignoring case)`,
        });
      } else indexById.set(request.id.toLowerCase(), index);
    });
    requests.forEach((request, index) =>
      (request.dependsOn ?? []).forEach((id, position) => {
        if (!indexById.has(id.toLowerCase())) {
          context.addIssue({
            code: "custom",
            path: ["requests", index, "dependsOn", position],
            message: `no request in the batch has the id ${quoted(id)}`,
          });
        }
      }),
    );
    const cycle = dependencyCycle(requests);
    if (cycle) {
      const index = requests.findIndex(({ id }) => id === cycle[0]);
      context.addIssue({
        code: "custom",
        path: ["requests", index, "dependsOn"],
        message: `the requests depend on each other in a cycle (${cycle.map(excerpt).join(" → ")})`,
      });
    }
  })
  .openapi("batchRequestBody", {
    // Graph's own activity written, then the recent activities read once it is: a batch a newcomer can send as is.
    example: {
      requests: [
        {
          id: "1",
          method: "PUT",
          url: "/me/activities/%2Farticle%3F12345",
          headers: { "Content-Type": "application/json" },
          body: {
            appActivityId: "/article?12345",
            activitySourceHost: "https://www.contoso.com",
            activationUrl: "https://www.contoso.com/article?id=12345",
            appDisplayName: "Contoso, Ltd.",
            visualElements: { displayText: "Contoso How-To: How to Tie a Reef Knot", backgroundColor: "#ff0000" },
          },
        },
        { id: "2", method: "GET", url: "/me/activities/recent?$top=5", dependsOn: ["1"] },
      ],
    },
  });

export const batchResponseSchema = z
  .object({
    responses: z.array(
      z.object({
        id: z.string(),
        status: z.number().int(),
        headers: z.record(z.string(), z.string()).openapi({
          description:
            "Content-Type, request-id, client-request-id and, when the answer has them, Location, Retry-After, Allow, WWW-Authenticate.",
        }),
        body: z.unknown().openapi({ description: "JSON as the JSON value; text (a $count) as a string; null when empty." }),
      }),
    ),
  })
  .openapi("batchResponseBody");
