import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { limits } from "../limits";
import { badRequest, GraphError } from "./errors";

/** Whether a Content-Type is `mediaType`, with any parameters so long as a charset, if given, is UTF-8. */
export function isMediaType(contentType: string, mediaType: string): boolean {
  const [type, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  return (
    type === mediaType &&
    parameters.every((parameter) => !parameter.startsWith("charset=") || parameter.replace(/"/g, "") === "charset=utf-8")
  );
}

/**
 * Guards a request body before validation: 415 unless it is JSON, 413 over `maxBytes`
 * (default: limits.bodyBytes)
 * (counted as it streams, so a missing or lying Content-Length changes nothing), 400 unless
 * it parses. The parsed body is left in Hono's body cache for the route's validator.
 */
export function jsonBody(options: { maxBytes?: number } = {}): MiddlewareHandler<AppEnv> {
  const maxBytes = options.maxBytes ?? limits.bodyBytes;
  return async function jsonBody(c, next) {
    const type = c.req.header("Content-Type");
    if (!type || !isMediaType(type, "application/json")) {
      throw new GraphError(
        415,
        "UnsupportedMediaType",
        `The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got '${type ?? "none"}').`,
      );
    }
    const declared = Number(c.req.header("Content-Length"));
    if (declared > maxBytes) throw tooLarge(maxBytes);
    c.req.bodyCache.json = Promise.resolve(parseStorableJson(await readText(c.req.raw, maxBytes)));
    await next();
  };
}

/** Parses JSON text, 400 unless it parses into what can be stored and read back as sent; `subject` names the text in the message. */
export function parseStorableJson(text: string, subject = "request body"): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The ${subject} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const problem = mayBeUnstorable.test(text) ? unstorable(parsed) : undefined;
  if (problem) throw badRequest(problem);
  return parsed;
}

/** Decodes UTF-8 text, 400 unless it is valid; `subject` names the text in the message. */
export function decodeUtf8(bytes: Uint8Array, subject = "request body"): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest(`The ${subject} is not valid UTF-8.`);
  }
}

/**
 * What a body's text must contain for unstorable() to find anything, so that most bodies are not
 * walked: the text is valid UTF-8, so a lone surrogate can only come from a \u escape (\uD800 to
 * \uDFFF), and a number can only overflow a double with an exponent of three digits or a run of
 * at least 100 digits (below both, it stays under 10^199).
 */
const mayBeUnstorable = /\\u[dD][89a-fA-F]|[eE]\+?\d{3}|\d{100}/;

/**
 * JSON admits what cannot be stored and read back as sent: numbers like 1e400 (JSON.parse makes
 * them Infinity) and strings with unpaired surrogates (\udc00, not Unicode text). Returns the
 * problem and where it is (`historyItems[0].activeDurationSeconds`), or undefined.
 */
function unstorable(body: unknown): string | undefined {
  const pending: [unknown, string][] = [[body, ""]];
  while (pending.length) {
    const [value, path] = pending.pop()!;
    if (typeof value === "number" && !Number.isFinite(value)) return `Invalid value for '${path}': the number is out of range.`;
    if (typeof value === "string" && /\p{Cs}/u.test(value))
      return `Invalid value for '${path}': the text has an unpaired surrogate, so it is not Unicode.`;
    if (Array.isArray(value)) value.forEach((item, index) => pending.push([item, `${path}[${index}]`]));
    else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) pending.push([item, path ? `${path}.${key}` : key]);
    }
  }
  return undefined;
}

/** Reads a body of unknown length, refusing it as soon as it passes `maxBytes`. */
async function readCounted(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const tooLarge = (maxBytes: number) => new GraphError(413, "requestTooLarge", `The request body is larger than ${maxBytes} bytes.`);

async function readText(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return "";
  let bytes: Uint8Array;
  if (request.headers.has("Content-Length")) {
    // Declared within the limit (checked before): one read; the count below still catches a lie.
    bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
  } else {
    bytes = await readCounted(request.body, maxBytes);
  }
  return decodeUtf8(bytes);
}
