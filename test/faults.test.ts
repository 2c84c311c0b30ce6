import { env } from "cloudflare:workers";
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createActivity, DAY_MS, ISO_MS, type Answer } from "./support/api";
import { mintToken } from "./support/tokens";

// The identity of mintToken()'s default token: the object name the Worker derives for it.
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const USER = "00000000-0000-0000-0000-00000000a11c";
const APP = "11111111-2222-3333-4444-555555555555";
const ORIGIN = "https://feed.test/v1.0";
const LIFETIME_MS = 30 * DAY_MS;
const HOUR_MS = 3_600_000;

const stubFor = (activityId: string) => env.ACTIVITIES.getByName(JSON.stringify([TENANT, USER, APP, activityId]));

/** Runs SQL inside the activity's object and returns the rows. */
const sql = (activityId: string, query: string, ...bindings: unknown[]) =>
  runInDurableObject(stubFor(activityId), (_instance, state) => state.storage.sql.exec(query, ...bindings).toArray());

const alarmOf = (activityId: string) => runInDurableObject(stubFor(activityId), (_instance, state) => state.storage.getAlarm());

const activityPath = (activityId: string) => `/v1.0/me/activities/${activityId}`;
const itemsPath = (activityId: string) => `${activityPath(activityId)}/historyItems`;
const itemPath = (activityId: string, itemId: string) => `${itemsPath(activityId)}/${itemId}`;
const itemContext = (activityId: string) => `${ORIGIN}/$metadata#users('${USER}')/activities('${activityId}')/historyItems/$entity`;

const STARTED_MS = Date.parse("2026-03-01T10:00:00.000Z");

/** A distinct history-item body per n; extra fields (expirationDateTime) override. */
const itemBody = (n: number, extra: Record<string, unknown> = {}) => ({
  startedDateTime: new Date(STARTED_MS + n * 60_000).toISOString(),
  lastActiveDateTime: new Date(STARTED_MS + n * 60_000 + 20_000).toISOString(),
  userTimezone: `writer ${n}`,
  ...extra,
});

/** What a PUT or POST that created item `id` from body n must answer, given the server's timestamps. */
function expectedCreated(activityId: string, id: string, n: number, created: string, expiration?: string) {
  const body = itemBody(n);
  return {
    "@odata.context": itemContext(activityId),
    id,
    status: "active",
    userTimezone: body.userTimezone,
    createdDateTime: created,
    lastModifiedDateTime: created,
    startedDateTime: body.startedDateTime,
    lastActiveDateTime: body.lastActiveDateTime,
    expirationDateTime: expiration ?? new Date(Date.parse(created) + LIFETIME_MS).toISOString(),
    activeDurationSeconds: 20,
  };
}

/** A server timestamp: UTC with milliseconds, taken while the requests were in flight. */
function expectServerTime(text: string, before: number, after: number) {
  expect(text).toMatch(ISO_MS);
  expect(Date.parse(text)).toBeGreaterThanOrEqual(before);
  expect(Date.parse(text)).toBeLessThanOrEqual(after);
}

/** Graph's error envelope, tied to the answer's own request-id. */
function expectGraphError(answer: Answer, status: number, code: string, message: string | ReturnType<typeof expect.any>) {
  expect({ status: answer.status, body: answer.body }).toEqual({
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/),
          "request-id": answer.headers.get("request-id"),
          "client-request-id": answer.headers.get("client-request-id"),
        },
      },
    },
  });
}

/**
 * A write that failed because its object went away: the service must say "retry" (503
 * serviceNotAvailable with Retry-After) in Graph's envelope, never a 500 with internals.
 */
function expectRetryable(answer: Answer) {
  expectGraphError(answer, 503, "serviceNotAvailable", expect.any(String));
  expect(answer.headers.get("Retry-After")).toMatch(/^\d+$/);
}

const withoutContext = ({ "@odata.context": _context, ...rest }: Record<string, unknown>) => rest;

