import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { limits } from "../src/limits";
import { type Answer, call, createActivity, freshAppActivityId, GUID } from "./support/api";
import { answer, batch, errorAnswer, expectBatchAnswer, expectBatchError, JSON_HEADERS } from "./support/batch";
import { activityBody } from "./support/builders";
import { errorEnvelope } from "./support/graph";
import { throttledEnv } from "./support/throttling";
import { mintToken } from "./support/tokens";

afterEach(() => vi.restoreAllMocks());

const STARTED = "2015-02-11T20:54:04.3457274+00:00";

const itemsUrl = (activityId: string) => `/me/activities/${activityId}/historyItems`;
const activityUrl = (appActivityId: string) => `/me/activities/${encodeURIComponent(appActivityId)}`;

/** An answer with its volatile ids and dates blanked, so that one sent alone compares with one from a batch. */
const comparable = (status: number, headers: Record<string, string>, body: any) => {
  const { "request-id": _requestId, "client-request-id": _clientRequestId, ...rest } = headers;
  const error = body?.error && { ...body.error, innerError: undefined };
  return { status, headers: rest, body: error ? { error } : body };
};

/** The headers a batch answer carries, read from a response sent alone. */
const aloneHeaders = (answer: Answer) =>
  Object.fromEntries(
    ["Content-Type", "Location", "Retry-After", "Allow", "WWW-Authenticate"].flatMap((name) =>
      answer.headers.has(name) ? [[name, answer.headers.get(name)!]] : [],
    ),
  );

