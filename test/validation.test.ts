import { describe, expect, it } from "vitest";
import {
  type Answer,
  appActivityPath,
  call,
  createActivity,
  DAY_MS,
  exchange,
  freshAppActivityId,
  GUID,
  ISO_MS,
  ORIGIN,
} from "./support/api";
import { activityBody, activityResource } from "./support/builders";
import { expectGraphError, historyItemContext } from "./support/graph";
import { activityObjectIds, storedRows } from "./support/objects";
import { mintToken } from "./support/tokens";

const BODY_LIMIT = 256 * 1024;
// §5 allows either code for a 400.
const BAD_REQUEST = /^(BadRequest|invalidRequest)$/;
const STARTED = "2015-02-11T20:54:04.3457274+00:00";
// What a date message must say was expected; none of it hides inside a property name like 'startedDateTime'.
const A_DATE = /ISO ?8601|RFC ?3339|date and time|date-time|format/i;

/** A fresh activity with one history item, so that a wrongly accepted write would visibly change its rows. */
async function seededActivity() {
  const appActivityId = freshAppActivityId();
  const path = appActivityPath(appActivityId);
  const itemId = crypto.randomUUID();
  const created = await call("PUT", path, { body: activityBody({ historyItems: [{ id: itemId, startedDateTime: STARTED }] }) });
  expect(created.status).toBe(201);
  const id: string = created.body.id;
  const rows = await storedRows(id);
  expect(rows).toEqual({
    activity: [expect.objectContaining({ app_activity_id: appActivityId })],
    historyItems: [expect.objectContaining({ id: itemId })],
  });
  const itemsPath = `/v1.0/me/activities/${id}/historyItems`;
  return { id, appActivityId, path, itemId, itemsPath, itemPath: `${itemsPath}/${itemId}`, rows };
}

type Seeded = Awaited<ReturnType<typeof seededActivity>>;

const expectNothingStored = async (seeded: Seeded) => expect(await storedRows(seeded.id)).toEqual(seeded.rows);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A message that names `property` as a whole path (so 'historyItems' does not pass for
 * 'historyItems[1].startedDateTime') and, when given, also says what was expected.
 */
function naming(property: string, expected?: RegExp): RegExp {
  const name = `(?<![\\w.\\]$])${escape(property)}(?![\\w[]|\\.\\w)`;
  return new RegExp(`^(?=[\\s\\S]*${name})${expected ? `(?=[\\s\\S]*(?:${expected.source}))` : ""}`, expected?.flags ?? "");
}

/** Sends a request whose body `call()` cannot express: bytes, a stream, or no Content-Type. */
async function sendBytes(method: string, path: string, body: BodyInit | null, headers: Record<string, string> = {}) {
  const authorization = `Bearer ${await mintToken()}`;
  return exchange(
    new Request(`${ORIGIN}${path}`, { method, body, headers: { Authorization: authorization, ...headers }, duplex: "half" } as RequestInit),
  );
}

/** JSON text of exactly `bytes` bytes: `value` with an ASCII padding property. */
function paddedJson(value: Record<string, unknown>, bytes: number): string {
  const bare = JSON.stringify({ ...value, pad: "" });
  return JSON.stringify({ ...value, pad: "x".repeat(bytes - bare.length) });
}

const without = (key: string) => {
  const body: Record<string, unknown> = activityBody();
  delete body[key];
  return body;
};

const validItem = (overrides: Record<string, unknown> = {}) => ({ startedDateTime: STARTED, ...overrides });

