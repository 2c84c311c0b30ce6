import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { limits } from "../src/limits";
import { type Answer, DAY_MS, ISO_MS, send } from "./support/api";
import { expectGraphError, historyItemContext } from "./support/graph";
import { storedRows } from "./support/objects";
import { callerFor, mintToken } from "./support/tokens";

// A caller of this file's own, so that no other test file shares its activities or feed.
const USER = crypto.randomUUID();
const CALLER = callerFor({ user: USER });
const INT32_MAX = 2_147_483_647;
const LIFETIME_MS = 30 * DAY_MS;

let token: string;
beforeAll(async () => {
  token = await mintToken({ user: USER, ttl: 3600 });
});

/** The codes §5 of the spec gives each client-error status. */
const CODES: Record<number, RegExp> = {
  400: /^(BadRequest|invalidRequest)$/,
  404: /^itemNotFound$/,
  405: /^notAllowed$/,
  409: /^conflict$/,
  413: /^requestTooLarge$/,
  415: /^UnsupportedMediaType$/,
};

/** Sends `raw` as a JSON body with a fresh client-request-id, which the answer must echo. */
const sendRaw = (method: string, path: string, raw?: string) => send(method, path, { token, ...(raw === undefined ? {} : { raw }) });

/** Not a 5xx, and a 4xx is Graph's envelope with the code the spec gives its status and a real message. */
function expectNoServerErrorAndEnvelope(answer: Answer) {
  expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(500);
  if (answer.status >= 400) expectGraphError(answer, answer.status, CODES[answer.status] ?? /^\w+$/, /\S/);
}

// ---------------------------------------------------------------------------------------------
// Valid bodies and where they can be broken.

type Kind =
  | "text" // free text, limits.textChars
  | "displayText" // free text, at least one character
  | "timezone" // free text, limits.timezoneChars
  | "url"
  | "origin"
  | "colour"
  | "bool"
  | "int32" // activeDurationSeconds
  | "date"
  | "guid"
  | "appActivityId" // must equal the URL's
  | "json" // any JSON (visualElements.content)
  | "jsonObject" // any JSON object (contentInfo)
  | "object" // a typed object: visualElements, attribution
  | "array" // historyItems
  | "ignored" // read-only: accepted whatever it is
  | "ownId"; // read-only id: accepted when absent or null, a 400 naming it when it names another item than the URL

type Path = (string | number)[];

interface Field {
  path: Path;
  kind: Kind;
  required: boolean;
  /** null is accepted (Graph's nullable properties). */
  nullable: boolean;
}

const STARTED = "2015-02-11T20:54:04.3457274+00:00";
const LAST_ACTIVE = "2015-02-11T20:54:24.3457274+00:00";

const READ_ONLY = ["@odata.type", "@odata.context", "status", "createdDateTime", "lastModifiedDateTime"];

const field = (path: Path, kind: Kind, required = false, nullable = !required): Field => ({ path, kind, required, nullable });

const activityFields: Field[] = [
  // Optional in a PUT, whose URL gives it: null is taken as absent.
  field(["appActivityId"], "appActivityId"),
  field(["activitySourceHost"], "origin", true),
  field(["activationUrl"], "url", true),
  field(["appDisplayName"], "text"),
  field(["fallbackUrl"], "url"),
  field(["contentUrl"], "url"),
  field(["visualElements"], "object", true),
  field(["visualElements", "displayText"], "displayText", true),
  field(["visualElements", "description"], "text"),
  field(["visualElements", "backgroundColor"], "colour"),
  field(["visualElements", "content"], "json"),
  field(["visualElements", "attribution"], "object"),
  field(["visualElements", "attribution", "iconUrl"], "url"),
  field(["visualElements", "attribution", "alternateText"], "text"),
  field(["visualElements", "attribution", "alternativeText"], "text"),
  field(["visualElements", "attribution", "addImageQuery"], "bool"),
  field(["contentInfo"], "jsonObject"),
  field(["userTimezone"], "timezone"),
  ...[...READ_ONLY, "expirationDateTime"].map((name) => field([name], "ignored")),
  field(["id"], "ownId"),
];

/** The fields of a history item body; `id` is the client's GUID on POST and in a deep insert, the URL's item on PUT. */
const itemFields = (prefix: Path, idKind: "guid" | "ownId"): Field[] => [
  field([...prefix, "id"], idKind),
  field([...prefix, "startedDateTime"], "date", true),
  field([...prefix, "lastActiveDateTime"], "date"),
  field([...prefix, "activeDurationSeconds"], "int32"),
  field([...prefix, "expirationDateTime"], "date"),
  field([...prefix, "userTimezone"], "timezone"),
  ...READ_ONLY.map((name) => field([...prefix, name], "ignored")),
];

/** Where an unknown property can go, and the property names defined there. */
interface Container {
  path: Path;
  known: string[];
}

const namesUnder = (fields: Field[], path: Path) =>
  fields.filter((f) => f.path.length === path.length + 1 && path.every((key, i) => f.path[i] === key)).map((f) => String(f.path.at(-1)));

function containersOf(fields: Field[], paths: Path[]): Container[] {
  return paths.map((path) => ({ path, known: namesUnder(fields, path) }));
}

const validActivity = (appActivityId: string) => ({
  appActivityId,
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?12345",
  appDisplayName: "Contoso",
  fallbackUrl: "https://www.contoso.com/fallback",
  contentUrl: "https://www.contoso.com/content",
  visualElements: {
    displayText: "Contoso article",
    description: "An article",
    backgroundColor: "#ff0000",
    content: { type: "AdaptiveCard", version: "1.0", body: [{ type: "TextBlock", text: "Contoso" }] },
    attribution: {
      iconUrl: "https://www.contoso.com/icon.png",
      alternateText: "Contoso",
      alternativeText: "Contoso",
      addImageQuery: false,
    },
  },
  contentInfo: { "@context": "https://schema.org", "@type": "Article", author: "Jennifer Booth" },
  userTimezone: "Africa/Casablanca",
  status: "String",
  "@odata.type": "#microsoft.graph.userActivity",
});

