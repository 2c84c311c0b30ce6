import { runInDurableObject } from "cloudflare:test";
import type { JWK } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Answer, call, freshAppActivityId } from "./support/api";
import { activityBody, activityResource } from "./support/builders";
import { activitiesContext, expectGraphError, withoutContext } from "./support/graph";
import { activityObjectIds, activityStub, feedStub, NOTHING_PENDING, OUTBOX_STATE, sqlIn } from "./support/objects";
import { callerFor, DEV_CALLER, mintToken, signingKey, stubKeyEndpoint, type TokenOptions } from "./support/tokens";

// Tests that look inside objects use a fresh user of the development tenant and app.
const TENANT = DEV_CALLER.tenantId;
const USER = DEV_CALLER.userId;
const APP = DEV_CALLER.appId;
const DEV_ISSUER = "https://login.dev.localhost/{tenantid}/v2.0";
const V1_ISSUER = "https://sts.windows.net/{tenantid}/";
const BODY_LIMIT = 256 * 1024;
const STARTED = "2015-02-11T20:54:04.345Z";
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const UNKNOWN_KID = "No signing key matches the token's key id (kid).";
const BAD_ISSUER = "Invalid issuer: the token was not issued for this service's tenants.";
const TENANT_NOT_ALLOWED = "The token's tenant is not allowed to call this service.";
const BAD_PERCENT = "The appActivityId in the URL is not valid percent-encoding.";
const CONTROL = "The appActivityId must not contain control characters.";
const TOO_LONG = "The appActivityId must be 1 to 1024 characters once decoded.";
const TOO_LARGE = `The request body is larger than ${BODY_LIMIT} bytes.`;
const notJson = (got: string) => `The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got '${got}').`;

/** Runs SQL inside `user`'s activity object. */
const activitySql = (user: string, id: string, query: string, ...bindings: unknown[]) =>
  sqlIn(activityStub(id, callerFor({ user })), query, ...bindings);

const activityPath = (segment: string) => `/v1.0/me/activities/${segment}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 401 with the Bearer challenge that carries the same message. */
function expectUnauthorized(answer: Answer, message: string) {
  expectGraphError(answer, 401, "InvalidAuthenticationToken", message);
  expect(answer.headers.get("WWW-Authenticate")).toBe(`Bearer error="invalid_token", error_description="${message}"`);
}

/** An empty feed page for this user: what any accepted token of a fresh user reads. */
const emptyFeed = (user: string) => ({
  status: 200,
  body: { "@odata.context": activitiesContext({ user }), value: [] },
});

/** Calls the Worker with some configuration overridden, as a deployment with those vars would run. */
const callWith = (vars: Partial<Env>, method: string, path: string, token: string, body?: unknown) =>
  call(method, path, { vars, token, body });

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("a remote key set that rotates", () => {
  it("accepts a new kid once the set publishes it (after jose's 30 s cooldown) and refuses a removed key once the 10 min cache expires", async () => {
    const keysUrl = `https://keys.test/jwks?run=${crypto.randomUUID()}`;
    const vars = { AUTH_JWKS: "", AUTH_JWKS_URL: keysUrl };
    const [oldKey, newKey] = await Promise.all([signingKey("rotation-old"), signingKey("rotation-new")]);
    let published: JWK[] = [oldKey.jwk];
    const { fetches, keyFetches } = stubKeyEndpoint(keysUrl, () => Response.json({ keys: published }));
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    vi.setSystemTime(start);
    const user = crypto.randomUUID();
    // Each check mints its token at the current (fake) time, so only the key decides.
    const readFeed = async (key: typeof oldKey) =>
      callWith(vars, "GET", "/v1.0/me/activities", await mintToken({ user, key: key.privateKey, kid: key.kid }));
    const accepted = async (key: typeof oldKey) => {
      const answer = await readFeed(key);
      expect({ status: answer.status, body: answer.body }).toEqual(emptyFeed(user));
    };

    await accepted(oldKey);
    expect(keyFetches()).toBe(1);

    // The set adds a key. Within the cooldown an unknown kid is refused without refetching, so a
    // stream of made-up kids cannot turn the service into a fetch amplifier against the key endpoint.
    published = [oldKey.jwk, newKey.jwk];
    vi.setSystemTime(start + 10_000);
    for (let attempt = 0; attempt < 3; attempt++) expectUnauthorized(await readFeed(newKey), UNKNOWN_KID);
    expect(keyFetches()).toBe(1);

    // After the cooldown, the unknown kid makes jose refetch, and the new key is accepted.
    vi.setSystemTime(start + 31_000);
    await accepted(newKey);
    expect(keyFetches()).toBe(2);
    await accepted(oldKey);
    expect(keyFetches()).toBe(2);

    // The old key is withdrawn. The cached set still trusts it until the cache expires (10 minutes)...
    published = [newKey.jwk];
    vi.setSystemTime(start + 31_000 + 9 * 60_000);
    await accepted(oldKey);
    expect(keyFetches()).toBe(2);

    // ...and then the refreshed set refuses it, while the new key carries on.
    vi.setSystemTime(start + 31_000 + 10 * 60_000 + 1000);
    expectUnauthorized(await readFeed(oldKey), UNKNOWN_KID);
    expect(keyFetches()).toBe(3);
    await accepted(newKey);
    expect(keyFetches()).toBe(3);
    for (const [input, init] of fetches.mock.calls) {
      expect({ url: String(input), method: init?.method, redirect: init?.redirect }).toEqual({
        url: keysUrl,
        method: "GET",
        redirect: "manual",
      });
    }
  });
});

