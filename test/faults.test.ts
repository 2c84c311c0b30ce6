import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { activityPath, call, createActivity, historyItemPath, historyItemsPath, type Answer } from "./support/api";
import { writerItemBody, writerItemResource } from "./support/builders";
import { expectGraphError, madeBetween, withoutContext } from "./support/graph";
import { activityStub, alarmAfterRetry, alarmOf, HOLDS_NOTHING, sqlIn, storageOf } from "./support/objects";
import { mintToken } from "./support/tokens";

const HOUR_MS = 3_600_000;

/** Runs SQL inside the activity's object and returns the rows. */
const sql = (activityId: string, query: string, ...bindings: unknown[]) => sqlIn(activityStub(activityId), query, ...bindings);

/**
 * A write that failed because its object went away: the service must say "retry" (503
 * serviceNotAvailable with Retry-After) in Graph's envelope, never a 500 with internals.
 */
function expectRetryable(answer: Answer) {
  expectGraphError(answer, 503, "serviceNotAvailable", expect.any(String));
  expect(answer.headers.get("Retry-After")).toMatch(/^\d+$/);
}

/** PUTs item `id` from body n. */
const putItem = (activityId: string, id: string, n: number, token: string) =>
  call("PUT", historyItemPath(activityId, id), { body: writerItemBody(n), token });