describe("PUT /me/activities/{appActivityId} rejects a bad body and stores nothing", () => {
  const cases: [string, unknown, RegExp][] = [
    ["activitySourceHost missing", without("activitySourceHost"), naming("activitySourceHost")],
    ["activationUrl missing", without("activationUrl"), naming("activationUrl")],
    ["visualElements missing", without("visualElements"), naming("visualElements")],
    [
      "visualElements.displayText missing",
      activityBody({ visualElements: { description: "no text" } }),
      naming("visualElements.displayText"),
    ],
    [
      "activitySourceHost with a path",
      activityBody({ activitySourceHost: "https://www.contoso.com/articles" }),
      naming("activitySourceHost", /origin|path/i),
    ],
    ["activationUrl not a URL", activityBody({ activationUrl: "not a url" }), naming("activationUrl", /\bUR[LI]\b/)],
    [
      "backgroundColor not a hex colour",
      activityBody({ visualElements: { displayText: "Contoso", backgroundColor: "red" } }),
      naming("visualElements.backgroundColor", /hex/i),
    ],
    ["an unknown property at the root", activityBody({ foo: 1 }), naming("foo")],
    [
      "an unknown property in visualElements",
      activityBody({ visualElements: { displayText: "Contoso", foo: 1 } }),
      naming("visualElements.foo"),
    ],
    [
      "an unknown property in attribution",
      activityBody({ visualElements: { displayText: "Contoso", attribution: { iconUrl: "https://contoso.com/i.png", bar: true } } }),
      naming("visualElements.attribution.bar"),
    ],
    ["a number for appDisplayName", activityBody({ appDisplayName: 42 }), naming("appDisplayName", /string/i)],
    [
      "a string for addImageQuery",
      activityBody({ visualElements: { displayText: "Contoso", attribution: { addImageQuery: "true" } } }),
      naming("visualElements.attribution.addImageQuery", /true or false|boolean/i),
    ],
    [
      "a bad history item",
      activityBody({ historyItems: [validItem(), { startedDateTime: "yesterday" }] }),
      naming("historyItems[1].startedDateTime", A_DATE),
    ],
    ["an unknown property in a history item", activityBody({ historyItems: [validItem({ foo: 1 })] }), naming("historyItems[0].foo")],
    [
      "more than 100 history items",
      activityBody({ historyItems: Array.from({ length: 101 }, () => validItem()) }),
      naming("historyItems", /100/),
    ],
    ["an array", [activityBody()], /object/i],
    ["a string", "activity", /object/i],
    ["null", null, /object/i],
  ];

  it.each(cases)("%s", async (_name, body, message) => {
    const seeded = await seededActivity();
    const answer = await call("PUT", seeded.path, { body });
    expectGraphError(answer, 400, BAD_REQUEST, message);
    await expectNothingStored(seeded);
  });

  it("a body appActivityId that differs from the URL's decoded value", async () => {
    const seeded = await seededActivity();
    const answer = await call("PUT", seeded.path, {
      body: activityBody({ appActivityId: `${seeded.appActivityId}-other`, appDisplayName: "Changed" }),
    });
    expectGraphError(answer, 400, BAD_REQUEST, naming("appActivityId"));
    await expectNothingStored(seeded);
  });

  it.each([
    ["the same id twice", (id: string) => [id, id]],
    ["ids that differ only in case", (id: string) => [id, id.toUpperCase()]],
  ])("duplicate history item ids: %s", async (_name, ids) => {
    const seeded = await seededActivity();
    const id = crypto.randomUUID();
    const answer = await call("PUT", seeded.path, {
      body: activityBody({ historyItems: ids(id).map((itemId) => validItem({ id: itemId })) }),
    });
    expectGraphError(answer, 400, BAD_REQUEST, new RegExp(escape(id), "i"));
    await expectNothingStored(seeded);
  });

  it("on a new appActivityId creates nothing: the next valid PUT is a create", async () => {
    const path = appActivityPath(freshAppActivityId());
    const rejected = await call("PUT", path, {
      body: activityBody({ historyItems: [validItem(), validItem({ activeDurationSeconds: -1 })] }),
    });
    expectGraphError(rejected, 400, BAD_REQUEST, naming("historyItems[1].activeDurationSeconds"));

    const created = await call("PUT", path, { body: activityBody() });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe("active");
    expect(await storedRows(created.body.id)).toEqual({ activity: [expect.objectContaining({ status: "active" })], historyItems: [] });
  });
});

