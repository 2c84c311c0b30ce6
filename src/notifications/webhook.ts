import { notificationTimes } from "../limits";

// Requests to a subscriber's endpoints (the handshake, deliveries): each under a deadline of its own.

/** What withinDeadline answers when the time ran out. */
export const TIMED_OUT = Symbol("timed out");

/**
 * Runs `work` under a deadline: its result, or TIMED_OUT once `ms` have passed (its signal is then
 * aborted, so a request still waiting is cancelled). The timer is cleared as soon as either comes:
 * a timer left running would keep a Durable Object awake for the whole deadline after every request.
 */
export async function withinDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T | typeof TIMED_OUT> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(TIMED_OUT);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/**
 * POSTs notifications (`{"value": [...]}`) to a receiver. A delivery is a 2xx within
 * notificationTimes.deliveryMs; anything else (a timeout, a refused connection, another status, a
 * redirect, which is never followed) is a failure the caller retries. Never throws.
 */
export async function postNotifications(url: string, body: string): Promise<boolean> {
  try {
    const delivered = await withinDeadline(notificationTimes.deliveryMs, async (signal) => {
      const answer = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body,
        redirect: "manual",
        signal,
      });
      await answer.body?.cancel();
      return answer.status >= 200 && answer.status < 300;
    });
    return delivered === true;
  } catch {
    return false;
  }
}