/** PUTs item `id` from body n. */
const putItem = (activityId: string, id: string, n: number, token: string) =>
  call("PUT", itemPath(activityId, id), { body: itemBody(n), token });

/** Every acknowledged write is readable afterwards, exactly as acknowledged; returns how many there were. */
async function expectAcknowledgedPresent(activityId: string, ids: string[], answers: Answer[], token: string) {
  const acknowledged = answers.map((answer, i) => ({ answer, id: ids[i]! })).filter(({ answer }) => answer.status === 201);
  const reads = await Promise.all(acknowledged.map(({ id }) => call("GET", itemPath(activityId, id), { token })));
  reads.forEach((read, i) => expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: acknowledged[i]!.answer.body }));
  const list = await call("GET", itemsPath(activityId), { token });
  expect(list.status).toBe(200);
  const listed = new Map((list.body.value as Record<string, unknown>[]).map((item) => [item.id, item]));
  for (const { answer, id } of acknowledged) expect(listed.get(id)).toEqual(withoutContext(answer.body));
  return acknowledged.length;
}

describe("no acknowledged write is lost", () => {
  it("survives an eviction between writes: every item and the activity read back as acknowledged", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const activity = await call("GET", activityPath(activityId), { token });
    expect(activity.status).toBe(200);
    const ids = Array.from({ length: 10 }, () => crypto.randomUUID());
    const written = await Promise.all(ids.map((id, n) => putItem(activityId, id, n, token)));
    expect(written.map((a) => a.status)).toEqual(Array(10).fill(201));
    const replaced = await putItem(activityId, ids[0]!, 100, token);
    expect(replaced.status).toBe(200);
    written[0] = replaced;

    const stub = stubFor(activityId);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { probe?: string }).probe = "the instance before eviction";
    });
    await evictDurableObject(stub);

    const reads = await Promise.all(ids.map((id) => call("GET", itemPath(activityId, id), { token })));
    reads.forEach((read, n) => expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: written[n]!.body }));
    expect(written[0]!.body.status).toBe("updated");
    const again = await call("GET", activityPath(activityId), { token });
    expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: activity.body });
    // The reads were served by a new instance: the eviction really happened.
    expect(await runInDurableObject(stub, (instance) => (instance as unknown as { probe?: string }).probe)).toBeUndefined();
  });

  it("survives an eviction while writes are in flight: every 2xx is stored as acknowledged", { timeout: 30_000 }, async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const stub = stubFor(activityId);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { probe?: string }).probe = "the instance before eviction";
    });
    const ids = Array.from({ length: 60 }, () => crypto.randomUUID());
    const writes = ids.slice(0, 30).map((id, n) => putItem(activityId, id, n, token));
    await Promise.all(writes.slice(0, 5));
    // 25 writes still in flight as the eviction starts, 30 more sent while it drains.
    const eviction = evictDurableObject(stub);
    writes.push(...ids.slice(30).map((id, n) => putItem(activityId, id, 30 + n, token)));
    const answers = await Promise.all(writes);
    await eviction;

    expect(await expectAcknowledgedPresent(activityId, ids, answers, token)).toBeGreaterThanOrEqual(5);
    for (const answer of answers) if (answer.status !== 201) expectRetryable(answer);
    expect(await runInDurableObject(stub, (instance) => (instance as unknown as { probe?: string }).probe)).toBeUndefined();
  });

  it("survives a crash (abortAllDurableObjects) during a stream of writes: every 2xx is stored, failures say retry", { timeout: 30_000 }, async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const ids = Array.from({ length: 60 }, () => crypto.randomUUID());
    const writes = ids.slice(0, 30).map((id, n) => putItem(activityId, id, n, token));
    await Promise.all(writes.slice(0, 5));
    const abort = abortAllDurableObjects();
    writes.push(...ids.slice(30).map((id, n) => putItem(activityId, id, 30 + n, token)));
    const answers = await Promise.all(writes);
    await abort;

    expect(await expectAcknowledgedPresent(activityId, ids, answers, token)).toBeGreaterThanOrEqual(5);
    for (const answer of answers) if (answer.status !== 201) expectRetryable(answer);
  });
});

