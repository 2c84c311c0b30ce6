// Microsoft Graph's JavaScript client (@microsoft/microsoft-graph-client v3), unchanged, against the
// service: every route it can express, its PageIterator over the feed, and its GraphError for ours.
// The client sends the token only to https:// hosts named in customHosts, so it talks to the HTTPS
// instance that test/node/service.ts starts, trusting that instance's self-signed certificate.
import { type Client, PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { classicClient } from "./clients";
import { expectGraphError, GUID, graphRejection } from "./errors";
import { mintToken } from "./token";

const origin = inject("secureServiceUrl");

const UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
const plus30Days = (utc: string) => new Date(Date.parse(utc) + THIRTY_DAYS_MS).toISOString();

let user: string;
let client: Client;
let context: string;

beforeEach(async () => {
  // Each test its own user, so that feeds and ids never meet.
  user = crypto.randomUUID();
  client = classicClient(origin, inject("secureServiceCertificate"), await mintToken({ user }));
  context = `${origin}/v1.0/$metadata#users('${user}')/activities`;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const freshAppActivityId = () => `/artículo?id=${crypto.randomUUID()}&lang=es es`;
const activityPath = (appActivityId: string) => `/me/activities/${encodeURIComponent(appActivityId)}`;

/** Graph's own example activity (the userActivity PUT reference page). */
const exampleActivity = (displayText = "Contoso How-To: How to Tie a Reef Knot") => ({
  activitySourceHost: "https://www.contoso.com",
  userTimezone: "Africa/Casablanca",
  appDisplayName: "Contoso, Ltd.",
  activationUrl: "https://www.contoso.com/article?id=12345",
  contentUrl: "https://www.contoso.com/article?id=12345",
  fallbackUrl: "https://www.contoso.com/article?id=12345",
  contentInfo: { "@context": "https://schema.org", "@type": "Article", author: "Jennifer Booth", name: "How to Tie a Reef Knot" },
  visualElements: {
    attribution: {
      iconUrl: "https://www.contoso.com/icon",
      alternateText: "Contoso, Ltd.",
      alternativeText: "Contoso, Ltd.",
      addImageQuery: false,
    },
    description: "How to Tie a Reef Knot. A step-by-step visual guide to the art of nautical knot-tying.",
    backgroundColor: "#ff0000",
    displayText,
    content: {
      $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
      type: "AdaptiveCard",
      body: [{ type: "TextBlock", text: "Contoso MainPage" }],
    },
  },
});

/** The activity as the service returns it for `body`, with the server's fields matched. */
const activityResource = (appActivityId: string, body: object) => ({
  "@odata.context": `${context}/$entity`,
  ...body,
  appActivityId,
  id: expect.stringMatching(/^\d{1,20}$/),
  createdDateTime: expect.stringMatching(UTC_MS),
  lastModifiedDateTime: expect.stringMatching(UTC_MS),
  expirationDateTime: expect.stringMatching(UTC_MS),
  status: "active",
});

describe("activities", () => {
  it("PUT creates then replaces an activity under its percent-encoded appActivityId; GET reads it; DELETE removes it", async () => {
    const appActivityId = freshAppActivityId();
    const body = { ...exampleActivity(), appActivityId };

    const created = await client.api(activityPath(appActivityId)).put(body);
    expect(created).toEqual(activityResource(appActivityId, body));
    expect(created.lastModifiedDateTime).toBe(created.createdDateTime);
    expect(created.expirationDateTime).toBe(plus30Days(created.lastModifiedDateTime));

    // The replacing body leaves appActivityId out: the URL names the activity.
    const replacement = exampleActivity("Contoso How-To: How to Tie a Bowline");
    const replaced = await client.api(activityPath(appActivityId)).put(replacement);
    expect(replaced).toEqual({
      ...activityResource(appActivityId, replacement),
      id: created.id,
      createdDateTime: created.createdDateTime,
      status: "updated",
    });
    expect(Date.parse(replaced.lastModifiedDateTime)).toBeGreaterThanOrEqual(Date.parse(created.lastModifiedDateTime));

    expect(await client.api(`/me/activities/${created.id}`).get()).toEqual(replaced);

    expect(await client.api(`/me/activities/${created.id}`).delete()).toBeUndefined();
    const gone = await graphRejection(client.api(`/me/activities/${created.id}`).get());
    expectGraphError(gone, 404, "itemNotFound", `The activity '${created.id}' does not exist.`);
  });

  it("PUT deep-inserts history items; GET with .expand('historyItems') returns them", async () => {
    const appActivityId = freshAppActivityId();
    const itemId = crypto.randomUUID();
    const body = {
      ...exampleActivity(),
      appActivityId,
      historyItems: [
        {
          id: itemId.toUpperCase(),
          startedDateTime: "2015-02-11T20:54:04.3457274+00:00",
          lastActiveDateTime: "2015-02-11T20:54:24.3457274+00:00",
          userTimezone: "Africa/Casablanca",
        },
      ],
    };
    const created = await client.api(activityPath(appActivityId)).put(body);
    const item = {
      id: itemId,
      status: "active",
      userTimezone: "Africa/Casablanca",
      createdDateTime: created.createdDateTime,
      lastModifiedDateTime: created.createdDateTime,
      startedDateTime: "2015-02-11T20:54:04.345Z",
      lastActiveDateTime: "2015-02-11T20:54:24.345Z",
      expirationDateTime: plus30Days(created.createdDateTime),
      activeDurationSeconds: 20,
    };
    expect(created).toEqual({ ...activityResource(appActivityId, exampleActivity()), historyItems: [item] });

    const { historyItems: _, ...withoutItems } = created;
    expect(await client.api(`/me/activities/${created.id}`).get()).toEqual(withoutItems);
    expect(await client.api(`/me/activities/${created.id}`).expand("historyItems").get()).toEqual(created);
  });
});

describe("history items", () => {
  it("POST creates one with a server GUID, PUT creates then replaces one, GET reads and lists them, DELETE removes one", async () => {
    const activity = await client.api(activityPath(freshAppActivityId())).put(exampleActivity());
    const items = `/me/activities/${activity.id}/historyItems`;
    const itemContext = `${context}('${activity.id}')/historyItems`;

    // Seed 000's body, read-only status included.
    const posted = await client.api(items).post({
      status: "String",
      userTimezone: "User Timezone value",
      startedDateTime: "2016-12-31T23:58:54.0663658+03:00",
      lastActiveDateTime: "2017-01-01T00:10:54.0663658+03:00",
    });
    expect(posted).toEqual({
      "@odata.context": `${itemContext}/$entity`,
      id: expect.stringMatching(GUID),
      status: "active",
      userTimezone: "User Timezone value",
      createdDateTime: expect.stringMatching(UTC_MS),
      lastModifiedDateTime: posted.createdDateTime,
      startedDateTime: "2016-12-31T20:58:54.066Z",
      lastActiveDateTime: "2016-12-31T21:10:54.066Z",
      expirationDateTime: plus30Days(posted.createdDateTime),
      activeDurationSeconds: 720,
    });

    // Seed 001: created by PUT, then replaced; what the replacement leaves out is gone.
    const itemId = crypto.randomUUID();
    const put = await client.api(`${items}/${itemId.toUpperCase()}`).put({
      startedDateTime: "2015-02-11T20:54:04.3457274+00:00",
      lastActiveDateTime: "2015-02-11T20:54:24.3457274+00:00",
      userTimezone: "Africa/Casablanca",
    });
    expect(put).toEqual({
      "@odata.context": `${itemContext}/$entity`,
      id: itemId,
      status: "active",
      userTimezone: "Africa/Casablanca",
      createdDateTime: expect.stringMatching(UTC_MS),
      lastModifiedDateTime: put.createdDateTime,
      startedDateTime: "2015-02-11T20:54:04.345Z",
      lastActiveDateTime: "2015-02-11T20:54:24.345Z",
      expirationDateTime: plus30Days(put.createdDateTime),
      activeDurationSeconds: 20,
    });
    const replaced = await client.api(`${items}/${itemId}`).put({ startedDateTime: "2015-02-11T21:00:00Z", activeDurationSeconds: 5 });
    expect(replaced).toEqual({
      ...put,
      status: "updated",
      userTimezone: null,
      lastModifiedDateTime: expect.stringMatching(UTC_MS),
      startedDateTime: "2015-02-11T21:00:00.000Z",
      lastActiveDateTime: null,
      activeDurationSeconds: 5,
    });

    const { "@odata.context": _, ...replacedItem } = replaced;
    const { "@odata.context": __, ...postedItem } = posted;
    expect(await client.api(`${items}/${itemId}`).get()).toEqual(replaced);
    expect(await client.api(items).get()).toEqual({ "@odata.context": itemContext, value: [replacedItem, postedItem] });

    expect(await client.api(`${items}/${itemId}`).delete()).toBeUndefined();
    expect(await client.api(items).get()).toEqual({ "@odata.context": itemContext, value: [postedItem] });
  });
});

describe("read-modify-write", () => {
  it("an activity and a history item read back can be PUT as they are, their read-only properties ignored", async () => {
    const appActivityId = freshAppActivityId();
    const created = await client.api(activityPath(appActivityId)).put(exampleActivity());
    const read = await client.api(`/me/activities/${created.id}`).get();
    const edited = { ...read, visualElements: { ...read.visualElements, displayText: "Edited" } };
    expect(await client.api(activityPath(appActivityId)).put(edited)).toEqual({
      ...edited,
      status: "updated",
      lastModifiedDateTime: expect.stringMatching(UTC_MS),
      expirationDateTime: expect.stringMatching(UTC_MS),
    });

    const items = `/me/activities/${created.id}/historyItems`;
    const posted = await client.api(items).post({ startedDateTime: "2015-02-11T20:54:04Z", lastActiveDateTime: "2015-02-11T20:54:24Z" });
    const item = await client.api(`${items}/${posted.id}`).get();
    expect(await client.api(`${items}/${posted.id}`).put({ ...item, userTimezone: "Europe/Paris" })).toEqual({
      ...item,
      userTimezone: "Europe/Paris",
      status: "updated",
      lastModifiedDateTime: expect.stringMatching(UTC_MS),
    });
  });
});

describe("the feed", () => {
  it("pages /me/activities and /me/activities/recent to the end with PageIterator, every activity exactly once", async () => {
    const created = new Map<string, any>();
    for (let i = 0; i < 25; i++) {
      const appActivityId = `/feed/${i}?${crypto.randomUUID()}`;
      const { "@odata.context": _, ...activity } = await client.api(activityPath(appActivityId)).put(exampleActivity(`Activity ${i}`));
      created.set(activity.id, activity);
    }
    const fetchSpy = vi.spyOn(globalThis, "fetch");

    /** Walks a feed with the SDK's PageIterator from its first page; the activities and the URLs it fetched. */
    async function walk(path: string, top: number) {
      fetchSpy.mockClear();
      const seen: any[] = [];
      const first: PageCollection = await client.api(path).top(top).get();
      expect(first["@odata.context"]).toBe(
        path.endsWith("recent") ? `${origin}/v1.0/$metadata#Collection(microsoft.graph.userActivity)` : context,
      );
      await new PageIterator(client, first, (activity) => {
        seen.push(activity);
        return true;
      }).iterate();
      return { seen, urls: fetchSpy.mock.calls.map(([input]) => String(input)) };
    }

    const all = await walk("/me/activities", 10);
    expect(all.urls).toEqual([
      `${origin}/v1.0/me/activities?$top=10`,
      expect.stringMatching(/\/v1\.0\/me\/activities\?\$top=10&\$skiptoken=[^&]+$/),
      expect.stringMatching(/\/v1\.0\/me\/activities\?\$top=10&\$skiptoken=[^&]+$/),
    ]);
    expect(all.seen).toHaveLength(25);
    expect(new Set(all.seen.map((activity) => activity.id)).size).toBe(25);
    for (const activity of all.seen) expect(activity).toEqual(created.get(activity.id));
    const modified = all.seen.map((activity) => Date.parse(activity.lastModifiedDateTime));
    expect(modified).toEqual([...modified].sort((a, b) => b - a));

    // Recent: only activities with history items, the newest item's activity first.
    const itemModified = new Map<string, number>();
    for (const id of [...created.keys()].filter((_, index) => index % 2 === 0)) {
      const item = await client.api(`/me/activities/${id}/historyItems`).post({ startedDateTime: new Date().toISOString() });
      itemModified.set(id, Date.parse(item.lastModifiedDateTime));
    }
    const recent = await walk("/me/activities/recent", 5);
    expect(recent.urls).toHaveLength(3);
    expect(recent.seen).toHaveLength(13);
    expect(new Set(recent.seen.map((activity) => activity.id))).toEqual(new Set(itemModified.keys()));
    for (const activity of recent.seen) expect(activity).toEqual(created.get(activity.id));
    const newestItems = recent.seen.map((activity) => itemModified.get(activity.id)!);
    expect(newestItems).toEqual([...newestItems].sort((a, b) => b - a));
  });
});

describe("errors surface as the client's GraphError with our code, message and request id", () => {
  it("404 itemNotFound for a history item that does not exist, echoing the caller's client-request-id", async () => {
    const activity = await client.api(activityPath(freshAppActivityId())).put(exampleActivity());
    const missing = crypto.randomUUID();
    const clientRequestId = crypto.randomUUID();
    const error = await graphRejection(
      client.api(`/me/activities/${activity.id}/historyItems/${missing}`).header("client-request-id", clientRequestId).get(),
    );
    expectGraphError(error, 404, "itemNotFound", `The history item '${missing}' does not exist.`, clientRequestId);
  });

  it("400 BadRequest naming the property for an invalid body", async () => {
    const error = await graphRejection(
      client
        .api(activityPath(freshAppActivityId()))
        .put({ ...exampleActivity(), visualElements: { displayText: "x", backgroundColor: "red" } }),
    );
    expectGraphError(
      error,
      400,
      "BadRequest",
      "Invalid value for 'visualElements.backgroundColor': expected a hex colour such as #ff0000.",
    );
  });

  it("400 invalidRequest for a history item id that is not a GUID", async () => {
    const activity = await client.api(activityPath(freshAppActivityId())).put(exampleActivity());
    const error = await graphRejection(client.api(`/me/activities/${activity.id}/historyItems/not-a-guid`).get());
    expectGraphError(error, 400, "invalidRequest", /^Invalid value for 'historyItemId': expected a GUID/);
  });

  it("409 conflict for a POST of a history item id that already exists", async () => {
    const activity = await client.api(activityPath(freshAppActivityId())).put(exampleActivity());
    const item = { id: crypto.randomUUID(), startedDateTime: "2015-02-11T20:54:04Z" };
    await client.api(`/me/activities/${activity.id}/historyItems`).post(item);
    const error = await graphRejection(client.api(`/me/activities/${activity.id}/historyItems`).post(item));
    expectGraphError(error, 409, "conflict", `A history item with id '${item.id}' already exists; PUT it to replace it.`);
  });

  it("401 InvalidAuthenticationToken with a Bearer challenge for an expired token", async () => {
    const expired = classicClient(origin, inject("secureServiceCertificate"), await mintToken({ user, ttl: -3600 }));
    const error = await graphRejection(expired.api("/me/activities").get());
    expectGraphError(error, 401, "InvalidAuthenticationToken", "Lifetime validation failed: the token is expired.");
    expect(error.headers?.get("www-authenticate")).toBe(
      `Bearer error="invalid_token", error_description="Lifetime validation failed: the token is expired."`,
    );
  });
});

describe("the client's telemetry headers", () => {
  it("sends SdkVersion and a client-request-id, which the service echoes beside its own request-id", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const page = await client.api("/me/activities").get();
    expect(page).toEqual({ "@odata.context": context, value: [] });

    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const [input, init] = fetchSpy.mock.calls[0]!;
    expect(String(input)).toBe(`${origin}/v1.0/me/activities`);
    const sent = new Headers(init?.headers);
    expect(sent.get("SdkVersion")).toMatch(/^graph-js\/3\.\d+\.\d+/);
    expect(sent.get("client-request-id")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(sent.get("Authorization")).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    const received = (await fetchSpy.mock.results[0]!.value) as Response;
    expect(received.headers.get("client-request-id")).toBe(sent.get("client-request-id"));
    expect(received.headers.get("request-id")).toMatch(GUID);
    expect(received.headers.get("request-id")).not.toBe(sent.get("client-request-id"));
  });
});
