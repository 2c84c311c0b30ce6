import { exports } from "cloudflare:workers";
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { limits } from "../src/limits";
import { activityIdFor } from "../src/objects/addresses";
import type { ActivityRecord } from "../src/objects/records";
import { toActivityContent, toActivityResource } from "../src/schemas/activity";
import { toHistoryItemResource } from "../src/schemas/history-item";
import {
  activityPath,
  type Answer,
  appActivityPath,
  call,
  DAY_MS,
  freshAppActivityId,
  GUID,
  historyItemPath,
  historyItemsPath,
  ISO_MS,
  ORIGIN,
} from "./support/api";
import { activityBody } from "./support/builders";
import {
  activitiesContext,
  errorAnswer,
  expectGraphError,
  historyItemContext,
  historyItemsContext,
  jsonAnswer,
  seen,
  thirtyDaysAfter,
  withoutContext,
} from "./support/graph";
import { activityStub, alarmAfterRetry, alarmOf, feedStub, NOTHING_PENDING, OUTBOX_STATE, sqlIn } from "./support/objects";
import { callerFor } from "./support/tokens";

// Each test has a user of its own, so that its feed and its objects are its own.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The server path (and query) of an absolute @odata.nextLink. */
const pathOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

/** @odata.context of /recent. */
const RECENT_CONTEXT = `${ORIGIN}/v1.0/$metadata#Collection(microsoft.graph.userActivity)`;

