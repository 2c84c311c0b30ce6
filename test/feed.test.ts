import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ActivityRecord } from "../src/objects/records";
import type { FeedUpdate } from "../src/objects/records";
import { type Answer, appActivityPath, call, freshAppActivityId, ORIGIN } from "./support/api";
import { activityBody } from "./support/builders";
import { activitiesContext, activityContext, expectGraphError, withoutContext } from "./support/graph";
import { activityStub, feedStub, HOLDS_NOTHING, NOTHING_PENDING, OUTBOX_STATE, sqlIn, storageOf } from "./support/objects";
import { callerFor, mintToken } from "./support/tokens";

const OTHER_APP = "99999999-8888-7777-6666-555555555555";
const PREFIXES = ["/v1.0", "/beta", ""] as const;
const RECENT_SPELLINGS = ["/me/activities/recent", "/me/activities/recent()", "/me/activities/microsoft.graph.recent()"];

type Resource = Record<string, unknown> & { id: string; lastModifiedDateTime: string };

/** A caller of its own: a fresh oid, so no test shares a feed with another. */
interface User {
  oid: string;
  app: string;
  token: string;
}

async function freshUser(app = callerFor().appId): Promise<User> {
  const oid = crypto.randomUUID();
  return { oid, app, token: await mintToken({ user: oid, app }) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets the clock move on, so the next write gets a later millisecond than the last. */
const tick = () => sleep(3);

const listContext = (user: User, prefix = "/v1.0") => activitiesContext({ prefix, user: user.oid });
const recentContext = (prefix = "/v1.0") => `${ORIGIN}${prefix}/$metadata#Collection(microsoft.graph.userActivity)`;
const entityContext = (user: User) => activityContext({ user: user.oid });

const get = (user: User, path: string) => call("GET", path, { token: user.token });

/** PUTs an activity (a fresh appActivityId unless given one). */
const putActivity = (user: User, appActivityId = freshAppActivityId(), overrides: Record<string, unknown> = {}) =>
  call("PUT", appActivityPath(appActivityId), { body: activityBody(overrides), token: user.token });

/** A created activity: its appActivityId and the resource the PUT answered (without @odata.context). */
interface Created {
  appActivityId: string;
  resource: Resource;
}

async function create(user: User, overrides: Record<string, unknown> = {}): Promise<Created> {
  const appActivityId = freshAppActivityId();
  const answer = await putActivity(user, appActivityId, overrides);
  expect(answer.status).toBe(201);
  return { appActivityId, resource: withoutContext(answer.body) as Resource };
}

/** Creates n activities, at most 50 requests in flight at a time. */
async function createMany(user: User, n: number): Promise<Created[]> {
  const created: Created[] = [];
  for (let start = 0; start < n; start += 50) {
    const batch = Array.from({ length: Math.min(50, n - start) }, (_, k) =>
      create(user, { visualElements: { displayText: `activity ${start + k}` } }),
    );
    created.push(...(await Promise.all(batch)));
  }
  return created;
}

/** Creates activities one after another with the clock moving on between them: strictly increasing lastModifiedDateTime. */
async function createInSequence(user: User, n: number): Promise<Created[]> {
  const created: Created[] = [];
  for (let k = 0; k < n; k++) {
    await tick();
    created.push(await create(user, { visualElements: { displayText: `activity ${k}` } }));
  }
  expectIncreasing(created.map((c) => c.resource.lastModifiedDateTime));
  return created;
}

/** Setup check: the timestamps a test relies on to order things really are distinct and increasing. */
function expectIncreasing(times: string[]) {
  for (let k = 1; k < times.length; k++) expect(Date.parse(times[k]!)).toBeGreaterThan(Date.parse(times[k - 1]!));
}

const itemBody = (n: number) => ({
  startedDateTime: new Date(Date.UTC(2026, 2, 1, 10, n)).toISOString(),
  lastActiveDateTime: new Date(Date.UTC(2026, 2, 1, 10, n, 20)).toISOString(),
  userTimezone: `session ${n}`,
});

/** POSTs a history item and returns it as the list would show it (without @odata.context). */
async function postItem(user: User, activityId: string, n = 0): Promise<Resource> {
  await tick();
  const answer = await call("POST", `/v1.0/me/activities/${activityId}/historyItems`, { body: itemBody(n), token: user.token });
  expect(answer.status).toBe(201);
  return withoutContext(answer.body) as Resource;
}

async function deleteItem(user: User, activityId: string, itemId: string) {
  const answer = await call("DELETE", `/v1.0/me/activities/${activityId}/historyItems/${itemId}`, { token: user.token });
  expect(answer.status).toBe(204);
}

async function deleteActivity(user: User, activityId: string) {
  const answer = await call("DELETE", `/v1.0/me/activities/${activityId}`, { token: user.token });
  expect(answer.status).toBe(204);
}

/** The activity as its own object answers it now, the feed's reference for what it must list. */
async function current(user: User, activityId: string): Promise<Resource> {
  const answer = await get(user, `/v1.0/me/activities/${activityId}`);
  expect(answer.status).toBe(200);
  return withoutContext(answer.body) as Resource;
}

/** A whole one-page answer: 200, the context, exactly these activities, no nextLink. */
function expectPage(answer: Answer, context: string, value: unknown[]) {
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 200, body: { "@odata.context": context, value } });
}

/** Graph's 400 invalidRequest envelope, with a message matching `message`. */
const expectInvalidRequest = (answer: Answer, message: RegExp) => expectGraphError(answer, 400, "invalidRequest", message);