describe("history item bodies are validated on POST and PUT, storing nothing", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["startedDateTime missing", { lastActiveDateTime: STARTED }, naming("startedDateTime")],
    ["a date without an offset", { startedDateTime: "2015-02-11T20:54:04.345" }, naming("startedDateTime", A_DATE)],
    ["a date with 8 fractional digits", { startedDateTime: "2015-02-11T20:54:04.34572741+00:00" }, naming("startedDateTime", A_DATE)],
    ["an impossible date", { startedDateTime: "2015-02-30T20:54:04Z" }, naming("startedDateTime", A_DATE)],
    ["an offset over +14:00", { startedDateTime: "2015-02-11T20:54:04+14:30" }, naming("startedDateTime", A_DATE)],
    ["an offset under -14:00", { startedDateTime: "2015-02-11T20:54:04-15:00" }, naming("startedDateTime", A_DATE)],
    ["a bad lastActiveDateTime", validItem({ lastActiveDateTime: "2015-13-01T00:00:00Z" }), naming("lastActiveDateTime", A_DATE)],
    ["a bad expirationDateTime", validItem({ expirationDateTime: "tomorrow" }), naming("expirationDateTime", A_DATE)],
    [
      "lastActiveDateTime before startedDateTime",
      { startedDateTime: "2015-02-11T20:54:04Z", lastActiveDateTime: "2015-02-11T21:54:03+01:00" },
      naming("lastActiveDateTime", /startedDateTime/),
    ],
    ["a negative activeDurationSeconds", validItem({ activeDurationSeconds: -1 }), naming("activeDurationSeconds", /integer/i)],
    ["a fractional activeDurationSeconds", validItem({ activeDurationSeconds: 1.5 }), naming("activeDurationSeconds", /integer/i)],
    ["activeDurationSeconds over Int32", validItem({ activeDurationSeconds: 2_147_483_648 }), naming("activeDurationSeconds", /integer/i)],
    ["activeDurationSeconds as a string", validItem({ activeDurationSeconds: "20" }), naming("activeDurationSeconds", /integer/i)],
    ["a number for userTimezone", validItem({ userTimezone: 1 }), naming("userTimezone", /string/i)],
    ["an unknown property", validItem({ foo: "bar" }), naming("foo")],
  ];

  it.each(cases)("POST: %s", async (_name, body, message) => {
    const seeded = await seededActivity();
    expectGraphError(await call("POST", seeded.itemsPath, { body }), 400, BAD_REQUEST, message);
    await expectNothingStored(seeded);
  });

  // PUT targets the existing item, so a wrongly accepted body would show as a replaced row.
  it.each(cases)("PUT: %s", async (_name, body, message) => {
    const seeded = await seededActivity();
    expectGraphError(await call("PUT", seeded.itemPath, { body }), 400, BAD_REQUEST, message);
    await expectNothingStored(seeded);
  });

  it("POST with an id that is not a GUID", async () => {
    const seeded = await seededActivity();
    const answer = await call("POST", seeded.itemsPath, { body: validItem({ id: "not-a-guid" }) });
    expectGraphError(answer, 400, BAD_REQUEST, naming("id", /GUID/i));
    await expectNothingStored(seeded);
  });

  it("PUT with a URL item id that is not a GUID", async () => {
    const seeded = await seededActivity();
    const answer = await call("PUT", `${seeded.itemsPath}/not-a-guid`, { body: validItem() });
    expectGraphError(answer, 400, BAD_REQUEST, /GUID/i);
    await expectNothingStored(seeded);
  });

  it("accepts any offset within ±14:00 and up to 7 fractional digits, comparing instants across offsets", async () => {
    const seeded = await seededActivity();
    const answer = await call("POST", seeded.itemsPath, {
      body: {
        startedDateTime: "2016-12-31T23:57:57.4958527+14:00",
        // Earlier on the clock face, later as an instant.
        lastActiveDateTime: "2016-12-31T09:58:54.0663658+00:00",
        expirationDateTime: "2099-12-31T23:59:56.1-14:00",
        activeDurationSeconds: 5,
      },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      "@odata.context": historyItemContext(seeded.id),
      id: expect.stringMatching(GUID),
      status: "active",
      userTimezone: null,
      createdDateTime: expect.stringMatching(ISO_MS),
      lastModifiedDateTime: expect.stringMatching(ISO_MS),
      startedDateTime: "2016-12-31T09:57:57.495Z",
      lastActiveDateTime: "2016-12-31T09:58:54.066Z",
      expirationDateTime: "2100-01-01T13:59:56.100Z",
      activeDurationSeconds: 5,
    });
  });
});

