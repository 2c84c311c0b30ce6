// Microsoft Graph's Kiota-based TypeScript SDK (@microsoft/msgraph-sdk with @microsoft/msgraph-sdk-users),
// unchanged, against the service as `npm run dev` serves it (plain HTTP on 127.0.0.1, which Kiota allows
// for a bearer token): its fluent builders where it has them, its raw request API for the PUTs it lacks,
// its PageIterator over the feed, and its ODataError for our errors.
import { HttpMethod, type Parsable, type ParsableFactory } from "@microsoft/kiota-abstractions";
import { PageIterator, type PageCollection } from "@microsoft/msgraph-sdk-core";
import {
  createActivityHistoryItemFromDiscriminatorValue,
  createUserActivityCollectionResponseFromDiscriminatorValue,
  createUserActivityFromDiscriminatorValue,
  type ActivityHistoryItem,
  type UserActivity,
} from "@microsoft/msgraph-sdk/models/index.js";
import { createRecentGetResponseFromDiscriminatorValue } from "@microsoft/msgraph-sdk-users/users/item/activities/recent/index.js";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { errorMappings, kiotaSdk, plain, untyped, type KiotaSdk } from "./clients";
import { expectODataError, GUID, odataRejection } from "./errors";
import { mintToken } from "./token";

const origin = inject("serviceUrl");

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
const plus30Days = (date: Date) => new Date(date.getTime() + THIRTY_DAYS_MS);

let user: string;
let sdk: KiotaSdk;
let context: string;

beforeEach(async () => {
  // Each test its own user, so that feeds and ids never meet.
  user = crypto.randomUUID();
  sdk = kiotaSdk(origin, await mintToken({ user }));
  context = `${origin}/v1.0/$metadata#users('${user}')/activities`;
});

afterEach(() => {
  vi.restoreAllMocks();
});

const contentInfo = { "@context": "https://schema.org", "@type": "Article", author: "Jennifer Booth", name: "How to Tie a Reef Knot" };
const card = {
  $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
  type: "AdaptiveCard",
  body: [{ type: "TextBlock", text: "Contoso MainPage", wrap: true, size: 2 }],
};

/** Graph's own example activity (the userActivity PUT reference page) as the SDK's model. */
const exampleActivity = (displayText = "Contoso How-To: How to Tie a Reef Knot"): UserActivity => ({
  activitySourceHost: "https://www.contoso.com",
  userTimezone: "Africa/Casablanca",
  appDisplayName: "Contoso, Ltd.",
  activationUrl: "https://www.contoso.com/article?id=12345",
  contentUrl: "https://www.contoso.com/article?id=12345",
  fallbackUrl: "https://www.contoso.com/article?id=12345",
  contentInfo: untyped(contentInfo),
  visualElements: {
    attribution: { iconUrl: "https://www.contoso.com/icon", alternateText: "Contoso, Ltd.", addImageQuery: false },
    description: "How to Tie a Reef Knot. A step-by-step visual guide to the art of nautical knot-tying.",
    backgroundColor: "#ff0000",
    displayText,
    content: untyped(card),
  },
});

/** The model the SDK reads back for `body`, in plain form, with the server's fields matched. */
const activityModel = (appActivityId: string, body: UserActivity) => ({
  ...(plain(body) as object),
  additionalData: { "@odata.context": `${context}/$entity` },
  appActivityId,
  id: expect.stringMatching(/^\d{1,20}$/),
  createdDateTime: expect.any(Date),
  lastModifiedDateTime: expect.any(Date),
  expirationDateTime: expect.any(Date),
  status: "active",
});

const freshAppActivityId = () => `/artículo?id=${crypto.randomUUID()}&lang=es es`;

/**
 * PUT /me/activities/{appActivityId}: the SDK has no PUT for activities, so this is its raw request API,
 * the item builder's own request (URL template, path escaping, Accept, JSON body) sent as PUT.
 */
async function putActivity({ client, adapter }: KiotaSdk, appActivityId: string, body: UserActivity): Promise<UserActivity> {
  const request = client.me.activities.byUserActivityId(appActivityId).toPatchRequestInformation(body);
  request.httpMethod = HttpMethod.PUT;
  const activity = await adapter.send<UserActivity>(request, createUserActivityFromDiscriminatorValue, errorMappings);
  expect(activity).toBeDefined();
  return activity!;
}