/** The server path of an absolute @odata.nextLink, checked to be on this origin. */
function nextPath(link: unknown): string {
  expect(link).toEqual(expect.stringMatching(/^https:\/\/feed\.test\//));
  return (link as string).slice(ORIGIN.length);
}

/** The $skiptoken inside a nextLink. */
const skiptokenOf = (link: string) => new URL(link).searchParams.get("$skiptoken")!;

interface Walk {
  pages: Answer[];
  ids: string[];
  resources: Resource[];
}

/**
 * Follows @odata.nextLink from `path` to the end, checking each page's shape; `between` runs
 * alongside each page fetch after the first (concurrent writes).
 */
async function walk(user: User, path: string, context: string, between?: (page: number) => Promise<void>): Promise<Walk> {
  const pages: Answer[] = [];
  let next: string | undefined = path;
  while (next !== undefined) {
    const fetching = get(user, next);
    const [page] = await Promise.all([fetching, pages.length > 0 && between ? between(pages.length) : undefined]);
    expect(page.status).toBe(200);
    const link = page.body["@odata.nextLink"];
    expect(page.body).toEqual({
      "@odata.context": context,
      value: expect.any(Array),
      ...(link === undefined ? {} : { "@odata.nextLink": expect.stringMatching(/^https:\/\/feed\.test\/v1\.0\/me\/activities\?/) }),
    });
    pages.push(page);
    if (pages.length > 1000) throw new Error("the walk does not end");
    next = link === undefined ? undefined : nextPath(link);
  }
  const resources = pages.flatMap((page) => page.body.value as Resource[]);
  return { pages, ids: resources.map((r) => r.id), resources };
}

/** lastModifiedDateTime never increases along the walk. */
function expectNewestFirst(resources: Resource[]) {
  for (let k = 1; k < resources.length; k++) {
    expect(Date.parse(resources[k]!.lastModifiedDateTime)).toBeLessThanOrEqual(Date.parse(resources[k - 1]!.lastModifiedDateTime));
  }
}

const callerOf = (user: User) => callerFor({ user: user.oid, app: user.app });
/** The objects behind a test user's feed and activities. */
const feedOf = (user: User) => feedStub(callerOf(user));
const activityOf = (user: User, activityId: string) => activityStub(activityId, callerOf(user));

const activitySql = (user: User, activityId: string, query: string, ...bindings: unknown[]) =>
  sqlIn(activityOf(user, activityId), query, ...bindings);
const feedSql = (user: User, query: string, ...bindings: unknown[]) => sqlIn(feedOf(user), query, ...bindings);

/** The recent feed under every spelling and prefix: all nine answers must be this one page. */
async function expectRecent(user: User, value: unknown[]) {
  const paths = PREFIXES.flatMap((prefix) => RECENT_SPELLINGS.map((spelling) => ({ prefix, path: `${prefix}${spelling}` })));
  const answers = await Promise.all(paths.map(({ path }) => get(user, path)));
  answers.forEach((answer, k) => expectPage(answer, recentContext(paths[k]!.prefix), value));
}

/** The activities as their own objects answer them now, newest lastModifiedDateTime first. */
async function currentNewestFirst(user: User, ids: string[]): Promise<Resource[]> {
  const resources = await Promise.all(ids.map((id) => current(user, id)));
  return resources.sort((p, q) => Date.parse(q.lastModifiedDateTime) - Date.parse(p.lastModifiedDateTime));
}

async function expectList(user: User, value: unknown[]) {
  expectPage(await get(user, "/v1.0/me/activities"), listContext(user), value);
}

describe("GET /me/activities: ordering", () => {
  it("lists newest lastModifiedDateTime first, and a re-PUT moves an older activity to the top", async () => {
    const user = await freshUser();
    const [a, b, c, d] = await createInSequence(user, 4);
    await expectList(
      user,
      [d!, c!, b!, a!].map((x) => x.resource),
    );

    await tick();
    const replaced = await putActivity(user, b!.appActivityId, { visualElements: { displayText: "b, replaced" } });
    expect(replaced.status).toBe(200);
    const b2 = withoutContext(replaced.body) as Resource;
    expect(b2).toEqual({
      ...b!.resource,
      visualElements: { ...(b!.resource.visualElements as object), displayText: "b, replaced" },
      status: "updated",
      lastModifiedDateTime: expect.any(String),
      expirationDateTime: expect.any(String),
    });
    expectIncreasing([d!.resource.lastModifiedDateTime, b2.lastModifiedDateTime]);
    await expectList(user, [b2, d!.resource, c!.resource, a!.resource]);

    // The same answer under every prefix, each with its own context.
    for (const prefix of PREFIXES) {
      expectPage(await get(user, `${prefix}/me/activities`), listContext(user, prefix), [b2, d!.resource, c!.resource, a!.resource]);
    }
  });

  it("answers an empty feed with an empty value and no nextLink", async () => {
    const user = await freshUser();
    await expectList(user, []);
    await expectRecent(user, []);
  });
});

describe("GET /me/activities/recent: ordering", () => {
  it("lists only activities with items, by their newest item, under all three spellings and prefixes", async () => {
    const user = await freshUser();
    const [a, b, c, d] = (await createInSequence(user, 4)).map((x) => x.resource.id);
    // d never gets an item: it is in the list but never in /recent.
    await expectRecent(user, []);

    const b1 = await postItem(user, b!);
    const aOld = await postItem(user, a!);
    const c1 = await postItem(user, c!);
    expectIncreasing([b1, aOld, c1].map((item) => item.lastModifiedDateTime));
    await expectRecent(user, [await current(user, c!), await current(user, a!), await current(user, b!)]);

    // A newer item on a moves it first.
    const aNew = await postItem(user, a!, 1);
    expectIncreasing([c1.lastModifiedDateTime, aNew.lastModifiedDateTime]);
    await expectRecent(user, [await current(user, a!), await current(user, c!), await current(user, b!)]);

    // Deleting a's newest item orders a by its next newest, which sits between c's and b's.
    await deleteItem(user, a!, aNew.id);
    await expectRecent(user, [await current(user, c!), await current(user, a!), await current(user, b!)]);

    // Replacing b's item (a PUT of the same id) makes it b's newest: b moves first.
    await tick();
    const replaced = await call("PUT", `/v1.0/me/activities/${b!}/historyItems/${b1.id}`, { body: itemBody(7), token: user.token });
    expect(replaced.status).toBe(200);
    expectIncreasing([c1.lastModifiedDateTime, replaced.body.lastModifiedDateTime]);
    await expectRecent(user, [await current(user, b!), await current(user, c!), await current(user, a!)]);

    // With no items left, a leaves /recent but stays in the list.
    await deleteItem(user, a!, aOld.id);
    await expectRecent(user, [await current(user, b!), await current(user, c!)]);
    const list = await get(user, "/v1.0/me/activities");
    expect(list.status).toBe(200);
    expect((list.body.value as Resource[]).map((r) => r.id).sort()).toEqual([a!, b!, c!, d!].sort());
  });
});

describe("paging", () => {
  it("walks 1,000 activities with $top=37 through @odata.nextLink: each once, newest first, 28 pages", { timeout: 120_000 }, async () => {
    const user = await freshUser();
    const created = await createMany(user, 1000);
    const byId = new Map(created.map((c) => [c.resource.id, c.resource]));
    expect(byId.size).toBe(1000);

    const { pages, ids, resources } = await walk(user, "/v1.0/me/activities?$top=37", listContext(user));
    expect(pages.map((page) => page.body.value.length)).toEqual([...Array(27).fill(37), 1]);
    expect(pages.map((page) => page.body["@odata.nextLink"] !== undefined)).toEqual([...Array(27).fill(true), false]);
    for (const page of pages.slice(0, -1)) {
      const link = new URL(page.body["@odata.nextLink"]);
      expect([...link.searchParams.keys()]).toEqual(["$top", "$skiptoken"]);
      expect(link.searchParams.get("$top")).toBe("37");
    }
    expect(new Set(ids).size).toBe(1000);
    expect(ids.slice().sort()).toEqual([...byId.keys()].sort());
    // Every activity exactly as its PUT answered it, in feed order.
    expect(resources).toEqual(ids.map((id) => byId.get(id)));
    expectNewestFirst(resources);

    // The default page is 10 and the largest 200; both say there is more.
    const first = await get(user, "/v1.0/me/activities");
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      "@odata.context": listContext(user),
      value: resources.slice(0, 10),
      "@odata.nextLink": expect.stringMatching(/^https:\/\/feed\.test\/v1\.0\/me\/activities\?\$skiptoken=[^&]+$/),
    });
    const largest = await get(user, "/v1.0/me/activities?$top=200");
    expect(largest.status).toBe(200);
    expect(largest.body).toEqual({
      "@odata.context": listContext(user),
      value: resources.slice(0, 200),
      "@odata.nextLink": expect.stringMatching(/^https:\/\/feed\.test\/v1\.0\/me\/activities\?\$top=200&\$skiptoken=[^&]+$/),
    });
  });

  it("gives @odata.nextLink only when there is more", async () => {
    const user = await freshUser();
    const created = await createInSequence(user, 12);
    const newestFirst = created.map((c) => c.resource).reverse();

    const exact = await get(user, "/v1.0/me/activities?$top=12");
    expectPage(exact, listContext(user), newestFirst);
    const roomy = await get(user, "/v1.0/me/activities?$top=200");
    expectPage(roomy, listContext(user), newestFirst);

    const short = await get(user, "/v1.0/me/activities?$top=11");
    expect(short.status).toBe(200);
    expect(short.body).toEqual({
      "@odata.context": listContext(user),
      value: newestFirst.slice(0, 11),
      "@odata.nextLink": expect.stringMatching(/^https:\/\/feed\.test\/v1\.0\/me\/activities\?\$top=11&\$skiptoken=/),
    });
    expectPage(await get(user, nextPath(short.body["@odata.nextLink"])), listContext(user), newestFirst.slice(11));

    const byDefault = await get(user, "/v1.0/me/activities");
    expect(byDefault.status).toBe(200);
    expect(byDefault.body.value).toEqual(newestFirst.slice(0, 10));
    expectPage(await get(user, nextPath(byDefault.body["@odata.nextLink"])), listContext(user), newestFirst.slice(10));

    // nextLink keeps the request's prefix and path: /beta/.../recent() pages as /beta/.../recent().
    for (const c of created) await postItem(user, c.resource.id);
    const recent = await get(user, "/beta/me/activities/recent()?$top=5");
    expect(recent.status).toBe(200);
    expect(recent.body).toEqual({
      "@odata.context": recentContext("/beta"),
      value: await Promise.all(newestFirst.slice(0, 5).map((r) => current(user, r.id))),
      "@odata.nextLink": expect.stringMatching(/^https:\/\/feed\.test\/beta\/me\/activities\/recent\(\)\?\$top=5&\$skiptoken=/),
    });
  });

  it(
    "never repeats an activity and returns every untouched one while others are re-PUT, deleted and created during the walk",
    { timeout: 60_000 },
    async () => {
      const user = await freshUser();
      const created = await createMany(user, 300);
      const original = new Map(created.map((c) => [c.resource.id, c]));
      const touched = new Set<string>();
      /** For each deleted id, the page number after which its DELETE was acknowledged. */
      const deletedBefore = new Map<string, number>();
      const untouchedPool = () => [...original.keys()].filter((id) => !touched.has(id));
      const pick = (count: number) => {
        const pool = untouchedPool();
        const chosen: string[] = [];
        for (let k = 0; k < count && pool.length > 0; k++) chosen.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]!);
        chosen.forEach((id) => touched.add(id));
        return chosen;
      };
      const newIds: string[] = [];

      const between = async (page: number) => {
        const rePut = pick(4);
        const deleted = pick(3);
        await Promise.all([
          ...rePut.map(async (id) => {
            const answer = await putActivity(user, original.get(id)!.appActivityId, {
              visualElements: { displayText: `moved at ${page}` },
            });
            expect(answer.status).toBe(200);
          }),
          ...deleted.map(async (id) => {
            await deleteActivity(user, id);
            deletedBefore.set(id, page);
          }),
          ...[0, 1, 2].map(async () => newIds.push((await create(user)).resource.id)),
        ]);
      };

      const { pages, ids, resources } = await walk(user, "/v1.0/me/activities?$top=37", listContext(user), between);
      expect(new Set(ids).size).toBe(ids.length);
      const returned = new Set(ids);
      const untouched = untouchedPool();
      expect(touched.size).toBeGreaterThan(0);
      expect(untouched.filter((id) => !returned.has(id))).toEqual([]);
      // An untouched activity comes back exactly as created.
      for (const resource of resources)
        if (!touched.has(resource.id) && original.has(resource.id)) expect(resource).toEqual(original.get(resource.id)!.resource);
      // A deleted activity is not on any page fetched after its DELETE was acknowledged.
      pages.forEach((page, index) => {
        for (const r of page.body.value as Resource[]) {
          const deletedAt = deletedBefore.get(r.id);
          if (deletedAt !== undefined) expect(index, `activity ${r.id} deleted before page ${index}`).toBeLessThanOrEqual(deletedAt);
        }
      });
      expectNewestFirst(resources);
      expect(newIds.length).toBeGreaterThan(0);
    },
  );
});