/** PUTs a fresh activity for `user`; the answer, which must be a 201. */
async function putActivity(user: string, overrides: Record<string, unknown> = {}): Promise<Answer> {
  const answer = await call("PUT", appActivityPath(freshAppActivityId()), { as: { user }, body: activityBody(overrides) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer;
}

/** What the service answers for a history item written from `{ id?, startedDateTime, expirationDateTime? }`. */
const itemResource = (user: string, activityId: string, itemId: unknown, started: string, expiration: unknown) => ({
  "@odata.context": historyItemContext(activityId, { user }),
  id: itemId,
  status: "active",
  userTimezone: null,
  createdDateTime: expect.stringMatching(ISO_MS),
  lastModifiedDateTime: expect.stringMatching(ISO_MS),
  startedDateTime: started,
  lastActiveDateTime: null,
  expirationDateTime: expiration,
  activeDurationSeconds: null,
});

const activityNotFound = (id: string) => `The activity '${id}' does not exist.`;

/** The ids of the items an activity's object holds, expired or not. */
const storedItemIds = async (user: string, activityId: string) =>
  (await sqlIn(activityStub(activityId, callerFor({ user })), "SELECT id FROM history_item ORDER BY id")).map((row) => row.id);

/**
 * Expects the activity's alarm, once run (a due alarm runs at once by itself, or here), to have
 * swept every item but `kept` and re-armed at `nextMs`: only an alarm deletes expired items.
 */
async function expectSweptByAlarm(user: string, activityId: string, kept: string[], nextMs: number) {
  const stub = activityStub(activityId, callerFor({ user }));
  await runDurableObjectAlarm(stub); // false when it has already run by itself
  const expected = { items: [...kept].sort(), alarm: nextMs };
  let state = { items: await storedItemIds(user, activityId), alarm: await alarmOf(stub) };
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && JSON.stringify(state) !== JSON.stringify(expected); await sleep(50)) {
    state = { items: await storedItemIds(user, activityId), alarm: await alarmOf(stub) };
  }
  expect(state).toEqual(expected);
}

/**
 * Holds every push to this user's feed open until released (on the prototype, for this one feed
 * instance: RPC refuses a method set on the instance). A held call polls a flag, because promises
 * do not cross objects' I/O contexts; released, it fails as a dropped connection would.
 */
async function holdFeedPushes(user: string) {
  const hold = { hanging: true, held: 0 };
  const feed = feedStub(callerFor({ user }));
  const restore = await runInDurableObject(feed, (instance) => {
    const prototype = Object.getPrototypeOf(instance) as { apply: (...args: unknown[]) => Promise<void> };
    const apply = prototype.apply;
    prototype.apply = function (this: unknown, ...args: unknown[]) {
      if (this !== instance || !hold.hanging) return apply.apply(this, args);
      hold.held++;
      return (async () => {
        while (hold.hanging) await sleep(20);
        throw new Error("connection dropped");
      })();
    };
    return () => {
      prototype.apply = apply;
    };
  });
  return {
    hold,
    release: async () => {
      hold.hanging = false;
      await runInDurableObject(feedStub(callerFor({ user })), () => restore());
    },
  };
}

// ---------------------------------------------------------------------------------------------
describe("1. a past expiry, before 1970 too: 201 with the write stored, invisible at once, swept by the alarm", () => {
  // workerd refuses an alarm at or before 1970; after it, a past alarm fires at once.
  const PAST = [
    "0001-01-01T00:00:00.000Z",
    "1600-01-01T00:00:00.000Z",
    "1969-12-31T23:59:59.999Z",
    "1970-01-01T00:00:00.000Z",
    "2016-11-29T20:54:04.345Z",
  ];
  const STARTED = "1600-01-01T00:00:00.000Z";

  it.each(PAST)("POST and PUT of an item expiring %s", async (expiration) => {
    const user = crypto.randomUUID();
    const id = (await putActivity(user)).body.id;
    const posted = await call("POST", historyItemsPath(id), {
      as: { user },
      body: { startedDateTime: STARTED, expirationDateTime: expiration },
    });
    expect(seen(posted)).toEqual(jsonAnswer(201, itemResource(user, id, expect.stringMatching(GUID), STARTED, expiration), posted));
    const putId = crypto.randomUUID();
    const put = await call("PUT", historyItemPath(id, putId), {
      as: { user },
      body: { startedDateTime: STARTED, expirationDateTime: expiration },
    });
    expect(seen(put)).toEqual(jsonAnswer(201, itemResource(user, id, putId, STARTED, expiration), put));

    for (const itemId of [posted.body.id, putId]) {
      expectGraphError(
        await call("GET", historyItemPath(id, itemId), { as: { user } }),
        404,
        "itemNotFound",
        `The history item '${itemId}' does not exist.`,
      );
    }
    const list = await call("GET", historyItemsPath(id), { as: { user } });
    expect(seen(list)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(id, { user }), value: [] }, list));

    // Stored: the alarm (set for now, as workerd accepts none before 1970) finds the items and sweeps them.
    const activity = await call("GET", activityPath(id), { as: { user } });
    expect(activity.status).toBe(200);
    await expectSweptByAlarm(user, id, [], Date.parse(activity.body.expirationDateTime));
  });

  it("a deep insert of a new activity with an item expiring in 1600: 201 with the items, the alarm set, the item swept", async () => {
    const user = crypto.randomUUID();
    const itemIds = [crypto.randomUUID(), crypto.randomUUID()];
    const put = await call("PUT", appActivityPath(freshAppActivityId()), {
      as: { user },
      body: activityBody({
        historyItems: [
          { id: itemIds[0], startedDateTime: STARTED, expirationDateTime: "1600-01-01T00:00:00Z" },
          { id: itemIds[1], startedDateTime: STARTED },
        ],
      }),
    });
    expect(put.status).toBe(201);
    const id = put.body.id;
    expect(put.body.historyItems).toEqual([
      withoutContext(itemResource(user, id, itemIds[0], STARTED, "1600-01-01T00:00:00.000Z")),
      withoutContext(itemResource(user, id, itemIds[1], STARTED, thirtyDaysAfter(put.body.createdDateTime))),
    ]);
    await expectSweptByAlarm(user, id, [itemIds[1]!], Date.parse(put.body.expirationDateTime));
    // The object goes on arming after the moved alarm: an item expiring sooner moves the alarm to it.
    const soon = new Date(Date.now() + DAY_MS).toISOString();
    const later = await call("PUT", historyItemPath(id, crypto.randomUUID()), {
      as: { user },
      body: { startedDateTime: STARTED, expirationDateTime: soon },
    });
    expect(later.status).toBe(201);
    expect(await alarmAfterRetry(activityStub(id, callerFor({ user })))).toBe(Date.parse(soon));
  });
});

