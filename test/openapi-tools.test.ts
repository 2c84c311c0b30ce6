// The OpenAPI documents as a documentation tool (Swagger UI at /docs, Redoc, a code generator) uses
// them: every pattern is a regular expression a tool can compile (JSON Schema's, with no flags) and
// its example matches it; the body a tool generates for each write, from the documents' examples,
// is accepted by the service; operations are grouped by tag; no query input comes filled in; and
// each error's example is what the service sends with that status.
import { expect, it } from "vitest";
import { adminOpenApiDocument, openApiDocument } from "../src/openapi";
import { call, GUID, ISO_MS } from "./support/api";
import { activityResource } from "./support/builders";
import { historyItemContext, withoutContext } from "./support/graph";
import { exportOf, exportPath, importInto } from "./support/admin";
import { operationsOf, patternsIn, resolved, sampleBody, sampleOf, samplePath, type Operation } from "./support/openapi";
import { prompt, Receiver } from "./support/receiver";
import { minutesAfter, subscriptionResource } from "./support/subscriptions";
import { EXAMPLE_NOTIFICATION_URL } from "../src/schemas/subscription";

const api = openApiDocument() as Record<string, any>;
const admin = adminOpenApiDocument() as Record<string, any>;

it("every pattern in both documents compiles without flags, as JSON Schema reads it, and matches its own example", () => {
  const patterns = [...patternsIn(api, "openapi.json#"), ...patternsIn(admin, "admin/openapi.json#")];
  expect(patterns.length).toBeGreaterThan(0);
  for (const { where, schema } of patterns) {
    // ajv compiles a pattern with the `u` flag; Swagger UI and the ECMA-262 dialect of JSON Schema, with none.
    const plain = new RegExp(schema.pattern);
    const unicode = new RegExp(schema.pattern, "u");
    expect({ where, example: schema.example, matches: [plain.test(schema.example), unicode.test(schema.example)] }).toEqual({
      where,
      example: expect.any(String),
      matches: [true, true],
    });
  }
});

it("groups every operation under one tag that the document declares, and declares no tag it does not use", () => {
  for (const document of [api, admin]) {
    const declared = (document.tags as { name: string; description: string }[]).map((tag) => tag.name);
    const used = operationsOf(document).map(({ method, path, operation }) => ({ operation: `${method} ${path}`, tags: operation.tags }));
    expect(used).toEqual(used.map(({ operation }) => ({ operation, tags: [expect.toBeOneOf(declared)] })));
    expect(new Set(used.map(({ tags }) => tags[0]))).toEqual(new Set(declared));
  }
});

it("fills in no query option: query parameters describe their examples instead of carrying one", () => {
  const filled = [api, admin].flatMap((document) =>
    operationsOf(document).flatMap(({ method, path, operation }) =>
      ((operation.parameters ?? []) as Record<string, any>[])
        .filter((parameter) => parameter.in === "query")
        .filter((parameter) =>
          [parameter.example, parameter.schema?.example, parameter.schema?.default].some((value) => value !== undefined),
        )
        .map((parameter) => `${method} ${path} ${parameter.name}`),
    ),
  );
  expect(filled).toEqual([]);
});

/** The codes the service sends with each error status (src/graph/errors.ts, the middleware and the guards). */
const CODES: Record<string, string[]> = {
  "400": ["invalidRequest", "BadRequest", "ValidationError"],
  "401": ["InvalidAuthenticationToken"],
  "403": ["accessDenied"],
  "404": ["itemNotFound"],
  "405": ["notAllowed"],
  "409": ["conflict"],
  "410": ["syncStateNotFound"],
  "413": ["requestTooLarge"],
  "415": ["UnsupportedMediaType"],
  "426": ["upgradeRequired"],
  "429": ["TooManyRequests"],
  "503": ["serviceNotAvailable"],
};