describe("$filter on lastModifiedDateTime", () => {
  it("selects exactly at the boundaries with gt, ge, lt, le and their 'and' combinations", async () => {
    const user = await freshUser();
    const r = (await createInSequence(user, 5)).map((c) => c.resource);
    const t = r.map((x) => x.lastModifiedDateTime);
    const pick = (...indexes: number[]) => indexes.map((k) => r[k]!);
    const cases: [string, Resource[]][] = [
      [`lastModifiedDateTime gt ${t[1]}`, pick(4, 3, 2)],
      [`lastModifiedDateTime ge ${t[1]}`, pick(4, 3, 2, 1)],
      [`lastModifiedDateTime lt ${t[3]}`, pick(2, 1, 0)],
      [`lastModifiedDateTime le ${t[3]}`, pick(3, 2, 1, 0)],
      [`lastModifiedDateTime ge ${t[1]} and lastModifiedDateTime lt ${t[3]}`, pick(2, 1)],
      [`lastModifiedDateTime gt ${t[1]} and lastModifiedDateTime le ${t[3]}`, pick(3, 2)],
      [`lastModifiedDateTime ge ${t[2]} and lastModifiedDateTime le ${t[2]}`, pick(2)],
      [`lastModifiedDateTime gt ${t[2]} and lastModifiedDateTime lt ${t[2]}`, []],
      [`lastModifiedDateTime gt ${t[3]} and lastModifiedDateTime lt ${t[1]}`, []],
      [`lastModifiedDateTime ge ${t[0]} and lastModifiedDateTime ge ${t[2]} and lastModifiedDateTime le ${t[4]}`, pick(4, 3, 2)],
      [`lastModifiedDateTime gt ${t[4]}`, []],
      [`lastModifiedDateTime lt ${t[0]}`, []],
    ];
    for (const [filter, expected] of cases) {
      const answer = await get(user, `/v1.0/me/activities?$filter=${encodeURIComponent(filter)}`);
      expect({ filter, status: answer.status, body: answer.body }).toEqual({
        filter,
        status: 200,
        body: { "@odata.context": listContext(user), value: expected },
      });
    }

    // The same instant written with another offset and 7 fractional digits is the same boundary;
    // a bound past the millisecond (.fff9999) is past t2 itself, so ge no longer includes it.
    const t2 = Date.parse(t[2]!);
    const shifted = (beyond: string) =>
      new Date(t2 + 2 * 3_600_000).toISOString().replace(/\.(\d{3})Z$/, (_match, ms: string) => `.${ms}${beyond}+02:00`);
    expectPage(
      await get(user, `/v1.0/me/activities?$filter=${encodeURIComponent(`lastModifiedDateTime ge ${shifted("0000")}`)}`),
      listContext(user),
      pick(4, 3, 2),
    );
    expectPage(
      await get(user, `/v1.0/me/activities?$filter=${encodeURIComponent(`lastModifiedDateTime ge ${shifted("9999")}`)}`),
      listContext(user),
      pick(4, 3),
    );

    // Paging keeps the filter in nextLink.
    const filter = `lastModifiedDateTime ge ${t[1]}`;
    const { pages, resources } = await walk(user, `/v1.0/me/activities?$filter=${encodeURIComponent(filter)}&$top=2`, listContext(user));
    expect(resources).toEqual(pick(4, 3, 2, 1));
    expect(pages).toHaveLength(2);
    expect(new URL(pages[0]!.body["@odata.nextLink"]).searchParams.get("$filter")).toBe(filter);

    // /recent filters on the activity's lastModifiedDateTime too (items posted oldest activity first).
    for (const x of r) await postItem(user, x.id);
    const now = await currentNewestFirst(
      user,
      r.map((x) => x.id),
    );
    const bound = now[3]!.lastModifiedDateTime;
    expectPage(
      await get(user, `/v1.0/me/activities/recent?$filter=${encodeURIComponent(`lastModifiedDateTime le ${bound}`)}`),
      recentContext(),
      now.slice(3),
    );
  });

  it("answers 400 invalidRequest naming $filter for anything else", async () => {
    const user = await freshUser();
    await create(user);
    const bad = [
      "createdDateTime ge 2026-01-01T00:00:00Z",
      "expirationDateTime lt 2026-01-01T00:00:00Z",
      "lastModifiedDateTime eq 2026-01-01T00:00:00Z",
      "lastModifiedDateTime ne 2026-01-01T00:00:00Z",
      "lastModifiedDateTime ge 2026-01-01T00:00:00Z or lastModifiedDateTime lt 2026-02-01T00:00:00Z",
      "lastModifiedDateTime ge 2026-01-01T00:00:00Z and",
      "not lastModifiedDateTime ge 2026-01-01T00:00:00Z",
      "lastModifiedDateTime ge yesterday",
      "lastModifiedDateTime ge 2026-13-01T00:00:00Z",
      "lastModifiedDateTime ge 2026-02-30T00:00:00Z",
      "lastModifiedDateTime ge 2026-01-01",
      "lastModifiedDateTime ge 2026-01-01T00:00:00",
      "lastModifiedDateTime ge",
      "",
    ];
    for (const filter of bad) {
      for (const path of ["/v1.0/me/activities", "/v1.0/me/activities/recent"]) {
        const answer = await get(user, `${path}?$filter=${encodeURIComponent(filter)}`);
        expect(answer.status, `${path} $filter=${filter}`).toBe(400);
        expectInvalidRequest(answer, /\$filter/);
      }
    }
  });
});

