import { badRequest } from "./errors";

/**
 * An `id` in a body is read-only and ignored, unless it names another item than the one the URL
 * names (compared ignoring case): then the client meant that other item, and it is a 400 naming `id`.
 */
export function checkBodyId(body: unknown, urlId: string): void {
  const bodyId = body !== null && typeof body === "object" && "id" in body ? body.id : undefined;
  if (bodyId === undefined || bodyId === null) return;
  if (typeof bodyId === "string" && bodyId.toLowerCase() === urlId.toLowerCase()) return;
  throw badRequest(`Invalid value for 'id': expected '${urlId}', the id of the item the URL names, or no id at all.`);
}
