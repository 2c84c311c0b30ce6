import { notificationTimes } from "../limits";

/**
 * POSTs notifications (`{"value": [...]}`) to a receiver. A delivery is a 2xx within
 * notificationTimes.deliveryMs; anything else (a timeout, a refused connection, another status, a
 * redirect, which is never followed) is a failure the caller retries. Never throws.
 */
export async function postNotifications(url: string, body: string): Promise<boolean> {
  // A timer cleared once answered (not AbortSignal.timeout, whose timer would keep the object awake the whole deadline).
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), notificationTimes.deliveryMs);
  try {
    const answer = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8" },
      body,
      redirect: "manual",
      signal: deadline.signal,
    });
    await answer.body?.cancel();
    return answer.status >= 200 && answer.status < 300;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