describe("a remote key set that cannot be reached", () => {
  it("answers 503 serviceNotAvailable with Retry-After, not a 401 that would make the client discard a good token", async () => {
    const keysUrl = `https://keys.test/jwks?run=${crypto.randomUUID()}`;
    const { privateKey, jwk } = await signingKey("outage");
    let healthy = false;
    stubKeyEndpoint(keysUrl, () => (healthy ? Response.json({ keys: [jwk] }) : new Response("upstream down", { status: 500 })));
    const user = crypto.randomUUID();
    const token = await mintToken({ user, key: privateKey, kid: "outage" });
    const vars = { AUTH_JWKS: "", AUTH_JWKS_URL: keysUrl };

    const down = await callWith(vars, "GET", "/v1.0/me/activities", token);
    expectGraphError(down, 503, "serviceNotAvailable", "The token signing keys could not be loaded; retry the request.");
    expect(down.headers.get("Retry-After")).toBe("5");

    healthy = true;
    const up = await callWith(vars, "GET", "/v1.0/me/activities", token);
    expect({ status: up.status, body: up.body }).toEqual(emptyFeed(user));
  });
});

describe("tenants and issuers from the configuration", () => {
  const OTHER_TENANT = "0b1f7c2e-7a3d-4c55-9f0e-3d2a6c1b8e90";

  it("AUTH_TENANTS restricted to one tenant: another tenant's valid token is 401, the allowed tenant's is 201", async () => {
    const vars = { AUTH_TENANTS: TENANT };
    const appActivityId = freshAppActivityId();
    const path = activityPath(encodeURIComponent(appActivityId));

    const refused = await callWith(vars, "PUT", path, await mintToken({ tenant: OTHER_TENANT }), activityBody());
    expectUnauthorized(refused, TENANT_NOT_ALLOWED);
    // The same token is fine where every tenant is allowed: only the restriction refused it.
    const user = crypto.randomUUID();
    const open = await callWith({ AUTH_TENANTS: "*" }, "GET", "/v1.0/me/activities", await mintToken({ tenant: OTHER_TENANT, user }));
    expect({ status: open.status, body: open.body }).toEqual(emptyFeed(user));

    // The refused PUT stored nothing: the allowed tenant's PUT of the same appActivityId is a create.
    const allowed = await callWith(vars, "PUT", path, await mintToken({ tenant: TENANT }), activityBody());
    expect({ status: allowed.status, body: allowed.body }).toEqual({ status: 201, body: activityResource(appActivityId) });
  });

  /** A v1.0 access token as Entra ID issues it: sts.windows.net issuer, appid instead of azp. */
  const v1Token = (tenant = TENANT, issuerTenant = tenant) =>
    mintToken({
      tenant,
      claims: { iss: V1_ISSUER.replace("{tenantid}", issuerTenant), ver: "1.0", azp: undefined, appid: APP },
    } satisfies TokenOptions);

  it("accepts a v1 issuer (https://sts.windows.net/{tid}/) when AUTH_ISSUERS lists it", async () => {
    const appActivityId = freshAppActivityId();
    const answer = await callWith(
      { AUTH_ISSUERS: `${DEV_ISSUER},${V1_ISSUER}` },
      "PUT",
      activityPath(encodeURIComponent(appActivityId)),
      await v1Token(),
      activityBody(),
    );
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 201, body: activityResource(appActivityId) });
  });

  it("refuses the v1 issuer when AUTH_ISSUERS does not list it, and for another tenant even when it does", async () => {
    const path = activityPath(encodeURIComponent(freshAppActivityId()));
    expectUnauthorized(await callWith({ AUTH_ISSUERS: DEV_ISSUER }, "PUT", path, await v1Token(), activityBody()), BAD_ISSUER);
    const listed = { AUTH_ISSUERS: `${DEV_ISSUER},${V1_ISSUER}` };
    expectUnauthorized(await callWith(listed, "PUT", path, await v1Token(TENANT, OTHER_TENANT), activityBody()), BAD_ISSUER);
    // Neither stored anything: the next PUT of the same appActivityId is a create.
    const created = await call("PUT", path, { body: activityBody() });
    expect(created.status).toBe(201);
  });
});

