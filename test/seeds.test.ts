import { describe, expect, it } from "vitest";
import { createActivity, GUID, send } from "./support/api";
import { errorAnswer, historyItemContext, jsonAnswer, madeBetween, seen, thirtyDaysAfter } from "./support/graph";

// Graph's two reference pages, "Create activityHistoryItem" (seed 000 below) and "Create or replace an
// activityHistoryItem" (seed 001), replayed as their example requests are written.

/** Seed 000's request body, byte for byte (the page's own lines, joined with LF). */
const SEED_000_BODY = [
  "{",
  '  "@odata.type": "#microsoft.graph.activityHistoryItem",',
  '  "status": "String",',
  '  "activeDurationSeconds": 5,',
  '  "lastActiveDateTime": "2016-12-31T23:58:54.0663658+03:00",',
  '  "expirationDateTime": "2016-12-31T23:59:56.1430588+03:00",',
  '  "startedDateTime": "2016-12-31T23:57:57.4958527+03:00",',
  '  "userTimezone": "User Timezone value"',
  "}",
].join("\n");

/** Seed 001's request body, byte for byte. */
const SEED_001_BODY = [
  "{",
  '    "startedDateTime": "2015-02-11T20:54:04.3457274+00:00",',
  '    "userTimezone": "Africa/Casablanca",',
  '    "lastActiveDateTime": "2015-02-11T20:54:04.3457274+00:00"',
  "}",
].join("\n");

const PREFIXES = [
  ["/v1.0", "/v1.0"],
  ["/beta", "/beta"],
  ["no prefix", ""],
] as const;

/** Sends a seed's raw body as the page does: Content-Type application/json. */
const sendSeed = (method: string, path: string, raw: string) =>
  send(method, path, { raw, headers: { "Content-Type": "application/json" } });

/** Seed 000's response as the contract has it: truncated to ms, in UTC, status ours, dates normalised. */
const seed000Item = (prefix: string, activityId: string, before: number, after: number) => ({
  "@odata.context": historyItemContext(activityId, { prefix }),
  id: expect.stringMatching(GUID),
  status: "active",
  activeDurationSeconds: 5,
  createdDateTime: madeBetween(before, after),
  lastModifiedDateTime: madeBetween(before, after),
  // 23:57:57.4958527+03:00: truncated, not rounded, below the millisecond.
  startedDateTime: "2016-12-31T20:57:57.495Z",
  lastActiveDateTime: "2016-12-31T20:58:54.066Z",
  expirationDateTime: "2016-12-31T20:59:56.143Z",
  userTimezone: "User Timezone value",
});

/** Seed 001's response for item `itemId`, created in [before, after] and never replaced (the request's two times are equal, so 0 s). */
const seed001Item = (prefix: string, activityId: string, itemId: string, before: number, after: number, createdDateTime: unknown) => ({
  "@odata.context": historyItemContext(activityId, { prefix }),
  id: itemId,
  status: "active",
  userTimezone: "Africa/Casablanca",
  createdDateTime: madeBetween(before, after),
  lastModifiedDateTime: madeBetween(before, after),
  startedDateTime: "2015-02-11T20:54:04.345Z",
  lastActiveDateTime: "2015-02-11T20:54:04.345Z",
  expirationDateTime: thirtyDaysAfter(createdDateTime),
  activeDurationSeconds: 0,
});

describe("seed 000: POST /me/activities/{id}/historyItems", () => {
  it("creates the item from the page's body as written, ignoring the read-only status and @odata.type", async () => {
    const activityId = await createActivity();

    const before = Date.now();
    const created = await sendSeed("POST", `/me/activities/${activityId}/historyItems`, SEED_000_BODY);
    const after = Date.now();

    expect(seen(created)).toEqual(jsonAnswer(201, seed000Item("", activityId, before, after), created));
    expect(created.body.lastModifiedDateTime).toBe(created.body.createdDateTime);
  });

  it("makes the item invisible at once, because the seed's expirationDateTime is in 2016", async () => {
    const activityId = await createActivity();
    const created = await sendSeed("POST", `/me/activities/${activityId}/historyItems`, SEED_000_BODY);
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(GUID);

    const fetched = await send("GET", `/me/activities/${activityId}/historyItems/${created.body.id}`);

    expect(seen(fetched)).toEqual(errorAnswer(404, "itemNotFound", expect.stringContaining(created.body.id), fetched));
  });
});

