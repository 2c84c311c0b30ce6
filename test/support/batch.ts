// JSON batching as a test sees it: a batch sent, and the batch's answer and each request's answer
// inside it checked whole, their ids tied to the answer's own headers.
import { expect } from "vitest";
import { type Answer, call, type CallOptions, GUID } from "./api";
import { errorEnvelope } from "./graph";

export const JSON_HEADERS = { "Content-Type": "application/json" };

/** POSTs a batch of these requests to `${prefix}/$batch`. */
export const batch = (requests: unknown[], options: CallOptions = {}, prefix = "/v1.0") =>
  call("POST", `${prefix}/$batch`, { body: { requests }, ...options });

/** A request's answer inside the batch: the headers every answer has, then the body. */
export const answer = (id: string, status: number, body: unknown, clientRequestId: unknown = expect.stringMatching(GUID)) => ({
  id,
  status,
  headers: { "Content-Type": "application/json", "request-id": expect.stringMatching(GUID), "client-request-id": clientRequestId },
  body,
});

/** An error answer in Graph's envelope, its innerError tied to the ids in the answer's own headers. */
export const errorAnswer = (actual: any, id: string, status: number, code: string, message: unknown) =>
  answer(id, status, errorEnvelope(code, message, actual?.headers?.["request-id"], actual?.headers?.["client-request-id"]));

/** The batch's own answer: 200, JSON, its own request-id, echoing the client-request-id (its request-id when none was sent). */
export function expectBatchAnswer(sent: Answer, responses: unknown[], clientRequestId?: string) {
  const requestId = sent.headers.get("request-id");
  expect(requestId).toMatch(GUID);
  expect({
    status: sent.status,
    contentType: sent.headers.get("content-type"),
    clientRequestId: sent.headers.get("client-request-id"),
    body: sent.body,
  }).toEqual({
    status: 200,
    contentType: "application/json",
    clientRequestId: clientRequestId ?? requestId,
    body: { responses },
  });
}

/** The whole batch refused: a 400 (or other status) in Graph's envelope, tied to the batch's own ids. */
export function expectBatchError(sent: Answer, status: number, code: string, message: unknown) {
  expect({ status: sent.status, contentType: sent.headers.get("content-type"), body: sent.body }).toEqual({
    status,
    contentType: "application/json",
    body: errorEnvelope(code, message, sent.headers.get("request-id"), sent.headers.get("client-request-id")),
  });
}
