import { z } from "@hono/zod-openapi";
import { parseDateTime } from "../graph/dates";
import { limits } from "../limits";
import type { BodyIssue } from "../objects/records";

/** The message a required property gets when it is missing; the error formatter recognises it. */
export const REQUIRED = "required";

/** A route's JSON body or answer, as @hono/zod-openapi declares content. */
export const jsonContent = <T>(schema: T) => ({ "application/json": { schema } });

/** C0 and C1 control characters: no place in an identifier, and they break logs and headers. */
export const CONTROL_CHARACTER = /\p{Cc}/u;

/** zod's issues as plain data, so they cross RPC: where, what kind, and what was expected. */
export const bodyIssues = (issues: readonly z.core.$ZodIssue[]): BodyIssue[] =>
  issues.map((issue) => ({
    code: issue.code,
    path: issue.path.map((key) => (typeof key === "number" ? key : String(key))),
    message: issue.message,
    ...(issue.code === "unrecognized_keys" ? { keys: issue.keys } : {}),
  }));

/** A zod error option: REQUIRED when the value is absent, otherwise what was expected. */
export const expected = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? REQUIRED : `expected ${what}`),
});

/** A zod error option for a Graph type's object: names the type for unknown properties and wrong values. */
export const graphObject = (typeName: string) => ({
  error: (issue: { input?: unknown; code?: string }) => {
    if (issue.code === "unrecognized_keys") return `does not exist on type '${typeName}'`;
    return issue.input === undefined ? REQUIRED : `expected a JSON object (${typeName})`;
  },
});

// Both cases spelled out, never the `i` flag: the OpenAPI documents carry a pattern's source as
// JSON Schema's `pattern`, which has no flags, so a flag would be written into it as text.
export const GUID_PATTERN = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A GUID, in either case; the example is one of Graph's own. */
export const guidSchema = z
  .string(expected("a GUID"))
  .regex(GUID_PATTERN, "expected a GUID such as 9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c")
  .openapi({ format: "uuid", example: "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c" });

const DATE_TIME_EXPECTED =
  "an ISO 8601 date and time with an offset and up to 7 fractional digits, such as 2015-02-11T20:54:04.3457274+00:00";

/** A DateTimeOffset in a request body; responses always carry UTC with milliseconds and `Z`. */
export const dateTimeSchema = z
  .string(expected(DATE_TIME_EXPECTED))
  .refine((text) => parseDateTime(text) !== undefined, `expected ${DATE_TIME_EXPECTED}`)
  .openapi({ format: "date-time", example: "2015-02-11T20:54:04.3457274+00:00" });

const isAbsoluteUrl = (text: string) => URL.canParse(text);

// Schemes whose URL a browser runs as script (javascript:, vbscript:) or opens as a page the URL itself holds (data:).
const SCRIPTABLE_SCHEMES = ["javascript:", "vbscript:", "data:"];

// Parsed as a browser parses it (WHATWG URL: leading spaces and control characters trimmed, tabs and
// newlines dropped, the scheme lowercased), so " Java\tScript:" is caught as the browser would read it.
const isScriptable = (text: string) => SCRIPTABLE_SCHEMES.includes(URL.parse(text)?.protocol ?? "");

/** An absolute URL of any scheme but a scriptable one (activation URLs may use an app's own protocol). */
export const urlSchema = z
  .string(expected("an absolute URL"))
  .max(limits.urlChars, `expected at most ${limits.urlChars} characters`)
  .refine(isAbsoluteUrl, { error: "expected an absolute URL", abort: true })
  .refine((text) => !isScriptable(text), "expected a URL whose scheme is not javascript:, vbscript: or data:")
  .openapi({ format: "uri" });

/** A web origin such as `https://contoso.com` (a trailing slash is tolerated). */
export const originSchema = z
  .string(expected("a web origin such as https://contoso.com"))
  .max(limits.urlChars, `expected at most ${limits.urlChars} characters`)
  .refine((text) => {
    const url = URL.parse(text);
    return (
      (url?.protocol === "https:" || url?.protocol === "http:") &&
      url.pathname === "/" &&
      url.username === "" &&
      url.password === "" &&
      !/[?#]/.test(text)
    );
  }, "expected a web origin such as https://contoso.com, with no path, query or fragment")
  .openapi({ example: "https://contoso.com" });

/** Free text of bounded length. */
export const textSchema = (maxChars: number = limits.textChars) =>
  z.string(expected("a string")).max(maxChars, `expected at most ${maxChars} characters`);

/**
 * A read-only property (or OData annotation) that a request may carry and the service ignores;
 * marked readOnly, so that documentation tools leave it out of the request bodies they generate.
 */
export const ignoredSchema = z
  .unknown()
  .optional()
  .openapi({ readOnly: true, description: "Read-only: accepted and ignored in requests." });

/** The read-only members every resource body may carry. */
export const readOnlyMembers = {
  "@odata.type": ignoredSchema,
  "@odata.context": ignoredSchema,
  status: ignoredSchema,
  createdDateTime: ignoredSchema,
  lastModifiedDateTime: ignoredSchema,
};

/** How deeply a parsed JSON value nests (a scalar is 0), counted without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [node, depth] = pending.pop()!;
    deepest = Math.max(deepest, depth);
    if (node !== null && typeof node === "object") for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}

const notTooDeep = (value: unknown) => jsonDepth(value) <= limits.jsonDepth;
const TOO_DEEP = `expected JSON nested at most ${limits.jsonDepth} levels deep`;

/** Any JSON value (an Adaptive Card), of bounded depth. */
export const jsonSchema = z.unknown().refine(notTooDeep, TOO_DEEP);

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Any JSON object (JSON-LD), of bounded depth, kept as sent: z.record would copy it member by
 * member, and a copy turns a `__proto__` member into the copy's prototype, losing it.
 */
export const jsonObjectSchema = z
  .custom<Record<string, unknown>>(isJsonObject, "expected a JSON object")
  .refine(notTooDeep, TOO_DEEP)
  .openapi({ type: "object", additionalProperties: {} });

/** An exported record's own times, as the service writes them: never modified before it was created (an import's check). */
export const modifiedNotBeforeCreated = (record: { createdDateTime: string; lastModifiedDateTime: string }) =>
  parseDateTime(record.lastModifiedDateTime)! >= parseDateTime(record.createdDateTime)!;

export const notBeforeCreated = { message: "expected a date and time not before createdDateTime", path: ["lastModifiedDateTime"] };

/** The status values the service writes (read back by an import). */
export const statusSchema = z.enum(["active", "updated"], expected("'active' or 'updated'"));

const UINT64_MAX = 18446744073709551615n;

/** An activity's server id: the decimal 64-bit integer that PUT returned. */
export const activityIdSchema = z
  .string()
  .refine(
    (text) => /^\d{1,20}$/.test(text) && BigInt(text) <= UINT64_MAX,
    "expected an activity id: the decimal number returned by PUT /me/activities/{appActivityId}",
  )
  .openapi({ description: "The activity's id, as returned by PUT.", example: "13881113971988980728" });

/** A history item id in the URL: a GUID. */
export const historyItemIdSchema = guidSchema.openapi({ description: "The history item's id: a GUID." });
