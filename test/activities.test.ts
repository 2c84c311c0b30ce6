import { describe, expect, it } from "vitest";
import { type Answer, appActivityPath, call, DAY_MS, freshAppActivityId, GUID, ISO_MS } from "./support/api";
import { activityBody, activityResource } from "./support/builders";
import { activityContext, historyItemContext, historyItemsContext } from "./support/graph";
import { sqlIn, activityStub, HOLDS_NOTHING, storageOf, storedRows } from "./support/objects";

const UINT64_MAX = 18446744073709551615n;

/** Runs one SQL statement inside the activity's object, to set up a state HTTP cannot reach. */
const rewriteRows = (activityId: string, query: string, ...bindings: (string | number)[]) =>
  sqlIn(activityStub(activityId), query, ...bindings);

/** Every client property set, to show each one round-trips. */
const fullBody = () =>
  activityBody({
    appDisplayName: "Contoso, Ltd.",
    activationUrl: "https://www.contoso.com/article?12345",
    fallbackUrl: "https://www.contoso.com/article?12345&fallback=1",
    contentUrl: "https://www.contoso.com/article.json?12345",
    userTimezone: "Africa/Casablanca",
    visualElements: {
      displayText: "Contoso How-To: How to Tie a Reef Knot",
      description: "How to tie a reef knot. A step-by-step visual guide to the art of nautical knot-tying.",
      backgroundColor: "#ff0000",
      attribution: { iconUrl: "https://www.contoso.com/icon", alternateText: "Contoso, Ltd.", addImageQuery: false },
      content: {
        $schema: "https://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        body: [{ type: "TextBlock", text: "Contoso MainPage" }],
      },
    },
    contentInfo: {
      "@context": "https://schema.org",
      "@type": "Article",
      author: "Jennifer Booth",
      name: "How to Tie a Reef Knot",
    },
  });

/** The server timestamps of an activity just written: now, and expiring exactly 30 days later. */
function expectFreshTimestamps(answer: Answer) {
  const { lastModifiedDateTime, expirationDateTime } = answer.body;
  expect(Math.abs(Date.parse(lastModifiedDateTime) - Date.now())).toBeLessThan(60_000);
  expect(Date.parse(expirationDateTime) - Date.parse(lastModifiedDateTime)).toBe(30 * DAY_MS);
}

const isActivityId = (id: string) => /^\d{1,20}$/.test(id) && BigInt(id) <= UINT64_MAX;

const notFound = (answer: Answer) => ({ status: answer.status, code: answer.body?.error?.code });

/** A history item as the service returns it inside an activity (no @odata.context of its own). */
function expectedItem(fields: Record<string, unknown>) {
  return {
    id: expect.stringMatching(GUID),
    status: "active",
    userTimezone: null,
    createdDateTime: expect.stringMatching(ISO_MS),
    lastModifiedDateTime: expect.stringMatching(ISO_MS),
    startedDateTime: expect.stringMatching(ISO_MS),
    lastActiveDateTime: null,
    expirationDateTime: expect.stringMatching(ISO_MS),
    activeDurationSeconds: null,
    ...fields,
  };
}

const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => a.id.localeCompare(b.id));