const byId = (p: Resource, q: Resource) => (p.id < q.id ? -1 : p.id > q.id ? 1 : 0);

/** The activity with these items, sorted by id: the order of items inside $expand is not part of the contract. */
const withItems = (activity: Record<string, unknown>, items: Resource[]) => ({ ...activity, historyItems: items.slice().sort(byId) });

/** An answer whose activities' expanded items are sorted by id. */
const sortItems = (answer: Answer): Answer => ({
  ...answer,
  body: answer.body?.value
    ? { ...answer.body, value: answer.body.value.map((activity: Resource) => withItems(activity, activity.historyItems as Resource[])) }
    : answer.body,
});

describe("$expand=historyItems", () => {
  it("includes each activity's items, all or only those its own $filter selects, in the feed and on GET of one activity", async () => {
    const user = await freshUser();
    const [aId, bId, cId] = (await createInSequence(user, 3)).map((x) => x.resource.id);
    const a1 = await postItem(user, aId!, 1);
    const a2 = await postItem(user, aId!, 2);
    const b1 = await postItem(user, bId!, 3);
    const a3 = await postItem(user, aId!, 4);
    expectIncreasing([a1, a2, b1, a3].map((item) => item.lastModifiedDateTime));
    const x = a2.lastModifiedDateTime;

    const [a, b, c] = await Promise.all([aId, bId, cId].map((id) => current(user, id!)));

    const all = await get(user, "/v1.0/me/activities?$expand=historyItems");
    expectPage(sortItems(all), listContext(user), [withItems(c!, []), withItems(b!, [b1]), withItems(a!, [a1, a2, a3])]);
    // Without $expand there are no items.
    expectPage(await get(user, "/v1.0/me/activities"), listContext(user), [c, b, a]);

    const ge = encodeURIComponent(`historyItems($filter=lastModifiedDateTime ge ${x})`);
    expectPage(sortItems(await get(user, `/v1.0/me/activities?$expand=${ge}`)), listContext(user), [
      withItems(c!, []),
      withItems(b!, [b1]),
      withItems(a!, [a2, a3]),
    ]);
    const lt = encodeURIComponent(`historyItems($filter=lastModifiedDateTime lt ${x})`);
    expectPage(sortItems(await get(user, `/v1.0/me/activities?$expand=${lt}`)), listContext(user), [
      withItems(c!, []),
      withItems(b!, []),
      withItems(a!, [a1]),
    ]);
    const between = encodeURIComponent(
      `historyItems($filter=lastModifiedDateTime gt ${a1.lastModifiedDateTime} and lastModifiedDateTime le ${b1.lastModifiedDateTime})`,
    );
    expectPage(sortItems(await get(user, `/v1.0/me/activities/recent?$expand=${between}`)), recentContext(), [
      withItems(a!, [a2]),
      withItems(b!, [b1]),
    ]);

    // One activity: the same selection.
    const one = async (expand: string) => {
      const answer = await get(user, `/v1.0/me/activities/${a!.id}?$expand=${encodeURIComponent(expand)}`);
      return { status: answer.status, body: answer.body.historyItems ? withItems(answer.body, answer.body.historyItems) : answer.body };
    };
    expect(await one("historyItems")).toEqual({
      status: 200,
      body: { "@odata.context": entityContext(user), ...withItems(a!, [a1, a2, a3]) },
    });
    expect(await one(`historyItems($filter=lastModifiedDateTime ge ${x})`)).toEqual({
      status: 200,
      body: { "@odata.context": entityContext(user), ...withItems(a!, [a2, a3]) },
    });
    expect(await one(`historyItems($filter=lastModifiedDateTime gt ${x})`)).toEqual({
      status: 200,
      body: { "@odata.context": entityContext(user), ...withItems(a!, [a3]) },
    });
    expect(await one(`historyItems($filter=lastModifiedDateTime le ${x})`)).toEqual({
      status: 200,
      body: { "@odata.context": entityContext(user), ...withItems(a!, [a1, a2]) },
    });
  });

  it("answers 400 for an $expand it does not support or a bad $filter inside it", async () => {
    const user = await freshUser();
    const { resource } = await create(user);
    for (const path of ["/v1.0/me/activities", "/v1.0/me/activities/recent", `/v1.0/me/activities/${resource.id}`]) {
      expectInvalidRequest(await get(user, `${path}?$expand=visualElements`), /\$expand/);
      expectInvalidRequest(
        await get(user, `${path}?$expand=${encodeURIComponent("historyItems($filter=createdDateTime ge 2026-01-01T00:00:00Z)")}`),
        /\$filter/,
      );
      expectInvalidRequest(
        await get(user, `${path}?$expand=${encodeURIComponent("historyItems($filter=lastModifiedDateTime ge soon)")}`),
        /\$filter/,
      );
    }
  });
});