it("gives each error response examples in Graph's envelope with a code the service sends with that status", () => {
  for (const document of [api, admin]) {
    for (const { method, path, operation } of operationsOf(document)) {
      for (const [status, documented] of Object.entries(operation.responses as Record<string, any>).filter(([status]) => status >= "400")) {
        const response = resolved(documented, document);
        const examples = Object.values(response.content["application/json"].examples as Record<string, { value: any }>);
        expect({ operation: `${method} ${path}`, status, codes: examples.map(({ value }) => value.error.code) }).toEqual({
          operation: `${method} ${path}`,
          status,
          codes: examples.map(() => expect.toBeOneOf(CODES[status]!)),
        });
        expect(examples.length).toBeGreaterThan(0);
        for (const { value } of examples) {
          expect(value).toEqual({
            error: {
              code: expect.any(String),
              message: expect.any(String),
              innerError: { date: expect.any(String), "request-id": expect.any(String), "client-request-id": expect.any(String) },
            },
          });
        }
      }
    }
  }
});

/** What each write answers when sent with its generated body, by its path under the user. */
const ACCEPTED: Record<string, number> = {
  "POST /activities": 201,
  "PUT /activities/{id}": 201,
  "PATCH /activities/{id}": 200,
  "POST /activities/{id}/historyItems": 201,
  "PUT /activities/{id}/historyItems/{historyItemId}": 201,
  "PATCH /activities/{id}/historyItems/{historyItemId}": 200,
};

const writes = operationsOf(api).filter(({ operation }) => operation.requestBody);
/** The writes on the caller's activities, under /me and /users/{user}. */
const activityWrites = writes.filter(({ path }) => path.startsWith("/me/") || path.startsWith("/users/{user}/"));
const adminWrites = operationsOf(admin).filter(({ operation }) => operation.requestBody);

it("the writes below are every operation with a request body, in both documents", () => {
  expect(adminWrites.map(({ method, path }) => `${method} ${path}`)).toEqual(["POST /admin/users/{oid}/activities"]);
  expect(writes.map(({ method, path }) => `${method} ${path}`).sort()).toEqual(
    [
      ...["/me", "/users/{user}"].flatMap((user) => Object.keys(ACCEPTED).map((write) => write.replace(" /", ` ${user}/`))),
      "POST /$batch",
      "POST /subscriptions",
      "PATCH /subscriptions/{id}",
    ].sort(),
  );
});

/** The operation of the API document with this method and path. */
const apiOperation = (method: string, path: string): Operation => {
  const found = operationsOf(api).find((operation) => operation.method === method && operation.path === path);
  if (!found) throw new Error(`${method} ${path} is not in the document`);
  return found;
};

/** Sends an operation as a documentation tool would: its generated body, its path parameters' examples unless given. */
const send = (operation: Operation, user: string, values: Record<string, string> = {}) =>
  call(operation.method, samplePath(operation, api, { user, ...values }), { body: sampleBody(operation, api), as: { user } });

/** An item as the service answers a write of Graph's example item (the document's own), in UTC milliseconds. */
const exampleItem = (activityId: string, user: string, id: unknown, status = "active") => ({
  "@odata.context": historyItemContext(activityId, { user }),
  id,
  status,
  userTimezone: "Africa/Casablanca",
  createdDateTime: expect.stringMatching(ISO_MS),
  lastModifiedDateTime: expect.stringMatching(ISO_MS),
  startedDateTime: "2015-02-11T20:54:04.345Z",
  lastActiveDateTime: "2015-02-11T20:54:24.345Z",
  expirationDateTime: expect.stringMatching(ISO_MS),
  activeDurationSeconds: 20,
});