/** PUT .../historyItems/{historyItemId}, likewise through the raw request API. */
async function putHistoryItem({ client, adapter }: KiotaSdk, activityId: string, itemId: string, body: ActivityHistoryItem) {
  const request = client.me.activities
    .byUserActivityId(activityId)
    .historyItems.byActivityHistoryItemId(itemId)
    .toPatchRequestInformation(body);
  request.httpMethod = HttpMethod.PUT;
  const item = await adapter.send<ActivityHistoryItem>(request, createActivityHistoryItemFromDiscriminatorValue, errorMappings);
  expect(item).toBeDefined();
  return item!;
}

describe("activities", () => {
  it("PUT (raw request) creates then replaces an activity under its escaped appActivityId; GET reads it; DELETE removes it", async () => {
    const appActivityId = freshAppActivityId();
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const created = await putActivity(sdk, appActivityId, { ...exampleActivity(), appActivityId });
    expect(String(fetchSpy.mock.calls[0]![0])).toBe(`${origin}/v1.0/me/activities/${encodeURIComponent(appActivityId)}`);
    expect(plain(created)).toEqual(activityModel(appActivityId, exampleActivity()));
    expect(created.lastModifiedDateTime).toEqual(created.createdDateTime);
    expect(created.expirationDateTime).toEqual(plus30Days(created.lastModifiedDateTime!));

    const replacement = exampleActivity("Contoso How-To: How to Tie a Bowline");
    const replaced = await putActivity(sdk, appActivityId, replacement);
    expect(plain(replaced)).toEqual({
      ...activityModel(appActivityId, replacement),
      id: created.id,
      createdDateTime: created.createdDateTime,
      status: "updated",
    });
    expect(replaced.lastModifiedDateTime!.getTime()).toBeGreaterThanOrEqual(created.lastModifiedDateTime!.getTime());

    const activity = sdk.client.me.activities.byUserActivityId(created.id!);
    expect(plain(await activity.get())).toEqual(plain(replaced));

    await expect(activity.delete()).resolves.toBeUndefined();
    const gone = await odataRejection(activity.get());
    expectODataError(gone, 404, "itemNotFound", `The activity '${created.id}' does not exist.`);
  });

  it("PUT deep-inserts history items; GET with expand: ['historyItems'] returns them", async () => {
    const appActivityId = freshAppActivityId();
    const itemId = crypto.randomUUID();
    const created = await putActivity(sdk, appActivityId, {
      ...exampleActivity(),
      historyItems: [
        {
          id: itemId.toUpperCase(),
          startedDateTime: new Date("2015-02-11T20:54:04.345Z"),
          lastActiveDateTime: new Date("2015-02-11T20:54:24.345Z"),
          userTimezone: "Africa/Casablanca",
        },
      ],
    });
    const item = {
      id: itemId,
      status: "active",
      userTimezone: "Africa/Casablanca",
      createdDateTime: created.createdDateTime,
      lastModifiedDateTime: created.createdDateTime,
      startedDateTime: new Date("2015-02-11T20:54:04.345Z"),
      lastActiveDateTime: new Date("2015-02-11T20:54:24.345Z"),
      expirationDateTime: plus30Days(created.createdDateTime!),
      activeDurationSeconds: 20,
    };
    expect(plain(created)).toEqual({ ...activityModel(appActivityId, exampleActivity()), historyItems: [item] });

    const activity = sdk.client.me.activities.byUserActivityId(created.id!);
    const { historyItems: _, ...withoutItems } = plain(created) as Record<string, unknown>;
    expect(plain(await activity.get())).toEqual(withoutItems);
    expect(plain(await activity.get({ queryParameters: { expand: ["historyItems"] } }))).toEqual(plain(created));
  });
});