describe("PUT /me/activities/{appActivityId}", () => {
  it("creates: 201 with the whole userActivity, status active, expiring 30 days after lastModifiedDateTime", async () => {
    const appActivityId = freshAppActivityId();
    const body = fullBody();
    const answer = await call("PUT", appActivityPath(appActivityId), { body });

    expect(answer.status).toBe(201);
    expect(answer.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(answer.body).toEqual(activityResource(appActivityId, body, { status: "active" }));
    expect(isActivityId(answer.body.id)).toBe(true);
    expect(answer.body.createdDateTime).toBe(answer.body.lastModifiedDateTime);
    expectFreshTimestamps(answer);
    expect(answer.body).not.toHaveProperty("historyItems");
    expect(await storedRows(answer.body.id)).toEqual({
      activity: [
        expect.objectContaining({
          id: answer.body.id,
          app_activity_id: appActivityId,
          status: "active",
          created_ms: Date.parse(answer.body.createdDateTime),
          last_modified_ms: Date.parse(answer.body.lastModifiedDateTime),
          expiration_ms: Date.parse(answer.body.expirationDateTime),
        }),
      ],
      historyItems: [],
    });
  });

  it("creates with only the required properties: every optional one is present and null", async () => {
    const appActivityId = freshAppActivityId();
    const answer = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });

    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      "@odata.context": activityContext(),
      id: expect.stringMatching(/^\d{1,20}$/),
      appActivityId,
      activitySourceHost: "https://www.contoso.com",
      activationUrl: "https://www.contoso.com/article?12345",
      appDisplayName: null,
      fallbackUrl: null,
      contentUrl: null,
      visualElements: { displayText: "Contoso article", description: null, backgroundColor: null, content: null, attribution: null },
      contentInfo: null,
      userTimezone: null,
      createdDateTime: expect.stringMatching(ISO_MS),
      lastModifiedDateTime: expect.stringMatching(ISO_MS),
      expirationDateTime: expect.stringMatching(ISO_MS),
      status: "active",
    });
    expectFreshTimestamps(answer);
  });

  it("replaces: 200, status updated, createdDateTime kept, omitted optional properties gone", async () => {
    const appActivityId = freshAppActivityId();
    const created = await call("PUT", appActivityPath(appActivityId), { body: fullBody() });
    expect(created.status).toBe(201);
    // Back-date the stored creation so that a replace which reset it could not go unnoticed.
    const createdMs = Date.parse(created.body.createdDateTime) - 3_600_000;
    await rewriteRows(created.body.id, "UPDATE activity SET created_ms = ?", createdMs);

    const replacing = activityBody({ visualElements: { displayText: "Contoso article, revised" } });
    const replaced = await call("PUT", appActivityPath(appActivityId), { body: replacing });

    expect(replaced.status).toBe(200);
    expect(replaced.body).toEqual({
      ...activityResource(appActivityId, replacing, { status: "updated" }),
      id: created.body.id,
      createdDateTime: new Date(createdMs).toISOString(),
    });
    expect(Date.parse(replaced.body.lastModifiedDateTime)).toBeGreaterThanOrEqual(Date.parse(created.body.lastModifiedDateTime));
    expectFreshTimestamps(replaced);
    expect(await call("GET", `/v1.0/me/activities/${created.body.id}`)).toEqual(
      expect.objectContaining({ status: 200, body: replaced.body }),
    );
  });

  it("derives the id deterministically: the same appActivityId is the same activity, through every prefix", async () => {
    const appActivityId = freshAppActivityId();
    const first = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    const second = await call("PUT", appActivityPath(appActivityId, "/beta"), { body: activityBody() });
    const third = await call("PUT", appActivityPath(appActivityId, ""), { body: activityBody() });

    expect([first.status, second.status, third.status]).toEqual([201, 200, 200]);
    expect([second.body.id, third.body.id]).toEqual([first.body.id, first.body.id]);
  });

  it.each([
    ["another user", { user: "00000000-0000-0000-0000-0000000000b0" }],
    ["another app", { app: "99999999-8888-7777-6666-555555555555" }],
    ["another tenant", { tenant: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" }],
  ])("gives %s a different id for the same appActivityId, and a separate activity", async (_name, as) => {
    const appActivityId = freshAppActivityId();
    const mine = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    const theirs = await call("PUT", appActivityPath(appActivityId), { body: activityBody({ appDisplayName: "Theirs" }), as });

    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(isActivityId(theirs.body.id)).toBe(true);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.body.status).toBe("active");
    const stillMine = await call("GET", `/v1.0/me/activities/${mine.body.id}`);
    expect(stillMine).toEqual(expect.objectContaining({ status: 200, body: mine.body }));
  });
});