describe("POST /$batch", () => {
  it("runs each request as if sent alone, for every url form, under /v1.0, /beta and no prefix", async () => {
    const id = await createActivity();
    const alone = Object.fromEntries(
      await Promise.all(["/v1.0", "/beta", ""].map(async (prefix) => [prefix, (await call("GET", `${prefix}/me/activities/${id}`)).body])),
    );
    expect(alone["/beta"]["@odata.context"]).toBe(
      "https://feed.test/beta/$metadata#users('00000000-0000-0000-0000-00000000a11c')/activities/$entity",
    );
    for (const prefix of ["/v1.0", "/beta", ""]) {
      const sent = await batch(
        [
          { id: "slash", method: "GET", url: `/me/activities/${id}` },
          { id: "bare", method: "get", url: `me/activities/${id}` },
          { id: "v1.0", method: "GET", url: `/v1.0/me/activities/${id}` },
          { id: "beta", method: "GET", url: `beta/me/activities/${id}` },
        ],
        {},
        prefix,
      );
      expectBatchAnswer(sent, [
        answer("slash", 200, alone[prefix]),
        answer("bare", 200, alone[prefix]),
        answer("v1.0", 200, alone["/v1.0"]),
        answer("beta", 200, alone["/beta"]),
      ]);
    }
  });

  it("answers each request exactly as it answers it alone: statuses, Allow, errors and an empty 204", async () => {
    const id = await createActivity();
    const itemId = crypto.randomUUID();
    await call("PUT", `/v1.0${itemsUrl(id)}/${itemId}`, { body: { startedDateTime: STARTED } });
    const requests = [
      { id: "list", method: "GET", url: `${itemsUrl(id)}?$top=5` },
      { id: "bad-top", method: "GET", url: `${itemsUrl(id)}?$top=0` },
      { id: "missing", method: "GET", url: `/me/activities/${id}/historyItems/${crypto.randomUUID()}` },
      { id: "not-a-guid", method: "GET", url: `/me/activities/${id}/historyItems/42` },
      { id: "wrong-method", method: "POST", url: `/me/activities/${id}/historyItems/${itemId}`, headers: JSON_HEADERS, body: {} },
      {
        id: "unknown-property",
        method: "POST",
        url: itemsUrl(id),
        headers: JSON_HEADERS,
        body: { startedDateTime: STARTED, colour: "red" },
      },
      { id: "unknown-path", method: "GET", url: "/me/somethingElse" },
    ];
    const alone = await Promise.all(
      requests.map(({ method, url, body }) => call(method, `/v1.0/${url.replace(/^\//, "")}`, body === undefined ? {} : { body })),
    );
    const sent = await batch(requests);
    expect(sent.status).toBe(200);
    expect(sent.body.responses.map(({ id }: any) => id)).toEqual(requests.map(({ id }) => id));
    sent.body.responses.forEach((inBatch: any, index: number) => {
      expect(comparable(inBatch.status, inBatch.headers, inBatch.body)).toEqual(
        comparable(alone[index]!.status, aloneHeaders(alone[index]!), alone[index]!.body),
      );
      expect(inBatch.headers["request-id"]).toMatch(GUID);
      if (inBatch.body.error) {
        expect(inBatch.body).toEqual(
          errorEnvelope(
            inBatch.body.error.code,
            inBatch.body.error.message,
            inBatch.headers["request-id"],
            inBatch.headers["client-request-id"],
          ),
        );
      }
    });
    expect(sent.body.responses[4].headers.Allow).toBe(alone[4]!.headers.get("Allow"));

    // A 204 has no body: null, as Graph answers it.
    const deleted = await batch([{ id: "delete", method: "DELETE", url: `${itemsUrl(id)}/${itemId}` }]);
    expectBatchAnswer(deleted, [
      {
        id: "delete",
        status: 204,
        headers: { "request-id": expect.stringMatching(GUID), "client-request-id": expect.stringMatching(GUID) },
        body: null,
      },
    ]);
  });

  it("gives each request the batch's client-request-id unless it sends its own, and the batch's Authorization, never its own", async () => {
    const id = await createActivity();
    const sent = await batch(
      [
        { id: "inherits", method: "GET", url: `/me/activities/${id}/historyItems/${crypto.randomUUID()}` },
        {
          id: "own",
          method: "GET",
          url: `/me/activities/${id}/historyItems/${crypto.randomUUID()}`,
          headers: { "client-request-id": "own-id" },
        },
        { id: "other-token", method: "GET", url: `/me/activities/${id}`, headers: { Authorization: "Bearer not-a-token" } },
      ],
      { headers: { "client-request-id": "batch-id" } },
    );
    const [inherits, own, otherToken] = sent.body.responses;
    expectBatchAnswer(
      sent,
      [
        {
          ...errorAnswer(inherits, "inherits", 404, "itemNotFound", expect.stringMatching(/^The history item '.+' does not exist\.$/)),
          headers: answer("", 0, null, "batch-id").headers,
        },
        {
          ...errorAnswer(own, "own", 404, "itemNotFound", expect.stringMatching(/^The history item '.+' does not exist\.$/)),
          headers: answer("", 0, null, "own-id").headers,
        },
        answer("other-token", 200, (await call("GET", `/v1.0/me/activities/${id}`)).body, "batch-id"),
      ],
      "batch-id",
    );
    expect(inherits.body.error.innerError["client-request-id"]).toBe("batch-id");
    expect(own.body.error.innerError["client-request-id"]).toBe("own-id");
    expect(
      new Set([sent.headers.get("request-id"), inherits.headers["request-id"], own.headers["request-id"], otherToken.headers["request-id"]])
        .size,
    ).toBe(4);
  });

  it("answers 400 for a request whose url is absolute or not a path of this API, and runs the others", async () => {
    const user = crypto.randomUUID();
    const urls = {
      absolute: "https://graph.microsoft.com/v1.0/me/activities",
      "network-path": "//feed.test/v1.0/me/activities",
      "other-scheme": "urn:me:activities",
      document: "/openapi.json",
      "other-version": "/v2.0/me/activities",
      root: "/",
      "dot-segments": "/me/../openapi.json",
      "encoded-dot-segments": "me/%2e%2e/%2E%2E/openapi.json",
      backslashes: "/me\\..\\openapi.json",
    };
    const sent = await batch(
      [...Object.entries(urls).map(([id, url]) => ({ id, method: "GET", url })), { id: "feed", method: "GET", url: "/me/activities" }],
      { as: { user } },
    );
    const responses = sent.body.responses;
    expectBatchAnswer(sent, [
      ...Object.entries(urls).map(([id, url], index) =>
        errorAnswer(
          responses[index],
          id,
          400,
          "invalidRequest",
          ["absolute", "network-path", "other-scheme"].includes(id)
            ? `The url '${url}' is absolute; a batch request's url is relative to the version, such as /me/activities.`
            : `The url '${url}' is not a path of this API; a batch request's url is relative to the version, such as /me/activities.`,
        ),
      ),
      answer("feed", 200, { "@odata.context": `https://feed.test/v1.0/$metadata#users('${user}')/activities`, value: [] }),
    ]);
  });

  it("runs a request after every request it depends on; one whose dependency did not succeed answers 424 and is not run", async () => {
    const id = await createActivity();
    const created = crypto.randomUUID();
    const sent = await batch([
      { id: "create", method: "POST", url: itemsUrl(id), headers: JSON_HEADERS, body: { id: created, startedDateTime: STARTED } },
      { id: "list", method: "GET", url: itemsUrl(id), dependsOn: ["CREATE"] },
      { id: "Missing", method: "GET", url: `${itemsUrl(id)}/${crypto.randomUUID()}`, dependsOn: ["create"] },
      {
        id: "after-missing",
        method: "POST",
        url: itemsUrl(id),
        headers: JSON_HEADERS,
        body: { startedDateTime: STARTED },
        dependsOn: ["missing"],
      },
      { id: "after-that", method: "DELETE", url: `/me/activities/${id}`, dependsOn: ["after-missing"] },
      { id: "after-both", method: "DELETE", url: `${itemsUrl(id)}/${created}`, dependsOn: ["list", "Missing"] },
      { id: "absolute", method: "GET", url: `https://feed.test/v1.0/me/activities/${id}` },
      { id: "after-absolute", method: "DELETE", url: `/me/activities/${id}`, dependsOn: ["absolute"] },
    ]);
    const responses = sent.body.responses;
    const createdItem = (await call("GET", `/v1.0${itemsUrl(id)}/${created}`)).body;
    const notRun = (index: number, dependency: string, status: number) =>
      errorAnswer(
        responses[index],
        responses[index].id,
        424,
        "failedDependency",
        `The request was not run: it depends on '${dependency}', which answered ${status}.`,
      );
    expectBatchAnswer(sent, [
      answer("create", 201, createdItem),
      answer("list", 200, {
        "@odata.context": createdItem["@odata.context"].replace(/\/\$entity$/, ""),
        value: [(({ "@odata.context": _context, ...item }) => item)(createdItem)],
      }),
      errorAnswer(responses[2], "Missing", 404, "itemNotFound", expect.stringMatching(/^The history item '.+' does not exist\.$/)),
      notRun(3, "Missing", 404),
      notRun(4, "after-missing", 424),
      notRun(5, "Missing", 404),
      errorAnswer(responses[6], "absolute", 400, "invalidRequest", expect.stringMatching(/is absolute/)),
      notRun(7, "absolute", 400),
    ]);
    // What was not run changed nothing: the activity and its one item are still there.
    expect((await call("GET", `/v1.0${itemsUrl(id)}`)).body.value.map((item: any) => item.id)).toEqual([created]);
  });

  it("stores nothing for a request it refuses or does not run, and keeps what other requests stored", async () => {
    const user = crypto.randomUUID();
    const [refused, unsupported, notRun, stored] = [freshAppActivityId(), freshAppActivityId(), freshAppActivityId(), freshAppActivityId()];
    const invalid = { ...activityBody(), visualElements: { displayText: "" }, historyItems: [{ startedDateTime: STARTED }] };
    const sent = await batch(
      [
        { id: "refused", method: "PUT", url: activityUrl(refused), headers: JSON_HEADERS, body: invalid },
        {
          id: "unsupported",
          method: "PUT",
          url: activityUrl(unsupported),
          headers: { "Content-Type": "text/plain" },
          body: btoa(JSON.stringify(activityBody())),
        },
        { id: "not-run", method: "PUT", url: activityUrl(notRun), headers: JSON_HEADERS, body: activityBody(), dependsOn: ["refused"] },
        { id: "stored", method: "PUT", url: activityUrl(stored), headers: JSON_HEADERS, body: activityBody() },
      ],
      { as: { user } },
    );
    const responses = sent.body.responses;
    expect(responses.map(({ status }: any) => status)).toEqual([400, 415, 424, 201]);
    expect(responses[0]).toEqual(
      errorAnswer(
        responses[0],
        "refused",
        400,
        "BadRequest",
        "Invalid value for 'visualElements.displayText': expected a non-empty string.",
      ),
    );
    expect(responses[1]).toEqual(
      errorAnswer(
        responses[1],
        "unsupported",
        415,
        "UnsupportedMediaType",
        "The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got 'text/plain').",
      ),
    );
    const feed = await call("GET", "/v1.0/me/activities", { as: { user } });
    expect(feed.body.value.map((activity: any) => activity.appActivityId)).toEqual([stored]);
    for (const appActivityId of [refused, unsupported, notRun]) {
      expect((await call("PUT", `/v1.0${activityUrl(appActivityId)}`, { body: activityBody(), as: { user } })).status).toBe(201);
    }
  });

  it("decodes a string body from base64 (either alphabet, padding optional) and sends it with its own Content-Type", async () => {
    const id = await createActivity();
    const [standardId, urlSafeId] = [crypto.randomUUID(), crypto.randomUUID()];
    // '?' and '>' make base64's '/' and '+', which the URL-safe alphabet spells '_' and '-'.
    const item = (itemId: string) => JSON.stringify({ id: itemId, startedDateTime: STARTED, userTimezone: "???>>>?>?>??>>" });
    const urlSafe = btoa(item(urlSafeId)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(urlSafe).toMatch(/[-_]/);
    const sent = await batch([
      {
        id: "standard",
        method: "POST",
        url: itemsUrl(id),
        headers: { "Content-Type": "application/json; charset=utf-8" },
        body: btoa(item(standardId)),
      },
      { id: "url-safe", method: "POST", url: itemsUrl(id), headers: { "content-type": "application/json" }, body: urlSafe },
      {
        id: "text",
        method: "POST",
        url: itemsUrl(id),
        headers: { "Content-Type": "text/plain" },
        body: btoa("startedDateTime=2015-02-11"),
      },
    ]);
    const responses = sent.body.responses;
    expectBatchAnswer(sent, [
      answer("standard", 201, (await call("GET", `/v1.0${itemsUrl(id)}/${standardId}`)).body),
      answer("url-safe", 201, (await call("GET", `/v1.0${itemsUrl(id)}/${urlSafeId}`)).body),
      errorAnswer(
        responses[2],
        "text",
        415,
        "UnsupportedMediaType",
        "The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got 'text/plain').",
      ),
    ]);
    expect(responses[0].body.userTimezone).toBe("???>>>?>?>??>>");
  });

  it("answers a text answer ($count) as its text, and runs /users/{user}, POST and PATCH requests as sent alone", async () => {
    const [user, other] = [crypto.randomUUID(), crypto.randomUUID()];
    const appActivityId = freshAppActivityId();
    const sent = await batch(
      [
        { id: "create", method: "POST", url: "/me/activities", headers: JSON_HEADERS, body: activityBody({ appActivityId }) },
        { id: "feed-count", method: "GET", url: `/users/${user}/activities/$count`, dependsOn: ["create"] },
        { id: "other-user", method: "GET", url: `/users/${other}/activities` },
      ],
      { as: { user } },
    );
    const [created, , otherUser] = sent.body.responses;
    const id: string = created.body.id;
    const alone = (path: string) => call("GET", `/v1.0${path}`, { as: { user } });
    const [activityAlone, otherUserAlone] = [await alone(`/me/activities/${id}`), await alone(`/users/${other}/activities`)];
    expectBatchAnswer(sent, [
      answer("create", 201, activityAlone.body),
      {
        id: "feed-count",
        status: 200,
        headers: { ...answer("", 0, null).headers, "Content-Type": "text/plain; charset=UTF-8" },
        body: "1",
      },
      errorAnswer(otherUser, "other-user", 403, otherUserAlone.body.error.code, otherUserAlone.body.error.message),
    ]);

    const itemId = crypto.randomUUID();
    const patched = await batch(
      [
        {
          id: "item",
          method: "POST",
          url: `/users/${user}/activities/${id}/historyItems`,
          headers: JSON_HEADERS,
          body: { id: itemId, startedDateTime: STARTED },
        },
        {
          id: "patch-item",
          method: "PATCH",
          url: `${itemsUrl(id)}/${itemId}`,
          headers: JSON_HEADERS,
          body: { userTimezone: "Africa/Casablanca" },
          dependsOn: ["item"],
        },
        {
          id: "patch-activity",
          method: "patch",
          url: `/me/activities/${id}`,
          headers: JSON_HEADERS,
          body: { visualElements: { description: "patched" } },
          dependsOn: ["patch-item"],
        },
        { id: "count", method: "GET", url: `${itemsUrl(id)}/$count`, dependsOn: ["patch-item"] },
      ],
      { as: { user } },
    );
    const [item, patchItem, patchActivity] = patched.body.responses;
    const itemAlone = await alone(`${itemsUrl(id)}/${itemId}`);
    expectBatchAnswer(patched, [
      answer("item", 201, {
        ...itemAlone.body,
        "@odata.context": item.body["@odata.context"],
        status: "active",
        userTimezone: null,
        lastModifiedDateTime: item.body.lastModifiedDateTime,
      }),
      answer("patch-item", 200, itemAlone.body),
      answer("patch-activity", 200, (await alone(`/me/activities/${id}`)).body),
      { id: "count", status: 200, headers: { ...answer("", 0, null).headers, "Content-Type": "text/plain; charset=UTF-8" }, body: "1" },
    ]);
    expect(item.body["@odata.context"]).toBe(`https://feed.test/v1.0/$metadata#users('${user}')/activities('${id}')/historyItems/$entity`);
    expect([patchItem.body.userTimezone, patchItem.body.status, patchActivity.body.visualElements.description]).toEqual([
      "Africa/Casablanca",
      "updated",
      "patched",
    ]);
  });

  it("runs 20 writes to one activity concurrently and loses none", async () => {
    const id = await createActivity();
    const ids = Array.from({ length: limits.batchRequests }, () => crypto.randomUUID());
    const sent = await batch(
      ids.map((itemId, n) => ({
        id: `write-${n}`,
        method: "POST",
        url: itemsUrl(id),
        headers: JSON_HEADERS,
        body: { id: itemId, startedDateTime: STARTED, userTimezone: `writer ${n}` },
      })),
    );
    expect(sent.status).toBe(200);
    expect(sent.body.responses.map(({ id: answerId, status, body }: any) => [answerId, status, body.id, body.userTimezone])).toEqual(
      ids.map((itemId, n) => [`write-${n}`, 201, itemId, `writer ${n}`]),
    );
    const items = await call("GET", `/v1.0${itemsUrl(id)}?$top=100`);
    expect(items.body.value.map((item: any) => `${item.id} ${item.userTimezone}`).sort()).toEqual(
      ids.map((itemId, n) => `${itemId} writer ${n}`).sort(),
    );
  });

  it("counts each request against the caller's rate limits, and the batch itself not at all", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const throttledBatch = async (requests: unknown[]) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request("https://feed.test/v1.0/$batch", {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify({ requests }),
        }),
        throttledEnv(),
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return (await response.json<any>()).responses;
    };
    // The test's write limiter allows two writes a minute: the batch's POST does not use one.
    const put = (id: string, dependsOn: string[] = []) => ({
      id,
      method: "PUT",
      url: activityUrl(freshAppActivityId()),
      headers: JSON_HEADERS,
      body: activityBody(),
      dependsOn,
    });
    const responses = await throttledBatch([put("1"), put("2", ["1"]), put("3", ["2"])]);
    expect(responses.map(({ status }: any) => status)).toEqual([201, 201, 429]);
    expect(responses[2]).toEqual({
      ...errorAnswer(responses[2], "3", 429, "TooManyRequests", "Too many requests for this user; retry after 60 seconds."),
      headers: { ...answer("", 0, null).headers, "Retry-After": "60" },
    });
  });

  it("writes one access-log line per error answer of a request it runs, each with its own request-id, and none for a success", async () => {
    const id = await createActivity();
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: unknown) => void lines.push(String(line)));
    const sent = await batch([
      { id: "first", method: "GET", url: `/me/activities/${id}` },
      { id: "second", method: "GET", url: "beta/me/activities/1/historyItems", dependsOn: ["first"] },
      { id: "third", method: "GET", url: "/me/activities/1" },
      { id: "absolute", method: "GET", url: "https://feed.test/v1.0/me/activities" },
    ]);
    const [first, second, third, absolute] = sent.body.responses;
    expect([sent.status, first.status, second.status, third.status, absolute.status]).toEqual([200, 200, 404, 404, 400]);
    const line = (requestId: string, method: string, route: string, status: number) => ({
      level: "info",
      requestId,
      method,
      route,
      status,
      durationMs: expect.any(Number),
      tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
    });
    // The third runs concurrently with the first two: the lines may come in either order.
    const byRequestId = (a: { requestId: string }, b: { requestId: string }) => a.requestId.localeCompare(b.requestId);
    expect(lines.map((text) => JSON.parse(text)).sort(byRequestId)).toEqual(
      [
        line(second.headers["request-id"], "GET", "/beta/me/activities/:id/historyItems", 404),
        line(third.headers["request-id"], "GET", "/v1.0/me/activities/:id", 404),
      ].sort(byRequestId),
    );
  });
});