describe("read-only properties are accepted and ignored", () => {
  const past = "2001-01-01T00:00:00Z";
  const readOnly = {
    status: "String",
    createdDateTime: past,
    lastModifiedDateTime: past,
    "@odata.type": "#microsoft.graph.whatever",
    "@odata.context": "https://elsewhere.test/v1.0/$metadata#users('someone')/activities/$entity",
  };

  /** Server-set timestamps of a fresh write: now-ish, never the client's, expiring 30 days on. */
  function expectServerTimestamps(
    body: { createdDateTime: string; lastModifiedDateTime: string; expirationDateTime: string },
    expiresAfter: string,
  ) {
    expect(Math.abs(Date.parse(body.lastModifiedDateTime) - Date.now())).toBeLessThan(60_000);
    expect(Date.parse(body.createdDateTime)).toBeGreaterThan(Date.parse(past));
    expect(Date.parse(body.expirationDateTime) - Date.parse(expiresAfter)).toBe(30 * DAY_MS);
  }

  it("on PUT of an activity: its own id, status, timestamps, expirationDateTime and annotations", async () => {
    const appActivityId = freshAppActivityId();
    const path = appActivityPath(appActivityId);
    const body = activityBody({ ...readOnly, expirationDateTime: past });
    const expected = (status: "active" | "updated") => activityResource(appActivityId, activityBody(), { status });

    const created = await call("PUT", path, { body });
    expect(created.status).toBe(201);
    expect(created.body).toEqual(expected("active"));
    expectServerTimestamps(created.body, created.body.lastModifiedDateTime);

    // Read back and sent again, as a client's read-modify-write does: the body's id is the activity's own.
    const replaced = await call("PUT", path, { body: { ...body, id: created.body.id } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({ ...expected("updated"), id: created.body.id, createdDateTime: created.body.createdDateTime });
    expectServerTimestamps(replaced.body, replaced.body.lastModifiedDateTime);
  });

  const expectedItem = (activityId: string, id: unknown) => ({
    "@odata.context": historyItemContext(activityId),
    id,
    status: "active",
    userTimezone: null,
    createdDateTime: expect.stringMatching(ISO_MS),
    lastModifiedDateTime: expect.stringMatching(ISO_MS),
    startedDateTime: "2015-02-11T20:54:04.345Z",
    lastActiveDateTime: null,
    expirationDateTime: expect.stringMatching(ISO_MS),
    activeDurationSeconds: null,
  });

  it("on POST of a history item: status, timestamps and annotations", async () => {
    const seeded = await seededActivity();
    const answer = await call("POST", seeded.itemsPath, { body: { ...readOnly, startedDateTime: STARTED } });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual(expectedItem(seeded.id, expect.stringMatching(GUID)));
    expectServerTimestamps(answer.body, answer.body.createdDateTime);
  });

  it("on PUT of a history item: an id naming the URL's item, in another case", async () => {
    const seeded = await seededActivity();
    const urlId = crypto.randomUUID();
    const answer = await call("PUT", `${seeded.itemsPath}/${urlId}`, {
      body: { ...readOnly, id: urlId.toUpperCase(), startedDateTime: STARTED },
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual(expectedItem(seeded.id, urlId));
    expectServerTimestamps(answer.body, answer.body.createdDateTime);
    const rows = await storedRows(seeded.id);
    expect(rows.historyItems.map((row) => row.id).sort()).toEqual([seeded.itemId, urlId].sort());
  });
});

describe("a body id naming another item than the URL is a 400 naming id", () => {
  it("on PUT of an activity (the URL names it by appActivityId), storing nothing", async () => {
    const seeded = await seededActivity();
    const answer = await call("PUT", seeded.path, { body: activityBody({ id: "123", appDisplayName: "Changed" }) });
    expectGraphError(answer, 400, BAD_REQUEST, naming("id"));
    expect(answer.body.error.message).toBe(
      `Invalid value for 'id': expected '${seeded.id}', the id of the item the URL names, or no id at all.`,
    );
    await expectNothingStored(seeded);
  });

  it("on PUT of a history item, storing nothing", async () => {
    const seeded = await seededActivity();
    const answer = await call("PUT", seeded.itemPath, { body: validItem({ id: crypto.randomUUID(), userTimezone: "Changed" }) });
    expectGraphError(answer, 400, BAD_REQUEST, naming("id"));
    await expectNothingStored(seeded);
  });
});

type WriteRoute = { name: string; method: string; path: (seeded: Seeded) => string; body: () => Record<string, unknown>; success: number };

const writeRoutes: WriteRoute[] = [
  { name: "PUT activity", method: "PUT", path: (s) => s.path, body: () => activityBody({ appDisplayName: "Changed" }), success: 200 },
  { name: "POST historyItems", method: "POST", path: (s) => s.itemsPath, body: () => validItem(), success: 201 },
  { name: "PUT historyItem", method: "PUT", path: (s) => s.itemPath, body: () => validItem({ userTimezone: "Changed" }), success: 200 },
];

describe.each(writeRoutes)("body plumbing: $name", (route) => {
  it.each(["application/json; charset=utf-8", "application/json;charset=UTF-8", 'application/json; charset="utf-8"'])(
    "accepts Content-Type %s",
    async (contentType) => {
      const seeded = await seededActivity();
      const answer = await call(route.method, route.path(seeded), { body: route.body(), headers: { "Content-Type": contentType } });
      expect(answer.status).toBe(route.success);
    },
  );

  it.each(["text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded"])(
    "415 for Content-Type %s",
    async (contentType) => {
      const seeded = await seededActivity();
      const answer = await call(route.method, route.path(seeded), { body: route.body(), headers: { "Content-Type": contentType } });
      expectGraphError(answer, 415, "UnsupportedMediaType", /application\/json/i);
      await expectNothingStored(seeded);
    },
  );

  it("415 without a Content-Type", async () => {
    const seeded = await seededActivity();
    const answer = await sendBytes(route.method, route.path(seeded), new TextEncoder().encode(JSON.stringify(route.body())));
    expectGraphError(answer, 415, "UnsupportedMediaType", /application\/json/i);
    await expectNothingStored(seeded);
  });

  it.each([
    ["malformed JSON", '{"startedDateTime": ', /JSON/],
    ["an empty body", "", /JSON|body/i],
  ])("400 for %s", async (_name, raw, message) => {
    const seeded = await seededActivity();
    expectGraphError(await call(route.method, route.path(seeded), { raw }), 400, BAD_REQUEST, message);
    await expectNothingStored(seeded);
  });

  it("400 for bytes that are not UTF-8", async () => {
    const seeded = await seededActivity();
    // "café" as Latin-1 sends é as the lone byte 0xE9.
    const utf8 = new TextEncoder().encode(JSON.stringify({ ...route.body(), userTimezone: "café" }));
    const at = utf8.findIndex((byte, index) => byte === 0xc3 && utf8[index + 1] === 0xa9);
    const latin1 = new Uint8Array([...utf8.subarray(0, at), 0xe9, ...utf8.subarray(at + 2)]);
    const answer = await sendBytes(route.method, route.path(seeded), latin1, { "Content-Type": "application/json" });
    expectGraphError(answer, 400, BAD_REQUEST, /UTF-8/i);
    await expectNothingStored(seeded);
  });

  it("413 for a body over 256 KiB with a Content-Length", async () => {
    const seeded = await seededActivity();
    const bytes = new TextEncoder().encode(paddedJson(route.body(), BODY_LIMIT + 1));
    const answer = await sendBytes(route.method, route.path(seeded), bytes, {
      "Content-Type": "application/json",
      "Content-Length": String(bytes.length),
    });
    expectGraphError(answer, 413, "requestTooLarge", /\d+ ?(bytes|KiB)/i);
    await expectNothingStored(seeded);
  });

  it("413 for a body over 256 KiB streamed without a Content-Length", async () => {
    const seeded = await seededActivity();
    const bytes = new TextEncoder().encode(paddedJson(route.body(), BODY_LIMIT + 1));
    const streamOf = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let offset = 0; offset < bytes.length; offset += 16 * 1024) controller.enqueue(bytes.slice(offset, offset + 16 * 1024));
          controller.close();
        },
      });
    // The runtime sends a stream of unknown length without a Content-Length, so only counting can catch it.
    expect(
      new Request("https://feed.test/", { method: "PUT", body: streamOf(), duplex: "half" } as RequestInit).headers.has("content-length"),
    ).toBe(false);
    const answer = await sendBytes(route.method, route.path(seeded), streamOf(), { "Content-Type": "application/json" });
    expectGraphError(answer, 413, "requestTooLarge", /\d+ ?(bytes|KiB)/i);
    await expectNothingStored(seeded);
  });
});