describe("seed 001: PUT /v1.0/me/activities/{id}/historyItems/{historyItemId}", () => {
  it("creates the item (201) with the duration computed and the expiry 30 days after creation", async () => {
    const activityId = await createActivity();
    const itemId = crypto.randomUUID();

    const before = Date.now();
    const created = await sendSeed("PUT", `/v1.0/me/activities/${activityId}/historyItems/${itemId}`, SEED_001_BODY);
    const after = Date.now();

    expect(seen(created)).toEqual(
      jsonAnswer(201, seed001Item("/v1.0", activityId, itemId, before, after, created.body?.createdDateTime), created),
    );
  });

  it("replaces the item (200, updated) when the same PUT comes again, keeping createdDateTime", async () => {
    const activityId = await createActivity();
    const path = `/v1.0/me/activities/${activityId}/historyItems/${crypto.randomUUID()}`;
    const first = await sendSeed("PUT", path, SEED_001_BODY);
    expect(first.status).toBe(201);

    const replaced = await sendSeed("PUT", path, SEED_001_BODY);
    const after = Date.now();

    expect(seen(replaced)).toEqual(
      jsonAnswer(
        200,
        {
          ...first.body,
          status: "updated",
          lastModifiedDateTime: madeBetween(Date.parse(first.body.lastModifiedDateTime), after),
          expirationDateTime: thirtyDaysAfter(first.body.createdDateTime),
        },
        replaced,
      ),
    );
  });

  it("stores an UPPERCASE GUID from the URL in lowercase and finds it by either case", async () => {
    const activityId = await createActivity();
    const itemId = crypto.randomUUID();
    const items = `/v1.0/me/activities/${activityId}/historyItems`;

    const before = Date.now();
    const created = await sendSeed("PUT", `${items}/${itemId.toUpperCase()}`, SEED_001_BODY);
    const after = Date.now();
    expect(seen(created)).toEqual(
      jsonAnswer(201, seed001Item("/v1.0", activityId, itemId, before, after, created.body?.createdDateTime), created),
    );

    const byUpper = await send("GET", `${items}/${itemId.toUpperCase()}`);
    const byLower = await send("GET", `${items}/${itemId}`);

    expect(seen(byUpper)).toEqual(jsonAnswer(200, created.body, byUpper));
    expect(seen(byLower)).toEqual(jsonAnswer(200, created.body, byLower));
  });
});

describe.each(PREFIXES)("the seeds under %s", (_name, prefix) => {
  it("seed 000 answers 201 with @odata.context on that prefix", async () => {
    const activityId = await createActivity();

    const before = Date.now();
    const created = await sendSeed("POST", `${prefix}/me/activities/${activityId}/historyItems`, SEED_000_BODY);
    const after = Date.now();

    expect(seen(created)).toEqual(jsonAnswer(201, seed000Item(prefix, activityId, before, after), created));
  });

  it("seed 001 answers 201 then 200 with @odata.context on that prefix", async () => {
    const activityId = await createActivity();
    const itemId = crypto.randomUUID();
    const path = `${prefix}/me/activities/${activityId}/historyItems/${itemId}`;

    const before = Date.now();
    const created = await sendSeed("PUT", path, SEED_001_BODY);
    const replaced = await sendSeed("PUT", path, SEED_001_BODY);
    const after = Date.now();

    const item = seed001Item(prefix, activityId, itemId, before, after, created.body?.createdDateTime);
    expect(seen(created)).toEqual(jsonAnswer(201, item, created));
    expect(seen(replaced)).toEqual(
      jsonAnswer(200, { ...item, status: "updated", createdDateTime: created.body.createdDateTime }, replaced),
    );
  });
});
