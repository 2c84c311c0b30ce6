const PREFIXES = ["/v1.0", "/beta"] as const;

/** The API version prefix the request came in on: `/v1.0`, `/beta` or none. */
export function versionPrefix(path: string): string {
  return PREFIXES.find((prefix) => path === prefix || path.startsWith(`${prefix}/`)) ?? "";
}

/** An absolute `@odata.context` URL on the request's own origin and version prefix. */
export function odataContext(requestUrl: string, fragment: string): string {
  const url = new URL(requestUrl);
  return `${url.origin}${versionPrefix(url.pathname)}/$metadata#${fragment}`;
}

/** The OData path of the caller's activities: `users('<oid>')/activities`. */
export function activitiesPath(userId: string): string {
  return `users('${encodeURIComponent(userId)}')/activities`;
}
