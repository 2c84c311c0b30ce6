import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  type Answer,
  type CallOptions,
  createActivity,
  DAY_MS,
  freshAppActivityId,
  GUID,
  historyItemsPath,
  ISO_MS,
  send,
} from "./support/api";
import { activityBody } from "./support/builders";
import {
  errorAnswer,
  historyItemContext,
  historyItemsContext,
  jsonAnswer,
  madeBetween,
  noContent,
  seen,
  thirtyDaysAfter,
  withoutContext,
} from "./support/graph";
import { activityStub } from "./support/objects";

/** A decimal 64-bit id that no PUT has made for this caller. */
const unknownActivityId = () => new DataView(crypto.getRandomValues(new Uint8Array(8)).buffer).getBigUint64(0).toString();

/** Waits long enough for the service's clock to move past the last write's millisecond. */
const nextMillisecond = () => new Promise((resolve) => setTimeout(resolve, 5));

const newActivity = () => createActivity();

/** The ids of the history-item rows the activity's object still stores, expired or not. */
const storedItemIds = (activityId: string) =>
  runInDurableObject(activityStub(activityId), (_instance, state) =>
    state.storage.sql
      .exec<{ id: string }>("SELECT id FROM history_item ORDER BY id")
      .toArray()
      .map((row) => row.id),
  );

/**
 * What `answer` must hold for an item it created in [before, after]: the server fields, every
 * optional client field null unless `fields` names it, and expiry 30 days after creation unless named.
 */
const createdItem = (activityId: string, answer: Answer, before: number, after: number, fields: Record<string, unknown>) => ({
  "@odata.context": historyItemContext(activityId),
  status: "active",
  createdDateTime: madeBetween(before, after),
  lastModifiedDateTime: madeBetween(before, after),
  userTimezone: null,
  lastActiveDateTime: null,
  expirationDateTime: thirtyDaysAfter(answer.body?.createdDateTime),
  activeDurationSeconds: null,
  ...fields,
});

describe("POST /me/activities/{id}/historyItems", () => {
  it("gives an item sent without an id a random GUID", async () => {
    const activityId = await newActivity();
    const body = { startedDateTime: "2015-02-11T20:54:04.345Z" };

    const before = Date.now();
    const first = await send("POST", historyItemsPath(activityId), { body });
    const second = await send("POST", historyItemsPath(activityId), { body });
    const after = Date.now();

    const item = createdItem(activityId, first, before, after, {
      id: expect.stringMatching(GUID),
      startedDateTime: "2015-02-11T20:54:04.345Z",
    });
    expect(seen(first)).toEqual(jsonAnswer(201, item, first));
    expect(seen(second)).toEqual(jsonAnswer(201, { ...item, expirationDateTime: thirtyDaysAfter(second.body?.createdDateTime) }, second));
    expect(second.body.id).not.toBe(first.body.id);
  });

  it("keeps the id the body gives, in lowercase", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();

    const before = Date.now();
    const created = await send("POST", historyItemsPath(activityId), {
      body: { id: itemId.toUpperCase(), startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    const after = Date.now();
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        createdItem(activityId, created, before, after, { id: itemId, startedDateTime: "2015-02-11T20:54:04.345Z" }),
        created,
      ),
    );
    expect(seen(fetched)).toEqual(jsonAnswer(200, created.body, fetched));
  });

  it.each([
    ["the same", (id: string) => id],
    ["an uppercase", (id: string) => id.toUpperCase()],
  ])("answers 409 conflict to %s id that already exists, and leaves the item as it was", async (_case, spell) => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();
    const original = await send("POST", historyItemsPath(activityId), {
      body: { id: itemId, startedDateTime: "2015-02-11T20:54:04.345Z", userTimezone: "Africa/Casablanca" },
    });
    expect(original.status).toBe(201);

    const again = await send("POST", historyItemsPath(activityId), {
      body: { id: spell(itemId), startedDateTime: "2020-01-01T00:00:00Z", userTimezone: "Europe/Paris", activeDurationSeconds: 9 },
    });
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);

    expect(seen(again)).toEqual(errorAnswer(409, "conflict", expect.stringContaining(itemId), again));
    expect(seen(fetched)).toEqual(jsonAnswer(200, original.body, fetched));
  });

  it("rejects a body id that is not a GUID with 400 naming 'id'", async () => {
    const activityId = await newActivity();

    const posted = await send("POST", historyItemsPath(activityId), {
      body: { id: "item-1", startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    const listing = await send("GET", historyItemsPath(activityId));

    expect(seen(posted)).toEqual(errorAnswer(400, "BadRequest", expect.stringMatching(/'id'.*GUID/), posted));
    expect(seen(listing)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [] }, listing));
  });
});

