// The change stream behind delta: positions given in the order the feed applies changes, and every
// kind of change (a write, a late push through the outbox's retry, a delete, an expiry) in the next
// round; each entry once a round, an entry changed while a round is read in the next round; and a
// page that reads as many rows however many activities or changes are past its link.
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Caller } from "../src/auth/verify-token";
import { FeedObject } from "../src/objects/FeedObject";
import type { FeedApplyResult, FeedUpdate } from "../src/objects/records";
import { activityPath, type Answer, appActivityPath, call, historyItemPath } from "./support/api";
import { activityBody } from "./support/builders";
import { DELTA, deltaPage, deltaRound, fillFeed, removed } from "./support/delta";
import { withoutContext } from "./support/graph";
import { activityStub, feedStub, NOTHING_PENDING, OUTBOX_STATE, sqlIn } from "./support/objects";
import { rowsRead } from "./support/rows";
import { createActivities, freshUser, postItem, putActivity, type TestUser } from "./support/users";

afterEach(() => vi.restoreAllMocks());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Entry = { activity_id: string; version: number; position: number; live: number };

/** The feed's entries: each one's version, position and whether it holds its activity. */
const entries = async (user: TestUser) =>
  (await sqlIn(
    feedStub(user.caller),
    "SELECT activity_id, version, position, activity IS NOT NULL AS live FROM feed_entry ORDER BY activity_id",
  )) as Entry[];
const entryOf = async (user: TestUser, id: string) => (await entries(user)).find((entry) => entry.activity_id === id)!;

/** The activity as GET answers it now, as a round lists it. */
async function current(user: TestUser, id: string, query = "") {
  const answer = await call("GET", `${activityPath(id)}${query}`, { as: user.as });
  expect(answer.status).toBe(200);
  return withoutContext(answer.body);
}

/** Records each update a feed is pushed and what it answered. */
function recordPushes() {
  const pushes: { update: FeedUpdate; answer: FeedApplyResult }[] = [];
  const apply = FeedObject.prototype.apply;
  vi.spyOn(FeedObject.prototype, "apply").mockImplementation(async function (this: FeedObject, update: FeedUpdate, owner: Caller) {
    const answer = await apply.call(this, update, owner);
    pushes.push({ update, answer });
    return answer;
  });
  return pushes;
}