describe("expiry", () => {
  it("the alarm sits at the earliest expiry, hard-deletes what expired, re-arms for the next, and is idempotent", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const now = Date.now();
    const ids = Array.from({ length: 6 }, () => crypto.randomUUID());
    const expirations = ids.map((_, n) => new Date(now + HOUR_MS + n * 60_000).toISOString());
    const written: Answer[] = [];
    for (const [n, id] of ids.entries()) {
      written.push(await call("PUT", itemPath(activityId, id), { body: itemBody(n, { expirationDateTime: expirations[n] }), token }));
    }
    written.forEach((answer, n) => {
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual(expectedCreated(activityId, ids[n]!, n, answer.body.createdDateTime, expirations[n]));
    });
    expect(await alarmOf(activityId)).toBe(Date.parse(expirations[0]!));

    // Items 0, 2 and 4 expire in the past (as if time had passed); 1, 3 and 5 stay live.
    const expired = [0, 2, 4];
    for (const [k, n] of expired.entries()) {
      await sql(activityId, "UPDATE history_item SET expiration_ms = ? WHERE id = ?", now - 3000 + k * 1000, ids[n]);
    }
    const live = [1, 3, 5];
    const liveRows = await sql(activityId, "SELECT * FROM history_item WHERE id IN (?, ?, ?) ORDER BY id", ...live.map((n) => ids[n]));
    expect(liveRows).toHaveLength(3);
    const activityRow = await sql(activityId, "SELECT * FROM activity");

    expect(await runDurableObjectAlarm(stubFor(activityId))).toBe(true);
    expect(await sql(activityId, "SELECT * FROM history_item ORDER BY id")).toEqual(liveRows);
    expect(await sql(activityId, "SELECT * FROM activity")).toEqual(activityRow);
    expect(await alarmOf(activityId)).toBe(Date.parse(expirations[1]!));

    expect(await runDurableObjectAlarm(stubFor(activityId))).toBe(true);
    expect(await sql(activityId, "SELECT * FROM history_item ORDER BY id")).toEqual(liveRows);
    expect(await sql(activityId, "SELECT * FROM activity")).toEqual(activityRow);
    expect(await alarmOf(activityId)).toBe(Date.parse(expirations[1]!));

    const list = await call("GET", itemsPath(activityId), { token });
    expect(list.status).toBe(200);
    // Most recently modified first, ties by id descending.
    const byRecency = (x: Record<string, any>, y: Record<string, any>) =>
      y.lastModifiedDateTime.localeCompare(x.lastModifiedDateTime) || y.id.localeCompare(x.id);
    expect(list.body.value).toEqual(live.map((n) => withoutContext(written[n]!.body)).sort(byRecency));
  });

  it("an expired activity is swept by the alarm with all its items, leaving no alarm and a 404", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const ids = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [n, id] of ids.entries()) expect((await putItem(activityId, id, n, token)).status).toBe(201);
    expect(await sql(activityId, "SELECT count(*) AS n FROM history_item")).toEqual([{ n: 2 }]);
    expect(await alarmOf(activityId)).not.toBeNull();

    await sql(activityId, "UPDATE activity SET expiration_ms = ?", Date.now() - 1000);
    expect(await runDurableObjectAlarm(stubFor(activityId))).toBe(true);

    expect(await sql(activityId, "SELECT * FROM activity")).toEqual([]);
    expect(await sql(activityId, "SELECT * FROM history_item")).toEqual([]);
    expect(await alarmOf(activityId)).toBeNull();
    expectGraphError(await call("GET", activityPath(activityId), { token }), 404, "itemNotFound", `The activity '${activityId}' does not exist.`);
    expectGraphError(await call("GET", itemsPath(activityId), { token }), 404, "itemNotFound", `The activity '${activityId}' does not exist.`);
  });

  it("an expired item is invisible to GET, list, $expand and DELETE before the alarm has swept it", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const [gone, kept] = [crypto.randomUUID(), crypto.randomUUID()];
    expect((await putItem(activityId, gone, 0, token)).status).toBe(201);
    const keptAnswer = await putItem(activityId, kept, 1, token);
    expect(keptAnswer.status).toBe(201);

    await sql(activityId, "UPDATE history_item SET expiration_ms = ? WHERE id = ?", Date.now() - 1, gone);

    const notFound = `The history item '${gone}' does not exist.`;
    expectGraphError(await call("GET", itemPath(activityId, gone), { token }), 404, "itemNotFound", notFound);
    const list = await call("GET", itemsPath(activityId), { token });
    expect({ status: list.status, value: list.body.value }).toEqual({ status: 200, value: [withoutContext(keptAnswer.body)] });
    const expanded = await call("GET", `${activityPath(activityId)}?$expand=historyItems`, { token });
    expect({ status: expanded.status, historyItems: expanded.body.historyItems }).toEqual({
      status: 200,
      historyItems: [withoutContext(keptAnswer.body)],
    });
    expectGraphError(await call("DELETE", itemPath(activityId, gone), { token }), 404, "itemNotFound", notFound);
    // Still stored: what hid it was the read path, not a sweep.
    expect(await sql(activityId, "SELECT id FROM history_item WHERE id = ?", gone)).toEqual([{ id: gone }]);
  });

  it("an expired activity is invisible before the alarm: GET, list and item writes answer 404", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const id = crypto.randomUUID();
    expect((await putItem(activityId, id, 0, token)).status).toBe(201);

    await sql(activityId, "UPDATE activity SET expiration_ms = ?", Date.now() - 1);

    const notFound = `The activity '${activityId}' does not exist.`;
    expectGraphError(await call("GET", activityPath(activityId), { token }), 404, "itemNotFound", notFound);
    expectGraphError(await call("GET", itemsPath(activityId), { token }), 404, "itemNotFound", notFound);
    expectGraphError(await call("GET", itemPath(activityId, id), { token }), 404, "itemNotFound", notFound);
    expectGraphError(await putItem(activityId, crypto.randomUUID(), 1, token), 404, "itemNotFound", notFound);
    expect(await sql(activityId, "SELECT count(*) AS n FROM activity")).toEqual([{ n: 1 }]);
  });

  it("an expired item written again before the alarm is a new item: 201, active, a new createdDateTime (PUT and POST)", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const [viaPut, viaPost] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [n, id] of [viaPut, viaPost].entries()) expect((await putItem(activityId, id, n, token)).status).toBe(201);
    const longAgo = Date.now() - 2 * HOUR_MS;
    await sql(
      activityId,
      "UPDATE history_item SET created_ms = ?, last_modified_ms = ?, expiration_ms = ?, status = 'updated'",
      longAgo,
      longAgo,
      longAgo + HOUR_MS,
    );

    const before = Date.now();
    const put = await putItem(activityId, viaPut, 10, token);
    const post = await call("POST", itemsPath(activityId), { body: { id: viaPost, ...itemBody(11) }, token });
    const after = Date.now();

    expect(put.status).toBe(201);
    expectServerTime(put.body.createdDateTime, before, after);
    expect(put.body).toEqual(expectedCreated(activityId, viaPut, 10, put.body.createdDateTime));
    expect(post.status).toBe(201);
    expectServerTime(post.body.createdDateTime, before, after);
    expect(post.body).toEqual(expectedCreated(activityId, viaPost, 11, post.body.createdDateTime));

    for (const answer of [put, post]) {
      const read = await call("GET", itemPath(activityId, answer.body.id), { token });
      expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: answer.body });
    }
    expect(await sql(activityId, "SELECT id, status, created_ms FROM history_item ORDER BY created_ms, id")).toEqual(
      [put, post]
        .map((a) => ({ id: a.body.id, status: "active", created_ms: Date.parse(a.body.createdDateTime) }))
        .sort((x, y) => x.created_ms - y.created_ms || (x.id < y.id ? -1 : 1)),
    );
  });
});