describe("history items", () => {
  it("POST creates one with a server GUID, PUT (raw request) creates then replaces one, GET reads and lists them, DELETE removes one", async () => {
    const activity = await putActivity(sdk, freshAppActivityId(), exampleActivity());
    const items = sdk.client.me.activities.byUserActivityId(activity.id!).historyItems;
    const itemContext = `${context}('${activity.id}')/historyItems`;

    const posted = await items.post({
      userTimezone: "User Timezone value",
      startedDateTime: new Date("2016-12-31T20:58:54.066Z"),
      lastActiveDateTime: new Date("2016-12-31T21:10:54.066Z"),
    });
    expect(posted).toEqual({
      additionalData: { "@odata.context": `${itemContext}/$entity` },
      id: expect.stringMatching(GUID),
      status: "active",
      userTimezone: "User Timezone value",
      createdDateTime: expect.any(Date),
      lastModifiedDateTime: posted!.createdDateTime,
      startedDateTime: new Date("2016-12-31T20:58:54.066Z"),
      lastActiveDateTime: new Date("2016-12-31T21:10:54.066Z"),
      expirationDateTime: plus30Days(posted!.createdDateTime!),
      activeDurationSeconds: 720,
    });

    const itemId = crypto.randomUUID();
    const put = await putHistoryItem(sdk, activity.id!, itemId.toUpperCase(), {
      startedDateTime: new Date("2015-02-11T20:54:04.345Z"),
      lastActiveDateTime: new Date("2015-02-11T20:54:24.345Z"),
      userTimezone: "Africa/Casablanca",
    });
    expect(put).toEqual({
      additionalData: { "@odata.context": `${itemContext}/$entity` },
      id: itemId,
      status: "active",
      userTimezone: "Africa/Casablanca",
      createdDateTime: expect.any(Date),
      lastModifiedDateTime: put.createdDateTime,
      startedDateTime: new Date("2015-02-11T20:54:04.345Z"),
      lastActiveDateTime: new Date("2015-02-11T20:54:24.345Z"),
      expirationDateTime: plus30Days(put.createdDateTime!),
      activeDurationSeconds: 20,
    });
    const replaced = await putHistoryItem(sdk, activity.id!, itemId, {
      startedDateTime: new Date("2015-02-11T21:00:00Z"),
      activeDurationSeconds: 5,
    });
    expect(replaced).toEqual({
      ...put,
      status: "updated",
      userTimezone: undefined,
      lastModifiedDateTime: expect.any(Date),
      startedDateTime: new Date("2015-02-11T21:00:00Z"),
      lastActiveDateTime: undefined,
      activeDurationSeconds: 5,
    });

    const { additionalData: _, ...replacedItem } = replaced;
    const { additionalData: __, ...postedItem } = posted!;
    const item = items.byActivityHistoryItemId(itemId);
    expect(await item.get()).toEqual(replaced);
    expect(await items.get()).toEqual({ additionalData: { "@odata.context": itemContext }, value: [replacedItem, postedItem] });

    await expect(item.delete()).resolves.toBeUndefined();
    expect(await items.get()).toEqual({ additionalData: { "@odata.context": itemContext }, value: [postedItem] });
  });
});

describe("read-modify-write", () => {
  it("an activity and a history item read back can be PUT as they are, their read-only properties ignored", async () => {
    const appActivityId = freshAppActivityId();
    const created = await putActivity(sdk, appActivityId, exampleActivity());
    const activity = sdk.client.me.activities.byUserActivityId(created.id!);
    // The model carries everything: id, status, dates, and @odata.context in additionalData.
    const read = (await activity.get())!;
    read.visualElements!.displayText = "Edited";
    expect(plain(await putActivity(sdk, appActivityId, read))).toEqual({
      ...(plain(read) as object),
      status: "updated",
      lastModifiedDateTime: expect.any(Date),
      expirationDateTime: expect.any(Date),
    });

    const posted = await activity.historyItems.post({
      startedDateTime: new Date("2015-02-11T20:54:04Z"),
      lastActiveDateTime: new Date("2015-02-11T20:54:24Z"),
    });
    const item = (await activity.historyItems.byActivityHistoryItemId(posted!.id!).get())!;
    expect(await putHistoryItem(sdk, created.id!, item.id!, { ...item, userTimezone: "Europe/Paris" })).toEqual({
      ...item,
      userTimezone: "Europe/Paris",
      status: "updated",
      lastModifiedDateTime: expect.any(Date),
    });
  });
});