describe("positions", () => {
  it("are given in the order the feed applies changes, each above every position before it", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const before = await entries(user);

    // Each apply's position, read in the feed the moment the apply returns (nothing else runs in between).
    const applied: { id: string; position: number }[] = [];
    const apply = FeedObject.prototype.apply;
    vi.spyOn(FeedObject.prototype, "apply").mockImplementation(async function (this: FeedObject, update: FeedUpdate, owner: Caller) {
      const sql = (this as unknown as { ctx: DurableObjectState }).ctx.storage.sql;
      const head = () => sql.exec<{ head: number }>("SELECT max(position) AS head FROM feed_entry").one().head;
      const headBefore = head();
      const answer = await apply.call(this, update, owner);
      if (head() > headBefore) applied.push({ id: update.activityId, position: head() });
      return answer;
    });
    const writes = [
      ...Array.from({ length: 6 }, () =>
        call("PUT", appActivityPath(crypto.randomUUID()), {
          as: user.as,
          body: activityBody({ visualElements: { displayText: "burst" } }),
        }),
      ),
      ...[a, b].flatMap((x) =>
        [1, 2].map((n) =>
          call("PUT", historyItemPath(x!.id, crypto.randomUUID()), { as: user.as, body: { startedDateTime: `2026-01-0${n}T00:00:00Z` } }),
        ),
      ),
      call("PATCH", activityPath(a!.id), { as: user.as, body: { userTimezone: "Europe/Oslo" } }),
    ];
    expect((await Promise.all(writes)).map((answer) => answer.status)).toEqual([...Array(10).fill(201), 200]);

    const positions = applied.map((change) => change.position);
    expect(positions).toEqual([...positions].sort((x, y) => x - y));
    expect(new Set(positions).size).toBe(positions.length);
    expect(positions[0]).toBeGreaterThan(Math.max(...before.map((entry) => entry.position)));
    // Each entry sits at the position of its last change; the new activities each changed once.
    const after = await entries(user);
    for (const entry of after.filter((row) => !before.some((old) => old.activity_id === row.activity_id)))
      expect(applied.filter((change) => change.id === entry.activity_id)).toEqual([{ id: entry.activity_id, position: entry.position }]);
    for (const id of [a!.id, b!.id])
      expect((await entryOf(user, id)).position).toBe(applied.filter((change) => change.id === id).at(-1)!.position);
  });

  it("a position is a reading of the feed's clock: a thousand a millisecond, at the instant of the apply", async () => {
    const user = freshUser();
    const sent = Date.now();
    const [a] = await createActivities(user, 1);
    const { position } = await entryOf(user, a!.id);
    expect(position).toBeGreaterThanOrEqual(sent * 1000);
    expect(position).toBeLessThanOrEqual(Date.now() * 1000);
  });

  it("a change the feed already has (the same version, or an older one) moves nothing", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const pushes = recordPushes();
    expect((await call("PATCH", activityPath(a!.id), { as: user.as, body: { userTimezone: "Europe/Rome" } })).status).toBe(200);
    const { update } = pushes.at(-1)!;
    const { deltaLink } = await deltaRound(user, DELTA);
    const before = await entries(user);

    for (const again of [update, { ...update, version: update.version - 1 }, { ...update, activity: null, version: update.version - 1 }])
      expect(await feedStub(user.caller).apply(again, user.caller)).toEqual({ kind: "applied" });
    expect(await entries(user)).toEqual(before);
    expect((await deltaRound(user, deltaLink)).values).toEqual([]);
    expect((await entryOf(user, b!.id)).position).toBeLessThan((await entryOf(user, a!.id)).position);
  });

  it("a history item's change moves its activity's entry; an item change that reaches a tombstone does not", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const aBefore = await entryOf(user, a!.id);
    const { deltaLink } = await deltaRound(user, DELTA);
    await postItem(user, b!.id, { startedDateTime: "2026-01-01T00:00:00Z" });
    const bMoved = await entryOf(user, b!.id);
    expect(bMoved.position).toBeGreaterThan(aBefore.position);
    expect(await entryOf(user, a!.id)).toEqual(aBefore);
    const round = await deltaRound(user, deltaLink);
    expect(round.values).toEqual([await current(user, b!.id)]);

    expect((await call("DELETE", activityPath(a!.id), { as: user.as })).status).toBe(204);
    const tombstone = await entryOf(user, a!.id);
    expect(tombstone).toEqual({ activity_id: a!.id, version: expect.any(Number), position: expect.any(Number), live: 0 });
    const { deltaLink: afterDelete } = await deltaRound(user, round.deltaLink);
    // A late push of an item change, newer than the delete (as from a write that raced it): the entry takes the version, and stays put.
    const late = { activityId: a!.id, version: tombstone.version + 1, recentMs: Date.now() };
    expect(await feedStub(user.caller).apply(late, user.caller)).toEqual({ kind: "applied" });
    expect(await entryOf(user, a!.id)).toEqual({ ...tombstone, version: tombstone.version + 1 });
    expect((await deltaRound(user, afterDelete)).values).toEqual([]);
  });
});