describe("GET and DELETE /me/activities/{id}", () => {
  it("GET returns the body the PUT returned, without historyItems unless expanded", async () => {
    const appActivityId = freshAppActivityId();
    const put = await call("PUT", appActivityPath(appActivityId), { body: fullBody() });
    const got = await call("GET", `/v1.0/me/activities/${put.body.id}`);

    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toMatch(/^application\/json\b/);
    expect(got.body).toEqual(put.body);
    expect(got.body).not.toHaveProperty("historyItems");
  });

  it("GET with $expand=historyItems adds the historyItems array, empty when there are none", async () => {
    const appActivityId = freshAppActivityId();
    const put = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    const got = await call("GET", `/v1.0/me/activities/${put.body.id}?$expand=historyItems`);

    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...put.body, historyItems: [] });
  });

  it("DELETE answers 204 with no body; afterwards GET, DELETE and the history items are 404 and storage is empty", async () => {
    const appActivityId = freshAppActivityId();
    const put = await call("PUT", appActivityPath(appActivityId), {
      body: activityBody({ historyItems: [{ startedDateTime: "2015-02-11T20:54:04.3457274+00:00" }] }),
    });
    const id: string = put.body.id;
    const itemId: string = put.body.historyItems[0].id;

    const deleted = await call("DELETE", `/v1.0/me/activities/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();

    const after = [
      await call("GET", `/v1.0/me/activities/${id}`),
      await call("GET", `/v1.0/me/activities/${id}?$expand=historyItems`),
      await call("DELETE", `/v1.0/me/activities/${id}`),
      await call("GET", `/v1.0/me/activities/${id}/historyItems`),
      await call("GET", `/v1.0/me/activities/${id}/historyItems/${itemId}`),
    ];
    expect(after.map(notFound)).toEqual(Array(after.length).fill({ status: 404, code: "itemNotFound" }));
    // Its feed has the deletion, so the object keeps nothing at all: no table, row, key or alarm.
    expect(await storageOf(activityStub(id))).toEqual(HOLDS_NOTHING);
  });
});

describe("deep insert: PUT with historyItems", () => {
  it("creates the items, with and without ids, and returns them; GET ?$expand=historyItems shows them", async () => {
    const appActivityId = freshAppActivityId();
    // Sent in upper case: the service stores and returns ids in lower case.
    const givenId = crypto.randomUUID().toUpperCase();
    const put = await call("PUT", appActivityPath(appActivityId), {
      body: activityBody({
        historyItems: [
          // Seed 001's item: 20 s between startedDateTime and lastActiveDateTime, no duration sent.
          {
            id: givenId,
            startedDateTime: "2015-02-11T20:54:04.3457274+00:00",
            lastActiveDateTime: "2015-02-11T20:54:24.3457274+00:00",
            userTimezone: "Africa/Casablanca",
          },
          { startedDateTime: "2016-12-31T23:57:57.4958527+03:00", activeDurationSeconds: 5 },
        ],
      }),
    });

    expect(put.status).toBe(201);
    const written = put.body.lastModifiedDateTime;
    const expiring = new Date(Date.parse(written) + 30 * DAY_MS).toISOString();
    const withId = expectedItem({
      id: givenId.toLowerCase(),
      userTimezone: "Africa/Casablanca",
      createdDateTime: written,
      lastModifiedDateTime: written,
      startedDateTime: "2015-02-11T20:54:04.345Z",
      lastActiveDateTime: "2015-02-11T20:54:24.345Z",
      expirationDateTime: expiring,
      activeDurationSeconds: 20,
    });
    const withoutId = expectedItem({
      createdDateTime: written,
      lastModifiedDateTime: written,
      startedDateTime: "2016-12-31T20:57:57.495Z",
      expirationDateTime: expiring,
      activeDurationSeconds: 5,
    });
    expect(put.body).toEqual({ ...activityResource(appActivityId, activityBody(), { status: "active" }), historyItems: expect.any(Array) });
    expect(put.body.historyItems).toHaveLength(2);
    expect(put.body.historyItems).toEqual(expect.arrayContaining([withId, withoutId]));
    const serverId: string = put.body.historyItems.find((item: { id: string }) => item.id !== givenId.toLowerCase()).id;

    const got = await call("GET", `/v1.0/me/activities/${put.body.id}?$expand=historyItems`);
    expect(got.status).toBe(200);
    expect({ ...got.body, historyItems: byId(got.body.historyItems) }).toEqual({ ...put.body, historyItems: byId(put.body.historyItems) });

    const one = await call("GET", `/v1.0/me/activities/${put.body.id}/historyItems/${serverId}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ "@odata.context": historyItemContext(put.body.id), ...withoutId, id: serverId });
  });

  it("replaces an item named again by id: status updated, createdDateTime kept, omitted fields gone", async () => {
    const appActivityId = freshAppActivityId();
    const itemId = crypto.randomUUID();
    const created = await call("PUT", appActivityPath(appActivityId), {
      body: activityBody({
        historyItems: [
          {
            id: itemId,
            startedDateTime: "2015-02-11T20:54:04.3457274+00:00",
            lastActiveDateTime: "2015-02-11T20:54:24.3457274+00:00",
            userTimezone: "Africa/Casablanca",
          },
        ],
      }),
    });
    expect(created.status).toBe(201);
    // Back-date the stored creation so that a replace which reset it could not go unnoticed.
    const itemCreatedMs = Date.parse(created.body.historyItems[0].createdDateTime) - 3_600_000;
    await rewriteRows(created.body.id, "UPDATE history_item SET created_ms = ? WHERE id = ?", itemCreatedMs, itemId);

    const replaced = await call("PUT", appActivityPath(appActivityId), {
      body: activityBody({ historyItems: [{ id: itemId, startedDateTime: "2015-02-12T08:00:00Z" }] }),
    });

    expect(replaced.status).toBe(200);
    const item = expectedItem({
      id: itemId,
      status: "updated",
      createdDateTime: new Date(itemCreatedMs).toISOString(),
      lastModifiedDateTime: replaced.body.lastModifiedDateTime,
      startedDateTime: "2015-02-12T08:00:00.000Z",
      expirationDateTime: new Date(itemCreatedMs + 30 * DAY_MS).toISOString(),
    });
    expect(replaced.body).toEqual({
      ...activityResource(appActivityId, activityBody(), { status: "updated" }),
      id: created.body.id,
      createdDateTime: created.body.createdDateTime,
      historyItems: [item],
    });
    const got = await call("GET", `/v1.0/me/activities/${created.body.id}?$expand=historyItems`);
    expect(got).toEqual(expect.objectContaining({ status: 200, body: replaced.body }));
    expect((await storedRows(created.body.id)).historyItems).toHaveLength(1);
  });
});