describe("activeDurationSeconds", () => {
  it.each([
    ["whole seconds", "2015-02-11T20:54:04.345Z", "2015-02-11T20:54:24.345Z", 20],
    ["a sub-second remainder, floored", "2015-02-11T20:54:04.345Z", "2015-02-11T20:54:24.344Z", 19],
    ["less than a second", "2015-02-11T20:54:04.900Z", "2015-02-11T20:54:05.899Z", 0],
    ["a remainder across a second boundary", "2015-02-11T20:54:04.900Z", "2015-02-11T20:54:06.100Z", 1],
    ["equal dates", "2015-02-11T20:54:04.345Z", "2015-02-11T20:54:04.345Z", 0],
    ["a whole day", "2015-02-11T20:54:04.345Z", "2015-02-12T20:54:04.345Z", 86_400],
  ])("is computed from startedDateTime and lastActiveDateTime when absent: %s", async (_case, started, lastActive, seconds) => {
    const activityId = await newActivity();

    const before = Date.now();
    const created = await send("POST", historyItemsPath(activityId), {
      body: { startedDateTime: started, lastActiveDateTime: lastActive },
    });
    const after = Date.now();

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        createdItem(activityId, created, before, after, {
          id: expect.stringMatching(GUID),
          startedDateTime: started,
          lastActiveDateTime: lastActive,
          activeDurationSeconds: seconds,
        }),
        created,
      ),
    );
  });

  it.each([
    ["with lastActiveDateTime", { lastActiveDateTime: "2015-02-11T20:54:24.345Z" }, "2015-02-11T20:54:24.345Z", 7],
    ["without lastActiveDateTime", {}, null, 7],
    ["when it is 0", { lastActiveDateTime: "2015-02-11T20:54:24.345Z" }, "2015-02-11T20:54:24.345Z", 0],
  ])("is kept as sent %s", async (_case, extra, lastActive, seconds) => {
    const activityId = await newActivity();

    const before = Date.now();
    const created = await send("POST", historyItemsPath(activityId), {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z", activeDurationSeconds: seconds, ...extra },
    });
    const after = Date.now();

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        createdItem(activityId, created, before, after, {
          id: expect.stringMatching(GUID),
          startedDateTime: "2015-02-11T20:54:04.345Z",
          lastActiveDateTime: lastActive,
          activeDurationSeconds: seconds,
        }),
        created,
      ),
    );
  });

  it("is null when neither it nor lastActiveDateTime is sent", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();

    const before = Date.now();
    const created = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    const after = Date.now();

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        createdItem(activityId, created, before, after, { id: itemId, startedDateTime: "2015-02-11T20:54:04.345Z" }),
        created,
      ),
    );
  });
});