describe("hostile appActivityIds", () => {
  it.each([
    ["a lone %", "%", BAD_PERCENT],
    ["%ZZ", "a%ZZb", BAD_PERCENT],
    ["a truncated UTF-8 sequence", "abc%E2%82", BAD_PERCENT],
    ["an overlong encoding of '/' (%C0%AF)", "%C0%AF..%C0%AFetc", BAD_PERCENT],
    ["an encoded UTF-16 surrogate", "a%ED%A0%80b", BAD_PERCENT],
    ["a byte that is never UTF-8 (%FF)", "%FF", BAD_PERCENT],
    ["a line feed", "a%0Ab", CONTROL],
    ["a carriage return and line feed (header injection)", "a%0D%0ASet-Cookie:%20x=1", CONTROL],
    ["a tab", "a%09b", CONTROL],
    ["an escape sequence", "%1B%5B31mred", CONTROL],
    ["DEL", "a%7F", CONTROL],
    ["a C1 control (NEL, U+0085)", "a%C2%85b", CONTROL],
    ["10 KB of text", "a".repeat(10 * 1024), TOO_LONG],
    ["10 KB of text, percent-encoded", "%41".repeat(10 * 1024), TOO_LONG],
  ])("400 invalidRequest for %s, storing nothing", async (_name, segment, message) => {
    const before = await activityObjectIds();
    expectGraphError(await call("PUT", activityPath(segment), { body: activityBody() }), 400, "invalidRequest", message);
    expect(await activityObjectIds()).toEqual(before);
  });

  // WHATWG URL parsing resolves '.', '..', '%2E' and '%2E%2E' segments before the Worker sees the
  // path, so these ids cannot be addressed at all: the request lands on another path, never a write.
  // URL parsing resolves them to /v1.0/me/, which names /v1.0/me (a trailing slash names the same resource).
  it.each(["%2E%2E", "%2e%2E", ".."])(
    "the dot segment %s is resolved away by URL parsing: 404 for the resulting path, storing nothing",
    async (segment) => {
      const before = await activityObjectIds();
      expectGraphError(
        await call("PUT", activityPath(segment), { body: activityBody() }),
        404,
        "itemNotFound",
        "No resource exists at '/v1.0/me'.",
      );
      expect(await activityObjectIds()).toEqual(before);
    },
  );

  it("the dot segment %2E is resolved away to the collection /v1.0/me/activities/: 405 for a PUT there, storing nothing", async () => {
    const before = await activityObjectIds();
    expectGraphError(
      await call("PUT", activityPath("%2E"), { body: activityBody() }),
      405,
      "notAllowed",
      "The method PUT is not allowed on this resource; use GET, POST.",
    );
    expect(await activityObjectIds()).toEqual(before);
  });

  it.each([
    ["'..' inside a longer id", (u: string) => `${u}..b`, (u: string) => `${u}..b`],
    ["%2F sequences with '..' between them", (u: string) => `${u}%2Fb%2F..%2Fc`, (u: string) => `${u}/b/../c`],
    ["%2F with %2E%2E inside one segment", (u: string) => `${u}%2F%2E%2E%2Fy`, (u: string) => `${u}/../y`],
    ["a traversal-shaped id", (u: string) => `..%2F..%2F${u}%2Fetc%2Fpasswd`, (u: string) => `../../${u}/etc/passwd`],
    ["a double-encoded slash, decoded once", (u: string) => `${u}%252Fb`, (u: string) => `${u}%2Fb`],
  ])("%s is a legitimate id: 201 with the literal decoded value, never normalised", async (_name, segment, decoded) => {
    const unique = crypto.randomUUID();
    const answer = await call("PUT", activityPath(segment(unique)), { body: activityBody() });
    expect({ status: answer.status, body: answer.body }).toEqual({ status: 201, body: activityResource(decoded(unique)) });
    const read = await call("GET", activityPath(answer.body.id));
    expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: answer.body });
    expect(await activitySql(USER, answer.body.id, "SELECT app_activity_id FROM activity")).toEqual([{ app_activity_id: decoded(unique) }]);
  });

  it("a/b/../c and a/c are different activities: the id is never resolved as a path", async () => {
    const unique = crypto.randomUUID();
    const dotted = await call("PUT", activityPath(`${unique}%2Fb%2F..%2Fc`), { body: activityBody() });
    const plain = await call("PUT", activityPath(`${unique}%2Fc`), { body: activityBody() });
    expect([dotted.status, plain.status]).toEqual([201, 201]);
    expect(dotted.body.id).not.toBe(plain.body.id);
    expect([dotted.body.appActivityId, plain.body.appActivityId]).toEqual([`${unique}/b/../c`, `${unique}/c`]);
  });
});