const validItem = (id?: string) => ({
  ...(id === undefined ? {} : { id }),
  startedDateTime: STARTED,
  lastActiveDateTime: LAST_ACTIVE,
  activeDurationSeconds: 20,
  expirationDateTime: "2099-01-01T00:00:00Z",
  userTimezone: "Africa/Casablanca",
  status: "String",
});

// ---------------------------------------------------------------------------------------------
// Mutations: plain data, so that fast-check prints a readable counterexample.

type Mutation =
  | { kind: "none" }
  | { kind: "drop"; field: Field }
  | { kind: "retype"; field: Field; value: unknown }
  | { kind: "outOfRange"; field: Field; literal: string }
  | { kind: "oddString"; field: Field; value: string }
  | { kind: "invalidDate"; field: Field; value: string }
  | { kind: "hugeString"; field: Field; length: number }
  | { kind: "unknownKey"; container: Container; key: string; value: unknown }
  | { kind: "deepJunk"; field: Field; depth: number }
  | { kind: "hugeBody"; bytes: number }
  | { kind: "wholeBody"; value: unknown }
  | { kind: "rawBody"; text: string }
  | { kind: "truncated"; at: number }
  | { kind: "otherAppActivityId"; value: string }
  | { kind: "existingItemId"; upperCase: boolean }
  | { kind: "duplicateItemIds"; upperCase: boolean }
  | { kind: "itemCount"; count: number };

/** What the spec says must come of a mutation; "any" when it leaves the outcome open. */
/** `within`: the message names a path inside `naming` (a body nested too deep is named where the limit is crossed). */
type Outcome = { kind: "accept" } | { kind: "reject"; status: 400 | 409 | 413; naming?: string; within?: boolean } | { kind: "any" };

const describePath = (path: Path) =>
  path.reduce<string>((text, key) => (typeof key === "number" ? `${text}[${key}]` : text ? `${text}.${key}` : key), "");

const typeOfJson = (value: unknown) => (value === null ? "null" : Array.isArray(value) ? "array" : typeof value);

/** The JSON types a field of this kind accepts (null aside). */
const ACCEPTED_TYPES: Record<Kind, string[] | "all"> = {
  text: ["string"],
  displayText: ["string"],
  timezone: ["string"],
  url: ["string"],
  origin: ["string"],
  colour: ["string"],
  bool: ["boolean"],
  int32: ["number"],
  date: ["string"],
  guid: ["string"],
  appActivityId: ["string"],
  json: "all",
  jsonObject: ["object"],
  object: ["object"],
  array: ["array"],
  ignored: "all",
  // No value but null can name the URL's item: the valid bodies carry no id, and mutations never guess it.
  ownId: [],
};

const LIMIT: Partial<Record<Kind, number>> = {
  text: limits.textChars,
  displayText: limits.textChars,
  timezone: limits.timezoneChars,
  url: limits.urlChars,
};

/** Optional client properties that come back as null when sent as null (the others get a server value). */
const ECHOES_NULL: Kind[] = ["text", "timezone", "url", "colour", "bool", "json", "jsonObject", "object"];

/** A value as it is after a trip through JSON (-0 is 0, undefined members vanish). */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? "null");

/** Unicode text: no lone surrogate (String.prototype.isWellFormed is ES2024, past this project's lib). */
const isWellFormed = (text: string) => !/\p{Cs}/u.test(text);

const isTextKind = (kind: Kind) => kind === "text" || kind === "displayText" || kind === "timezone";

function getAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown> | undefined)?.[key], value);
}

