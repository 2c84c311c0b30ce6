// Graph's JSON batch format (the json-batching concept page, after OData JSON 4.01's batch format):
// where a request's `url` points, and how bodies travel inside the batch's JSON.

import { versionPrefix } from "./odata";

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
function splitBatchUrl(url: string): BatchUrl | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || /^[/\\]{2}/.test(url)) return undefined;
  const relative = url.startsWith("/") ? url.slice(1) : url;
  const match = VERSION.exec(relative);
  if (!match) return { version: undefined, path: relative };
  return { version: `/${match[1]}` as BatchUrl["version"], path: relative.slice(match[0].length) };
}

/**
 * The URL a batch request's url names, as the URL parser resolves it (backslashes read as slashes,
 * dot segments applied, in any encoding): against `batchUrl`'s origin and version unless it names its
 * own. Undefined when it is absolute.
 */
export function resolveBatchUrl(url: string, batchUrl: URL): URL | undefined {
  const split = splitBatchUrl(url);
  if (!split) return undefined;
  return new URL(`${batchUrl.origin}${split.version ?? versionPrefix(batchUrl.pathname)}/${split.path}`);
}

/** The first segment of a URL's path after any version prefix, percent-decoded: where a router sends it (`me`, `users`, `$batch`). */
export function pathRoot(url: URL): string {
  const segment = url.pathname.slice(versionPrefix(url.pathname).length).split("/")[1] ?? "";
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// Any batch's URL will do to tell whether a url resolves to `$batch`: the version only prefixes the root.
const SOME_BATCH = new URL("https://batch.invalid/$batch");

/** Whether a batch request's url, once resolved, names `$batch` itself (in any case or spelling). */
export function namesBatch(url: string): boolean {
  const resolved = resolveBatchUrl(url, SOME_BATCH);
  return resolved !== undefined && pathRoot(resolved).toLowerCase() === "$batch";
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