describe("the feed", () => {
  it("pages me.activities and me.activities.recent to the end with PageIterator, every activity exactly once", async () => {
    const created = new Map<string, unknown>();
    for (let i = 0; i < 25; i++) {
      const { additionalData: _, ...activity } = await putActivity(
        sdk,
        `/feed/${i}?${crypto.randomUUID()}`,
        exampleActivity(`Activity ${i}`),
      );
      created.set(activity.id!, plain(activity));
    }
    const fetchSpy = vi.spyOn(globalThis, "fetch");

    /** Walks a feed with the SDK's PageIterator from its first page; the activities and the URLs it fetched. */
    async function walk(first: PageCollection<UserActivity>, factory: ParsableFactory<Parsable>) {
      const seen: UserActivity[] = [];
      const iterator = new PageIterator<UserActivity>(
        sdk.adapter,
        first,
        (activity) => {
          seen.push(activity);
          return true;
        },
        factory as ParsableFactory<PageCollection<UserActivity>>,
        errorMappings,
      );
      await iterator.iterate();
      return { seen, urls: fetchSpy.mock.calls.map(([input]) => String(input)) };
    }

    fetchSpy.mockClear();
    const firstPage = await sdk.client.me.activities.get({ queryParameters: { top: 10 } });
    expect(firstPage!.additionalData).toEqual({ "@odata.context": context });
    const all = await walk(firstPage as PageCollection<UserActivity>, createUserActivityCollectionResponseFromDiscriminatorValue);
    expect(all.urls).toEqual([
      `${origin}/v1.0/me/activities?$top=10`,
      expect.stringMatching(/\/v1\.0\/me\/activities\?\$top=10&\$skiptoken=[^&]+$/),
      expect.stringMatching(/\/v1\.0\/me\/activities\?\$top=10&\$skiptoken=[^&]+$/),
    ]);
    expect(all.seen).toHaveLength(25);
    expect(new Set(all.seen.map((activity) => activity.id)).size).toBe(25);
    for (const activity of all.seen) expect(plain(activity)).toEqual(created.get(activity.id!));
    const modified = all.seen.map((activity) => activity.lastModifiedDateTime!.getTime());
    expect(modified).toEqual([...modified].sort((a, b) => b - a));

    // Recent: only activities with history items, the newest item's activity first.
    const itemModified = new Map<string, number>();
    for (const id of [...created.keys()].filter((_, index) => index % 2 === 0)) {
      const item = await sdk.client.me.activities.byUserActivityId(id).historyItems.post({ startedDateTime: new Date() });
      itemModified.set(id, item!.lastModifiedDateTime!.getTime());
    }
    fetchSpy.mockClear();
    const firstRecent = await sdk.client.me.activities.recent.get({ queryParameters: { top: 5 } });
    expect(firstRecent!.additionalData).toEqual({ "@odata.context": `${origin}/v1.0/$metadata#Collection(microsoft.graph.userActivity)` });
    const recent = await walk(firstRecent as PageCollection<UserActivity>, createRecentGetResponseFromDiscriminatorValue);
    expect(recent.urls).toEqual([
      `${origin}/v1.0/me/activities/recent()?$top=5`,
      ...Array(2).fill(expect.stringMatching(/\/v1\.0\/me\/activities\/recent\(\)\?\$top=5&\$skiptoken=[^&]+$/)),
    ]);
    expect(recent.seen).toHaveLength(13);
    expect(new Set(recent.seen.map((activity) => activity.id))).toEqual(new Set(itemModified.keys()));
    for (const activity of recent.seen) expect(plain(activity)).toEqual(created.get(activity.id!));
    const newestItems = recent.seen.map((activity) => itemModified.get(activity.id!)!);
    expect(newestItems).toEqual([...newestItems].sort((a, b) => b - a));
  });
});