describe("query options", () => {
  it("answers 400 invalidRequest naming $top for 0, 201, -1, abc and other non-integers", async () => {
    const user = await freshUser();
    await create(user);
    for (const top of ["0", "201", "-1", "abc", "1.5", "", "1e2", "10000000"]) {
      for (const path of ["/v1.0/me/activities", "/v1.0/me/activities/recent"]) {
        const answer = await get(user, `${path}?$top=${encodeURIComponent(top)}`);
        expect(answer.status, `${path} $top=${top}`).toBe(400);
        expectInvalidRequest(answer, /\$top/);
      }
    }
  });

  it("answers 400 invalidRequest naming an unsupported option", async () => {
    const user = await freshUser();
    await create(user);
    const options: [string, string][] = [
      ["foo", "bar"],
      ["$skip", "1"],
      ["$search", "contoso"],
      ["$format", "json"],
    ];
    for (const [name, value] of options) {
      for (const path of ["/v1.0/me/activities", "/beta/me/activities/recent()"]) {
        const answer = await get(user, `${path}?$top=5&${name}=${encodeURIComponent(value)}`);
        expect(answer.status, `${path} ${name}`).toBe(400);
        expectInvalidRequest(answer, new RegExp(`'${name.replace("$", "\\$")}'`));
      }
    }
  });
});