/** Sets (as an own property, even `__proto__`) or, with `remove`, deletes the member at `path`. */
function setAt(value: unknown, path: Path, member: unknown, remove = false) {
  const parent = getAt(value, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path.at(-1)!;
  if (remove) delete parent[key];
  else Object.defineProperty(parent, key, { value: member, enumerable: true, writable: true, configurable: true });
}

/** JSON nested `depth` levels deep (a scalar is 0), alternating arrays and objects; an object at the top when asked. */
function nested(depth: number, objectOnTop = false): unknown {
  if (depth === 0 && objectOnTop) return {};
  let node: unknown = "junk";
  for (let level = depth; level >= 1; level--) {
    const asObject = objectOnTop && level === 1 ? true : level % 2 === 0;
    node = asObject ? { [`k${level}`]: node, n: level } : [level, node, null];
  }
  return node;
}

/** A placeholder replaced, after JSON.stringify, by a literal JSON cannot produce (1e400, -0, 1.0). */
const RAW = "\u0000raw\u0000";

interface Request {
  raw: string;
  outcome: Outcome;
  /** A property and the value the 2xx answer must carry for it. */
  echo?: { path: Path; value: unknown };
}

/** The request a mutation makes of a valid body, and what the spec says must come of it (413 whenever it is too large). */
function mutate(base: Record<string, unknown>, mutation: Mutation): Request {
  const request = mutateBody(base, mutation);
  const tooLarge = new TextEncoder().encode(request.raw).byteLength > limits.bodyBytes;
  return tooLarge && request.outcome.kind !== "any" ? { raw: request.raw, outcome: { kind: "reject", status: 413 } } : request;
}

function mutateBody(base: Record<string, unknown>, mutation: Mutation): Request {
  const body = structuredClone(base);
  const reject400 = (path: Path): Outcome => ({ kind: "reject", status: 400, naming: describePath(path) });
  switch (mutation.kind) {
    case "none":
      return { raw: JSON.stringify(body), outcome: { kind: "accept" } };
    case "drop": {
      setAt(body, mutation.field.path, undefined, true);
      return { raw: JSON.stringify(body), outcome: mutation.field.required ? reject400(mutation.field.path) : { kind: "accept" } };
    }
    case "retype": {
      const { field: f, value } = mutation;
      setAt(body, f.path, value);
      const accepted = ACCEPTED_TYPES[f.kind];
      const type = typeOfJson(value);
      let outcome: Outcome;
      if (accepted === "all") outcome = { kind: "accept" };
      else if (type === "null") outcome = f.nullable ? { kind: "accept" } : reject400(f.path);
      else outcome = accepted.includes(type) ? { kind: "any" } : reject400(f.path);
      // Where the answer must carry what was sent: any JSON as content, null for an optional client property.
      const echoed = f.kind === "json" || (type === "null" && ECHOES_NULL.includes(f.kind));
      return {
        raw: JSON.stringify(body),
        outcome,
        ...(echoed && outcome.kind === "accept" ? { echo: { path: f.path, value: asJson(value) } } : {}),
      };
    }
    case "outOfRange": {
      setAt(body, mutation.field.path, RAW);
      const value = Number(mutation.literal);
      // -0 would come back as 0, so it is refused as every number whose value would not come back as sent.
      const fits = Number.isInteger(value) && value >= 0 && value <= INT32_MAX && !Object.is(value, -0);
      return {
        raw: JSON.stringify(body).replace(JSON.stringify(RAW), mutation.literal),
        outcome: fits ? { kind: "accept" } : reject400(mutation.field.path),
        ...(fits ? { echo: { path: mutation.field.path, value: Object.is(value, -0) ? 0 : value } } : {}),
      };
    }
    case "oddString": {
      const { field: f, value } = mutation;
      setAt(body, f.path, value);
      if (!isTextKind(f.kind)) return { raw: JSON.stringify(body), outcome: { kind: "any" } };
      if (f.kind === "displayText" && value.length === 0) return { raw: JSON.stringify(body), outcome: reject400(f.path) };
      // A lone surrogate is not Unicode: refusing it is fair, storing something else than was acknowledged is not.
      return {
        raw: JSON.stringify(body),
        outcome: isWellFormed(value) ? { kind: "accept" } : { kind: "any" },
        echo: { path: f.path, value },
      };
    }
    case "invalidDate":
      setAt(body, mutation.field.path, mutation.value);
      return { raw: JSON.stringify(body), outcome: reject400(mutation.field.path) };
    case "hugeString": {
      const { field: f, length } = mutation;
      const prefix = f.kind === "url" ? "https://www.contoso.com/" : "";
      const value = prefix + "é".repeat(length - prefix.length);
      setAt(body, f.path, value);
      const fits = length <= LIMIT[f.kind]!;
      return {
        raw: JSON.stringify(body),
        outcome: fits ? { kind: "accept" } : reject400(f.path),
        ...(fits ? { echo: { path: f.path, value } } : {}),
      };
    }
    case "unknownKey": {
      setAt(body, [...mutation.container.path, mutation.key], mutation.value);
      return { raw: JSON.stringify(body), outcome: reject400([...mutation.container.path, mutation.key]) };
    }
    case "deepJunk": {
      const f = mutation.field;
      setAt(body, f.path, nested(mutation.depth, f.kind === "jsonObject"));
      // Past the body's own nesting limit, wherever it is (read-only members too), named where the limit is crossed.
      if (f.path.length + mutation.depth > limits.bodyDepth) {
        return { raw: JSON.stringify(body), outcome: { kind: "reject", status: 400, naming: describePath(f.path), within: true } };
      }
      const fits = f.kind === "ignored" || (f.kind !== "ownId" && mutation.depth <= limits.jsonDepth);
      return { raw: JSON.stringify(body), outcome: fits ? { kind: "accept" } : reject400(f.path) };
    }
    case "hugeBody": {
      // Padding in a read-only property, which is accepted and ignored: only the size can reject it.
      const bare = new TextEncoder().encode(JSON.stringify({ ...body, lastModifiedDateTime: "" })).byteLength;
      const raw = JSON.stringify({ ...body, lastModifiedDateTime: "x".repeat(Math.max(0, mutation.bytes - bare)) });
      return { raw, outcome: mutation.bytes <= limits.bodyBytes ? { kind: "accept" } : { kind: "reject", status: 413 } };
    }
    case "wholeBody":
      return { raw: JSON.stringify(mutation.value), outcome: { kind: "any" } };
    case "rawBody":
      return { raw: mutation.text, outcome: { kind: "any" } };
    case "truncated": {
      const text = JSON.stringify(body);
      return { raw: text.slice(0, Math.min(mutation.at, text.length - 1)), outcome: { kind: "reject", status: 400 } };
    }
    case "otherAppActivityId":
      body.appActivityId = mutation.value;
      return {
        raw: JSON.stringify(body),
        outcome: mutation.value === base.appActivityId ? { kind: "accept" } : reject400(["appActivityId"]),
      };
    case "existingItemId":
      throw new Error("resolved by the route, which knows the existing item");
    case "duplicateItemIds": {
      const items = body.historyItems as { id: string }[];
      items[1]!.id = mutation.upperCase ? items[0]!.id.toUpperCase() : items[0]!.id;
      return { raw: JSON.stringify(body), outcome: { kind: "reject", status: 400 } };
    }
    case "itemCount": {
      body.historyItems = Array.from({ length: mutation.count }, () => validItem());
      return {
        raw: JSON.stringify(body),
        outcome: mutation.count <= limits.historyItemsPerRequest ? { kind: "accept" } : reject400(["historyItems"]),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.

/** Characters that break naive handling: controls, separators, BOM, bidi, lone surrogates, astral, quoting. */
const oddChar = fc.oneof(
  fc.constantFrom(
    "\u0000",
    "\u0001",
    "\u001f",
    "\u007f",
    "\u0085",
    "\u009f",
    "\u00a0",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\u200b",
    "\u202e",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "😀",
    "\u0301",
    "\ufffd",
    '"',
    "\\",
    "/",
    "<",
    ">",
    "&",
    "'",
    "%",
    "%00",
    "\n",
    "\r",
    "\t",
  ),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);
const oddString = fc.string({ unit: oddChar, maxLength: 24 });

/** A JSON value of each type, for replacing a property with one of another type. */
const valueOfSomeType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);

const INVALID_DATES = [
  "",
  "yesterday",
  "2015-02-11",
  "2015-02-11T20:54:04",
  "2015-02-11T20:54:04.345",
  "2015-02-11 20:54:04Z",
  "2015-02-11T20:54Z",
  "2015-02-30T20:54:04Z",
  "2015-02-29T00:00:00Z",
  "2100-02-29T00:00:00Z",
  "2015-04-31T00:00:00Z",
  "2015-13-01T00:00:00Z",
  "2015-00-10T00:00:00Z",
  "2015-02-00T00:00:00Z",
  "2015-02-11T24:00:00Z",
  "2015-02-11T23:60:00Z",
  "2015-02-11T23:59:60Z",
  "2015-02-11T20:54:04.34572741+00:00",
  "2015-02-11T20:54:04.+00:00",
  "2015-02-11T20:54:04+14:01",
  "2015-02-11T20:54:04-14:30",
  "2015-02-11T20:54:04+15:00",
  "2015-02-11T20:54:04+01:60",
  "2015-02-11T20:54:04+0100",
  "2015-02-11T20:54:04+1",
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00+00:01",
  "9999-12-31T23:59:59-00:01",
  "10000-01-01T00:00:00Z",
  "-0001-01-01T00:00:00Z",
  "+002015-02-11T20:54:04Z",
  "２０１５-02-11T20:54:04Z",
  "2015-02-11T20:54:04Z ",
  " 2015-02-11T20:54:04Z",
  "2015-02-11T20:54:04Z\n",
  "1423688044345",
];

/** Literals for an Int32 property: in range, just out, fractional, huge, and spellings only raw JSON has. */
const NUMBER_LITERALS = [
  "0",
  "2147483647",
  "-1",
  "2147483648",
  "-2147483648",
  "0.5",
  "20.000001",
  "1e21",
  "9007199254740993",
  "1e400",
  "-1e400",
  "1.0",
  "2e1",
  "-0",
  "0e0",
  "1E1",
  "4294967296",
  "-0.0",
];

const UNKNOWN_KEYS = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "Id",
    "ID",
    "StartedDateTime",
    "displaytext",
    "",
    " ",
    "foo",
    "historyitems",
  ),
  fc.string({ maxLength: 10 }),
  fc.string({ unit: oddChar, maxLength: 6 }),
);

/** The mutations of a route's valid body. */
function mutations(fields: Field[], containers: Container[], extra: fc.Arbitrary<Mutation>[] = []): fc.Arbitrary<Mutation> {
  const options: fc.Arbitrary<Mutation>[] = [
    fc.constant({ kind: "none" as const }),
    fc.record({ kind: fc.constant("drop" as const), field: fc.constantFrom(...fields) }),
    fc.record({ kind: fc.constant("retype" as const), field: fc.constantFrom(...fields), value: valueOfSomeType }),
    fc
      .record({
        kind: fc.constant("unknownKey" as const),
        container: fc.constantFrom(...containers),
        key: UNKNOWN_KEYS,
        value: fc.jsonValue({ maxDepth: 2 }),
      })
      .filter((m) => !m.container.known.includes(m.key) && !m.key.startsWith("@")),
    fc.record({ kind: fc.constant("hugeBody" as const), bytes: fc.integer({ min: limits.bodyBytes - 64, max: limits.bodyBytes + 64 }) }),
    fc.record({
      kind: fc.constant("wholeBody" as const),
      value: fc.oneof(
        fc.jsonValue(),
        // fc.anything() as JSON sees it: undefined members vanish, -0 becomes 0, and so on.
        fc.anything({ maxDepth: 3 }).map(asJson),
      ),
    }),
    fc.record({
      kind: fc.constant("rawBody" as const),
      text: fc.oneof(
        fc.string(),
        fc.string({ unit: oddChar }),
        fc.constantFrom("", " ", "{", "[", "{}}", "nul", "\ufeff{}", "{'a':1}", '{"a":1,}'),
      ),
    }),
    fc.record({ kind: fc.constant("truncated" as const), at: fc.nat() }),
    ...extra,
  ];
  /** Adds the mutations of one kind of field, when the body has such fields. */
  const forFields = (kinds: Kind[], build: (field: fc.Arbitrary<Field>) => fc.Arbitrary<Mutation>) => {
    const matching = fields.filter((f) => kinds.includes(f.kind));
    if (matching.length) options.push(build(fc.constantFrom(...matching)));
  };
  forFields(["text", "displayText", "timezone", "url", "origin", "colour", "date", "guid"], (f) =>
    fc.record({ kind: fc.constant("oddString" as const), field: f, value: oddString }),
  );
  forFields(["date"], (f) => fc.record({ kind: fc.constant("invalidDate" as const), field: f, value: fc.constantFrom(...INVALID_DATES) }));
  forFields(["int32"], (f) =>
    fc.record({ kind: fc.constant("outOfRange" as const), field: f, literal: fc.constantFrom(...NUMBER_LITERALS) }),
  );
  forFields(["text", "displayText", "timezone", "url"], (f) =>
    fc
      .record({ kind: fc.constant("hugeString" as const), field: f, length: fc.integer({ min: -2, max: 2 }) })
      .map((m) => ({ ...m, length: LIMIT[m.field.kind]! + m.length })),
  );
  forFields(["json", "jsonObject", "ignored", "ownId"], (f) =>
    fc.record({
      kind: fc.constant("deepJunk" as const),
      field: f,
      depth: fc.oneof(fc.integer({ min: 0, max: limits.jsonDepth + 8 }), fc.constantFrom(1000, 20_000)),
    }),
  );
  return fc.oneof(...options);
}

const activityContainers = containersOf(activityFields, [[], ["visualElements"], ["visualElements", "attribution"]]);

const appActivityIdMismatch = fc.record({
  kind: fc.constant("otherAppActivityId" as const),
  value: fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("/article?12345", "%2Farticle%3F12345")),
});

// ---------------------------------------------------------------------------------------------
// The routes.

interface Seeded {
  id: string;
  appActivityId: string;
  itemId: string;
}

let sequence = 0;

/** A fresh activity with one history item, so that a wrongly accepted write visibly changes its rows. */
async function seed(): Promise<Seeded> {
  const appActivityId = `/properties?${++sequence}&${crypto.randomUUID()}`;
  const itemId = crypto.randomUUID();
  const body = { ...validActivity(appActivityId), historyItems: [validItem(itemId)] };
  const answer = await sendRaw("PUT", `/v1.0/me/activities/${encodeURIComponent(appActivityId)}`, JSON.stringify(body));
  expect(answer.status).toBe(201);
  return { id: answer.body.id, appActivityId, itemId };
}

/**
 * The value with every lone surrogate spelled out as text (`\\ud800`): a failure report holding a
 * raw one cannot reach the test runner (its WebSocket insists on UTF-8), and it reads better.
 */
const printable = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value ?? null).replace(/(?<!\\)((?:\\\\)*)\\u(d[89a-f][0-9a-f]{2})/gi, "$1\\\\u$2"));

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The member of a 2xx answer that corresponds to `path` in the request (deep-inserted items matched by id). */
function answered(answerBody: any, requestBody: any, path: Path): unknown {
  if (path[0] === "historyItems" && typeof path[1] === "number") {
    const id = String(requestBody.historyItems[path[1]].id).toLowerCase();
    const item = (answerBody.historyItems as { id: string }[]).find((candidate) => candidate.id === id);
    return getAt(item, path.slice(2));
  }
  return getAt(answerBody, path);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Matches a message that names `path` whole: 'historyItems' does not pass for 'historyItems[1].startedDateTime';
 * `within`: one that names a path inside it ('historyItems[1].startedDateTime' passes for 'historyItems').
 */
const naming = (path: string, within = false) =>
  new RegExp(`(?<![\\w.\\]$])${escapeRegExp(path)}${within ? "(?=[[.])" : "(?![\\w[]|\\.\\w)"}`);

/**
 * Sends the mutated body and checks the spec: never a 5xx; a 4xx in Graph's envelope with nothing
 * stored; the outcome the spec gives the mutation, when it gives one.
 */
async function check(seeded: Seeded, method: string, path: string, request: Request, successes: number[], resource: "activity" | "item") {
  const before = await storedRows(seeded.id, CALLER);
  const answer = await sendRaw(method, path, request.raw);
  expectNoServerErrorAndEnvelope(answer);
  if (answer.status >= 400) expect(await storedRows(seeded.id, CALLER)).toEqual(before);
  const { outcome } = request;
  if (outcome.kind === "accept") expect(successes, JSON.stringify(answer.body)).toContain(answer.status);
  if (outcome.kind === "reject") {
    expect(answer.status).toBe(outcome.status);
    if (outcome.naming !== undefined) {
      expect(printable(answer.body.error.message)).toMatch(naming(printable(outcome.naming) as string, outcome.within));
    }
  }
  if (answer.status >= 300) return answer;
  const stored = await readBack(seeded, answer.body, resource);
  if (request.echo) {
    const sent = JSON.parse(request.raw);
    expect(
      printable({ answered: answered(answer.body, sent, request.echo.path), stored: answered(stored, sent, request.echo.path) }),
    ).toEqual(printable({ answered: request.echo.value, stored: request.echo.value }));
  }
  return answer;
}

/** What a GET shows after an acknowledged write: exactly what the write answered (the items it wrote among the activity's). */
async function readBack(seeded: Seeded, written: any, resource: "activity" | "item") {
  if (resource === "item") {
    const read = await sendRaw("GET", `/v1.0/me/activities/${seeded.id}/historyItems/${written.id}`);
    expect(printable({ status: read.status, body: read.body })).toEqual(printable({ status: 200, body: written }));
    return read.body;
  }
  const read = await sendRaw("GET", `/v1.0/me/activities/${seeded.id}?$expand=historyItems`);
  const { historyItems: writtenItems, ...activity } = written;
  const { historyItems: storedItems, ...storedActivity } = read.body;
  const writtenIds = new Set(((writtenItems ?? []) as { id: string }[]).map((item) => item.id));
  const storedWritten = byId((storedItems as { id: string }[]).filter((item) => writtenIds.has(item.id)));
  expect(printable({ status: read.status, activity: storedActivity, items: storedWritten })).toEqual(
    printable({ status: 200, activity, items: byId(writtenItems ?? []) }),
  );
  return read.body;
}

const RUNS = 150;
// Generous: the machine running the suite may be busy; a property's runs go one after another.
const TIMEOUT_MS = 60_000;

describe("random and mutated bodies never produce a 5xx, and a rejected write stores nothing", () => {
  it(
    "PUT /me/activities/{appActivityId}",
    async () => {
      const seeded = await seed();
      const path = `/v1.0/me/activities/${encodeURIComponent(seeded.appActivityId)}`;
      await fc.assert(
        fc.asyncProperty(mutations(activityFields, activityContainers, [appActivityIdMismatch]), async (mutation) => {
          await check(seeded, "PUT", path, mutate(validActivity(seeded.appActivityId), mutation), [200], "activity");
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "POST /me/activities/{id}/historyItems",
    async () => {
      const seeded = await seed();
      const fields = itemFields([], "guid");
      const existing = fc.record({ kind: fc.constant("existingItemId" as const), upperCase: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(mutations(fields, containersOf(fields, [[]]), [existing]), async (mutation) => {
          // A fresh id each run: an item an earlier run created must not turn this one into a 409.
          const base = validItem(crypto.randomUUID());
          const request =
            mutation.kind === "existingItemId"
              ? {
                  raw: JSON.stringify({ ...base, id: mutation.upperCase ? seeded.itemId.toUpperCase() : seeded.itemId }),
                  outcome: { kind: "reject" as const, status: 409 as const },
                }
              : mutate(base, mutation);
          await check(seeded, "POST", `/v1.0/me/activities/${seeded.id}/historyItems`, request, [201], "item");
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "PUT /me/activities/{id}/historyItems/{historyItemId}",
    async () => {
      const seeded = await seed();
      const fields = itemFields([], "ownId");
      await fc.assert(
        fc.asyncProperty(mutations(fields, containersOf(fields, [[]])), fc.boolean(), async (mutation, existingItem) => {
          const itemId = existingItem ? seeded.itemId : crypto.randomUUID();
          const path = `/v1.0/me/activities/${seeded.id}/historyItems/${itemId}`;
          const answer = await check(seeded, "PUT", path, mutate(validItem(), mutation), [200, 201], "item");
          if (answer.status < 300) expect(answer.status).toBe(existingItem ? 200 : 201);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "PUT /me/activities/{appActivityId} with historyItems (deep insert)",
    async () => {
      const seeded = await seed();
      const path = `/v1.0/me/activities/${encodeURIComponent(seeded.appActivityId)}`;
      const fields = [
        ...activityFields,
        field(["historyItems"], "array"),
        ...itemFields(["historyItems", 0], "guid"),
        ...itemFields(["historyItems", 1], "guid"),
      ];
      const containers = containersOf(fields, [
        [],
        ["visualElements"],
        ["visualElements", "attribution"],
        ["historyItems", 0],
        ["historyItems", 1],
      ]);
      const extra = [
        appActivityIdMismatch,
        fc.record({ kind: fc.constant("duplicateItemIds" as const), upperCase: fc.boolean() }),
        fc.record({
          kind: fc.constant("itemCount" as const),
          count: fc.integer({ min: limits.historyItemsPerRequest - 1, max: limits.historyItemsPerRequest + 1 }),
        }),
      ];
      await fc.assert(
        fc.asyncProperty(mutations(fields, containers, extra), fc.boolean(), async (mutation, replaceSeededItem) => {
          // The seeded item is replaced by the first item (a deep insert updates) or both are new.
          const first = replaceSeededItem ? seeded.itemId : crypto.randomUUID();
          const base = { ...validActivity(seeded.appActivityId), historyItems: [validItem(first), validItem(crypto.randomUUID())] };
          await check(seeded, "PUT", path, mutate(base, mutation), [200], "activity");
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT_MS,
  );
});

describe("odd text is stored as it was acknowledged", () => {
  it(
    "a history item's userTimezone: refused, or read back exactly as the write answered it",
    async () => {
      const seeded = await seed();
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: oddChar, minLength: 1, maxLength: 8 }), async (userTimezone) => {
          const answer = await sendRaw(
            "POST",
            `/v1.0/me/activities/${seeded.id}/historyItems`,
            JSON.stringify({ startedDateTime: STARTED, userTimezone }),
          );
          expectNoServerErrorAndEnvelope(answer);
          if (isWellFormed(userTimezone)) expect(answer.status).toBe(201);
          if (answer.status !== 201) return;
          expect(printable(answer.body.userTimezone)).toEqual(printable(userTimezone));
          await readBack(seeded, answer.body, "item");
        }),
        { numRuns: 60 },
      );
    },
    TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------
// appActivityIds.

/** Strings that WHATWG URL parsing turns into dot segments, which no percent-encoding can address. */
const DOT_SEGMENTS = new Set([".", ".."]);

describe("any appActivityId in the URL", () => {
  const body = (appActivityId?: string) => JSON.stringify(validActivity(appActivityId ?? "unused")).replace(/"appActivityId":"[^"]*",/, "");

  it(
    "percent-encoded: never a 5xx; a plain one is created and comes back decoded, also from a GET",
    async () => {
      const appActivityId = fc.oneof(
        fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
        fc.string({ unit: "binary", minLength: 1, maxLength: 20 }),
        fc.string({ unit: oddChar, minLength: 1, maxLength: 10 }).filter(isWellFormed),
        fc.constantFrom("/article?12345", "a/b", "%41", "%", "+", " ", "\u0000", "\u0085", "..", ".", "..."),
        fc.constantFrom("x".repeat(limits.appActivityIdChars), "é".repeat(limits.appActivityIdChars + 1)),
      );
      await fc.assert(
        fc.asyncProperty(appActivityId, async (decoded) => {
          const answer = await sendRaw("PUT", `/v1.0/me/activities/${encodeURIComponent(decoded)}`, body());
          expectNoServerErrorAndEnvelope(answer);
          const plain = decoded.length <= limits.appActivityIdChars && !/\p{Cc}/u.test(decoded) && !DOT_SEGMENTS.has(decoded);
          if (plain) expect([200, 201], JSON.stringify(answer.body)).toContain(answer.status);
          if (answer.status >= 300) return;
          expect(answer.body.appActivityId).toBe(decoded);
          const read = await sendRaw("GET", `/v1.0/me/activities/${answer.body.id}`);
          expect({ status: read.status, appActivityId: read.body.appActivityId, id: read.body.id }).toEqual({
            status: 200,
            appActivityId: decoded,
            id: answer.body.id,
          });
        }),
        { numRuns: 100 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "raw and invalid percent-encoding: never a 5xx; what decodes is what is stored, what does not is a 400",
    async () => {
      const piece = fc.oneof(
        // Broken escapes, overlong and surrogate UTF-8, escapes of reserved characters.
        fc.constantFrom("%", "%2", "%zz", "%%", "%C0%AF", "%ED%A0%80", "%FF", "%E0%A4%A", "%F0%9F%98", "%80", "%00", "%7F"),
        fc.constantFrom("%2F", "%3F", "%23", "%25", "%20"),
        // Raw characters that the URL parser escapes or leaves as they are.
        fc.constantFrom("+", "é", "😀", "\u00a0", "\\", "[", "]", "|", "^", "`", "{", "}", ";", ":", "@", "=", "&", "$", ",", "'", "!"),
        fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.~"), minLength: 1, maxLength: 4 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.array(piece, { minLength: 1, maxLength: 8 }).map((pieces) => pieces.join("")),
          async (segment) => {
            const path = `/v1.0/me/activities/${segment}`;
            const answer = await sendRaw("PUT", path, body());
            expectNoServerErrorAndEnvelope(answer);
            // What the service sees: the segment as the URL parser leaves it, less a trailing slash (it names the same resource).
            const pathname = new URL(`https://feed.test${path}`).pathname.replace(/(.)\/$/, "$1");
            const seen = pathname.startsWith("/v1.0/me/activities/") ? pathname.slice("/v1.0/me/activities/".length) : null;
            let decoded: string | undefined;
            try {
              decoded = seen === null || seen.includes("/") ? undefined : decodeURIComponent(seen);
            } catch {
              expect(answer.status).toBe(400);
            }
            if (answer.status < 300) expect(answer.body.appActivityId).toBe(decoded);
          },
        ),
        { numRuns: 100 },
      );
    },
    TIMEOUT_MS,
  );
});

// ---------------------------------------------------------------------------------------------
// Dates.

const FIRST_SECOND = new Date(0).setUTCFullYear(1, 0, 2) / 1000; // a day of margin for offsets
const LAST_SECOND = new Date(0).setUTCFullYear(9999, 11, 30) / 1000;
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

interface GraphDate {
  text: string;
  /** The instant as the service must return it: UTC, truncated to milliseconds, with Z. */
  utc: string;
  ms: number;
  /** The instant in 100 ns ticks, all 7 fractional digits kept. */
  ticks: bigint;
  fraction: string;
}

/** The ISO 8601 text of an instant, as seen at `offsetMinutes` from UTC, with `fraction` as its fractional digits. */
function formatGraphDate(seconds: number, fraction: string, offsetMinutes: number, zulu: boolean): GraphDate {
  const local = new Date((seconds + offsetMinutes * 60) * 1000);
  const offset =
    offsetMinutes === 0 && zulu
      ? "Z"
      : `${offsetMinutes < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  const text =
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction ? `.${fraction}` : ""}${offset}`;
  const ms = seconds * 1000 + Number(fraction.padEnd(3, "0").slice(0, 3));
  return { text, utc: new Date(ms).toISOString(), ms, ticks: BigInt(seconds) * 10_000_000n + BigInt(fraction.padEnd(7, "0")), fraction };
}

const fraction = fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 7 });
const offsetMinutes = fc.oneof(fc.integer({ min: -840, max: 840 }), fc.constantFrom(-840, 840, 0, 330, 345, -210));

const graphDateAt = (seconds: fc.Arbitrary<number>) =>
  fc.tuple(seconds, fraction, offsetMinutes, fc.boolean()).map(([s, f, o, z]) => formatGraphDate(s, f, o, z));

/** Any second from 0001 to 9999, with years before 1970 and the seconds around 1970 itself drawn often. */
const anySecond = fc.oneof(
  fc.integer({ min: FIRST_SECOND, max: LAST_SECOND }),
  fc.integer({ min: FIRST_SECOND, max: -1 }),
  fc.integer({ min: -86_400, max: 86_400 }),
);

/** A date within a few milliseconds of `ms`, with 0 to 4 fractional digits past the millisecond. */
const dateNear = (ms: number) =>
  fc
    .tuple(
      fc.integer({ min: -2, max: 2 }),
      fc.string({ unit: fc.constantFrom(..."0123456789"), maxLength: 4 }),
      offsetMinutes,
      fc.boolean(),
    )
    .map(([delta, beyond, o, z]) => {
      const at = ms + delta;
      const seconds = Math.floor(at / 1000);
      return formatGraphDate(seconds, `${pad(at - seconds * 1000, 3)}${beyond}`, o, z);
    });

describe("dates", () => {
  it(
    "any offset within ±14:00 and 0 to 7 fractional digits: accepted, and returned as the same instant in UTC milliseconds",
    async () => {
      const seeded = await seed();
      const nowSeconds = Math.floor(Date.now() / 1000);
      const dates = graphDateAt(anySecond).chain((started) =>
        fc.record({
          started: fc.constant(started),
          // Not before startedDateTime, and close enough that the computed duration is an Int32.
          lastActive: fc.tuple(fc.integer({ min: 0, max: 10_000_000 }), fraction, offsetMinutes, fc.boolean()).map(([delta, f, o, z]) => {
            const startedSeconds = Math.floor(started.ms / 1000);
            const seconds = Math.min(startedSeconds + delta, LAST_SECOND);
            // In the same second, the same fraction: never a tick before startedDateTime.
            return formatGraphDate(seconds, seconds === startedSeconds ? started.fraction : f, o, z);
          }),
          // In the future, so that the item is live and readable.
          expiration: graphDateAt(fc.integer({ min: nowSeconds + 86_400, max: LAST_SECOND })),
        }),
      );
      await fc.assert(
        fc.asyncProperty(dates, async ({ started, lastActive, expiration }) => {
          const itemId = crypto.randomUUID();
          const path = `/v1.0/me/activities/${seeded.id}/historyItems/${itemId}`;
          const body = { startedDateTime: started.text, lastActiveDateTime: lastActive.text, expirationDateTime: expiration.text };
          const expected = {
            "@odata.context": historyItemContext(seeded.id, { user: USER }),
            id: itemId,
            status: "active",
            userTimezone: null,
            createdDateTime: expect.stringMatching(ISO_MS),
            lastModifiedDateTime: expect.stringMatching(ISO_MS),
            startedDateTime: started.utc,
            lastActiveDateTime: lastActive.utc,
            expirationDateTime: expiration.utc,
            activeDurationSeconds: expect.any(Number),
          };
          // Whole seconds between the dates as sent or as truncated to milliseconds: the spec allows either reading.
          const durations = [Math.floor((lastActive.ms - started.ms) / 1000), Number((lastActive.ticks - started.ticks) / 10_000_000n)];
          const written = await sendRaw("PUT", path, JSON.stringify(body));
          expect({ status: written.status, body: written.body }).toEqual({ status: 201, body: expected });
          expect(durations).toContain(written.body.activeDurationSeconds);
          const read = await sendRaw("GET", path);
          expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: written.body });
        }),
        { numRuns: 100 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "any expirationDateTime from 0001 to 9999, past or future: 201 with it stored as sent, readable while live, gone once past",
    async () => {
      const seeded = await seed();
      const nowSeconds = Math.floor(Date.now() / 1000);
      // A day clear of now either way, so that live or past is certain; before 1970 drawn often.
      const expiration = graphDateAt(
        fc.oneof(
          fc.integer({ min: FIRST_SECOND, max: -1 }),
          fc.integer({ min: -86_400, max: 86_400 }),
          fc.integer({ min: FIRST_SECOND, max: nowSeconds - 86_400 }),
          fc.integer({ min: nowSeconds + 86_400, max: LAST_SECOND }),
        ),
      );
      const how = fc.constantFrom("POST" as const, "PUT" as const, "deep insert" as const);
      await fc.assert(
        fc.asyncProperty(expiration, how, async (expires, method) => {
          const itemId = crypto.randomUUID();
          const item = { id: itemId, startedDateTime: STARTED, expirationDateTime: expires.text };
          let activityId = seeded.id;
          let written: Answer;
          if (method === "deep insert") {
            const appActivityId = `/properties?${++sequence}&${crypto.randomUUID()}`;
            written = await sendRaw(
              "PUT",
              `/v1.0/me/activities/${encodeURIComponent(appActivityId)}`,
              JSON.stringify({ ...validActivity(appActivityId), historyItems: [item] }),
            );
            expectNoServerErrorAndEnvelope(written);
            expect(written.status).toBe(201);
            activityId = written.body.id;
            expect(
              written.body.historyItems.map((answer: { id: string; expirationDateTime: string }) => [answer.id, answer.expirationDateTime]),
            ).toEqual([[itemId, expires.utc]]);
          } else {
            const path = `/v1.0/me/activities/${seeded.id}/historyItems${method === "PUT" ? `/${itemId}` : ""}`;
            written = await sendRaw(method, path, JSON.stringify(method === "PUT" ? { ...item, id: undefined } : item));
            expectNoServerErrorAndEnvelope(written);
            expect({ status: written.status, id: written.body.id, expirationDateTime: written.body.expirationDateTime }).toEqual({
              status: 201,
              id: itemId,
              expirationDateTime: expires.utc,
            });
          }
          const read = await sendRaw("GET", `/v1.0/me/activities/${activityId}/historyItems/${itemId}`);
          expectNoServerErrorAndEnvelope(read);
          expect({ status: read.status, expirationDateTime: read.body.expirationDateTime }).toEqual(
            expires.ms > Date.now() ? { status: 200, expirationDateTime: expires.utc } : { status: 404, expirationDateTime: undefined },
          );
        }),
        { numRuns: 60 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "without expirationDateTime an item expires 30 days after it was created, whatever its dates",
    async () => {
      const seeded = await seed();
      await fc.assert(
        fc.asyncProperty(graphDateAt(anySecond), async (started) => {
          const answer = await sendRaw(
            "POST",
            `/v1.0/me/activities/${seeded.id}/historyItems`,
            JSON.stringify({ startedDateTime: started.text }),
          );
          expect(answer.status).toBe(201);
          const lifetime = Date.parse(answer.body.expirationDateTime) - Date.parse(answer.body.createdDateTime);
          expect({ started: answer.body.startedDateTime, expires: lifetime }).toEqual({
            started: started.utc,
            expires: LIFETIME_MS,
          });
        }),
        { numRuns: 30 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "$filter compares exactly, to the 100 ns tick, whatever the bound's fraction and offset",
    async () => {
      const seeded = await seed();
      const itemPath = `/v1.0/me/activities/${seeded.id}/historyItems/${seeded.itemId}`;
      const { "@odata.context": _context, ...item } = (await sendRaw("GET", itemPath)).body;
      const modifiedTicks = BigInt(Date.parse(item.lastModifiedDateTime)) * 10_000n;
      const holds = {
        lt: (t: bigint) => modifiedTicks < t,
        le: (t: bigint) => modifiedTicks <= t,
        gt: (t: bigint) => modifiedTicks > t,
        ge: (t: bigint) => modifiedTicks >= t,
      };
      const conditions = fc.tuple(
        fc.constantFrom("lt", "le", "gt", "ge") as fc.Arbitrary<keyof typeof holds>,
        dateNear(Date.parse(item.lastModifiedDateTime)),
      );
      await fc.assert(
        fc.asyncProperty(conditions, async ([operator, bound]) => {
          const filter = encodeURIComponent(`lastModifiedDateTime ${operator} ${bound.text}`);
          const list = await sendRaw("GET", `/v1.0/me/activities/${seeded.id}/historyItems?$filter=${filter}`);
          expect({ status: list.status, value: list.body.value }).toEqual({
            status: 200,
            value: holds[operator](bound.ticks) ? [item] : [],
          });
        }),
        { numRuns: 60 },
      );
    },
    TIMEOUT_MS,
  );

  it(
    "a computed activeDurationSeconds is an Int32 ≥ 0, or the body is refused",
    async () => {
      const seeded = await seed();
      const pair = fc
        .tuple(graphDateAt(anySecond), graphDateAt(anySecond))
        .map(([a, b]): [GraphDate, GraphDate] => (a.ms <= b.ms ? [a, b] : [b, a]));
      await fc.assert(
        fc.asyncProperty(pair, async ([started, lastActive]) => {
          const body = { startedDateTime: started.text, lastActiveDateTime: lastActive.text };
          const answer = await sendRaw("POST", `/v1.0/me/activities/${seeded.id}/historyItems`, JSON.stringify(body));
          expectNoServerErrorAndEnvelope(answer);
          const seconds = Math.floor((lastActive.ms - started.ms) / 1000);
          if (seconds <= INT32_MAX) expect(answer.status).toBe(201);
          if (answer.status === 201) expect(answer.body.activeDurationSeconds).toBe(Math.min(seconds, INT32_MAX));
          else {
            expect({ status: answer.status, message: answer.body.error.message }).toEqual({
              status: 400,
              message: expect.stringMatching(naming("lastActiveDateTime")),
            });
          }
        }),
        { numRuns: 30 },
      );
    },
    TIMEOUT_MS,
  );
});
