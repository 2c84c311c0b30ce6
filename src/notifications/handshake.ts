// Graph's validation handshake: before a subscription is stored (and before a PATCH moves its
// notificationUrl), each endpoint must prove it is a receiver that wants these notifications by
// echoing a token the service made up, promptly. Nothing is stored unless every endpoint did.
import { fromUtf8, toBase64Url } from "../graph/encoding";
import { GraphError, quoted } from "../graph/errors";
import { readAtMost } from "../graph/stream-lines";
import { notificationTimes } from "../limits";
import { TIMED_OUT, withinDeadline } from "./webhook";

/** The most of an answer's body read: a token is far shorter, so anything longer is not the token. */
const MAX_ANSWER_BYTES = 1024;

/** An endpoint to check, and the property that named it. */
export interface Endpoint {
  property: "notificationUrl" | "lifecycleNotificationUrl";
  url: string;
}

/** A fresh validation token: 32 random bytes, base64url, so it needs no escaping in the URL. */
function validationToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** `url` with `validationToken` added to its query, which is otherwise kept as it is. */
export function withValidationToken(url: string, token: string): string {
  const target = new URL(url);
  target.hash = "";
  target.search = target.search ? `${target.search}&validationToken=${token}` : `?validationToken=${token}`;
  return target.href;
}

/** A body as text; null when it is longer than MAX_ANSWER_BYTES (read no further). */
async function readAnswer(response: Response): Promise<string | null> {
  if (!response.body) return "";
  const bytes = await readAtMost(response.body, MAX_ANSWER_BYTES);
  return bytes && fromUtf8(bytes);
}

/**
 * POSTs `{url}?validationToken={token}` (text/plain, no body) and judges the answer: null when it
 * was 200 with exactly the token within notificationTimes.handshakeMs, else what went wrong, as a
 * phrase. Redirects are not followed: a redirect is an answer other than 200, so a check of the
 * URL cannot be passed by another one.
 */
export async function handshake(url: string): Promise<string | null> {
  const token = validationToken();
  // One deadline over the whole exchange, the body included; a fetch's own signal would not cover reading it.
  const problem = await withinDeadline(notificationTimes.handshakeMs, async (signal): Promise<string | null> => {
    let response: Response;
    try {
      response = await fetch(withValidationToken(url, token), {
        method: "POST",
        headers: { "Content-Type": "text/plain; charset=utf-8" },
        redirect: "manual",
        signal,
      });
    } catch {
      return "the connection was refused or failed";
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return `it answered ${response.status} instead of 200`;
    }
    let body: string | null;
    try {
      body = await readAnswer(response);
    } catch {
      return "its answer broke off before the end of its body";
    }
    if (body === null) return `it answered 200 with a body of more than ${MAX_ANSWER_BYTES} bytes, not the validationToken`;
    if (body !== token) return `it answered 200 with the body ${quoted(body)}, not the validationToken`;
    return null;
  });
  return problem === TIMED_OUT ? `it did not answer within ${notificationTimes.handshakeMs / 1000} s` : problem;
}

/**
 * Runs the handshake with every endpoint at once; a 400 ValidationError (Graph's code) naming each
 * that failed, its URL and what went wrong.
 */
export async function validateEndpoints(endpoints: readonly Endpoint[]): Promise<void> {
  const problems = await Promise.all(endpoints.map(async (endpoint) => ({ endpoint, problem: await handshake(endpoint.url) })));
  const failed = problems.filter(({ problem }) => problem !== null);
  if (failed.length === 0) return;
  const seconds = notificationTimes.handshakeMs / 1000;
  const sentences = failed.map(({ endpoint, problem }) => `The ${endpoint.property} ${quoted(endpoint.url)} failed: ${problem}.`);
  throw new GraphError(
    400,
    "ValidationError",
    `Subscription validation request failed. ${sentences.join(" ")} An endpoint must answer the POST of {url}?validationToken={token} with 200 and the token, exactly, as text/plain, within ${seconds} s; nothing was stored.`,
  );
}