describe("$skiptoken", () => {
  /** Replaces the character at `index` with another base64url character. */
  const mutate = (text: string, index: number) => `${text.slice(0, index)}${text[index] === "A" ? "B" : "A"}${text.slice(index + 1)}`;

  it("answers 400 invalidRequest for a tampered, garbage or foreign token, and for one reused with another query", async () => {
    const user = await freshUser();
    const other = await freshUser();
    const otherApp = await freshUser(OTHER_APP);
    const sameUserOtherApp: User = { oid: user.oid, app: OTHER_APP, token: await mintToken({ user: user.oid, app: OTHER_APP }) };
    const r = (await createInSequence(user, 5)).map((c) => c.resource);
    await createInSequence(other, 3);
    await createInSequence(otherApp, 3);
    await createInSequence(sameUserOtherApp, 3);

    const first = await get(user, "/v1.0/me/activities?$top=2");
    expect(first.body.value).toEqual([r[4], r[3]]);
    const token = skiptokenOf(first.body["@odata.nextLink"]);
    // The genuine token works: the control for every rejection below.
    expect((await get(user, `/v1.0/me/activities?$top=2&$skiptoken=${encodeURIComponent(token)}`)).body.value).toEqual([r[2], r[1]]);

    const [payload, signature] = token.split(".") as [string, string];
    expect(signature).toBeDefined();
    const forged = [
      `${mutate(payload, 0)}.${signature}`,
      `${mutate(payload, Math.floor(payload.length / 2))}.${signature}`,
      `${payload}.${mutate(signature, 0)}`,
      `${payload}.${mutate(signature, Math.floor(signature.length / 2))}`,
      `${payload}.`,
      payload,
      `${token}.${signature}`,
      `${btoa(JSON.stringify({ view: "activities", range: [-9007199254740991, 9007199254740991], sortMs: 0, activityId: "9" })).replace(/=+$/, "")}.${signature}`,
      "garbage",
      "",
      "%%%",
      "a.b",
      "....",
      "\u00e9.\u00e9",
    ];
    for (const bad of forged) {
      const answer = await get(user, `/v1.0/me/activities?$top=2&$skiptoken=${encodeURIComponent(bad)}`);
      expect(answer.status, `$skiptoken=${bad}`).toBe(400);
      expectInvalidRequest(answer, /\$skiptoken/);
    }

    // Another user's, or another app's, genuine token does not open this feed, nor this one theirs.
    for (const stranger of [other, otherApp, sameUserOtherApp]) {
      const theirs = await get(stranger, "/v1.0/me/activities?$top=2");
      const theirToken = skiptokenOf(theirs.body["@odata.nextLink"]);
      expect((await get(stranger, `/v1.0/me/activities?$top=2&$skiptoken=${encodeURIComponent(theirToken)}`)).status).toBe(200);
      expectInvalidRequest(await get(user, `/v1.0/me/activities?$top=2&$skiptoken=${encodeURIComponent(theirToken)}`), /\$skiptoken/);
      expectInvalidRequest(await get(stranger, `/v1.0/me/activities?$top=2&$skiptoken=${encodeURIComponent(token)}`), /\$skiptoken/);
    }

    // A token is bound to its $filter and its view.
    const filter = encodeURIComponent(`lastModifiedDateTime ge ${r[0]!.lastModifiedDateTime}`);
    const otherFilter = encodeURIComponent(`lastModifiedDateTime ge ${r[1]!.lastModifiedDateTime}`);
    const filtered = await get(user, `/v1.0/me/activities?$filter=${filter}&$top=2`);
    const filteredToken = encodeURIComponent(skiptokenOf(filtered.body["@odata.nextLink"]));
    expect((await get(user, `/v1.0/me/activities?$filter=${filter}&$top=2&$skiptoken=${filteredToken}`)).body.value).toEqual([r[2], r[1]]);
    expectInvalidRequest(await get(user, `/v1.0/me/activities?$filter=${otherFilter}&$top=2&$skiptoken=${filteredToken}`), /\$skiptoken/);
    expectInvalidRequest(await get(user, `/v1.0/me/activities?$top=2&$skiptoken=${filteredToken}`), /\$skiptoken/);
    expectInvalidRequest(
      await get(user, `/v1.0/me/activities?$filter=${filter}&$top=2&$skiptoken=${encodeURIComponent(token)}`),
      /\$skiptoken/,
    );
    for (const x of r) await postItem(user, x.id);
    expectInvalidRequest(await get(user, `/v1.0/me/activities/recent?$top=2&$skiptoken=${encodeURIComponent(token)}`), /\$skiptoken/);
  });
});

describe("$skiptoken, one character at a time", () => {
  const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  it("rejects the issued token with any single character changed, the last one included", { timeout: 30_000 }, async () => {
    const user = await freshUser();
    const r = (await createInSequence(user, 3)).map((c) => c.resource);
    const first = await get(user, "/v1.0/me/activities?$top=1");
    const token = skiptokenOf(first.body["@odata.nextLink"]);
    const page = (skiptoken: string) => get(user, `/v1.0/me/activities?$top=1&$skiptoken=${encodeURIComponent(skiptoken)}`);
    expect((await page(token)).body.value).toEqual([r[1]]);

    // Flipping a character's lowest bit: at the end of a base64url part those bits may be padding.
    const dot = token.indexOf(".");
    const variants = [...token].flatMap((char, index) => {
      if (index === dot) return [];
      const flipped = ALPHABET[ALPHABET.indexOf(char) ^ 1]!;
      const where =
        index < dot ? `payload character ${index + 1} of ${dot}` : `signature character ${index - dot} of ${token.length - dot - 1}`;
      return [{ where, text: `${token.slice(0, index)}${flipped}${token.slice(index + 1)}` }];
    });
    const accepted: string[] = [];
    for (let start = 0; start < variants.length; start += 25) {
      const batch = variants.slice(start, start + 25);
      const answers = await Promise.all(batch.map((variant) => page(variant.text)));
      answers.forEach((answer, k) => {
        if (answer.status !== 400) accepted.push(`${batch[k]!.where} changed: ${answer.status}`);
        else expectInvalidRequest(answer, /\$skiptoken/);
      });
    }
    expect(accepted).toEqual([]);
  });
});

describe("read-your-writes", () => {
  it("shows a PUT, a re-PUT, a DELETE and an item POST in the very next read", async () => {
    const user = await freshUser();
    const listed: Resource[] = [];
    for (let k = 0; k < 5; k++) {
      const { resource } = await create(user);
      listed.unshift(resource);
      await expectList(user, listed);
    }
    const appActivityId = freshAppActivityId();
    const created = await putActivity(user, appActivityId);
    expect(created.status).toBe(201);
    await expectList(user, [withoutContext(created.body), ...listed]);
    await tick();
    const replaced = await putActivity(user, appActivityId, { visualElements: { displayText: "replaced" } });
    expect(replaced.status).toBe(200);
    expect(Date.parse(replaced.body.lastModifiedDateTime)).toBeGreaterThan(Date.parse(created.body.lastModifiedDateTime));
    await expectList(user, [withoutContext(replaced.body), ...listed]);

    await deleteActivity(user, replaced.body.id);
    await expectList(user, listed);
    await deleteActivity(user, listed[2]!.id);
    listed.splice(2, 1);
    await expectList(user, listed);

    const recent: string[] = [];
    for (const r of [listed[3]!, listed[0]!, listed[2]!, listed[3]!]) {
      await postItem(user, r.id);
      if (recent.includes(r.id)) recent.splice(recent.indexOf(r.id), 1);
      recent.unshift(r.id);
      await expectRecent(user, await Promise.all(recent.map((id) => current(user, id))));
    }
  });
});