describe("errors surface as the SDK's ODataError with our code, message and request id", () => {
  it("404 itemNotFound for a history item that does not exist, echoing the caller's client-request-id", async () => {
    const activity = await putActivity(sdk, freshAppActivityId(), exampleActivity());
    const missing = crypto.randomUUID();
    const clientRequestId = crypto.randomUUID();
    const error = await odataRejection(
      sdk.client.me.activities
        .byUserActivityId(activity.id!)
        .historyItems.byActivityHistoryItemId(missing)
        .get({
          headers: { "client-request-id": clientRequestId },
        }),
    );
    expectODataError(error, 404, "itemNotFound", `The history item '${missing}' does not exist.`, clientRequestId);
  });

  it("400 BadRequest naming the property for an invalid value", async () => {
    const body = exampleActivity();
    body.visualElements!.backgroundColor = "red";
    const error = await odataRejection(putActivity(sdk, freshAppActivityId(), body));
    expectODataError(
      error,
      400,
      "BadRequest",
      "Invalid value for 'visualElements.backgroundColor': expected a hex colour such as #ff0000.",
    );
  });

  it("400 BadRequest naming a property the type does not define (sent through the model's additionalData)", async () => {
    const error = await odataRejection(putActivity(sdk, freshAppActivityId(), { ...exampleActivity(), additionalData: { colour: "red" } }));
    expectODataError(error, 400, "BadRequest", "The property 'colour' does not exist on type 'microsoft.graph.userActivity'.");
  });

  it("400 invalidRequest for a history item id that is not a GUID", async () => {
    const activity = await putActivity(sdk, freshAppActivityId(), exampleActivity());
    const error = await odataRejection(
      sdk.client.me.activities.byUserActivityId(activity.id!).historyItems.byActivityHistoryItemId("not-a-guid").get(),
    );
    expectODataError(error, 400, "invalidRequest", /^Invalid value for 'historyItemId': expected a GUID/);
  });

  it("409 conflict for a POST of a history item id that already exists", async () => {
    const activity = await putActivity(sdk, freshAppActivityId(), exampleActivity());
    const items = sdk.client.me.activities.byUserActivityId(activity.id!).historyItems;
    const item: ActivityHistoryItem = { id: crypto.randomUUID(), startedDateTime: new Date("2015-02-11T20:54:04Z") };
    await items.post(item);
    const error = await odataRejection(items.post(item));
    expectODataError(error, 409, "conflict", `A history item with id '${item.id}' already exists; PUT it to replace it.`);
  });

  it("401 InvalidAuthenticationToken with a Bearer challenge for an expired token", async () => {
    const expired = kiotaSdk(origin, await mintToken({ user, ttl: -3600 }));
    const error = await odataRejection(expired.client.me.activities.get());
    expectODataError(error, 401, "InvalidAuthenticationToken", "Lifetime validation failed: the token is expired.");
    // The SDK splits every response header on commas, the challenge's parameters included.
    expect(error.responseHeaders?.["www-authenticate"]?.join(",")).toBe(
      `Bearer error="invalid_token", error_description="Lifetime validation failed: the token is expired."`,
    );
  });
});

describe("the SDK's telemetry headers", () => {
  it("sends SdkVersion and no client-request-id; the service answers with request-id and reuses it as client-request-id", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const page = await sdk.client.me.activities.get();
    expect(page).toEqual({ additionalData: { "@odata.context": context }, value: [] });

    expect(fetchSpy).toHaveBeenCalledTimes(1);
    const [input, init] = fetchSpy.mock.calls[0]!;
    expect(String(input)).toBe(`${origin}/v1.0/me/activities`);
    const sent = new Headers(init?.headers);
    expect(sent.get("SdkVersion")).toMatch(/^graph-typescript\/\S+, graph-typescript-core\/\S+$/);
    expect(sent.get("User-Agent")).toMatch(/^kiota-typescript\//);
    expect(sent.get("Accept")).toBe("application/json");
    expect(sent.get("client-request-id")).toBeNull();
    expect(sent.get("Authorization")).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);

    const received = (await fetchSpy.mock.results[0]!.value) as Response;
    expect(received.headers.get("request-id")).toMatch(GUID);
    expect(received.headers.get("client-request-id")).toBe(received.headers.get("request-id"));
  });
});
