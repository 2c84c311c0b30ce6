// Calling the Worker from a test: one request in, the whole answer out, with what the request sent
// and when, so an answer can be checked against its own request.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/index";
import { activityBody } from "./builders";
import { mintToken, type TokenOptions } from "./tokens";

/** The origin every test request is sent to; @odata.context and @odata.nextLink are absolute on it. */
export const ORIGIN = "https://feed.test";

export interface CallOptions {
  body?: unknown;
  /** A raw body sent as is (overrides body): text, bytes or a stream. */
  raw?: BodyInit;
  token?: string | null;
  as?: TokenOptions;
  headers?: Record<string, string>;
  /** Configuration to run the Worker with instead of the test's own, as a deployment with those vars would. */
  vars?: Partial<Env>;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  /** The client-request-id the request sent, if it sent one. */
  clientRequestId: string | null;
  /** The clock just before the request was sent and just after the answer was read (epoch ms). */
  sentAt: number;
  answeredAt: number;
}

/** Sends one request to the Worker (with `vars` over its configuration, when given) and reads the whole answer. */
export async function exchange(request: Request, vars?: Partial<Env>): Promise<Answer> {
  const clientRequestId = request.headers.get("client-request-id");
  const sentAt = Date.now();
  let response: Response;
  if (vars) {
    const ctx = createExecutionContext();
    response = await worker.fetch(request, { ...env, ...vars }, ctx);
    await waitOnExecutionContext(ctx);
  } else {
    response = await exports.default.fetch(request);
  }
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
    clientRequestId,
    sentAt,
    answeredAt: Date.now(),
  };
}

/** Calls the Worker over HTTP, with a fresh development token unless told otherwise. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? await mintToken(options.as) : options.token;
  if (token !== null && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
  let body: BodyInit | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return exchange(new Request(`${ORIGIN}${path}`, { method, headers, body, duplex: "half" } as RequestInit), options.vars);
}

/** Calls as `call` does, with a fresh client-request-id, which the answer must echo. */
export const send = (method: string, path: string, options: CallOptions = {}) =>
  call(method, path, { ...options, headers: { "client-request-id": crypto.randomUUID(), ...options.headers } });

/** A fresh appActivityId, so that no test shares an activity with another. */
export const freshAppActivityId = () => `/article?${crypto.randomUUID()}`;

/** The path of a PUT that creates or replaces the activity with this (unencoded) appActivityId. */
export const appActivityPath = (appActivityId: string, prefix = "/v1.0") => `${prefix}/me/activities/${encodeURIComponent(appActivityId)}`;

/** The path of the activity with this server id, and of its history items. */
export const activityPath = (activityId: string, prefix = "/v1.0") => `${prefix}/me/activities/${activityId}`;
export const historyItemsPath = (activityId: string, prefix = "/v1.0") => `${activityPath(activityId, prefix)}/historyItems`;
export const historyItemPath = (activityId: string, itemId: string, prefix = "/v1.0") =>
  `${historyItemsPath(activityId, prefix)}/${itemId}`;

/** PUTs a fresh activity and returns its server id. */
export async function createActivity(options: CallOptions = {}): Promise<string> {
  const answer = await call("PUT", appActivityPath(freshAppActivityId()), { body: activityBody(), ...options });
  if (answer.status !== 201) throw new Error(`activity not created: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DAY_MS = 86_400_000;