describe("PUT /me/activities/{id}/historyItems/{historyItemId}", () => {
  it("replaces the whole item: omitted client fields are gone, createdDateTime stays, status is updated", async () => {
    const activityId = await newActivity();
    const path = `${historyItemsPath(activityId)}/${crypto.randomUUID()}`;
    const expiration = new Date(Date.now() + 2 * DAY_MS).toISOString();
    const first = await send("PUT", path, {
      body: {
        startedDateTime: "2015-02-11T20:54:04.345Z",
        lastActiveDateTime: "2015-02-11T20:54:24.345Z",
        activeDurationSeconds: 12,
        expirationDateTime: expiration,
        userTimezone: "Africa/Casablanca",
      },
    });
    expect(seen(first)).toEqual(
      jsonAnswer(
        201,
        {
          ...first.body,
          status: "active",
          startedDateTime: "2015-02-11T20:54:04.345Z",
          lastActiveDateTime: "2015-02-11T20:54:24.345Z",
          activeDurationSeconds: 12,
          expirationDateTime: expiration,
          userTimezone: "Africa/Casablanca",
        },
        first,
      ),
    );
    await nextMillisecond();

    const replaced = await send("PUT", path, { body: { startedDateTime: "2015-02-11T21:00:00.000Z" } });
    const after = Date.now();
    const fetched = await send("GET", path);

    expect(seen(replaced)).toEqual(
      jsonAnswer(
        200,
        {
          "@odata.context": historyItemContext(activityId),
          id: first.body.id,
          status: "updated",
          userTimezone: null,
          createdDateTime: first.body.createdDateTime,
          lastModifiedDateTime: madeBetween(Date.parse(first.body.lastModifiedDateTime) + 1, after),
          startedDateTime: "2015-02-11T21:00:00.000Z",
          lastActiveDateTime: null,
          expirationDateTime: thirtyDaysAfter(first.body.createdDateTime),
          activeDurationSeconds: null,
        },
        replaced,
      ),
    );
    expect(seen(fetched)).toEqual(jsonAnswer(200, replaced.body, fetched));
  });

  it("replaces an item that POST created", async () => {
    const activityId = await newActivity();
    const posted = await send("POST", historyItemsPath(activityId), {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z", userTimezone: "UTC" },
    });
    expect(posted.status).toBe(201);

    const replaced = await send("PUT", `${historyItemsPath(activityId)}/${posted.body.id}`, {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z", lastActiveDateTime: "2015-02-11T20:54:24.345Z" },
    });
    const after = Date.now();

    expect(seen(replaced)).toEqual(
      jsonAnswer(
        200,
        {
          ...posted.body,
          status: "updated",
          userTimezone: null,
          lastModifiedDateTime: madeBetween(Date.parse(posted.body.lastModifiedDateTime), after),
          lastActiveDateTime: "2015-02-11T20:54:24.345Z",
          activeDurationSeconds: 20,
        },
        replaced,
      ),
    );
  });

  it("accepts a body id that names the URL's item, in any case", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();

    const created = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, {
      body: { id: itemId.toUpperCase(), startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    const listing = await send("GET", historyItemsPath(activityId));

    expect(seen(created)).toEqual(
      jsonAnswer(201, { ...created.body, "@odata.context": historyItemContext(activityId), id: itemId }, created),
    );
    expect(seen(listing)).toEqual(
      jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [withoutContext(created.body)] }, listing),
    );
  });

  it("refuses a body id that names another item than the URL with 400 naming id, and stores nothing", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();
    const otherId = crypto.randomUUID();

    const refused = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, {
      body: { id: otherId, startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    const listing = await send("GET", historyItemsPath(activityId));

    expect(seen(refused)).toEqual(
      errorAnswer(
        400,
        "BadRequest",
        `Invalid value for 'id': expected '${itemId}', the id of the item the URL names, or no id at all.`,
        refused,
      ),
    );
    expect(seen(listing)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [] }, listing));
  });
});