/** Every acknowledged write is readable afterwards, exactly as acknowledged; returns how many there were. */
async function expectAcknowledgedPresent(activityId: string, ids: string[], answers: Answer[], token: string) {
  const acknowledged = answers.map((answer, i) => ({ answer, id: ids[i]! })).filter(({ answer }) => answer.status === 201);
  const reads = await Promise.all(acknowledged.map(({ id }) => call("GET", historyItemPath(activityId, id), { token })));
  reads.forEach((read, i) => expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: acknowledged[i]!.answer.body }));
  const list = await call("GET", historyItemsPath(activityId), { token });
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

    const stub = activityStub(activityId);
    await runInDurableObject(stub, (instance) => {
      (instance as unknown as { probe?: string }).probe = "the instance before eviction";
    });
    await evictDurableObject(stub);

    const reads = await Promise.all(ids.map((id) => call("GET", historyItemPath(activityId, id), { token })));
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
    const stub = activityStub(activityId);
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

  it(
    "survives a crash (abortAllDurableObjects) during a stream of writes: every 2xx is stored, failures say retry",
    { timeout: 30_000 },
    async () => {
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
    },
  );
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
      written.push(
        await call("PUT", historyItemPath(activityId, id), { body: writerItemBody(n, { expirationDateTime: expirations[n] }), token }),
      );
    }
    written.forEach((answer, n) => {
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual(
        writerItemResource(activityId, ids[n]!, n, { created: answer.body.createdDateTime, expiration: expirations[n] }),
      );
    });
    expect(await alarmAfterRetry(activityStub(activityId))).toBe(Date.parse(expirations[0]!));

    // Items 0, 2 and 4 expire in the past (as if time had passed); 1, 3 and 5 stay live.
    const expired = [0, 2, 4];
    for (const [k, n] of expired.entries()) {
      await sql(activityId, "UPDATE history_item SET expiration_ms = ? WHERE id = ?", now - 3000 + k * 1000, ids[n]);
    }
    const live = [1, 3, 5];
    const liveRows = await sql(activityId, "SELECT * FROM history_item WHERE id IN (?, ?, ?) ORDER BY id", ...live.map((n) => ids[n]));
    expect(liveRows).toHaveLength(3);
    const activityRow = await sql(activityId, "SELECT * FROM activity");

    expect(await runDurableObjectAlarm(activityStub(activityId))).toBe(true);
    expect(await sql(activityId, "SELECT * FROM history_item ORDER BY id")).toEqual(liveRows);
    expect(await sql(activityId, "SELECT * FROM activity")).toEqual(activityRow);
    expect(await alarmOf(activityStub(activityId))).toBe(Date.parse(expirations[1]!));

    expect(await runDurableObjectAlarm(activityStub(activityId))).toBe(true);
    expect(await sql(activityId, "SELECT * FROM history_item ORDER BY id")).toEqual(liveRows);
    expect(await sql(activityId, "SELECT * FROM activity")).toEqual(activityRow);
    expect(await alarmOf(activityStub(activityId))).toBe(Date.parse(expirations[1]!));

    const list = await call("GET", historyItemsPath(activityId), { token });
    expect(list.status).toBe(200);
    // Most recently modified first, ties by id descending.
    const byRecency = (x: Record<string, any>, y: Record<string, any>) =>
      y.lastModifiedDateTime.localeCompare(x.lastModifiedDateTime) || y.id.localeCompare(x.id);
    expect(list.body.value).toEqual(live.map((n) => withoutContext(written[n]!.body)).sort(byRecency));
  });

  it("an expired activity is swept by the alarm with all its items, leaving an object that holds nothing and a 404", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const ids = [crypto.randomUUID(), crypto.randomUUID()];
    for (const [n, id] of ids.entries()) expect((await putItem(activityId, id, n, token)).status).toBe(201);
    expect(await sql(activityId, "SELECT count(*) AS n FROM history_item")).toEqual([{ n: 2 }]);
    expect(await alarmOf(activityStub(activityId))).not.toBeNull();

    await sql(activityId, "UPDATE activity SET expiration_ms = ?", Date.now() - 1000);
    expect(await runDurableObjectAlarm(activityStub(activityId))).toBe(true);

    // Its feed has the deletion, so the object keeps nothing at all: no table, row, key or alarm.
    expect(await storageOf(activityStub(activityId))).toEqual(HOLDS_NOTHING);
    expectGraphError(
      await call("GET", activityPath(activityId), { token }),
      404,
      "itemNotFound",
      `The activity '${activityId}' does not exist.`,
    );
    expectGraphError(
      await call("GET", historyItemsPath(activityId), { token }),
      404,
      "itemNotFound",
      `The activity '${activityId}' does not exist.`,
    );
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
    expectGraphError(await call("GET", historyItemPath(activityId, gone), { token }), 404, "itemNotFound", notFound);
    const list = await call("GET", historyItemsPath(activityId), { token });
    expect({ status: list.status, value: list.body.value }).toEqual({ status: 200, value: [withoutContext(keptAnswer.body)] });
    const expanded = await call("GET", `${activityPath(activityId)}?$expand=historyItems`, { token });
    expect({ status: expanded.status, historyItems: expanded.body.historyItems }).toEqual({
      status: 200,
      historyItems: [withoutContext(keptAnswer.body)],
    });
    expectGraphError(await call("DELETE", historyItemPath(activityId, gone), { token }), 404, "itemNotFound", notFound);
    // Still stored: what hid it was the read path, not a sweep.
    expect(await sql(activityId, "SELECT id FROM history_item WHERE id = ?", gone)).toEqual([{ id: gone }]);
  });

  it("an expired activity is invisible before the alarm: GET, list and item writes answer 404", async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const id = crypto.randomUUID();
    expect((await putItem(activityId, id, 0, token)).status).toBe(201);

    await sql(activityId, "UPDATE activity SET expiration_ms = ?", Date.now() - 1);
    // No alarm may sweep it meanwhile (a feed retry, under load, would): this is about reads before the sweep.
    await runInDurableObject(activityStub(activityId), (_instance, state) => state.storage.deleteAlarm());

    const notFound = `The activity '${activityId}' does not exist.`;
    expectGraphError(await call("GET", activityPath(activityId), { token }), 404, "itemNotFound", notFound);
    expectGraphError(await call("GET", historyItemsPath(activityId), { token }), 404, "itemNotFound", notFound);
    expectGraphError(await call("GET", historyItemPath(activityId, id), { token }), 404, "itemNotFound", notFound);
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
    const post = await call("POST", historyItemsPath(activityId), { body: { id: viaPost, ...writerItemBody(11) }, token });
    const after = Date.now();

    expect(put.status).toBe(201);
    expect(put.body.createdDateTime).toEqual(madeBetween(before, after));
    expect(put.body).toEqual(writerItemResource(activityId, viaPut, 10, { created: put.body.createdDateTime }));
    expect(post.status).toBe(201);
    expect(post.body.createdDateTime).toEqual(madeBetween(before, after));
    expect(post.body).toEqual(writerItemResource(activityId, viaPost, 11, { created: post.body.createdDateTime }));

    for (const answer of [put, post]) {
      const read = await call("GET", historyItemPath(activityId, answer.body.id), { token });
      expect({ status: read.status, body: read.body }).toEqual({ status: 200, body: answer.body });
    }
    expect(await sql(activityId, "SELECT id, status, created_ms FROM history_item ORDER BY created_ms, id")).toEqual(
      [put, post]
        .map((a) => ({ id: a.body.id, status: "active", created_ms: Date.parse(a.body.createdDateTime) }))
        .sort((x, y) => x.created_ms - y.created_ms || (x.id < y.id ? -1 : 1)),
    );
  });
});
