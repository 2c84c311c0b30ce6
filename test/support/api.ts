import { exports } from "cloudflare:workers";
import { mintToken, type TokenOptions } from "./tokens";

export interface CallOptions {
  body?: unknown;
  /** A raw body string sent as is (overrides body). */
  raw?: string;
  token?: string | null;
  as?: TokenOptions;
  headers?: Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** Calls the Worker over HTTP, with a fresh development token unless told otherwise. */
export async function call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers = new Headers(options.headers);
  const token = options.token === undefined ? await mintToken(options.as) : options.token;
  if (token !== null && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
  let body: string | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const response = await exports.default.fetch(new Request(`https://feed.test${path}`, { method, headers, body }));
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

/** A fresh appActivityId, so that no test shares an activity with another. */
export const freshAppActivityId = () => `/article?${crypto.randomUUID()}`;

/** A minimal valid activity body. */
export const activityBody = (overrides: Record<string, unknown> = {}) => ({
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?12345",
  visualElements: { displayText: "Contoso article" },
  ...overrides,
});

/** PUTs a fresh activity and returns its server id. */
export async function createActivity(options: CallOptions = {}): Promise<string> {
  const answer = await call("PUT", `/v1.0/me/activities/${encodeURIComponent(freshAppActivityId())}`, {
    body: activityBody(),
    ...options,
  });
  if (answer.status !== 201) throw new Error(`activity not created: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const DAY_MS = 86_400_000;