for (const operation of activityWrites) {
  const under = operation.path.startsWith("/me/") ? "/me" : "/users/{user}";
  const write = `${operation.method} ${operation.path.slice(under.length)}`;

  it(`${operation.method} ${operation.path}: the body a documentation tool generates is accepted`, async () => {
    const user = crypto.randomUUID();
    const body = sampleBody(operation, api) as Record<string, any>;
    // The activity the other writes work on: Graph's example, PUT with the document's own generated body.
    const putActivity = apiOperation("PUT", `${under}/activities/{id}`);
    const created = write.includes("{id}") && write !== "PUT /activities/{id}" ? await send(putActivity, user) : undefined;
    const activityId: string = created?.body.id;
    if (write === "PATCH /activities/{id}/historyItems/{historyItemId}") {
      expect(
        (await send(apiOperation("PUT", `${under}/activities/{id}/historyItems/{historyItemId}`), user, { id: activityId })).status,
      ).toBe(201);
    }

    const answer = await send(operation, user, activityId ? { id: activityId } : {});
    const expectedStatus = ACCEPTED[write]!;
    if (write.endsWith("{historyItemId}") || write === "POST /activities/{id}/historyItems") {
      const id = write === "POST /activities/{id}/historyItems" ? expect.stringMatching(GUID) : "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c";
      expect({ status: answer.status, body: answer.body }).toEqual({
        status: expectedStatus,
        body: exampleItem(activityId, user, id, write.startsWith("PATCH") ? "updated" : "active"),
      });
    } else {
      const activity = activityResource("/article?12345", body, { user, status: write.startsWith("PATCH") ? "updated" : "active" });
      const items = body.historyItems ? { historyItems: [withoutContext(exampleItem("", user, expect.stringMatching(GUID)))] } : {};
      expect({ status: answer.status, body: answer.body }).toEqual({ status: expectedStatus, body: { ...activity, ...items } });
    }
  });
}

it("POST /subscriptions and PATCH /subscriptions/{id}: the bodies a documentation tool generates are accepted, at Graph's example endpoint", async () => {
  // Graph's example endpoint answers the handshake here, as the receiver a reader of /docs/ would run.
  const receiver = new Receiver(prompt, new URL(EXAMPLE_NOTIFICATION_URL).origin);
  const user = crypto.randomUUID();
  const post = apiOperation("POST", "/subscriptions");
  const body = sampleBody(post, api) as Record<string, any>;
  const before = Date.now();
  const created = await call(post.method, samplePath(post, api), { body, as: { user } });
  // Graph's example date is long past: the subscription gets the shortest lifetime, 45 minutes.
  const expected = subscriptionResource(body, { user }, { expirationDateTime: minutesAfter(before, Date.now(), 45) });
  expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: expected });
  expect(receiver.handshakes.map(({ url }) => url.pathname).sort()).toEqual(
    [new URL(body.notificationUrl).pathname, new URL(body.lifecycleNotificationUrl).pathname].sort(),
  );

  const patch = apiOperation("PATCH", "/subscriptions/{id}");
  const patchBody = sampleBody(patch, api) as Record<string, any>;
  const patchedAt = Date.now();
  const patched = await call(patch.method, samplePath(patch, api, { id: created.body.id }), { body: patchBody, as: { user } });
  expect({ status: patched.status, body: patched.body }).toEqual({
    status: 200,
    body: { ...created.body, notificationUrl: patchBody.notificationUrl, expirationDateTime: minutesAfter(patchedAt, Date.now(), 45) },
  });
});

it("POST /$batch: the body a documentation tool generates is accepted, and each of its requests succeeds", async () => {
  const batch = apiOperation("POST", "/$batch");
  const answer = await call("POST", samplePath(batch, api), { body: sampleBody(batch, api), as: { user: crypto.randomUUID() } });
  expect({
    status: answer.status,
    responses: answer.body.responses.map((response: { id: string; status: number }) => [response.id, response.status]),
  }).toEqual({
    status: 200,
    responses: [
      ["1", 201],
      ["2", 200],
    ],
  });
});

it("POST /admin/users/{oid}/activities: the line a documentation tool generates is read, and counted as expired, for the path's example user", async () => {
  const operation = adminWrites[0]!;
  const line = sampleOf(operation.operation.requestBody.content["application/x-ndjson"].schema, admin);
  const path = samplePath(operation, admin);
  const user = decodeURIComponent(path.split("/")[3]!);
  expect(exportPath(user)).toBe(path);
  const answer = await importInto(user, [JSON.stringify(line)]);
  expect({ status: answer.status, body: answer.body }).toEqual({
    status: 200,
    body: {
      linesRead: 1,
      activities: { imported: 0, skipped: 0, expired: 1 },
      historyItems: { imported: 0, skipped: 0, expired: 1 },
      failedLines: 0,
      errors: [],
    },
  });
  // The example carries Graph's 2015 times, expired long ago: nothing of it is stored.
  expect(await exportOf(user)).toEqual([]);
});