describe("every change shows in the next round", () => {
  it("a write whose push failed, once the outbox's retry delivers it", async () => {
    const user = freshUser();
    const [a] = await createActivities(user, 1);
    const first = await deltaRound(user, DELTA);

    vi.spyOn(FeedObject.prototype, "apply").mockRejectedValue(new Error("feed unreachable"));
    const patched = await call("PATCH", activityPath(a!.id), { as: user.as, body: { userTimezone: "Asia/Tokyo" } });
    expect(patched.status).toBe(200);
    expect(await sqlIn(activityStub(a!.id, user.caller), OUTBOX_STATE)).toEqual([
      { retry_at_ms: expect.any(Number), attempts: expect.any(Number), acknowledged: 0, activity_acknowledged: 0 },
    ]);
    // Acknowledged, not yet in the feed: a round now has nothing.
    const during = await deltaRound(user, first.deltaLink);
    expect(during.values).toEqual([]);

    vi.restoreAllMocks();
    await runDurableObjectAlarm(activityStub(a!.id, user.caller));
    expect(await sqlIn(activityStub(a!.id, user.caller), OUTBOX_STATE)).toEqual(NOTHING_PENDING);
    const next = await deltaRound(user, during.deltaLink);
    expect(next.values).toEqual([withoutContext(patched.body)]);
    expect((await deltaRound(user, next.deltaLink)).values).toEqual([]);
  });

  it("a write whose push hung past its deadline, applied late while a round was being read", { timeout: 30_000 }, async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const first = await deltaRound(user, DELTA);
    // Held pushes poll a flag rather than wait on a promise the test settles: promises do not cross objects' I/O contexts.
    let hanging = true;
    const apply = FeedObject.prototype.apply;
    vi.spyOn(FeedObject.prototype, "apply").mockImplementation(async function (this: FeedObject, update: FeedUpdate, owner: Caller) {
      while (hanging) await sleep(20);
      return apply.call(this, update, owner);
    });
    const { position: before } = await entryOf(user, b!.id);
    const patched = await call("PATCH", activityPath(b!.id), { as: user.as, body: { userTimezone: "America/Lima" } });
    expect(patched.status).toBe(200);

    // A round begins after the acknowledgement and before the late apply: its first page has nothing of it.
    const page1 = await deltaPage(user, first.deltaLink, { Prefer: "odata.maxpagesize=1" });
    expect(page1.body.value).toEqual([]);
    hanging = false;
    for (let tries = 0; (await entryOf(user, b!.id)).position === before; tries++) {
      if (tries > 500) throw new Error("the held push was never applied");
      await sleep(20);
    }
    const next = await deltaRound(user, page1.body["@odata.deltaLink"]);
    expect(next.values).toEqual([withoutContext(patched.body)]);
    expect((await entryOf(user, a!.id)).position).toBeLessThan((await entryOf(user, b!.id)).position);
  });

  it("a delete, and the activity created again", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const first = await deltaRound(user, DELTA);
    expect((await call("DELETE", activityPath(a!.id), { as: user.as })).status).toBe(204);
    const deleted = await deltaRound(user, first.deltaLink);
    expect(deleted.values).toEqual([removed(a!.id)]);

    const again = await call("PUT", appActivityPath(a!.appActivityId), {
      as: user.as,
      body: activityBody({ visualElements: { displayText: "again" } }),
    });
    expect(again.status).toBe(201);
    const created = await deltaRound(user, deleted.deltaLink);
    expect(created.values).toEqual([withoutContext(again.body)]);
    // One never seen by this client, created and deleted between two rounds: removed.
    const c = await putActivity(user);
    expect((await call("DELETE", activityPath(c.id), { as: user.as })).status).toBe(204);
    expect((await deltaRound(user, created.deltaLink)).values).toEqual([removed(c.id)]);
    expect((await entryOf(user, b!.id)).live).toBe(1);
  });

  it("a history item's expiry, once the activity's alarm removes it", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const item = await postItem(user, a!.id, { startedDateTime: "2026-01-01T00:00:00Z" });
    const kept = await postItem(user, b!.id, { startedDateTime: "2026-01-02T00:00:00Z" });
    const expand = "?$expand=historyItems";
    const first = await deltaRound(user, `${DELTA}${expand}`);
    expect(first.values).toEqual([await current(user, a!.id, expand), await current(user, b!.id, expand)]);
    expect(first.values.map((value) => value.historyItems.map((i: { id: string }) => i.id))).toEqual([[item.id], [kept.id]]);

    await sqlIn(activityStub(a!.id, user.caller), "UPDATE history_item SET expiration_ms = ? WHERE id = ?", Date.now() - 1, item.id);
    expect(await runDurableObjectAlarm(activityStub(a!.id, user.caller))).toBe(true);
    const next = await deltaRound(user, first.deltaLink);
    expect(next.values).toEqual([{ ...(await current(user, a!.id, expand)), historyItems: [] }]);
  });

  it("an activity's expiry: removed once its alarm tells the feed, and at once where its entry changed since the link", async () => {
    const user = freshUser();
    const [a] = await createActivities(user, 1);
    const first = await deltaRound(user, DELTA);
    const b = await putActivity(user);

    await sqlIn(activityStub(a!.id, user.caller), "UPDATE activity SET expiration_ms = ?", Date.now() - 1);
    expect(await runDurableObjectAlarm(activityStub(a!.id, user.caller))).toBe(true);
    expect(await entryOf(user, a!.id)).toEqual(expect.objectContaining({ live: 0 }));
    // b's time runs out in its object and in the feed's copy, before any alarm: b changed since the link, and is listed removed.
    const past = Date.now() - 1;
    await sqlIn(activityStub(b.id, user.caller), "UPDATE activity SET expiration_ms = ?", past);
    await sqlIn(feedStub(user.caller), "UPDATE feed_entry SET expiration_ms = ? WHERE activity_id = ?", past, b.id);
    const next = await deltaRound(user, first.deltaLink);
    // In the order they last moved: b when it was created, a when its alarm removed it.
    expect(next.values).toEqual([removed(b.id), removed(a!.id)]);
    expect((await deltaRound(user, DELTA)).values).toEqual([]);

    // Its alarm tells the feed: its removal comes again in the next round.
    expect(await runDurableObjectAlarm(activityStub(b.id, user.caller))).toBe(true);
    expect((await deltaRound(user, next.deltaLink)).values).toEqual([removed(b.id)]);
  });
});

