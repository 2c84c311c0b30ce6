// Where the service may send a subscription's notifications (notificationUrl, lifecycleNotificationUrl):
// https anywhere; plain http only to this machine, and only where the deployment allows it
// (WEBHOOK_LOOPBACK_HTTP, on under `wrangler dev`, off deployed), for a receiver on a developer's laptop.

/** Whether a URL's host is a loopback address: localhost, 127.0.0.0/8 or [::1] (as the URL parser writes them). */
function isLoopback(url: URL): boolean {
  return url.hostname === "localhost" || url.hostname === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/**
 * What is wrong with `text` as a webhook endpoint, as a phrase completing "expected …" (null: nothing):
 * an absolute https URL, or http to a loopback address when `loopbackHttp` allows it; never with
 * credentials in it, which would travel in every request and show in every log.
 */
export function endpointProblem(text: string, loopbackHttp: boolean): string | null {
  const url = URL.parse(text);
  if (!url) return "an absolute https URL";
  if (url.username !== "" || url.password !== "")
    return "a URL without credentials (user:password@): the receiver checks clientState instead";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:" && isLoopback(url)) {
    if (loopbackHttp) return null;
    return "an https URL: plain http to a loopback address is allowed only where the deployment allows it (WEBHOOK_LOOPBACK_HTTP), and this one does not";
  }
  return "an https URL (plain http only to a loopback address: localhost, 127.0.0.0/8 or [::1], where the deployment allows it)";
}

/** Whether the deployment lets webhook endpoints be plain http to a loopback address. */
export const allowsLoopbackHttp = (env: Env) => env.WEBHOOK_LOOPBACK_HTTP === "on";
