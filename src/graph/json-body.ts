import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { limits } from "../limits";
import { badRequest, excerpt, GraphError, quoted } from "./errors";
import { readAtMost } from "./stream-lines";
import { describePath } from "./validation";

/** Whether a Content-Type is `mediaType`, with any parameters so long as a charset, if given, is UTF-8. */
export function isMediaType(contentType: string, mediaType: string): boolean {
  const [type, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  return (
    type === mediaType &&
    parameters.every((parameter) => !parameter.startsWith("charset=") || parameter.replace(/"/g, "") === "charset=utf-8")
  );
}

/**
 * Guards a request body before validation: 415 unless it is JSON, 413 over `maxBytes` (default:
 * limits.bodyBytes; counted as it streams, so a missing or lying Content-Length changes nothing),
 * 400 unless it parses, nests at most `maxDepth` levels (default: limits.bodyDepth) and holds only
 * values that come back as sent (see bodyProblem). The parsed body is left in Hono's body cache
 * for the route's validator.
 */
export function jsonBody(options: { maxBytes?: number; maxDepth?: number } = {}): MiddlewareHandler<AppEnv> {
  const maxBytes = options.maxBytes ?? limits.bodyBytes;
  const maxDepth = options.maxDepth ?? limits.bodyDepth;
  return async function jsonBody(c, next) {
    const type = c.req.header("Content-Type");
    if (!type || !isMediaType(type, "application/json")) {
      throw new GraphError(
        415,
        "UnsupportedMediaType",
        `The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got ${quoted(type ?? "none")}).`,
      );
    }
    const declared = Number(c.req.header("Content-Length"));
    if (declared > maxBytes) throw tooLarge(maxBytes);
    c.req.bodyCache.json = Promise.resolve(parseStorableJson(await readText(c.req.raw, maxBytes), "request body", maxDepth));
    await next();
  };
}

/**
 * Parses JSON text: 400 unless it parses, nests at most `maxDepth` levels and holds only values that
 * come back as sent (see bodyProblem); `subject` names the text in the message.
 */
export function parseStorableJson(text: string, subject = "request body", maxDepth: number = limits.bodyDepth): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The ${subject} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  let problem = bodyProblem(parsed, maxDepth);
  // Parsed again with the marking reviver (slower, and recursive) only once the nesting is known to
  // be safe, and only when the text could hold a value that would not come back as sent.
  if (!problem && mayBeUnkept.test(text)) {
    parsed = JSON.parse(text, markUnkept);
    problem = bodyProblem(parsed, maxDepth);
  }
  if (problem) throw badRequest(problem);
  return parsed;
}

// One decoder for every body: a whole (not streamed) decode starts afresh, and making one costs twice the decoding of a history item.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 text, 400 unless it is valid; `subject` names the text in the message. */
export function decodeUtf8(bytes: Uint8Array, subject = "request body"): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    throw badRequest(`The ${subject} is not valid UTF-8.`);
  }
}

/**
 * What a body's text must contain for markUnkept to find anything, so that most bodies are parsed
 * plainly. The text is valid UTF-8, so a lone surrogate can only come from a \u escape (\uD800 to
 * \uDFFF). A number with at most 15 significant digits in a double's normal range comes back with
 * its value (a double holds 15 decimal digits), so a number can only change with 16 digits or more
 * (a dot may sit among them), an exponent of three digits (a run of digits reaches the rest of the
 * range), or as a negative zero (a value: first in the text, or after `[`, `:`, `,` or a space).
 */
const mayBeUnkept = /\\u[dD][89a-fA-F]|[eE][-+]?\d{3}|\d(?:\.?\d){15}|(?<![^[:,\s])-0(?![.\d]*[1-9])/;

/** A value that would not come back as sent, in place of it in the parsed body, with why; never leaves this module. */
class Unkept {
  constructor(readonly problem: string) {}
}

/** A JSON number's value in one spelling: sign, significant digits and exponent (`1.0` and `1E0` are `1e0`; `-0` keeps its sign). */
function decimalValue(number: string): string {
  const [, sign, whole, fraction = "", exponent = "0"] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(number)!;
  const digits = (whole + fraction).replace(/^0+/, "");
  const significant = digits.replace(/0+$/, "");
  if (!significant) return `${sign}0`;
  return `${sign}${significant}e${Number(exponent) - fraction.length + digits.length - significant.length}`;
}

/**
 * A JSON.parse reviver that puts an Unkept in place of each value that would not come back as sent:
 * a number whose double has another value than its text (12345678901234567891, 1e-400, 1e400, -0;
 * another spelling of the same value, such as 1.0 or 1E2, is kept) and text with an unpaired
 * surrogate (\udc00, not Unicode). JSON.parse hands a reviver each primitive's source text.
 */
function markUnkept(_key: string, value: unknown, context?: { source?: string }): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return new Unkept("the number is out of range");
    if (context?.source !== undefined && decimalValue(context.source) !== decimalValue(String(value))) {
      return new Unkept(`the number ${excerpt(context.source)} cannot be stored exactly: it would come back as ${String(value)}`);
    }
  }
  if (typeof value === "string" && /\p{Cs}/u.test(value)) return new Unkept("the text has an unpaired surrogate, so it is not Unicode");
  return value;
}

/**
 * The first thing in a parsed body that cannot be taken as sent, as a sentence naming where it
 * is; undefined when there is none: nesting deeper than `maxDepth` (a value that deep cannot be
 * handed to a Durable Object, and no valid body comes near it), or a value markUnkept marked.
 * Walked without recursion, so any nesting JSON.parse accepts is safe here.
 */
function bodyProblem(body: unknown, maxDepth: number): string | undefined {
  // One entry per object, array or marker met, in parallel arrays (every body is walked, so no object per entry):
  // the value, the entry it sits in and under which key, its depth. A path is put together only to name it.
  const values: unknown[] = [body];
  const parents: number[] = [-1];
  const keys: (string | number)[] = [""];
  const depths: number[] = [0];
  const pending: number[] = [0];
  const pathTo = (at: number, ...below: (string | number)[]) => {
    const path = below;
    for (let entry = at; entry > 0; entry = parents[entry]!) path.unshift(keys[entry]!);
    return quoted(describePath(path));
  };
  while (pending.length) {
    const at = pending.pop()!;
    const value = values[at];
    if (value instanceof Unkept) return `Invalid value for ${pathTo(at)}: ${value.problem}.`;
    if (value === null || typeof value !== "object") continue;
    const names: (string | number)[] = Array.isArray(value) ? Array.from(value.keys()) : Object.keys(value);
    if (names.length && depths[at] === maxDepth) {
      return `The request body is nested more than ${maxDepth} levels deep, at ${pathTo(at, names[0]!)}.`;
    }
    for (const name of names) {
      const member = (value as Record<string | number, unknown>)[name];
      // Only what may hold something to find is visited: objects, arrays and the Unkept markers.
      if (member === null || typeof member !== "object") continue;
      values.push(member);
      parents.push(at);
      keys.push(name);
      depths.push(depths[at]! + 1);
      pending.push(values.length - 1);
    }
  }
  return undefined;
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
    const read = await readAtMost(request.body, maxBytes);
    if (read === null) throw tooLarge(maxBytes);
    bytes = read;
  }
  return decodeUtf8(bytes);
}
