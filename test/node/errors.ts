// How Microsoft's two JavaScript clients surface the service's errors (Graph's envelope), asserted
// whole: Kiota's ODataError and the classic client's GraphError.
import { GraphError } from "@microsoft/microsoft-graph-client";
import type { ODataError } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";
import { expect } from "vitest";

/** A GUID as the service writes one (request ids, server-made ids). */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The ODataError a Kiota call rejects with. */
export async function odataRejection(call: Promise<unknown>): Promise<ODataError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toMatchObject({ responseStatusCode: expect.any(Number), errorEscaped: expect.any(Object) });
  return error as ODataError;
}

/** Asserts an ODataError carries our status, code, message and request id, as the SDK models Graph's envelope. */
export function expectODataError(error: ODataError, status: number, code: string, message: string | RegExp, clientRequestId?: string) {
  const requestId = error.responseHeaders?.["request-id"]?.[0];
  expect(requestId).toMatch(GUID);
  const text = typeof message === "string" ? message : expect.stringMatching(message);
  expect(error).toEqual({
    errorEscaped: {
      code,
      message: text,
      innerError: { date: expect.any(Date), requestId, clientRequestId: clientRequestId ?? requestId },
    },
    message: text,
    responseStatusCode: status,
    responseHeaders: expect.objectContaining({
      "request-id": [requestId],
      "client-request-id": [clientRequestId ?? requestId],
      "content-type": ["application/json"],
    }),
  });
  expect(Math.abs(error.errorEscaped!.innerError!.date!.getTime() - Date.now())).toBeLessThan(24 * 60 * 60 * 1000);
}

/** The GraphError a classic client call rejects with. */
export async function graphRejection(call: Promise<unknown>): Promise<GraphError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GraphError);
  return error as GraphError;
}

/** Asserts a GraphError carries our status, code, message and request id, in Graph's envelope. */
export function expectGraphError(error: GraphError, statusCode: number, code: string, message: string | RegExp, clientRequestId?: string) {
  const requestId = error.headers?.get("request-id");
  expect(requestId).toMatch(GUID);
  expect(error).toMatchObject({ statusCode, code, requestId });
  expect(error.message).toEqual(typeof message === "string" ? message : expect.stringMatching(message));
  const body = JSON.parse(error.body as string);
  expect(body).toEqual({
    code,
    message: typeof message === "string" ? message : expect.stringMatching(message),
    innerError: {
      date: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
      "request-id": requestId,
      "client-request-id": clientRequestId ?? error.headers?.get("client-request-id"),
    },
  });
  expect(error.date).toEqual(new Date(body.innerError.date));
  if (clientRequestId) expect(error.headers?.get("client-request-id")).toBe(clientRequestId);
}