describe("hostile bodies", () => {
  /** A fresh activity of a fresh user, with one item, and its rows: a wrongly accepted write would change them. */
  async function seeded() {
    const user = crypto.randomUUID();
    const appActivityId = freshAppActivityId();
    const path = activityPath(encodeURIComponent(appActivityId));
    const created = await call("PUT", path, { as: { user }, body: activityBody({ historyItems: [{ startedDateTime: STARTED }] }) });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const rows = async () => ({
      activity: await activitySql(user, id, "SELECT * FROM activity"),
      historyItems: await activitySql(user, id, "SELECT * FROM history_item ORDER BY id"),
    });
    const stored = await rows();
    expect(stored.historyItems).toHaveLength(1);
    return { user, appActivityId, path, id, itemsPath: `/v1.0/me/activities/${id}/historyItems`, rows, stored };
  }

  it("duplicate JSON keys: JSON.parse keeps the last one, so the last value is the one validated and stored", async () => {
    const s = await seeded();
    const lastWins = await call("POST", s.itemsPath, {
      as: { user: s.user },
      raw: '{"startedDateTime": "2015-02-11T20:54:04.345Z", "startedDateTime": "2016-01-01T00:00:00Z"}',
    });
    expect(lastWins.status).toBe(201);
    expect(lastWins.body.startedDateTime).toBe("2016-01-01T00:00:00.000Z");
    expect(await activitySql(s.user, s.id, "SELECT started_ms FROM history_item WHERE id = ?", lastWins.body.id)).toEqual([
      { started_ms: Date.parse("2016-01-01T00:00:00Z") },
    ]);
    const afterFirst = await s.rows();

    // A valid first value cannot smuggle an invalid last one past validation...
    const invalidLast = await call("POST", s.itemsPath, {
      as: { user: s.user },
      raw: '{"startedDateTime": "2016-01-01T00:00:00Z", "startedDateTime": "yesterday"}',
    });
    expectGraphError(
      invalidLast,
      400,
      "BadRequest",
      "Invalid value for 'startedDateTime': expected an ISO 8601 date and time with an offset and up to 7 fractional digits, such as 2015-02-11T20:54:04.3457274+00:00.",
    );
    // ...nor an appActivityId that differs from the URL's behind one that matches it.
    const body = JSON.stringify(activityBody({ appDisplayName: "Changed" })).slice(1);
    const smuggled = await call("PUT", s.path, {
      as: { user: s.user },
      raw: `{"appActivityId": ${JSON.stringify(s.appActivityId)}, "appActivityId": "other", ${body}`,
    });
    expectGraphError(
      smuggled,
      400,
      "BadRequest",
      `The appActivityId in the body ('other') must equal the one in the URL ('${s.appActivityId}').`,
    );
    expect(await s.rows()).toEqual(afterFirst);
  });

  it.each([
    ["a stream with a lying Content-Length of 10", true],
    ["a buffered body with a lying Content-Length of 10", false],
  ])("413 for a body over 256 KiB sent as %s, storing nothing", async (_name, streamed) => {
    const s = await seeded();
    const bytes = new TextEncoder().encode(JSON.stringify(activityBody({ contentInfo: { pad: "x".repeat(BODY_LIMIT) } })));
    const bodyOf = (): BodyInit =>
      streamed
        ? new ReadableStream<Uint8Array>({
            start(controller) {
              for (let offset = 0; offset < bytes.length; offset += 16 * 1024) controller.enqueue(bytes.slice(offset, offset + 16 * 1024));
              controller.close();
            },
          })
        : bytes;
    const lying = { "Content-Type": "application/json", "Content-Length": "10" };
    // The runtime lets the header lie: only counting the bytes as they arrive can catch this.
    expect(
      new Request("https://feed.test/", { method: "PUT", body: bodyOf(), headers: lying, duplex: "half" } as RequestInit).headers.get(
        "content-length",
      ),
    ).toBe("10");
    const answer = await call("PUT", s.path, { raw: bodyOf(), headers: lying });
    expectGraphError(answer, 413, "requestTooLarge", TOO_LARGE);
    expect(await s.rows()).toEqual(s.stored);
  });

  it.each([
    ["text/json", "text/json"],
    ["application/jsonx", "application/jsonx"],
    ["application/json-patch+json", "application/json-patch+json"],
    ["two media types in one header", "application/json, text/html"],
    ["a UTF-16 charset", "application/json; charset=utf-16"],
    ["multipart", "multipart/form-data; boundary=x"],
  ])("415 for Content-Type %s on PUT of an activity and POST of an item, storing nothing", async (_name, contentType) => {
    const s = await seeded();
    const put = await call("PUT", s.path, { as: { user: s.user }, body: activityBody(), headers: { "Content-Type": contentType } });
    expectGraphError(put, 415, "UnsupportedMediaType", notJson(contentType));
    const post = await call("POST", s.itemsPath, {
      as: { user: s.user },
      body: { startedDateTime: STARTED },
      headers: { "Content-Type": contentType },
    });
    expectGraphError(post, 415, "UnsupportedMediaType", notJson(contentType));
    expect(await s.rows()).toEqual(s.stored);
  });
});