describe("the index unreachable during writes", () => {
  it(
    "acknowledges the writes, then the alarm delivers each exactly once, in order, and empties the outbox",
    { timeout: 30_000 },
    async () => {
      const user = await freshUser();
      const before = await create(user);
      await expectList(user, [before.resource]);

      const feed = feedOf(user);
      await runInDurableObject(feed, (instance) => {
        (instance as unknown as { apply: unknown }).apply = async () => {
          throw new Error("down");
        };
      });
      let restored = false;
      try {
        const written: Created[] = [];
        for (let k = 0; k < 5; k++) {
          await tick();
          const startedAt = Date.now();
          const appActivityId = freshAppActivityId();
          const answer = await putActivity(user, appActivityId, { visualElements: { displayText: `written while down ${k}` } });
          expect(answer.status).toBe(201);
          written.push({ appActivityId, resource: withoutContext(answer.body) as Resource });
          // The failed push left the update for the alarm, about a second out.
          const alarm = await runInDurableObject(activityOf(user, answer.body.id), (_instance, state) => state.storage.getAlarm());
          expect(alarm).toBeGreaterThanOrEqual(startedAt + 1000);
          expect(alarm).toBeLessThanOrEqual(Date.now() + 1100);
        }
        expectIncreasing(written.map((w) => w.resource.lastModifiedDateTime));
        const item = await postItem(user, before.resource.id);
        const all = [before.resource.id, ...written.map((w) => w.resource.id)];
        // Each waits in its outbox, one attempt failed.
        for (const id of all) {
          expect(await activitySql(user, id, OUTBOX_STATE)).toEqual([
            { retry_at_ms: expect.any(Number), attempts: 1, acknowledged: 0, activity_acknowledged: 0 },
          ]);
        }

        // The feed still shows what it had: the earlier activity, nothing in /recent.
        await expectList(user, [before.resource]);
        await expectRecent(user, []);

        await runInDurableObject(feed, (instance) => {
          delete (instance as unknown as { apply?: unknown }).apply;
        });
        restored = true;
        for (const id of all) expect(await runDurableObjectAlarm(activityOf(user, id))).toBe(true);

        // Each as its own object holds it, newest first: the written five, newest first, and the earlier one.
        const expectedList = await currentNewestFirst(user, all);
        expect(expectedList.slice(0, 5)).toEqual(written.map((w) => w.resource).reverse());
        await expectList(user, expectedList);
        await expectRecent(user, [await current(user, before.resource.id)]);
        const withItem = await get(user, `/v1.0/me/activities/recent?$expand=historyItems`);
        expect(withItem.body.value[0].historyItems).toEqual([item]);
        for (const id of all) expect(await activitySql(user, id, OUTBOX_STATE)).toEqual(NOTHING_PENDING);
        const entries = await feedSql(user, "SELECT activity_id, version FROM feed_entry ORDER BY activity_id");
        expect(entries.map((e) => e.activity_id)).toEqual(all.slice().sort());

        // A second alarm run changes nothing.
        for (const id of all) await runDurableObjectAlarm(activityOf(user, id));
        await expectList(user, expectedList);
        await expectRecent(user, [await current(user, before.resource.id)]);
        for (const id of all) expect(await activitySql(user, id, OUTBOX_STATE)).toEqual(NOTHING_PENDING);
        expect(await feedSql(user, "SELECT activity_id, version FROM feed_entry ORDER BY activity_id")).toEqual(entries);
      } finally {
        if (!restored) {
          await runInDurableObject(feed, (instance) => {
            delete (instance as unknown as { apply?: unknown }).apply;
          });
        }
      }
    },
  );

  it("a DELETE made while the index is down reaches it on retry", async () => {
    const user = await freshUser();
    const [a, b] = await createInSequence(user, 2);
    await postItem(user, a!.resource.id);
    await expectRecent(user, [await current(user, a!.resource.id)]);
    const feed = feedOf(user);
    await runInDurableObject(feed, (instance) => {
      (instance as unknown as { apply: unknown }).apply = async () => {
        throw new Error("down");
      };
    });
    try {
      await deleteActivity(user, a!.resource.id);
    } finally {
      await runInDurableObject(feed, (instance) => {
        delete (instance as unknown as { apply?: unknown }).apply;
      });
    }
    expect(await activitySql(user, a!.resource.id, OUTBOX_STATE)).toEqual([
      { retry_at_ms: expect.any(Number), attempts: 1, acknowledged: 0, activity_acknowledged: 0 },
    ]);
    expect(await runDurableObjectAlarm(activityOf(user, a!.resource.id))).toBe(true);
    await expectList(user, [b!.resource]);
    await expectRecent(user, []);
    // Delivered, the deletion leaves its object nothing to keep: no outbox, nor anything else.
    expect(await storageOf(activityOf(user, a!.resource.id))).toEqual(HOLDS_NOTHING);
  });
});

describe("out-of-order delivery", () => {
  /** The stored form of a listed activity, as an activity object sends it to its feed. */
  const recordOf = (resource: Resource, displayText: string): ActivityRecord => {
    const {
      id,
      appActivityId,
      status,
      createdDateTime,
      lastModifiedDateTime: _lastModified,
      expirationDateTime,
      historyItems: _items,
      ...content
    } = resource as Record<string, any>;
    return {
      id,
      appActivityId,
      content: JSON.stringify({ ...content, visualElements: { ...content.visualElements, displayText } }),
      status,
      createdMs: Date.parse(createdDateTime),
      // Newer-looking than anything listed, so only the version can keep it out.
      lastModifiedMs: Date.now() + 60_000,
      expirationMs: Date.parse(expirationDateTime),
    };
  };
  const versionOf = async (user: User, activityId: string) =>
    (await activitySql(user, activityId, "SELECT version FROM feed_outbox"))[0]!.version as number;

  it("never lets an older update overwrite a newer one", async () => {
    const user = await freshUser();
    const [a, b] = await createInSequence(user, 2);
    await postItem(user, a!.resource.id);
    const listBefore = await currentNewestFirst(user, [a!.resource.id, b!.resource.id]);
    const recentBefore = [await current(user, a!.resource.id)];
    await expectList(user, listBefore);
    const version = await versionOf(user, a!.resource.id);
    expect(version).toBeGreaterThanOrEqual(2);
    const feed = feedOf(user);

    for (const stale of [version - 1, version, 0]) {
      const update: FeedUpdate = {
        activityId: a!.resource.id,
        version: stale,
        activity: recordOf(a!.resource, `stale ${stale}`),
        recentMs: null,
      };
      await feed.apply(update, callerOf(user));
      await expectList(user, listBefore);
      await expectRecent(user, recentBefore);
    }
    // A stale delete does not remove it either.
    await feed.apply({ activityId: a!.resource.id, version: version - 1, activity: null, recentMs: null }, callerOf(user));
    await expectList(user, listBefore);

    // The control: a newer version does take effect, so the checks above could fail.
    await feed.apply(
      { activityId: a!.resource.id, version: version + 1, activity: recordOf(a!.resource, "newer"), recentMs: null },
      callerOf(user),
    );
    const list = await get(user, "/v1.0/me/activities");
    expect(list.body.value.map((r: Resource) => [r.id, (r.visualElements as { displayText: string }).displayText])).toEqual([
      [a!.resource.id, "newer"],
      [b!.resource.id, "activity 1"],
    ]);
  });

  it("does not resurrect a deleted activity from a late, older update", async () => {
    const user = await freshUser();
    const [a, b] = await createInSequence(user, 2);
    await postItem(user, a!.resource.id);
    const beforeDelete = await versionOf(user, a!.resource.id);
    await deleteActivity(user, a!.resource.id);
    // The deletion's version as its tombstone holds it: the object, its feed up to date, kept nothing.
    const [tombstone] = await feedSql(user, "SELECT version, activity FROM feed_entry WHERE activity_id = ?", a!.resource.id);
    expect(tombstone).toEqual({ version: expect.any(Number), activity: null });
    const deletedVersion = tombstone!.version as number;
    expect(deletedVersion).toBeGreaterThan(beforeDelete);
    await expectList(user, [b!.resource]);

    const feed = feedOf(user);
    for (const late of [beforeDelete, deletedVersion - 1, deletedVersion]) {
      await feed.apply(
        { activityId: a!.resource.id, version: late, activity: recordOf(a!.resource, "late"), recentMs: Date.now() },
        callerOf(user),
      );
      await expectList(user, [b!.resource]);
      await expectRecent(user, []);
    }
    // Re-creating it later is a newer version and shows again.
    await tick();
    const again = await putActivity(user, a!.appActivityId);
    expect(again.status).toBe(201);
    await expectList(user, [withoutContext(again.body), b!.resource]);
  });
});