describe("expirationDateTime", () => {
  it("is honoured when the client sends one", async () => {
    const activityId = await newActivity();
    const expiration = new Date(Date.now() + 3 * DAY_MS).toISOString();

    const before = Date.now();
    const created = await send("POST", historyItemsPath(activityId), {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z", expirationDateTime: expiration },
    });
    const after = Date.now();
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${created.body?.id}`);

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        createdItem(activityId, created, before, after, {
          id: expect.stringMatching(GUID),
          startedDateTime: "2015-02-11T20:54:04.345Z",
          expirationDateTime: expiration,
        }),
        created,
      ),
    );
    expect(seen(fetched)).toEqual(jsonAnswer(200, created.body, fetched));
  });

  it("in the near past makes the item invisible to GET, list and DELETE", async () => {
    const activityId = await newActivity();
    const expiration = new Date(Date.now() - 1000).toISOString();
    const live = await send("POST", historyItemsPath(activityId), { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } });
    const expired = await send("POST", historyItemsPath(activityId), {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z", expirationDateTime: expiration },
    });
    expect(live.status).toBe(201);
    expect(seen(expired)).toEqual(jsonAnswer(201, { ...expired.body, status: "active", expirationDateTime: expiration }, expired));

    const fetched = await send("GET", `${historyItemsPath(activityId)}/${expired.body.id}`);
    const listing = await send("GET", historyItemsPath(activityId));
    const deleted = await send("DELETE", `${historyItemsPath(activityId)}/${expired.body.id}`);

    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(expired.body.id), fetched));
    expect(seen(listing)).toEqual(
      jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [withoutContext(live.body)] }, listing),
    );
    expect(seen(deleted)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(expired.body.id), deleted));
  });

  it("hides the item from the instant it passes, even while its row waits for a late alarm", async () => {
    const activityId = await newActivity();
    const live = await send("POST", historyItemsPath(activityId), { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } });
    const expiresAt = Date.now() + 1500;
    const created = await send("POST", historyItemsPath(activityId), {
      body: { startedDateTime: "2015-02-11T20:54:04.345Z", expirationDateTime: new Date(expiresAt).toISOString() },
    });
    // Alarms run at least once but may run late: without one, only the reads themselves can hide the item.
    await runInDurableObject(activityStub(activityId), (_instance, state) => state.storage.deleteAlarm());
    const path = `${historyItemsPath(activityId)}/${created.body.id}`;
    const beforeExpiry = await send("GET", path);
    expect(Date.now()).toBeLessThan(expiresAt);
    expect(seen(beforeExpiry)).toEqual(jsonAnswer(200, created.body, beforeExpiry));

    await new Promise((resolve) => setTimeout(resolve, expiresAt - Date.now() + 5));
    expect(await storedItemIds(activityId)).toEqual([live.body.id, created.body.id].sort());
    const fetched = await send("GET", path);
    const listing = await send("GET", historyItemsPath(activityId));
    const deleted = await send("DELETE", path);

    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(created.body.id), fetched));
    expect(seen(listing)).toEqual(
      jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [withoutContext(live.body)] }, listing),
    );
    expect(seen(deleted)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(created.body.id), deleted));
  });

  it.each([
    ["POST", (activityId: string, _itemId: string) => historyItemsPath(activityId), (itemId: string) => ({ id: itemId })],
    ["PUT", (activityId: string, itemId: string) => `${historyItemsPath(activityId)}/${itemId}`, (_itemId: string) => ({})],
  ])("frees an expired item's id: %s with it creates a new item (201, active)", async (method, pathFor, idFor) => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();
    const expired = await send("POST", historyItemsPath(activityId), {
      body: { id: itemId, startedDateTime: "2015-02-11T20:54:04.345Z", expirationDateTime: new Date(Date.now() - 1000).toISOString() },
    });
    expect(expired.status).toBe(201);
    await nextMillisecond();

    const before = Date.now();
    const again = await send(method, pathFor(activityId, itemId), {
      body: { ...idFor(itemId), startedDateTime: "2016-02-11T20:54:04.345Z" },
    });
    const after = Date.now();

    expect(seen(again)).toEqual(
      jsonAnswer(201, createdItem(activityId, again, before, after, { id: itemId, startedDateTime: "2016-02-11T20:54:04.345Z" }), again),
    );
  });
});

describe("reading and deleting items", () => {
  it("GET returns the item as it was written", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();
    const created = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, {
      body: {
        startedDateTime: "2015-02-11T20:54:04.345Z",
        lastActiveDateTime: "2015-02-11T20:54:24.345Z",
        userTimezone: "Africa/Casablanca",
      },
    });
    expect(created.status).toBe(201);

    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);

    expect(seen(fetched)).toEqual(
      jsonAnswer(
        200,
        {
          "@odata.context": historyItemContext(activityId),
          id: itemId,
          status: "active",
          userTimezone: "Africa/Casablanca",
          createdDateTime: created.body.createdDateTime,
          lastModifiedDateTime: created.body.lastModifiedDateTime,
          startedDateTime: "2015-02-11T20:54:04.345Z",
          lastActiveDateTime: "2015-02-11T20:54:24.345Z",
          expirationDateTime: thirtyDaysAfter(created.body.createdDateTime),
          activeDurationSeconds: 20,
        },
        fetched,
      ),
    );
  });

  it("lists the items most recently modified first", async () => {
    const activityId = await newActivity();
    const write = async (method: string, path: string, startedDateTime: string) => {
      await nextMillisecond();
      const answer = await send(method, path, { body: { startedDateTime } });
      expect([200, 201]).toContain(answer.status);
      return answer.body;
    };
    const a = await write("POST", historyItemsPath(activityId), "2015-02-11T20:00:00.000Z");
    const b = await write("POST", historyItemsPath(activityId), "2015-02-11T21:00:00.000Z");
    const c = await write("POST", historyItemsPath(activityId), "2015-02-11T22:00:00.000Z");
    const aAgain = await write("PUT", `${historyItemsPath(activityId)}/${a.id}`, "2015-02-11T23:00:00.000Z");

    const listing = await send("GET", historyItemsPath(activityId));

    expect(seen(listing)).toEqual(
      jsonAnswer(
        200,
        { "@odata.context": historyItemsContext(activityId), value: [withoutContext(aAgain), withoutContext(c), withoutContext(b)] },
        listing,
      ),
    );
  });

  it("lists an activity with no items as an empty collection", async () => {
    const activityId = await newActivity();

    const listing = await send("GET", historyItemsPath(activityId));

    expect(seen(listing)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [] }, listing));
  });

  it("DELETE answers 204, after which GET and a second DELETE answer 404", async () => {
    const activityId = await newActivity();
    const kept = await send("POST", historyItemsPath(activityId), { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } });
    const doomed = await send("POST", historyItemsPath(activityId), { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } });
    expect([kept.status, doomed.status]).toEqual([201, 201]);
    const path = `${historyItemsPath(activityId)}/${doomed.body.id}`;

    const deleted = await send("DELETE", path);
    const fetched = await send("GET", path);
    const deletedAgain = await send("DELETE", path);
    const listing = await send("GET", historyItemsPath(activityId));

    expect(seen(deleted)).toEqual(noContent(deleted));
    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(doomed.body.id), fetched));
    expect(seen(deletedAgain)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(doomed.body.id), deletedAgain));
    expect(seen(listing)).toEqual(
      jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [withoutContext(kept.body)] }, listing),
    );
  });

  it("DELETE finds the item by an UPPERCASE id", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();
    expect(
      (await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } })).status,
    ).toBe(201);

    const deleted = await send("DELETE", `${historyItemsPath(activityId)}/${itemId.toUpperCase()}`);
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);

    expect(seen(deleted)).toEqual(noContent(deleted));
    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(itemId), fetched));
  });
});

/** Every history-item call, with a body where it takes one. */
const itemCalls = (activityId: string, itemId: string): [string, string, CallOptions][] => [
  ["POST", historyItemsPath(activityId), { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } }],
  ["PUT", `${historyItemsPath(activityId)}/${itemId}`, { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } }],
  ["GET", historyItemsPath(activityId), {}],
  ["GET", `${historyItemsPath(activityId)}/${itemId}`, {}],
  ["DELETE", `${historyItemsPath(activityId)}/${itemId}`, {}],
];

describe("an activity that does not exist", () => {
  it.each([0, 1, 2, 3, 4].map((index) => [itemCalls("{id}", "{historyItemId}")[index]!.slice(0, 2).join(" "), index] as const))(
    "%s answers 404 itemNotFound",
    async (_call, index) => {
      const activityId = unknownActivityId();
      const [method, path, options] = itemCalls(activityId, crypto.randomUUID())[index]!;

      const answer = await send(method, path, options);

      expect(seen(answer)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(activityId), answer));
    },
  );

  it("is what another app's activity is: every item call answers 404 and writes nothing", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();

    for (const [method, path, options] of itemCalls(activityId, itemId)) {
      const answer = await send(method, path, { ...options, as: { app: "99999999-8888-7777-6666-555555555555" } });
      expect(seen(answer), `${method} ${path}`).toEqual(errorAnswer(404, "itemNotFound", expect.any(String), answer));
    }
    const listing = await send("GET", historyItemsPath(activityId));
    expect(seen(listing)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [] }, listing));
  });

  it("is what a deleted activity is: its items go with it, and a re-created one starts empty", async () => {
    const appActivityId = encodeURIComponent(freshAppActivityId());
    const put = await send("PUT", `/v1.0/me/activities/${appActivityId}`, { body: activityBody() });
    expect(put.status).toBe(201);
    const activityId: string = put.body.id;
    const itemId = crypto.randomUUID();
    const item = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } });
    expect(item.status).toBe(201);

    const deleted = await send("DELETE", `/v1.0/me/activities/${activityId}`);
    const fetchedGone = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);
    const listedGone = await send("GET", historyItemsPath(activityId));
    expect(seen(deleted)).toEqual(noContent(deleted));
    expect(seen(fetchedGone)).toEqual(errorAnswer(404, "itemNotFound", expect.stringMatching(`${activityId}|${itemId}`), fetchedGone));
    expect(seen(listedGone)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(activityId), listedGone));

    const recreated = await send("PUT", `/v1.0/me/activities/${appActivityId}`, { body: activityBody() });
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);
    const listing = await send("GET", historyItemsPath(activityId));

    expect({ status: recreated.status, body: recreated.body }).toEqual({
      status: 201,
      body: expect.objectContaining({ id: activityId, status: "active" }),
    });
    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(itemId), fetched));
    expect(seen(listing)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [] }, listing));
  });
});

describe("bodies and methods", () => {
  it("rejects a lastActiveDateTime before startedDateTime with 400 naming it, and stores nothing", async () => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();

    const put = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, {
      body: { startedDateTime: "2015-02-11T20:54:04.345+00:00", lastActiveDateTime: "2015-02-11T22:54:04.344+02:00" },
    });
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);

    expect(seen(put)).toEqual(errorAnswer(400, "BadRequest", expect.stringMatching(/lastActiveDateTime.*startedDateTime/), put));
    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(itemId), fetched));
  });

  it.each([
    ["POST", "an item", (activityId: string) => `${historyItemsPath(activityId)}/${crypto.randomUUID()}`, "GET, PUT, PATCH, DELETE"],
    ["DELETE", "the collection", (activityId: string) => historyItemsPath(activityId), "GET, POST"],
    ["PUT", "the collection", (activityId: string) => historyItemsPath(activityId), "GET, POST"],
  ])("answers %s on %s with 405 and an Allow header", async (method, _what, pathFor, allow) => {
    const activityId = await newActivity();

    const answer = await send(method, pathFor(activityId), { body: { startedDateTime: "2015-02-11T20:54:04.345Z" } });

    expect({ ...seen(answer), allow: answer.headers.get("allow") }).toEqual({
      ...errorAnswer(405, "notAllowed", expect.stringContaining(method), answer),
      allow: expect.toSatisfy(
        (value: unknown) =>
          typeof value === "string" &&
          value
            .split(",")
            .map((part) => part.trim())
            .sort()
            .join(", ") === allow.split(", ").sort().join(", "),
        `the methods ${allow}`,
      ),
    });
  });
});

describe("ids in the URL", () => {
  it.each(["abc", "12a", "-5", "1.5", "0x1F", "18446744073709551616", "123456789012345678901"])(
    "rejects the activity id '%s' with 400 naming the activity id",
    async (badId) => {
      for (const [method, path, options] of itemCalls(badId, crypto.randomUUID())) {
        const answer = await send(method, path, options);
        expect(seen(answer), `${method} ${path}`).toEqual(
          errorAnswer(400, expect.stringMatching(/^(BadRequest|invalidRequest)$/), expect.stringContaining("activity id"), answer),
        );
      }
    },
  );

  it.each([
    "not-a-guid",
    "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809",
    "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809cc",
    "9d0b74e44b4143eab34df9c1bf9f809c",
    "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809g",
    "%7B9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c%7D",
  ])("rejects the historyItemId '%s' with 400 naming historyItemId", async (badItemId) => {
    const activityId = await newActivity();

    for (const [method, path, options] of itemCalls(activityId, badItemId).filter(([, p]) => p.endsWith(badItemId))) {
      const answer = await send(method, path, options);
      expect(seen(answer), `${method} ${path}`).toEqual(
        errorAnswer(400, expect.stringMatching(/^(BadRequest|invalidRequest)$/), expect.stringMatching(/historyItemId.*GUID/), answer),
      );
    }
    const listing = await send("GET", historyItemsPath(activityId));
    expect(seen(listing)).toEqual(jsonAnswer(200, { "@odata.context": historyItemsContext(activityId), value: [] }, listing));
  });
});

describe("dates", () => {
  it.each([
    ["+03:00 with 7 fractional digits", "2016-12-31T23:58:54.0663658+03:00", "2016-12-31T20:58:54.066Z"],
    ["-08:00 with 7 fractional digits", "2015-02-11T12:54:04.3457274-08:00", "2015-02-11T20:54:04.345Z"],
    ["+00:00", "2015-02-11T20:54:04.3457274+00:00", "2015-02-11T20:54:04.345Z"],
    ["Z with 7 fractional digits", "2015-02-11T20:54:04.9999999Z", "2015-02-11T20:54:04.999Z"],
    ["one fractional digit and a lowercase z", "2015-02-11T20:54:04.3z", "2015-02-11T20:54:04.300Z"],
    ["two fractional digits", "2015-02-11T20:54:04.34+00:00", "2015-02-11T20:54:04.340Z"],
    ["no fractional digits", "2015-02-11T20:54:04+05:30", "2015-02-11T15:24:04.000Z"],
    ["-08:00 crossing into the next month", "2015-02-28T20:00:00-08:00", "2015-03-01T04:00:00.000Z"],
    ["+03:00 crossing into the previous year", "2016-01-01T02:00:00.5+03:00", "2015-12-31T23:00:00.500Z"],
  ])("come out in UTC with ms and Z: %s", async (_case, sent, expected) => {
    const activityId = await newActivity();
    const itemId = crypto.randomUUID();

    const created = await send("PUT", `${historyItemsPath(activityId)}/${itemId}`, {
      body: { startedDateTime: sent, lastActiveDateTime: sent },
    });
    const fetched = await send("GET", `${historyItemsPath(activityId)}/${itemId}`);

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        {
          "@odata.context": historyItemContext(activityId),
          id: itemId,
          status: "active",
          userTimezone: null,
          createdDateTime: expect.stringMatching(ISO_MS),
          lastModifiedDateTime: expect.stringMatching(ISO_MS),
          startedDateTime: expected,
          lastActiveDateTime: expected,
          expirationDateTime: thirtyDaysAfter(created.body?.createdDateTime),
          activeDurationSeconds: 0,
        },
        created,
      ),
    );
    expect(seen(fetched)).toEqual(jsonAnswer(200, created.body, fetched));
  });

  it("compares dates in different offsets by their instant", async () => {
    const activityId = await newActivity();

    const created = await send("POST", historyItemsPath(activityId), {
      body: {
        startedDateTime: "2015-02-11T23:54:04.3457274+03:00",
        lastActiveDateTime: "2015-02-11T12:54:24.3451-08:00",
        expirationDateTime: "2999-06-01T03:00:00.1234567+03:00",
      },
    });

    expect(seen(created)).toEqual(
      jsonAnswer(
        201,
        {
          "@odata.context": historyItemContext(activityId),
          id: expect.stringMatching(GUID),
          status: "active",
          userTimezone: null,
          createdDateTime: expect.stringMatching(ISO_MS),
          lastModifiedDateTime: expect.stringMatching(ISO_MS),
          startedDateTime: "2015-02-11T20:54:04.345Z",
          lastActiveDateTime: "2015-02-11T20:54:24.345Z",
          expirationDateTime: "2999-06-01T00:00:00.123Z",
          activeDurationSeconds: 20,
        },
        created,
      ),
    );
  });
});
