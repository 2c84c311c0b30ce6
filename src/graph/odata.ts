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

/** An absolute `@odata.nextLink`: this request's URL with its query options and the next page's cursor. */
export function nextLink(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl);
  const options = [...url.searchParams].filter(([name]) => name !== "$skiptoken");
  options.push(["$skiptoken", cursor]);
  // Built by hand so that option names keep their `$` (URLSearchParams would escape it).
  return `${url.origin}${url.pathname}?${options.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join("&")}`;
}

/**
 * A collection's JSON from its members' stored texts (each JSON.stringify's own): the bytes
 * JSON.stringify writes for the parsed collection, the annotations first, then `value`, then each
 * link that is set; no member is parsed and written again.
 */
export function collectionText(
  annotations: { "@odata.context": string; "@odata.count"?: number },
  members: readonly string[],
  links: Record<string, string | null>,
): string {
  let text = `${JSON.stringify(annotations).slice(0, -1)},"value":[${members.join(",")}]`;
  for (const [name, url] of Object.entries(links)) if (url !== null) text += `,${JSON.stringify(name)}:${JSON.stringify(url)}`;
  return `${text}}`;
}

/**
 * A resource cut down to a $select: the selected properties, plus its id, its @odata annotations
 * and any expanded navigation (historyItems), which OData always returns; the whole resource when
 * nothing was selected. The documented schema stays the full resource, every property optional in effect.
 */
export function selectProperties<T extends object>(resource: T, selection: readonly string[] | null): T {
  if (selection === null) return resource;
  const kept = Object.entries(resource).filter(
    ([name]) => name === "id" || name.startsWith("@odata.") || name === "historyItems" || selection.includes(name),
  );
  return Object.fromEntries(kept) as T;
}