describe("deleted and expired activities leave the feed", () => {
  it("a DELETE removes the activity from the list and /recent", async () => {
    const user = await freshUser();
    const [a, b, c] = await createInSequence(user, 3);
    for (const x of [a, b, c]) await postItem(user, x!.resource.id);
    await expectRecent(
      user,
      await currentNewestFirst(
        user,
        [a, b, c].map((x) => x!.resource.id),
      ),
    );
    await deleteActivity(user, b!.resource.id);
    const remaining = await currentNewestFirst(user, [a!.resource.id, c!.resource.id]);
    await expectList(user, remaining);
    await expectRecent(user, remaining);
  });

  it("an activity is out of the list and /recent from the instant it expires, and its alarm tombstones it", async () => {
    const user = await freshUser();
    const [a, b] = await createInSequence(user, 2);
    for (const x of [a, b]) await postItem(user, x!.resource.id);
    const before = await currentNewestFirst(user, [a!.resource.id, b!.resource.id]);
    await expectList(user, before);

    // Time reaches a's expiry: in its object and in the feed's copy, with no alarm run yet.
    const past = Date.now() - 1;
    await activitySql(user, a!.resource.id, "UPDATE activity SET expiration_ms = ?", past);
    await feedSql(user, "UPDATE feed_entry SET expiration_ms = ? WHERE activity_id = ?", past, a!.resource.id);
    const rest = before.filter((r) => r.id !== a!.resource.id);
    await expectList(user, rest);
    await expectRecent(user, rest);
    expect((await get(user, `/v1.0/me/activities/${a!.resource.id}`)).status).toBe(404);

    expect(await runDurableObjectAlarm(activityOf(user, a!.resource.id))).toBe(true);
    expect(await feedSql(user, "SELECT activity, recent_ms FROM feed_entry WHERE activity_id = ?", a!.resource.id)).toEqual([
      { activity: null, recent_ms: null },
    ]);
    await expectList(user, rest);
    await expectRecent(user, rest);
  });

  it("an expired history item no longer orders /recent once the alarm sweeps it", async () => {
    const user = await freshUser();
    const [a, b] = (await createInSequence(user, 2)).map((x) => x.resource.id);
    await postItem(user, a!);
    const bOld = await postItem(user, b!);
    const aNew = await postItem(user, a!, 1);
    expectIncreasing([bOld, aNew].map((item) => item.lastModifiedDateTime));
    await expectRecent(user, [await current(user, a!), await current(user, b!)]);

    // a's newest item expires: a falls back to its older item, behind b.
    await activitySql(user, a!, "UPDATE history_item SET expiration_ms = ? WHERE id = ?", Date.now() - 1, aNew.id);
    expect(await runDurableObjectAlarm(activityOf(user, a!))).toBe(true);
    await expectRecent(user, [await current(user, b!), await current(user, a!)]);

    // b's only item expires: b leaves /recent and stays in the list.
    await activitySql(user, b!, "UPDATE history_item SET expiration_ms = ? WHERE id = ?", Date.now() - 1, bOld.id);
    expect(await runDurableObjectAlarm(activityOf(user, b!))).toBe(true);
    await expectRecent(user, [await current(user, a!)]);
    await expectList(user, await currentNewestFirst(user, [a!, b!]));
  });

  it("an expired activity leaves the list and /recent once its alarm runs", async () => {
    const user = await freshUser();
    const [a, b, c] = await createInSequence(user, 3);
    for (const x of [a, b, c]) await postItem(user, x!.resource.id);
    const all = await currentNewestFirst(
      user,
      [a, b, c].map((x) => x!.resource.id),
    );
    await expectList(user, all);
    await expectRecent(user, all);

    await activitySql(user, b!.resource.id, "UPDATE activity SET expiration_ms = ?", Date.now() - 1000);
    expect(await runDurableObjectAlarm(activityOf(user, b!.resource.id))).toBe(true);

    const remaining = all.filter((r) => r.id !== b!.resource.id);
    await expectList(user, remaining);
    await expectRecent(user, remaining);
    expect((await get(user, `/v1.0/me/activities/${b!.resource.id}`)).status).toBe(404);
    expect(await storageOf(activityOf(user, b!.resource.id))).toEqual(HOLDS_NOTHING);
  });
});

describe("partitioning", () => {
  it("another user, or the same user through another app, sees none of it", async () => {
    const user = await freshUser();
    const created = await createInSequence(user, 3);
    for (const c of created) await postItem(user, c.resource.id);
    const mine = await currentNewestFirst(
      user,
      created.map((c) => c.resource.id),
    );
    await expectList(user, mine);
    await expectRecent(user, mine);

    const other = await freshUser();
    const otherApp: User = { oid: user.oid, app: OTHER_APP, token: await mintToken({ user: user.oid, app: OTHER_APP }) };
    for (const stranger of [other, otherApp]) {
      for (const prefix of PREFIXES) {
        expectPage(await get(stranger, `${prefix}/me/activities`), listContext(stranger, prefix), []);
        expectPage(await get(stranger, `${prefix}/me/activities?$expand=historyItems`), listContext(stranger, prefix), []);
      }
      await expectRecent(stranger, []);
    }
  });
});
