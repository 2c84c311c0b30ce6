import { describe, expect, it } from "vitest";
import {
  appActivityPath,
  call,
  createActivity,
  DAY_MS,
  freshAppActivityId,
  historyItemPath,
  historyItemsPath,
  type Answer,
} from "./support/api";
import { activityBody, activityResource, writerItemBody, writerItemResource } from "./support/builders";
import { expectGraphError, historyItemsContext, madeBetween, withoutContext } from "./support/graph";
import { activityStub, sqlIn } from "./support/objects";
import { mintToken } from "./support/tokens";

const LIFETIME_MS = 30 * DAY_MS;

/** Rows of one of the object's tables, read inside the object. */
const rows = (activityId: string, sql: string) => sqlIn(activityStub(activityId), sql);

const latest = (answers: Answer[]) =>
  answers
    .map((a) => a.body.lastModifiedDateTime as string)
    .sort()
    .at(-1)!;

describe("concurrent writes to one activity", () => {
  it(
    "250 racing PUTs: one 201 per distinct id, the 49 losers of one id replace it, and the list holds each item once",
    { timeout: 60_000 },
    async () => {
      const token = await mintToken();
      const activityId = await createActivity({ token });
      const distinct = Array.from({ length: 200 }, () => crypto.randomUUID());
      const racer = crypto.randomUUID();
      // Racers interleaved with the distinct writes, so they contend with everything else too.
      const writes: { id: string; n: number }[] = [];
      distinct.forEach((id, n) => {
        writes.push({ id, n });
        if (n % 4 === 0) writes.push({ id: racer, n: 1000 + n / 4 });
      });
      expect(writes).toHaveLength(250);

      const before = Date.now();
      const answers = await Promise.all(
        writes.map(({ id, n }) => call("PUT", historyItemPath(activityId, id), { body: writerItemBody(n), token })),
      );
      const after = Date.now();

      expect(answers.filter((a) => a.status >= 500).map((a) => [a.status, a.body])).toEqual([]);
      const distinctAnswers = answers.filter((_, i) => writes[i]!.id !== racer);
      const racerAnswers = answers.filter((_, i) => writes[i]!.id === racer);
      const racerNs = writes.filter((w) => w.id === racer).map((w) => w.n);

      expect(distinctAnswers.map((a) => a.status)).toEqual(Array(200).fill(201));
      distinctAnswers.forEach((answer, n) => {
        expect(answer.body.createdDateTime).toEqual(madeBetween(before, after));
        expect(answer.body).toEqual(
          writerItemResource(activityId, distinct[n]!, n, {
            status: "active",
            created: answer.body.createdDateTime,
            modified: answer.body.createdDateTime,
          }),
        );
      });

      expect(racerAnswers.map((a) => a.status).sort()).toEqual([201, ...Array(49).fill(200)].sort());
      const winner = racerAnswers.find((a) => a.status === 201)!;
      expect(winner.body.createdDateTime).toEqual(madeBetween(before, after));
      racerAnswers.forEach((answer, i) => {
        expect(answer.body.lastModifiedDateTime).toEqual(madeBetween(before, after));
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: answer === winner ? 201 : 200,
          body: writerItemResource(activityId, racer, racerNs[i]!, {
            status: answer === winner ? "active" : "updated",
            created: winner.body.createdDateTime,
            modified: answer.body.lastModifiedDateTime,
          }),
        });
        // The create is serialized before every replace of the same id.
        expect(answer.body.lastModifiedDateTime >= winner.body.lastModifiedDateTime).toBe(true);
      });

      const list = await call("GET", `${historyItemsPath(activityId)}?$top=1000`, { token });
      expect(list.status).toBe(200);
      expect(Object.keys(list.body).sort()).toEqual(["@odata.context", "value"]);
      expect(list.body["@odata.context"]).toBe(historyItemsContext(activityId));
      const listed: Record<string, unknown>[] = list.body.value;
      expect(listed).toHaveLength(201);
      expect(listed.map((item) => item.id).sort()).toEqual([...distinct, racer].sort());
      const byId = new Map(listed.map((item) => [item.id as string, item]));
      distinctAnswers.forEach((answer, n) => expect(byId.get(distinct[n]!)).toEqual(withoutContext(answer.body)));
      // The surviving racer is the last replace: one of the acknowledged bodies, with the latest lastModifiedDateTime.
      const survivor = byId.get(racer)!;
      expect(racerAnswers.map((a) => withoutContext(a.body))).toContainEqual(survivor);
      expect(survivor.lastModifiedDateTime).toBe(latest(racerAnswers));
      // Most recently modified first, ties by id descending.
      const order = listed.map((item) => `${item.lastModifiedDateTime} ${item.id}`);
      expect(order).toEqual([...order].sort().reverse());

      expect(await rows(activityId, "SELECT count(*) AS n, count(DISTINCT id) AS ids FROM history_item")).toEqual([{ n: 201, ids: 201 }]);
    },
  );

  it("50 racing POSTs with one explicit id: one 201, 49 conflicts, one row holding the winner's body", { timeout: 30_000 }, async () => {
    const token = await mintToken();
    const activityId = await createActivity({ token });
    const id = crypto.randomUUID();

    const before = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, n) => call("POST", historyItemsPath(activityId), { body: { id, ...writerItemBody(n) }, token })),
    );
    const after = Date.now();

    expect(answers.map((a) => a.status).sort()).toEqual([201, ...Array(49).fill(409)]);
    const winnerIndex = answers.findIndex((a) => a.status === 201);
    const winner = answers[winnerIndex]!;
    expect(winner.body.createdDateTime).toEqual(madeBetween(before, after));
    expect(winner.body).toEqual(
      writerItemResource(activityId, id, winnerIndex, {
        status: "active",
        created: winner.body.createdDateTime,
        modified: winner.body.createdDateTime,
      }),
    );
    for (const answer of answers.filter((a) => a !== winner)) {
      expectGraphError(answer, 409, "conflict", `A history item with id '${id}' already exists; PUT it to replace it.`);
    }

    const stored = await call("GET", historyItemPath(activityId, id), { token });
    expect({ status: stored.status, body: stored.body }).toEqual({ status: 200, body: winner.body });
    expect(await rows(activityId, "SELECT id, user_timezone FROM history_item")).toEqual([{ id, user_timezone: `writer ${winnerIndex}` }]);
  });

  it("30 racing PUTs of one appActivityId: one 201, 29 replaces, one activity row, one createdDateTime", { timeout: 30_000 }, async () => {
    const token = await mintToken();
    const appActivityId = freshAppActivityId();
    const path = appActivityPath(appActivityId);
    const bodyFor = (n: number) => activityBody({ visualElements: { displayText: `writer ${n}` } });

    const before = Date.now();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, n) => call("PUT", path, { body: bodyFor(n), token })));
    const after = Date.now();

    expect(answers.map((a) => a.status).sort()).toEqual([...Array(29).fill(200), 201]);
    const winner = answers.find((a) => a.status === 201)!;
    const activityId: string = winner.body.id;
    expect(activityId).toMatch(/^\d{1,20}$/);
    expect(winner.body.createdDateTime).toEqual(madeBetween(before, after));
    answers.forEach((answer, n) => {
      expect(answer.body.lastModifiedDateTime).toEqual(madeBetween(before, after));
      expect(answer.body).toEqual({
        ...activityResource(appActivityId, bodyFor(n), { status: answer === winner ? "active" : "updated" }),
        id: activityId,
        createdDateTime: winner.body.createdDateTime,
        lastModifiedDateTime: answer.body.lastModifiedDateTime,
        expirationDateTime: new Date(Date.parse(answer.body.lastModifiedDateTime) + LIFETIME_MS).toISOString(),
      });
      expect(answer.body.lastModifiedDateTime >= winner.body.lastModifiedDateTime).toBe(true);
    });

    expect(await rows(activityId, "SELECT id, app_activity_id, status, created_ms FROM activity")).toEqual([
      { id: activityId, app_activity_id: appActivityId, status: "updated", created_ms: Date.parse(winner.body.createdDateTime) },
    ]);
    const stored = await call("GET", `/v1.0/me/activities/${activityId}`, { token });
    expect(stored.status).toBe(200);
    expect(answers.map((a) => a.body)).toContainEqual(stored.body);
    expect(stored.body.lastModifiedDateTime).toBe(latest(answers));
  });

  it(
    "DELETEs racing PUTs of one item: no 5xx, and the end state agrees with the acknowledged operations",
    { timeout: 30_000 },
    async () => {
      const token = await mintToken();
      const activityId = await createActivity({ token });
      const id = crypto.randomUUID();
      const first = await call("PUT", historyItemPath(activityId, id), { body: writerItemBody(0), token });
      expect(first.status).toBe(201);

      const ops = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? { method: "PUT", n: i + 1 } : { method: "DELETE", n: i + 1 }));
      const before = Date.now();
      const answers = await Promise.all(
        ops.map((op) =>
          call(op.method, historyItemPath(activityId, id), op.method === "PUT" ? { body: writerItemBody(op.n), token } : { token }),
        ),
      );
      const after = Date.now();

      const puts: Answer[] = [];
      let deleted = 0;
      let created = 0;
      answers.forEach((answer, i) => {
        const op = ops[i]!;
        if (op.method === "DELETE") {
          if (answer.status === 204) {
            expect(answer.body).toBeNull();
            deleted++;
          } else {
            expectGraphError(answer, 404, "itemNotFound", `The history item '${id}' does not exist.`);
          }
          return;
        }
        expect([200, 201]).toContain(answer.status);
        expect(answer.body.lastModifiedDateTime).toEqual(madeBetween(before, after));
        // A 201 recreates the item after a delete: a fresh createdDateTime; a 200 keeps the current one.
        if (answer.status === 201) {
          created++;
          expect(answer.body.createdDateTime).toBe(answer.body.lastModifiedDateTime);
        }
        expect(answer.body).toEqual(
          writerItemResource(activityId, id, op.n, {
            status: answer.status === 201 ? "active" : "updated",
            created: answer.body.createdDateTime,
            modified: answer.body.lastModifiedDateTime,
          }),
        );
        puts.push(answer);
      });

      // The item existed before the race; every 204 removed it and every 201 brought it back.
      const final = await call("GET", historyItemPath(activityId, id), { token });
      const itemRows = await rows(activityId, "SELECT id FROM history_item");
      if (final.status === 404) {
        expectGraphError(final, 404, "itemNotFound", `The history item '${id}' does not exist.`);
        expect(deleted).toBe(created + 1);
        expect(itemRows).toEqual([]);
      } else {
        expect(final.status).toBe(200);
        expect(deleted).toBe(created);
        expect(puts.map((a) => a.body)).toContainEqual(final.body);
        expect(final.body.lastModifiedDateTime).toBe(latest(puts));
        expect(itemRows).toEqual([{ id }]);
      }
      expect(deleted).toBeGreaterThan(0);
    },
  );
});