describe.each([
  ["/v1.0", "/v1.0"],
  ["/beta", "/beta"],
  ["no prefix", ""],
])("every route under %s", (_name, prefix) => {
  it("answers with @odata.context on its own origin and prefix", async () => {
    const appActivityId = freshAppActivityId();
    const put = await call("PUT", appActivityPath(appActivityId, prefix), { body: activityBody() });
    expect(put.status).toBe(201);
    expect(put.body).toEqual(activityResource(appActivityId, activityBody(), { status: "active", prefix }));
    const id: string = put.body.id;
    const base = `${prefix}/me/activities/${id}`;

    const got = await call("GET", base);
    expect(got).toEqual(expect.objectContaining({ status: 200, body: put.body }));
    const expanded = await call("GET", `${base}?$expand=historyItems`);
    expect(expanded).toEqual(expect.objectContaining({ status: 200, body: { ...put.body, historyItems: [] } }));

    const posted = await call("POST", `${base}/historyItems`, { body: { startedDateTime: "2015-02-11T20:54:04Z" } });
    expect(posted.status).toBe(201);
    const item = expectedItem({ startedDateTime: "2015-02-11T20:54:04.000Z" });
    expect(posted.body).toEqual({ "@odata.context": historyItemContext(id, { prefix }), ...item });
    const itemPath = `${base}/historyItems/${posted.body.id}`;

    const replaced = await call("PUT", itemPath, { body: { startedDateTime: "2015-02-11T20:54:04Z", userTimezone: "Europe/Paris" } });
    const replacedItem = { ...item, id: posted.body.id, status: "updated", userTimezone: "Europe/Paris" };
    expect(replaced).toEqual(
      expect.objectContaining({ status: 200, body: { "@odata.context": historyItemContext(id, { prefix }), ...replacedItem } }),
    );

    const listed = await call("GET", `${base}/historyItems`);
    expect(listed).toEqual(
      expect.objectContaining({ status: 200, body: { "@odata.context": historyItemsContext(id, { prefix }), value: [replacedItem] } }),
    );
    const one = await call("GET", itemPath);
    expect(one).toEqual(expect.objectContaining({ status: 200, body: replaced.body }));

    expect((await call("DELETE", itemPath)).status).toBe(204);
    expect((await call("GET", itemPath)).status).toBe(404);
    expect((await call("DELETE", base)).status).toBe(204);
    expect((await call("GET", base)).status).toBe(404);
  });
});

describe("an activity past its expirationDateTime", () => {
  it("is 404 to every read, and a PUT re-creates it as new, without its old items", async () => {
    const appActivityId = freshAppActivityId();
    const put = await call("PUT", appActivityPath(appActivityId), {
      body: activityBody({ historyItems: [{ startedDateTime: "2015-02-11T20:54:04Z" }] }),
    });
    expect(put.status).toBe(201);
    const id: string = put.body.id;
    const oldCreatedMs = Date.now() - 31 * DAY_MS;
    await rewriteRows(id, "UPDATE activity SET created_ms = ?, expiration_ms = ?", oldCreatedMs, Date.now() - 1000);

    const reads = [
      await call("GET", `/v1.0/me/activities/${id}`),
      await call("GET", `/v1.0/me/activities/${id}?$expand=historyItems`),
      await call("GET", `/v1.0/me/activities/${id}/historyItems`),
      await call("GET", `/v1.0/me/activities/${id}/historyItems/${put.body.historyItems[0].id}`),
    ];
    expect(reads.map(notFound)).toEqual(Array(reads.length).fill({ status: 404, code: "itemNotFound" }));

    const recreated = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    expect(recreated.status).toBe(201);
    expect(recreated.body).toEqual({ ...activityResource(appActivityId, activityBody(), { status: "active" }), id });
    expect(recreated.body.createdDateTime).toBe(recreated.body.lastModifiedDateTime);
    expect(Date.parse(recreated.body.createdDateTime)).toBeGreaterThan(oldCreatedMs);
    expectFreshTimestamps(recreated);

    const got = await call("GET", `/v1.0/me/activities/${id}?$expand=historyItems`);
    expect(got).toEqual(expect.objectContaining({ status: 200, body: { ...recreated.body, historyItems: [] } }));
    expect((await storedRows(id)).historyItems).toEqual([]);
  });
});