describe("hostile headers", () => {
  it("a 64 KB client-request-id is not echoed: the request id stands in for it, in the header and in innerError", async () => {
    const answer = await call("GET", "/v1.0/me/activities/1", { headers: { "client-request-id": "c".repeat(64 * 1024) } });
    expectGraphError(answer, 404, "itemNotFound", "The activity '1' does not exist.", answer.headers.get("request-id"));
    expect(answer.headers.get("client-request-id")).toBe(answer.headers.get("request-id"));
  });

  it("a 64 KB X-Junk header changes nothing: the PUT is answered normally", async () => {
    const appActivityId = freshAppActivityId();
    const clientRequestId = crypto.randomUUID();
    const answer = await call("PUT", activityPath(encodeURIComponent(appActivityId)), {
      body: activityBody(),
      headers: { "X-Junk": "j".repeat(64 * 1024), "client-request-id": clientRequestId },
    });
    expect({ status: answer.status, body: answer.body, clientRequestId: answer.headers.get("client-request-id") }).toEqual({
      status: 201,
      body: activityResource(appActivityId),
      clientRequestId,
    });
  });
});

describe("faults", () => {
  it("an alarm that throws is retried by the runtime and converges: expired rows gone, re-armed, nothing acknowledged lost", async () => {
    const user = crypto.randomUUID();
    const created = await call("PUT", activityPath(encodeURIComponent(freshAppActivityId())), { as: { user }, body: activityBody() });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const now = Date.now();
    const items: Answer[] = [];
    for (let n = 0; n < 4; n++) {
      const expirationDateTime = new Date(now + HOUR_MS + n * 60_000).toISOString();
      items.push(
        await call("PUT", `/v1.0/me/activities/${id}/historyItems/${crypto.randomUUID()}`, {
          as: { user },
          body: { startedDateTime: STARTED, expirationDateTime },
        }),
      );
    }
    expect(items.map((item) => item.status)).toEqual([201, 201, 201, 201]);
    const [gone0, kept1, gone2, kept3] = items.map((item) => item.body.id as string);
    const stub = activityStub(id, callerFor({ user }));

    // Items 0 and 2 expire (as if time had passed), the alarm becomes due, and its first run throws.
    // Plain data only: a promise settled inside the object would carry its I/O context into the test.
    const runs: ("threw" | "ran" | "done")[] = [];
    const before = await runInDurableObject(stub, async (instance, state) => {
      const target = instance as unknown as { alarm: () => Promise<void> };
      const alarm = target.alarm.bind(instance);
      target.alarm = async () => {
        if (runs.length === 0) {
          runs.push("threw");
          throw new Error("injected alarm failure");
        }
        runs.push("ran");
        await alarm();
        runs.push("done");
      };
      const sql = state.storage.sql;
      sql.exec("UPDATE history_item SET expiration_ms = ? WHERE id IN (?, ?)", Date.now() - 1000, gone0, gone2);
      const rows = {
        activity: sql.exec("SELECT * FROM activity").toArray(),
        kept: sql.exec("SELECT * FROM history_item WHERE id IN (?, ?) ORDER BY id", kept1, kept3).toArray(),
      };
      await state.storage.setAlarm(Date.now());
      return rows;
    });
    try {
      const deadline = Date.now() + 15_000;
      while (runs.length === 0 && Date.now() < deadline) await sleep(50);
      expect(runs).toEqual(["threw"]);
      // The failed run changed nothing: the expired rows are still there, waiting for the retry.
      expect(await activitySql(user, id, "SELECT id FROM history_item ORDER BY id")).toEqual(
        [gone0, kept1, gone2, kept3].sort().map((item) => ({ id: item })),
      );

      while (runs.length < 3 && Date.now() < deadline) await sleep(50);
      expect(runs).toEqual(["threw", "ran", "done"]);
      const after = await runInDurableObject(stub, async (_instance, state) => ({
        activity: state.storage.sql.exec("SELECT * FROM activity").toArray(),
        items: state.storage.sql.exec("SELECT * FROM history_item ORDER BY id").toArray(),
        alarm: await state.storage.getAlarm(),
      }));
      expect(after).toEqual({
        activity: before.activity,
        items: before.kept,
        alarm: Math.min(...before.kept.map((row) => row.expiration_ms as number)),
      });
      expect(after.alarm).toBe(Date.parse(items[1]!.body.expirationDateTime));

      // Every acknowledged write that has not expired still reads back exactly as acknowledged.
      const list = await call("GET", `/v1.0/me/activities/${id}/historyItems`, { as: { user } });
      expect({ status: list.status, ids: list.body.value.map((item: { id: string }) => item.id).sort() }).toEqual({
        status: 200,
        ids: [kept1, kept3].sort(),
      });
      for (const item of [items[1]!, items[3]!]) expect(list.body.value).toContainEqual(withoutContext(item.body));
      const activity = await call("GET", `/v1.0/me/activities/${id}`, { as: { user } });
      expect({ status: activity.status, body: activity.body }).toEqual({ status: 200, body: created.body });
    } finally {
      await runInDurableObject(stub, (instance) => {
        delete (instance as unknown as { alarm?: unknown }).alarm;
      });
    }
  });

  it("a feed push that hangs: the write still answers 201 within 2.5 s, and the feed catches up on the retry", async () => {
    const user = crypto.randomUUID();
    // RPC refuses a method set on the instance itself, so the hang goes on the prototype, for this one feed only.
    // The held calls poll a flag rather than wait on a promise the test settles: promises do not cross objects' I/O contexts.
    let hanging = true;
    let held = 0;
    const feed = feedStub(callerFor({ user }));
    const restore = await runInDurableObject(feed, (instance) => {
      const prototype = Object.getPrototypeOf(instance) as { apply: (...args: unknown[]) => Promise<void> };
      const apply = prototype.apply;
      prototype.apply = function (this: unknown, ...args: unknown[]) {
        if (this !== instance || !hanging) return apply.apply(this, args);
        held++;
        // Released, it fails like a dropped connection (workerd logs that as uncaught: its caller gave up at the deadline).
        return (async () => {
          while (hanging) await sleep(20);
          throw new Error("connection dropped");
        })();
      };
      return () => {
        prototype.apply = apply;
      };
    });
    try {
      const appActivityId = freshAppActivityId();
      const startedAt = Date.now();
      const put = await call("PUT", activityPath(encodeURIComponent(appActivityId)), { as: { user }, body: activityBody() });
      const elapsed = Date.now() - startedAt;
      expect({ status: put.status, body: put.body }).toEqual({
        status: 201,
        body: activityResource(appActivityId, activityBody(), { user }),
      });
      // It waited for the 2 s push deadline, and no longer.
      expect(elapsed).toBeGreaterThanOrEqual(1900);
      expect(elapsed).toBeLessThan(2500);
      expect(held).toBe(1);

      // The change waits in the outbox, with the alarm set for its retry.
      const pending = await runInDurableObject(activityStub(put.body.id, callerFor({ user })), async (_instance, state) => ({
        outbox: state.storage.sql.exec("SELECT version, attempts, retry_at_ms FROM feed_outbox").toArray(),
        alarm: await state.storage.getAlarm(),
      }));
      // Its version is the write's instant in microseconds (the first change of a new activity).
      const version = Date.parse(put.body.lastModifiedDateTime) * 1000;
      expect(pending).toEqual({ outbox: [{ version, attempts: 1, retry_at_ms: pending.alarm }], alarm: expect.any(Number) });
      // The first retry comes 1 s after the failed push.
      expect(pending.alarm).toBeGreaterThanOrEqual(startedAt + 2900);
      expect(pending.alarm).toBeLessThanOrEqual(Date.now() + 1000);
      const feedBefore = await call("GET", "/v1.0/me/activities", { as: { user } });
      expect({ status: feedBefore.status, body: feedBefore.body }).toEqual(emptyFeed(user));

      // The index comes back; the held call fails as a dropped connection would.
      hanging = false;
      let listed: Answer = feedBefore;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(100)) {
        listed = await call("GET", "/v1.0/me/activities", { as: { user } });
        if (listed.body?.value?.length) break;
      }
      expect({ status: listed.status, body: listed.body }).toEqual({
        status: 200,
        body: { ...emptyFeed(user).body, value: [withoutContext(put.body)] },
      });
      const settled = await runInDurableObject(activityStub(put.body.id, callerFor({ user })), async (_instance, state) => ({
        outbox: state.storage.sql.exec(OUTBOX_STATE).toArray(),
        alarm: await state.storage.getAlarm(),
      }));
      expect(settled).toEqual({ outbox: NOTHING_PENDING, alarm: Date.parse(put.body.lastModifiedDateTime) + 30 * DAY_MS });
    } finally {
      hanging = false;
      await runInDurableObject(feed, () => restore());
    }
  });
});