// ---------------------------------------------------------------------------------------------
describe("2. a crash between the commit and the feed push", () => {
  it("the retry is durable from the commit: after abortAllDurableObjects mid-push, the alarm delivers and the feed lists the activity", async () => {
    const user = crypto.randomUUID();
    const caller = callerFor({ user });
    const { hold, release } = await holdFeedPushes(user);
    try {
      const appActivityId = freshAppActivityId();
      const id = await activityIdFor(caller, appActivityId);
      const writing = call("PUT", appActivityPath(appActivityId), { as: { user }, body: activityBody() });
      while (hold.held === 0) await sleep(5);
      // The write has committed and its push is under way: everything crashes now.
      await abortAllDurableObjects();
      const put = await writing;
      expectGraphError(put, 503, "serviceNotAvailable", "The activity store is briefly unavailable; retry the request.");
      expect(put.headers.get("Retry-After")).toBe("1");
      hold.hanging = false;

      // The activity is stored, but the crash took its push: the feed has not heard of it.
      const stored = await call("GET", activityPath(id), { as: { user } });
      expect(stored.status).toBe(200);
      const unlisted = await call("GET", "/v1.0/me/activities", { as: { user } });
      expect(seen(unlisted)).toEqual(jsonAnswer(200, { "@odata.context": activitiesContext({ user }), value: [] }, unlisted));

      // The write's own commit scheduled the retry, and set the alarm for it.
      const pending = await runInDurableObject(activityStub(id, caller), async (_instance, state) => ({
        outbox: state.storage.sql.exec("SELECT version, retry_at_ms FROM feed_outbox").toArray(),
        alarm: await state.storage.getAlarm(),
      }));
      // Its version is the write's instant in microseconds (the first change of a new activity).
      const version = Date.parse(stored.body.createdDateTime) * 1000;
      expect(pending).toEqual({ outbox: [{ version, retry_at_ms: pending.alarm }], alarm: expect.any(Number) });

      // Due in a few seconds; run it now (false only if it has just run by itself).
      await runDurableObjectAlarm(activityStub(id, caller));
      const listed = await call("GET", "/v1.0/me/activities", { as: { user } });
      expect(seen(listed)).toEqual(
        jsonAnswer(200, { "@odata.context": activitiesContext({ user }), value: [withoutContext(stored.body)] }, listed),
      );
      const settled = await runInDurableObject(activityStub(id, caller), async (_instance, state) => ({
        outbox: state.storage.sql.exec(OUTBOX_STATE).toArray(),
        alarm: await state.storage.getAlarm(),
      }));
      expect(settled).toEqual({ outbox: NOTHING_PENDING, alarm: Date.parse(stored.body.expirationDateTime) });
    } finally {
      await release();
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("3. pages bounded by size as well as count", () => {
  /** Follows @odata.nextLink from `path` to the end: every page's activities, and each page's size in characters of JSON. */
  async function walk(user: string, path: string) {
    const context = path.includes("/recent") ? RECENT_CONTEXT : activitiesContext({ user });
    const pages: { activities: Record<string, unknown>[]; chars: number }[] = [];
    for (let next: string | undefined = path; next !== undefined;) {
      const page = await call("GET", next, { as: { user } });
      expect({ status: page.status, context: page.body["@odata.context"] }, JSON.stringify(page.body).slice(0, 300)).toEqual({
        status: 200,
        context,
      });
      pages.push({ activities: page.body.value, chars: JSON.stringify(page.body.value).length });
      const link = page.body["@odata.nextLink"];
      next = link === undefined ? undefined : pathOf(link);
    }
    return pages;
  }

  /** More than one page, each with at least one activity and at most limits.pageChars of them. */
  function expectBounded(pages: { activities: unknown[]; chars: number }[]) {
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) {
      expect(page.activities.length).toBeGreaterThanOrEqual(1);
      expect(page.chars).toBeLessThanOrEqual(limits.pageChars);
    }
  }

  it("140 activities of ~240 KiB with $top=200 (33 MiB, over the 32 MiB an RPC result may carry): shorter pages, each activity once, newest first", async () => {
    const user = crypto.randomUUID();
    // The feed's index is written as the activities' objects write it, without the objects: only listing is under test here.
    const now = Date.now();
    const records: ActivityRecord[] = Array.from({ length: 140 }, (_, n) => ({
      id: String(1000 + n),
      appActivityId: `/large?${n}`,
      content: JSON.stringify(toActivityContent(activityBody({ contentInfo: { n, pad: "x".repeat(240 * 1024) } }) as never)),
      status: "active",
      createdMs: now - n,
      lastModifiedMs: now - n,
      expirationMs: now - n + 30 * DAY_MS,
    }));
    const owner = callerFor({ user });
    const feed = feedStub(owner);
    await Promise.all(
      records.map((activity) => feed.apply({ activityId: activity.id, version: 1, activity, recentMs: activity.lastModifiedMs }, owner)),
    );
    const pages = await walk(user, "/v1.0/me/activities?$top=200");
    expectBounded(pages);
    expect(pages.flatMap((page) => page.activities)).toEqual(records.map(toActivityResource));
  });

  it("$expand of activities with 1,000 items each: pages cut by the items' size too, each activity once with all its items", async () => {
    const user = crypto.randomUUID();
    const caller = callerFor({ user });
    // 10 activities of 1,000 items of about 600 characters each: 6 MB expanded, in a feed of 10 small rows.
    const expected: Record<string, unknown>[] = [];
    for (let n = 0; n < 10; n++) {
      const appActivityId = freshAppActivityId();
      const id = await activityIdFor(caller, appActivityId);
      const historyItems = Array.from({ length: 1000 }, () => ({
        id: crypto.randomUUID(),
        startedMs: Date.parse("2026-01-01T00:00:00Z"),
        lastActiveMs: null,
        activeDurationSeconds: null,
        activeDurationComputed: false,
        expirationMs: null,
        userTimezone: "z".repeat(limits.timezoneChars),
      }));
      // Straight to the object, as the PUT route would send it (the route takes at most 100 items a request).
      const content = JSON.stringify(toActivityContent(activityBody() as never));
      const result = await activityStub(id, caller).putActivity({ owner: caller, id, appActivityId, content, historyItems });
      if (result.kind !== "created") throw new Error(`not created: ${result.kind}`);
      // The items as $expand lists them: most recently modified first (here all at once), then by id, descending.
      const items = result.historyItems.map(toHistoryItemResource).sort((a, b) => b.id.localeCompare(a.id));
      expected.unshift({ ...toActivityResource(result.activity), historyItems: items });
      await sleep(2); // distinct lastModifiedDateTime, so the activities' order is by time alone
    }
    for (const path of ["/v1.0/me/activities?$expand=historyItems", "/v1.0/me/activities/recent?$top=200&$expand=historyItems"]) {
      const pages = await walk(user, path);
      expectBounded(pages);
      expect(pages.flatMap((page) => page.activities)).toEqual(expected);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("4. $filter bounds with a fraction beyond the millisecond", () => {
  it("lt, le, gt and ge compare exactly: an item modified at …01.408 is below …01.4081 and not at or above it", async () => {
    const user = crypto.randomUUID();
    const activity = await putActivity(user);
    const id = activity.body.id;
    const item = await call("PUT", historyItemPath(id, crypto.randomUUID()), {
      as: { user },
      body: { startedDateTime: "2026-01-01T00:00:00Z" },
    });
    expect(item.status).toBe(201);
    const at = item.body.lastModifiedDateTime as string; // …ss.fffZ
    const beyond = (digits: string) => at.replace("Z", `${digits}Z`);
    const cases: [string, boolean][] = [
      [`lt ${beyond("1")}`, true],
      [`lt ${beyond("0001")}`, true],
      [`le ${beyond("1")}`, true],
      [`gt ${beyond("1")}`, false],
      [`ge ${beyond("1")}`, false],
      [`ge ${beyond("9999")}`, false],
      [`lt ${at}`, false],
      [`le ${at}`, true],
      [`ge ${at}`, true],
      [`gt ${at}`, false],
      [`ge ${beyond("0000")}`, true],
      [`lt ${beyond("0000")}`, false],
    ];
    for (const [condition, included] of cases) {
      const filter = encodeURIComponent(`lastModifiedDateTime ${condition}`);
      const list = await call("GET", `${historyItemsPath(id)}?$filter=${filter}`, { as: { user } });
      expect({ condition, status: list.status, body: list.body }).toEqual({
        condition,
        status: 200,
        body: { "@odata.context": historyItemsContext(id, { user }), value: included ? [withoutContext(item.body)] : [] },
      });
      const expanded = await call(
        "GET",
        `${activityPath(id)}?$expand=${encodeURIComponent(`historyItems($filter=lastModifiedDateTime ${condition})`)}`,
        {
          as: { user },
        },
      );
      expect({ condition, status: expanded.status, items: expanded.body.historyItems }).toEqual({
        condition,
        status: 200,
        items: included ? [withoutContext(item.body)] : [],
      });
    }

    // The feed filters activities the same way.
    const activityAt = activity.body.lastModifiedDateTime as string;
    for (const [operator, included] of [
      ["lt", true],
      ["le", true],
      ["gt", false],
      ["ge", false],
    ] as const) {
      const condition = `${operator} ${activityAt.replace("Z", "1Z")}`;
      const feed = await call("GET", `/v1.0/me/activities?$filter=${encodeURIComponent(`lastModifiedDateTime ${condition}`)}`, {
        as: { user },
      });
      expect({ condition, status: feed.status, body: feed.body }).toEqual({
        condition,
        status: 200,
        body: { "@odata.context": activitiesContext({ user }), value: included ? [withoutContext(activity.body)] : [] },
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("5. free JSON is kept as sent, a __proto__ member included", () => {
  it("contentInfo and visualElements.content keep __proto__ at every depth: in the PUT's answer, a GET, $expand and the feed", async () => {
    const user = crypto.randomUUID();
    const contentInfo = '{"__proto__":{"x":1},"name":"n","nested":{"__proto__":[1,2]}}';
    const content = '{"__proto__":{"type":"AdaptiveCard"},"body":[{"__proto__":null}]}';
    const base = JSON.stringify(
      activityBody({ visualElements: { displayText: "Contoso article", content: "CONTENT" }, contentInfo: "INFO" }),
    );
    const raw = base.replace('"CONTENT"', content).replace('"INFO"', contentInfo);
    const put = await call("PUT", appActivityPath(freshAppActivityId()), { as: { user }, raw });
    expect(put.status).toBe(201);
    const id = put.body.id;
    const answers = [
      put.body,
      (await call("GET", activityPath(id), { as: { user } })).body,
      (await call("GET", `${activityPath(id)}?$expand=historyItems`, { as: { user } })).body,
      (await call("GET", "/v1.0/me/activities", { as: { user } })).body.value[0],
      (await call("GET", "/v1.0/me/activities?$expand=historyItems", { as: { user } })).body.value[0],
    ];
    for (const answer of answers) {
      expect({ contentInfo: JSON.stringify(answer.contentInfo), content: JSON.stringify(answer.visualElements.content) }).toEqual({
        contentInfo,
        content,
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("6. reads and deletes of what does not exist write nothing", () => {
  /** What an object holds: its tables and indexes, and its database's size in bytes. */
  const storageOf = (stub: DurableObjectStub) =>
    runInDurableObject(stub, (_instance, state) => ({
      schema: state.storage.sql.exec("SELECT type, name FROM sqlite_master").toArray(),
      bytes: state.storage.sql.databaseSize,
    }));

  it("GETs and DELETEs of an unknown activity and its items, and feed reads of a user who never wrote: no object writes a database", async () => {
    const user = crypto.randomUUID();
    const caller = callerFor({ user });
    const id = "4242424242424242";
    const itemId = crypto.randomUUID();
    const item = { startedDateTime: "2026-01-01T00:00:00Z" };
    const answers = await Promise.all([
      call("GET", activityPath(id), { as: { user } }),
      call("GET", `${activityPath(id)}?$expand=historyItems`, { as: { user } }),
      call("DELETE", activityPath(id), { as: { user } }),
      call("GET", historyItemsPath(id), { as: { user } }),
      call("GET", `${historyItemsPath(id)}?$skiptoken=abc.def`, { as: { user } }),
      call("GET", historyItemPath(id, itemId), { as: { user } }),
      call("DELETE", historyItemPath(id, itemId), { as: { user } }),
      call("PUT", historyItemPath(id, itemId), { as: { user }, body: item }),
      call("POST", historyItemsPath(id), { as: { user }, body: item }),
      call("GET", "/v1.0/me/activities", { as: { user } }),
      call("GET", "/v1.0/me/activities/recent?$expand=historyItems", { as: { user } }),
      call("GET", "/v1.0/me/activities?$skiptoken=abc.def", { as: { user } }),
    ]);
    const empty = (context: string, answer: Answer) => jsonAnswer(200, { "@odata.context": context, value: [] }, answer);
    expect(answers.map(seen)).toEqual([
      ...answers.slice(0, 9).map((answer) => errorAnswer(404, "itemNotFound", activityNotFound(id), answer)),
      empty(activitiesContext({ user }), answers[9]!),
      empty(RECENT_CONTEXT, answers[10]!),
      errorAnswer(
        400,
        "invalidRequest",
        "The $skiptoken is not valid for this request: use @odata.nextLink exactly as returned.",
        answers[11]!,
      ),
    ]);
    // Both objects were reached, and hold what an object no one has written to holds: no table,
    // and the one empty page of a database that was never written.
    const untouched = await storageOf(activityStub("1", callerFor({ user: crypto.randomUUID() })));
    expect(untouched).toEqual({ schema: [], bytes: expect.any(Number) });
    expect(await storageOf(activityStub(id, caller))).toEqual(untouched);
    expect(await storageOf(feedStub(caller))).toEqual(untouched);
    // A write makes the schema; the reads that follow find it.
    const created = await putActivity(user);
    expect((await storageOf(activityStub(created.body.id, caller))).schema).toContainEqual({ type: "table", name: "activity" });
    expect((await storageOf(feedStub(caller))).schema).toContainEqual({ type: "table", name: "feed_entry" });
  });
});

// ---------------------------------------------------------------------------------------------
describe("7. CORS for Microsoft's Graph clients in a browser", () => {
  const preflight = (requestHeaders: string, method = "GET") =>
    exports.default.fetch(
      new Request("https://feed.test/v1.0/me/activities", {
        method: "OPTIONS",
        headers: {
          Origin: "https://app.contoso.com",
          "Access-Control-Request-Method": method,
          "Access-Control-Request-Headers": requestHeaders,
        },
      }),
    );
  const allowed = (response: Response) => response.headers.get("access-control-allow-headers")!.toLowerCase().split(",");

  it("a preflight allows what the classic client and Kiota send, and PATCH", async () => {
    // The classic client's TelemetryHandler sends SdkVersion to custom hosts; Kiota adds User-Agent and Retry-Attempt;
    // request options add Prefer, ConsistencyLevel, Cache-Control and the conditional headers.
    const sent = [
      "authorization",
      "content-type",
      "accept",
      "client-request-id",
      "return-client-request-id",
      "sdkversion",
      "user-agent",
      "retry-attempt",
      "prefer",
      "consistencylevel",
      "cache-control",
      "if-match",
      "if-none-match",
    ];
    const response = await preflight(sent.join(", "), "PATCH");
    expect(response.status).toBe(204);
    expect(allowed(response).sort()).toEqual([...sent].sort());
    expect(response.headers.get("access-control-allow-methods")).toBe("GET,PUT,POST,PATCH,DELETE");
  });

  it("a page can read the challenge and the ids of an answer: WWW-Authenticate, request-id, client-request-id, Retry-After, Location, Preference-Applied", async () => {
    const answer = await call("GET", "/v1.0/me/activities", { token: null, headers: { Origin: "https://app.contoso.com" } });
    expect({
      status: answer.status,
      challenge: answer.headers.get("WWW-Authenticate"),
      origin: answer.headers.get("access-control-allow-origin"),
      exposed: answer.headers.get("access-control-expose-headers"),
    }).toEqual({
      status: 401,
      challenge: "Bearer",
      origin: "*",
      exposed: "WWW-Authenticate,request-id,client-request-id,Retry-After,Location,Preference-Applied",
    });
  });
});
