// What Graph's wire conventions look like to a test: @odata.context URLs, the error envelope,
// the headers every answer carries, and the server's dates.
import { expect } from "vitest";
import { type Answer, DAY_MS, ISO_MS, ORIGIN } from "./api";
import { DEV_CALLER } from "./tokens";

interface ContextOptions {
  prefix?: string;
  user?: string;
}

/** @odata.context of a user's activities; an activity's own adds `/$entity`. */
export const activitiesContext = ({ prefix = "/v1.0", user = DEV_CALLER.userId }: ContextOptions = {}) =>
  `${ORIGIN}${prefix}/$metadata#users('${user}')/activities`;

/** @odata.context of one activity, as GET and PUT answer it. */
export const activityContext = (options: ContextOptions = {}) => `${activitiesContext(options)}/$entity`;

/** @odata.context of an activity's history items; an item's own adds `/$entity`. */
export const historyItemsContext = (activityId: string, options: ContextOptions = {}) =>
  `${activitiesContext(options)}('${activityId}')/historyItems`;

/** @odata.context of one history item. */
export const historyItemContext = (activityId: string, options: ContextOptions = {}) =>
  `${historyItemsContext(activityId, options)}/$entity`;

/** A resource as a collection lists it: without its @odata.context. */
export const withoutContext = ({ "@odata.context": _context, ...rest }: Record<string, unknown>) => rest;

/** The request-id the service gives every answer: a random UUID. */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** innerError.date as Graph writes it: UTC to the second, without fraction or zone designator. */
const ERROR_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** A value to match: itself, a RegExp for a string, or an asymmetric matcher. */
type Expected = unknown;
const matching = (expected: Expected) => (expected instanceof RegExp ? expect.stringMatching(expected) : expected);

/** The client-request-id an answer must carry: the one its request sent, else its own request-id. */
const echoedId = (answer: Answer) => answer.clientRequestId ?? answer.headers.get("request-id");

/** innerError.date of this answer: Graph's format, and the second in which the service answered. */
const answeredDate = (answer: Answer) =>
  expect.toSatisfy(
    (value: unknown) =>
      typeof value === "string" &&
      ERROR_DATE.test(value) &&
      Date.parse(`${value}Z`) >= Math.floor(answer.sentAt / 1000) * 1000 &&
      Date.parse(`${value}Z`) <= answer.answeredAt,
    `a Graph error date (UTC seconds, no zone) between ${new Date(answer.sentAt).toISOString()} and ${new Date(answer.answeredAt).toISOString()}`,
  );

const envelope = (code: Expected, message: Expected, date: unknown, requestId: unknown, clientRequestId: unknown) => ({
  error: {
    code: matching(code),
    message: matching(message),
    innerError: { date, "request-id": requestId, "client-request-id": clientRequestId },
  },
});

/**
 * Graph's error envelope with this code and message, its date and ids those of `answer`: the
 * request-id header, and the client-request-id the request sent (`echoed`, when the service must
 * not echo what was sent).
 */
export const graphErrorBody = (answer: Answer, code: Expected, message: Expected, echoed = echoedId(answer)) =>
  envelope(code, message, answeredDate(answer), answer.headers.get("request-id"), echoed);

/** Graph's error envelope with these ids (matchers allowed), for an answer read from inside another (a batch's): its date in Graph's format. */
export const errorEnvelope = (code: Expected, message: Expected, requestId: unknown, clientRequestId: unknown) =>
  envelope(code, message, expect.stringMatching(ERROR_DATE), requestId, clientRequestId);

/** What a test compares of an answer: status, the headers that matter, the body. */
export const seen = (answer: Answer) => ({
  status: answer.status,
  contentType: answer.headers.get("content-type"),
  requestId: answer.headers.get("request-id"),
  clientRequestId: answer.headers.get("client-request-id"),
  cacheControl: answer.headers.get("cache-control"),
  contentTypeOptions: answer.headers.get("x-content-type-options"),
  body: answer.body,
});

/** The headers every API answer carries: personal data, kept by no cache, never sniffed as another type. */
export const NO_STORE = { cacheControl: "no-store", contentTypeOptions: "nosniff" } as const;

/** What `seen` must show of a JSON answer with this status and body. */
export const jsonAnswer = (status: number, body: unknown, answer: Answer, echoed = echoedId(answer)) => ({
  status,
  contentType: expect.stringMatching(/^application\/json\b/),
  requestId: expect.stringMatching(REQUEST_ID),
  clientRequestId: echoed,
  ...NO_STORE,
  body,
});

/** What `seen` must show of a 204. */
export const noContent = (answer: Answer) => ({
  status: 204,
  contentType: null,
  requestId: expect.stringMatching(REQUEST_ID),
  clientRequestId: echoedId(answer),
  ...NO_STORE,
  body: null,
});

/** What `seen` must show of an error answer: Graph's envelope, as `graphErrorBody` describes it. */
export const errorAnswer = (status: number, code: Expected, message: Expected, answer: Answer, echoed = echoedId(answer)) =>
  jsonAnswer(status, graphErrorBody(answer, code, message, echoed), answer, echoed);

/** Asserts an error answer whole: status, JSON, the ids in its headers, and Graph's envelope. */
export function expectGraphError(answer: Answer, status: number, code: Expected, message: Expected, echoed = echoedId(answer)) {
  expect(seen(answer)).toEqual(errorAnswer(status, code, message, answer, echoed));
}

/** A UTC millisecond date from the window [before, after] (epoch ms). */
export const madeBetween = (before: number, after: number) =>
  expect.toSatisfy(
    (value: unknown) => typeof value === "string" && ISO_MS.test(value) && Date.parse(value) >= before && Date.parse(value) <= after,
    `a UTC ms date between ${new Date(before).toISOString()} and ${new Date(after).toISOString()}`,
  );

/** The date 30 days after `created`, as the service writes it. */
export const thirtyDaysAfter = (created: unknown) =>
  typeof created === "string" && ISO_MS.test(created)
    ? new Date(Date.parse(created) + 30 * DAY_MS).toISOString()
    : `30 days after a valid createdDateTime (got ${String(created)})`;
