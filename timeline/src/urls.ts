// The one rule for every URL the page follows or loads: http and https only.

/** The URL as an absolute http(s) URL string, or undefined for any other scheme (javascript:, data:, app protocols). */
export function webUrl(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const url = URL.parse(text);
  return url && (url.protocol === "https:" || url.protocol === "http:") ? url.href : undefined;
}

/** The URL only when it is on this page's own origin: the token is never sent anywhere else. */
export function ownOriginUrl(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const url = URL.parse(text, location.href);
  return url && url.origin === location.origin ? url.href : undefined;
}