describe("a round read while the feed changes", () => {
  it("lists each entry once: one that changes before the walk reaches it, and one listed already, come in the next round as they are then", async () => {
    const user = freshUser();
    const [a, b, c] = await createActivities(user, 3);
    const first = await deltaRound(user, DELTA);
    const prefer = { Prefer: "odata.maxpagesize=1" };

    // A change before the round, so that the round has a page for each activity: a, b and c all changed, in that order.
    for (const x of [a, b, c])
      expect((await call("PATCH", activityPath(x!.id), { as: user.as, body: { userTimezone: "UTC" } })).status).toBe(200);
    const page1 = await deltaPage(user, first.deltaLink, prefer);
    expect(page1.body.value).toEqual([await current(user, a!.id)]);
    // While the round is read: a (already listed) and c (not yet) change again, and move past the round's head.
    for (const x of [a, c])
      expect((await call("PATCH", activityPath(x!.id), { as: user.as, body: { userTimezone: "Europe/Kyiv" } })).status).toBe(200);
    const rest = await deltaRound(user, page1.body["@odata.nextLink"], { headers: prefer });
    // b as it is; a not again, and c not in this round.
    expect(rest.values).toEqual([await current(user, b!.id)]);
    // The next round has both as they are now: a again (a replay), and c.
    expect((await deltaRound(user, rest.deltaLink)).values).toEqual([await current(user, a!.id), await current(user, c!.id)]);
  });
});

describe("a page's cost", () => {
  it(
    "a page reads as many rows whatever the number of activities or changes past its link: none is sorted",
    { timeout: 120_000 },
    async () => {
      const prefer = { Prefer: "odata.maxpagesize=10" };
      /** Rows the feed reads for each of the first two pages of a first round, and of a deltaLink's round, with `n` activities in each. */
      const pagesRead = async (n: number) => {
        const user = freshUser();
        await putActivity(user);
        const latest = await deltaPage(user, `${DELTA}?$deltatoken=latest`);
        await fillFeed(user, n - 1);
        const read: number[] = [];
        for (const start of [DELTA, latest.body["@odata.deltaLink"] as string]) {
          for (let link = start, k = 0; k < 2; k++) {
            let page: Answer | undefined;
            read.push((await rowsRead({ feed: feedStub(user.caller) }, async () => (page = await deltaPage(user, link, prefer)))).feed);
            expect({ status: page!.status, listed: page!.body.value.length }).toEqual({ status: 200, listed: 10 });
            link = page!.body["@odata.nextLink"];
          }
        }
        return read;
      };
      const few = await pagesRead(30);
      expect(await pagesRead(500)).toEqual(few);
    },
  );
});
