// Graph's JSON batch format (the json-batching concept page, after OData JSON 4.01's batch format):
// where a request's `url` points, and how bodies travel inside the batch's JSON.

const VERSION = /^(v1\.0|beta)(?:\/|(?=[?#])|$)/;

/** A batch request's url: the version it names, if any, and the path after it (without a leading slash). */
interface BatchUrl {
  version: "/v1.0" | "/beta" | undefined;
  path: string;
}

/**
 * Splits a batch request's url (`/me/activities`, `me/activities`, `/v1.0/me/activities`);
 * undefined when it is absolute (`https://…`, `//host/…`), which a batch does not take.
 */
export function splitBatchUrl(url: string): BatchUrl | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || /^[/\\]{2}/.test(url)) return undefined;
  const relative = url.startsWith("/") ? url.slice(1) : url;
  const match = VERSION.exec(relative);
  if (!match) return { version: undefined, path: relative };
  return { version: `/${match[1]}` as BatchUrl["version"], path: relative.slice(match[0].length) };
}

/** The path's segments, percent-decoded (a segment that does not decode stays as sent); URLs treat `\` as `/`. */
export function pathSegments(path: string): string[] {
  return path
    .split(/[?#]/, 1)[0]!
    .split(/[/\\]/)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    });
}

/** Whether a batch request's url names `$batch` itself (in any case or encoding). */
export function namesBatch(url: string): boolean {
  const split = splitBatchUrl(url);
  return split !== undefined && pathSegments(split.path)[0]!.toLowerCase() === "$batch";
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/** The bytes of a base64 body (standard or URL-safe alphabet, padding optional); undefined when it is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!BASE64.test(standard)) return undefined;
  return Uint8Array.from(atob(standard), (char) => char.charCodeAt(0));
}

/** A response header a batch answer carries, spelled as Graph spells it (the classic client looks up `Content-Type` exactly). */
const ANSWER_HEADERS = [
  "Content-Type",
  "Location",
  "Retry-After",
  "Allow",
  "WWW-Authenticate",
  "Preference-Applied",
  "request-id",
  "client-request-id",
];

/** The headers of a request's answer that matter to its client; never CORS headers, which belong to the batch. */
export function answerHeaders(headers: Headers): Record<string, string> {
  return Object.fromEntries(ANSWER_HEADERS.flatMap((name) => (headers.has(name) ? [[name, headers.get(name)!]] : [])));
}

const isJsonType = (contentType: string | null) => {
  const mediaType = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return mediaType === "application/json" || mediaType.endsWith("+json");
};

/**
 * A response body as a batch answer carries it: JSON as the JSON value itself, an empty body as
 * null (Graph's 204), and text (a `$count`) as the string, as OData's JSON batch format has it.
 */
export async function answerBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === "") return null;
  return isJsonType(response.headers.get("Content-Type")) ? JSON.parse(text) : text;
}