describe("POST /$batch refuses the whole batch, naming the problem, and runs none of it", () => {
  const get = (id: string, extra: object = {}) => ({ id, method: "GET", url: "/me/activities", ...extra });
  // A valid write in each batch below: that the refused batch did not run it shows that none of it ran.
  const write = { id: "write", method: "PUT", url: activityUrl(freshAppActivityId()), headers: JSON_HEADERS, body: activityBody() };
  const cases: [string, unknown, string][] = [
    [
      "over 20 requests",
      { requests: [write, ...Array.from({ length: limits.batchRequests }, (_, n) => get(`r${n}`))] },
      "Invalid value for 'requests': expected at most 20 requests (this batch has 21).",
    ],
    ["no requests", { requests: [] }, "Invalid value for 'requests': expected at least one request."],
    [
      "two ids equal ignoring case",
      { requests: [write, get("Same"), get("other"), get("sAME")] },
      "Invalid value for 'requests[3].id': 'sAME' is already the id of requests[1] (ids are compared ignoring case).",
    ],
    [
      "a dependsOn naming no request",
      { requests: [write, get("b", { dependsOn: ["WRITE", "c"] })] },
      "Invalid value for 'requests[1].dependsOn[1]': no request in the batch has the id 'c'.",
    ],
    [
      "a dependency cycle",
      { requests: [write, get("a", { dependsOn: ["B"] }), get("b", { dependsOn: ["c"] }), get("c", { dependsOn: ["write", "a"] })] },
      "Invalid value for 'requests[1].dependsOn': the requests depend on each other in a cycle (a → b → c → a).",
    ],
    [
      "a request depending on itself",
      { requests: [write, get("self", { dependsOn: ["SELF"] })] },
      "Invalid value for 'requests[1].dependsOn': the requests depend on each other in a cycle (self → self).",
    ],
    [
      "a body without a Content-Type header",
      {
        requests: [
          write,
          {
            id: "1",
            method: "POST",
            url: "/me/activities/1/historyItems",
            headers: { Accept: "application/json" },
            body: { startedDateTime: STARTED },
          },
        ],
      },
      "Invalid value for 'requests[1].headers': expected a Content-Type header, since the request has a body.",
    ],
    [
      "a body without headers (as Kiota's helper sends a write)",
      { requests: [write, { id: "1", method: "POST", url: "/me/activities/1/historyItems", body: "e30=" }] },
      "Invalid value for 'requests[1].headers': expected a Content-Type header, since the request has a body.",
    ],
    [
      "a nested $batch",
      { requests: [write, { id: "2", method: "POST", url: "/$batch", headers: JSON_HEADERS, body: { requests: [] } }] },
      "Invalid value for 'requests[1].url': a batch cannot contain another $batch.",
    ],
    [
      "a nested versioned $batch",
      { requests: [write, { id: "1", method: "POST", url: "beta/$BATCH" }] },
      "Invalid value for 'requests[1].url': a batch cannot contain another $batch.",
    ],
    [
      "a nested encoded $batch",
      { requests: [write, { id: "1", method: "POST", url: "/v1.0/%24batch?x=1" }] },
      "Invalid value for 'requests[1].url': a batch cannot contain another $batch.",
    ],
    [
      "a body that is not base64",
      {
        requests: [
          write,
          { id: "1", method: "POST", url: "/me/activities/1/historyItems", headers: { "Content-Type": "text/plain" }, body: "not base64!" },
        ],
      },
      "Invalid value for 'requests[1].body': expected a JSON object or array, or the body's bytes in base64.",
    ],
    [
      "a GET with a body",
      { requests: [write, get("1", { headers: JSON_HEADERS, body: {} })] },
      "Invalid value for 'requests[1].body': a GET request has no body.",
    ],
    [
      "a method Graph does not have",
      { requests: [write, get("1", { method: "HEAD" })] },
      "Invalid value for 'requests[1].method': expected one of GET, PUT, POST, PATCH, DELETE.",
    ],
    [
      "a request that is not an object",
      { requests: [write, "GET /me/activities"] },
      "Invalid value for 'requests[1]': expected a JSON object with id, method and url.",
    ],
    [
      "properties of the wrong type",
      { requests: [write, { id: 1, method: "GET", url: "/me/activities", headers: { "X-Count": 3 }, dependsOn: "0" }] },
      "Invalid value for 'requests[1].id': expected a string. Invalid value for 'requests[1].headers.X-Count': expected a string. Invalid value for 'requests[1].dependsOn': expected an array of request ids.",
    ],
    ["a missing url", { requests: [write, { id: "1", method: "GET" }] }, "The property 'requests[1].url' is required."],
    [
      "a header that is not one",
      { requests: [write, get("1", { headers: { "Bad Name": "x" } })] },
      "Invalid value for 'requests[1].headers.Bad Name': expected an HTTP header name.",
    ],
    [
      "an unknown property",
      { requests: [write, get("1", { atomicityGroup: "g" })] },
      "The property 'requests[1].atomicityGroup' is not a property of a batch request (id, method, url, headers, body, dependsOn).",
    ],
    [
      "no requests property",
      { value: [write] },
      "The property 'requests' is required. The property 'value' is not a property of a batch (only requests).",
    ],
    ["a body that is not an object", [write], "The request body is not valid: expected a JSON object with requests."],
  ];

  it.each(cases)("%s", async (_name, body, message) => {
    const user = crypto.randomUUID();
    const sent = await call("POST", "/v1.0/$batch", { body, as: { user }, headers: { "client-request-id": "refused-batch" } });
    expectBatchError(sent, 400, "BadRequest", message);
    expect(sent.headers.get("client-request-id")).toBe("refused-batch");
    expect((await call("GET", "/v1.0/me/activities", { as: { user } })).body.value).toEqual([]);
  });

  it("refuses a body that is not JSON (400), not JSON at all (415) or over the batch limit (413)", async () => {
    expectBatchError(
      await call("POST", "/v1.0/$batch", { raw: "{" }),
      400,
      "BadRequest",
      expect.stringMatching(/^The request body is not valid JSON: /),
    );
    expectBatchError(
      await call("POST", "/beta/$batch", { raw: '{"requests":[]}', headers: { "Content-Type": "text/plain" } }),
      415,
      "UnsupportedMediaType",
      "The request body must be JSON in UTF-8: send 'Content-Type: application/json' (got 'text/plain').",
    );
    const id = await createActivity();
    // At the batch limit exactly, the batch is read; its one request is over the single-request limit, so that request answers 413.
    const sized = (bytes: number) => {
      const text = (pad: string) =>
        JSON.stringify({
          requests: [
            { id: "big", method: "POST", url: itemsUrl(id), headers: JSON_HEADERS, body: { startedDateTime: STARTED, userTimezone: pad } },
          ],
        });
      return text("x".repeat(bytes - text("").length));
    };
    const atLimit = await call("POST", "/$batch", { raw: sized(limits.batchBodyBytes) });
    expectBatchAnswer(atLimit, [
      errorAnswer(atLimit.body.responses[0], "big", 413, "requestTooLarge", `The request body is larger than ${limits.bodyBytes} bytes.`),
    ]);
    expectBatchError(
      await call("POST", "/$batch", { raw: sized(limits.batchBodyBytes + 1) }),
      413,
      "requestTooLarge",
      `The request body is larger than ${limits.batchBodyBytes} bytes.`,
    );
  });

  it("authenticates the batch itself: without a valid token, or the scope, nothing runs", async () => {
    const requests = [{ id: "1", method: "GET", url: "/me/activities" }];
    const anonymous = await batch(requests, { token: null });
    expectBatchError(anonymous, 401, "InvalidAuthenticationToken", "Access token is empty. Send 'Authorization: Bearer <token>'.");
    expect(anonymous.headers.get("WWW-Authenticate")).toBe("Bearer");
    const unscoped = await batch(requests, { as: { scope: "User.Read" } });
    expectBatchError(
      unscoped,
      403,
      "accessDenied",
      "Insufficient privileges: the token needs the delegated scope UserActivity.ReadWrite.CreatedByApp.",
    );
  });

  it("answers 405 with Allow for any method but POST", async () => {
    const sent = await call("GET", "/v1.0/$batch");
    expectBatchError(sent, 405, "notAllowed", "The method GET is not allowed on this resource; use POST.");
    expect(sent.headers.get("Allow")).toBe("POST");
  });
});
