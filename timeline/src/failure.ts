// A failed call in words: what the page could not do, and what the service said about it.
import type { Failure } from "./api";

/** The failure as a title and a detail: what happened, the service's code and message, and its request-id. */
export function describeFailure(failure: Failure, doing: string): { title: string; detail: string } {
  if (failure.kind === "unanswered") return { title: `Could not ${doing}: no usable answer from the service`, detail: failure.message };
  const said = `${failure.status} ${failure.code}${failure.message ? `: ${failure.message}` : ""}`;
  const id = failure.requestId ? ` (request-id ${failure.requestId})` : "";
  if (failure.status === 429) {
    const wait =
      failure.retryAfterSeconds === null
        ? "a while"
        : failure.retryAfterSeconds === 1
          ? "1 second"
          : `${failure.retryAfterSeconds} seconds`;
    return {
      title: `Could not ${doing}: too many requests`,
      detail: `The service asks to wait ${wait} before trying again (Retry-After). ${said}${id}`,
    };
  }
  if (failure.status === 403) return { title: `Could not ${doing}: the token is not allowed to`, detail: `${said}${id}` };
  if (failure.status === 404) return { title: `Could not ${doing}: not found`, detail: `${said}${id}` };
  if (failure.status >= 500) return { title: `Could not ${doing}: the service failed`, detail: `${said}${id}` };
  return { title: `Could not ${doing}`, detail: `${said}${id}` };
}