describe("limits at their boundary", () => {
  it("accepts exactly 100 history items in one PUT", async () => {
    const seeded = await seededActivity();
    const answer = await call("PUT", seeded.path, { body: activityBody({ historyItems: Array.from({ length: 100 }, () => validItem()) }) });
    expect(answer.status).toBe(200);
    expect(answer.body.historyItems).toHaveLength(100);
    expect((await storedRows(seeded.id)).historyItems).toHaveLength(101);
  });

  it("accepts an activity body of exactly 256 KiB", async () => {
    const seeded = await seededActivity();
    // A read-only member carries the padding: it is ignored, while what is stored is held to the limit as a GET
    // answers it, a few hundred bytes more than the body (test/bodies.test.ts).
    const bare = JSON.stringify(activityBody({ lastModifiedDateTime: "" }));
    const pad = "x".repeat(BODY_LIMIT - bare.length);
    const raw = JSON.stringify(activityBody({ lastModifiedDateTime: pad }));
    expect(new TextEncoder().encode(raw).length).toBe(BODY_LIMIT);
    const answer = await call("PUT", seeded.path, { raw });
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 200,
      body: activityResource(seeded.appActivityId, activityBody(), { status: "updated" }),
    });
  });
});

describe("the appActivityId in the URL", () => {
  it.each([
    ["invalid percent-encoding", "%E0%A4%A", /appActivityId|percent/i],
    ["a control character", "abc%00def", /appActivityId|control/i],
    ["over 1024 characters once decoded", "%2F".repeat(1025), /appActivityId|1024/i],
  ])("400 for %s, touching no activity", async (_name, segment, message) => {
    const before = await activityObjectIds();
    const answer = await call("PUT", `/v1.0/me/activities/${segment}`, { body: activityBody() });
    expectGraphError(answer, 400, BAD_REQUEST, message);
    expect(await activityObjectIds()).toEqual(before);
  });

  it("accepts 1024 characters once decoded, storing one new activity", async () => {
    const before = await activityObjectIds();
    const appActivityId = `/${crypto.randomUUID()}`.padEnd(1024, "/");
    const answer = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    expect(answer.status).toBe(201);
    expect(answer.body.appActivityId).toBe(appActivityId);
    // The same census that shows the rejected requests above touched nothing does see a write.
    expect(await activityObjectIds()).toHaveLength(before.length + 1);
  });

  it("is percent-decoded: %2Farticle%3F12345 is stored and returned as /article?12345", async () => {
    const suffix = crypto.randomUUID();
    const put = await call("PUT", `/v1.0/me/activities/%2Farticle%3F12345-${suffix}`, {
      body: activityBody({ appActivityId: `/article?12345-${suffix}` }),
    });
    expect(put.status).toBe(201);
    expect(put.body.appActivityId).toBe(`/article?12345-${suffix}`);
    const got = await call("GET", `/v1.0/me/activities/${put.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.appActivityId).toBe(`/article?12345-${suffix}`);
    expect(await storedRows(put.body.id)).toEqual({
      activity: [expect.objectContaining({ app_activity_id: `/article?12345-${suffix}` })],
      historyItems: [],
    });
  });
});

describe("query options", () => {
  it("400 for $select of a property a history item does not have", async () => {
    const seeded = await seededActivity();
    expectGraphError(await call("GET", `${seeded.itemPath}?$select=displayText`), 400, BAD_REQUEST, naming("displayText"));
  });

  it("400 for an unknown option on an activity", async () => {
    const seeded = await seededActivity();
    expectGraphError(await call("GET", `/v1.0/me/activities/${seeded.id}?foo=1`), 400, BAD_REQUEST, naming("foo"));
  });

  it("400 for $expand of anything but historyItems", async () => {
    const seeded = await seededActivity();
    expectGraphError(await call("GET", `/v1.0/me/activities/${seeded.id}?$expand=other`), 400, BAD_REQUEST, /\$expand|'other'/);
  });

  it("400 for an unknown option on a PUT, storing nothing", async () => {
    const seeded = await seededActivity();
    const answer = await call("PUT", `${seeded.path}?foo=1`, { body: activityBody({ appDisplayName: "Changed" }) });
    expectGraphError(answer, 400, BAD_REQUEST, naming("foo"));
    await expectNothingStored(seeded);
  });
});

describe("methods and paths", () => {
  const allowed = (answer: Answer) => (answer.headers.get("allow") ?? "").split(",").map((method) => method.trim());

  it.each([
    ["POST on an activity", "POST", (s: Seeded) => `/v1.0/me/activities/${s.id}`, ["GET", "PUT", "DELETE"]],
    ["POST on a history item", "POST", (s: Seeded) => s.itemPath, ["GET", "PUT", "PATCH", "DELETE"]],
    ["DELETE on historyItems", "DELETE", (s: Seeded) => s.itemsPath, ["GET", "POST"]],
  ])("405 for %s, with Allow, storing nothing", async (_name, method, path, methods) => {
    const seeded = await seededActivity();
    const answer = await call(method, path(seeded), method === "DELETE" ? {} : { body: validItem() });
    expectGraphError(answer, 405, "notAllowed", new RegExp(method));
    expect(allowed(answer)).toEqual(expect.arrayContaining(methods));
    expect(allowed(answer)).not.toContain(method);
    await expectNothingStored(seeded);
  });

  it.each([
    "/v1.0/me/unknown",
    "/v2.0/me/activities/1",
    "/v1.0/me/activities/1/historyItems/9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c/extra",
    "/",
  ])("404 in the envelope for %s", async (path) => {
    expectGraphError(await call("GET", path), 404, "itemNotFound", /\S/);
  });
});

describe("request ids", () => {
  it("every response carries its own request-id", async () => {
    const path = appActivityPath(freshAppActivityId());
    const created = await call("PUT", path, { body: activityBody() });
    const got = await call("GET", `/v1.0/me/activities/${created.body.id}`);
    const deleted = await call("DELETE", `/v1.0/me/activities/${created.body.id}`);
    const missing = await call("GET", `/v1.0/me/activities/${created.body.id}`);
    expect([created.status, got.status, deleted.status, missing.status]).toEqual([201, 200, 204, 404]);
    const ids = [created, got, deleted, missing].map((answer) => answer.headers.get("request-id"));
    for (const id of ids) expect(id).toMatch(/^\S+$/);
    expect(new Set(ids).size).toBe(4);
    expectGraphError(missing, 404, "itemNotFound", new RegExp(created.body.id));
  });

  it("echoes a client-request-id in the header and in an error's innerError", async () => {
    const clientRequestId = crypto.randomUUID();
    const seeded = await seededActivity();
    const ok = await call("GET", `/v1.0/me/activities/${seeded.id}`, { headers: { "client-request-id": clientRequestId } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("client-request-id")).toBe(clientRequestId);

    const failed = await call("PUT", seeded.path, { body: { foo: 1 }, headers: { "client-request-id": clientRequestId } });
    expect(failed.headers.get("client-request-id")).toBe(clientRequestId);
    expectGraphError(failed, 400, BAD_REQUEST, naming("foo"), clientRequestId);
    expect(failed.headers.get("request-id")).not.toBe(clientRequestId);
    await expectNothingStored(seeded);
  });

  it("without a client-request-id, innerError's equals the request-id", async () => {
    const answer = await call("GET", "/v1.0/me/activities/1");
    expectGraphError(answer, 404, "itemNotFound", /\S/);
    expect(answer.body.error.innerError["client-request-id"]).toBe(answer.headers.get("request-id"));
  });
});

describe("hostile bodies", () => {
  it("refuses free JSON nested deeper than 32 levels with a 400 naming the property, and stores nothing", async () => {
    const deep = (levels: number): unknown => (levels === 0 ? "leaf" : { child: deep(levels - 1) });
    const appActivityId = encodeURIComponent(`/deep?${crypto.randomUUID()}`);
    const tooDeep = await call("PUT", `/v1.0/me/activities/${appActivityId}`, {
      body: activityBody({ visualElements: { displayText: "x", content: deep(33) }, contentInfo: { a: deep(40) } }),
    });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.code).toBe("BadRequest");
    expect(tooDeep.body.error.message).toBe(
      "Invalid value for 'visualElements.content': expected JSON nested at most 32 levels deep. Invalid value for 'contentInfo': expected JSON nested at most 32 levels deep.",
    );
    const fine = await call("PUT", `/v1.0/me/activities/${appActivityId}`, {
      body: activityBody({ visualElements: { displayText: "x", content: deep(32) } }),
    });
    expect(fine.status).toBe(201);
  });

  it("answers 400, not 500, for JSON nested 100,000 levels deep", async () => {
    const raw = `{"activitySourceHost":"https://a.com","activationUrl":"https://a.com","visualElements":{"displayText":"x","content":${"[".repeat(100_000)}${"]".repeat(100_000)}}}`;
    const answer = await call("PUT", `/v1.0/me/activities/${encodeURIComponent(`/deeper?${crypto.randomUUID()}`)}`, { raw });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("BadRequest");
  });

  it("refuses a bearer token over 16 KiB with 401", async () => {
    const answer = await call("GET", "/v1.0/me/activities", { token: "a".repeat(100 * 1024) });
    expectGraphError(answer, 401, "InvalidAuthenticationToken", "The access token is longer than 16384 characters.");
  });
});

describe("values JSON admits but nothing can store faithfully", () => {
  it("refuses a number beyond a double's range (1e400) with 400, and stores nothing", async () => {
    const id = await createActivity();
    const raw = '{"startedDateTime":"2015-02-11T20:54:04Z","activeDurationSeconds":1e400}';
    const answer = await call("POST", `/v1.0/me/activities/${id}/historyItems`, { raw });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe("BadRequest");
    expect(answer.body.error.message).toBe("Invalid value for 'activeDurationSeconds': the number is out of range.");
    expect((await call("GET", `/v1.0/me/activities/${id}/historyItems`)).body.value).toEqual([]);
  });

  it("refuses text with an unpaired surrogate with 400, and stores nothing", async () => {
    const id = await createActivity();
    const raw = '{"startedDateTime":"2015-02-11T20:54:04Z","userTimezone":"\\udc00"}';
    const answer = await call("POST", `/v1.0/me/activities/${id}/historyItems`, { raw });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe("Invalid value for 'userTimezone': the text has an unpaired surrogate, so it is not Unicode.");
    expect((await call("GET", `/v1.0/me/activities/${id}/historyItems`)).body.value).toEqual([]);
  });

  it("refuses a session longer than activeDurationSeconds can count (Int32 seconds)", async () => {
    const id = await createActivity();
    const answer = await call("POST", `/v1.0/me/activities/${id}/historyItems`, {
      body: { startedDateTime: "1970-01-01T00:00:00+00:00", lastActiveDateTime: "2038-01-19T03:14:08+00:00" },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error.message).toBe(
      "Invalid value for 'lastActiveDateTime': expected a date and time not before startedDateTime, and at most 2147483647 seconds after it.",
    );
    const longest = await call("POST", `/v1.0/me/activities/${id}/historyItems`, {
      body: { startedDateTime: "1970-01-01T00:00:00+00:00", lastActiveDateTime: "2038-01-19T03:14:07.999+00:00" },
    });
    expect(longest.status).toBe(201);
    expect(longest.body.activeDurationSeconds).toBe(2147483647);
  });
});
