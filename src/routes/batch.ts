import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { jsonContent } from "../schemas/common";
import type { Context, ExecutionContext } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { answerBody, answerHeaders, pathRoot, resolveBatchUrl } from "../graph/batch";
import { decodeBase64 } from "../graph/encoding";
import { errorBody, GraphError, invalidRequest, quoted } from "../graph/errors";
import { jsonBody } from "../graph/json-body";
import { echoedClientRequestId } from "../graph/request-id";
import { methodNotAllowed } from "../graph/route-guards";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { batchBodySchema, batchResponseSchema, type BatchRequest } from "../schemas/batch";
import { errorResponse, errorResponses } from "../schemas/error";
import { queryOptions } from "../schemas/query";

/** Sends one request through the whole Worker app, as if it had arrived on its own. */
export type Dispatch = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** One request's answer inside the batch's. */
interface BatchAnswer {
  id: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const postBatch = createRoute({
  method: "post",
  path: "/$batch",
  summary: "Run up to 20 requests in one (JSON batching)",
  tags: ["batch"],
  description:
    "Each request runs as if sent alone, with the batch's Authorization: the same routes, validation, limits, throttling and logging. " +
    "Requests without dependsOn may run concurrently; one whose dependency did not succeed answers 424 without running. " +
    `The batch body holds at most ${limits.batchRequests} requests and ${limits.batchBodyBytes} bytes, nested at most ${limits.batchBodyDepth} levels deep.`,
  // The batch itself is authenticated but not throttled: each of its requests counts on its own.
  middleware: [authenticate(), jsonBody({ maxBytes: limits.batchBodyBytes, maxDepth: limits.batchBodyDepth })] as const,
  request: { query: queryOptions({}), body: { required: true, content: jsonContent(batchBodySchema) } },
  responses: {
    200: { description: "Every request's answer, in request order.", content: jsonContent(batchResponseSchema) },
    ...errorResponses(400, 413, 415),
    413: errorResponse(`The batch body is over ${limits.batchBodyBytes} bytes (requestTooLarge).`, {
      requestTooLarge: ["requestTooLarge", `The request body is larger than ${limits.batchBodyBytes} bytes.`],
    }),
  },
});

// Set by the batch from its own request, never taken from a request's headers.
const BATCH_OWNED_HEADERS = new Set(["authorization", "content-length", "host", "transfer-encoding"]);

const succeeded = (answer: BatchAnswer) => answer.status >= 200 && answer.status <= 299;

/** POST /$batch: JSON batching through `dispatch`, for requests whose path starts with one of `roots` (the API's own). */
export function batchRoutes(options: { dispatch: Dispatch; roots: ReadonlySet<string> }) {
  /**
   * The URL a request's url names, against the batch's origin and version; a GraphError when it names
   * none of the API's. Judged as resolved, since that is the URL that runs, however it was spelled.
   */
  function target(url: string, batchUrl: URL): URL | GraphError {
    const resolved = resolveBatchUrl(url, batchUrl);
    if (!resolved)
      return invalidRequest(
        `The url ${quoted(url)} is absolute; a batch request's url is relative to the version, such as /me/activities.`,
      );
    if (!options.roots.has(pathRoot(resolved))) {
      return invalidRequest(
        `The url ${quoted(url)} is not a path of this API; a batch request's url is relative to the version, such as /me/activities.`,
      );
    }
    return resolved;
  }

  /** An answer for a request that was not run, in Graph's error envelope with ids of its own. */
  function notRun(c: Context<AppEnv>, request: BatchRequest, failure: GraphError): BatchAnswer {
    const requestId = crypto.randomUUID();
    const clientRequestId = echoedClientRequestId(new Headers(request.headers ?? {}).get("client-request-id"), c.get("clientRequestId"));
    return {
      id: request.id,
      status: failure.status,
      headers: { "Content-Type": "application/json", "request-id": requestId, "client-request-id": clientRequestId },
      body: errorBody(failure.code, failure.message, requestId, clientRequestId),
    };
  }

  /** Runs one request through the app: the batch's Authorization, the batch's client-request-id unless it has its own. */
  async function run(c: Context<AppEnv>, request: BatchRequest): Promise<BatchAnswer> {
    const url = target(request.url, new URL(c.req.url));
    if (url instanceof GraphError) return notRun(c, request, url);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers ?? {}))
      if (!BATCH_OWNED_HEADERS.has(name.toLowerCase())) headers.set(name, value);
    headers.set("Authorization", c.req.header("Authorization")!);
    if (!headers.has("client-request-id")) headers.set("client-request-id", c.get("clientRequestId"));
    let body: BodyInit | undefined;
    if (typeof request.body === "string") body = decodeBase64(request.body);
    else if (request.body !== undefined && request.body !== null) body = JSON.stringify(request.body);
    const response = await options.dispatch(
      new Request(url, { method: request.method.toUpperCase(), headers, body }),
      c.env,
      c.executionCtx,
    );
    return { id: request.id, status: response.status, headers: answerHeaders(response.headers), body: await answerBody(response) };
  }

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(postBatch, async (c) => {
      const { requests } = c.req.valid("json");
      const byId = new Map(requests.map((request) => [request.id.toLowerCase(), request]));
      const answers = new Map<BatchRequest, Promise<BatchAnswer>>();
      // Each request starts once its dependencies have answered (the schema refused cycles); the rest run concurrently.
      const answer = (request: BatchRequest): Promise<BatchAnswer> => {
        let pending = answers.get(request);
        if (!pending) {
          pending = Promise.all((request.dependsOn ?? []).map((id) => answer(byId.get(id.toLowerCase())!))).then((dependencies) => {
            const failed = dependencies.find((dependency) => !succeeded(dependency));
            if (!failed) return run(c, request);
            return notRun(
              c,
              request,
              new GraphError(
                424,
                "failedDependency",
                `The request was not run: it depends on ${quoted(failed.id)}, which answered ${failed.status}.`,
              ),
            );
          });
          answers.set(request, pending);
        }
        return pending;
      };
      const responses = await Promise.all(requests.map(answer));
      return c.json({ responses }, 200);
    })
    .all("/$batch", methodNotAllowed(["POST"]));
}
