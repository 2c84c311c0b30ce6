// Microsoft's SDKs as a new user writes against them, through their typed builders only (no
// RequestInformation, no raw URLs), against the service as `npm run dev` serves it: Kiota's
// me.activities and users.byUserId(), and the classic client's .skipToken(), .select() and .count().
import type { ActivityHistoryItem, UserActivity } from "@microsoft/msgraph-sdk/models/index.js";
import type { ODataError } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { classicClient, kiotaSdk, plain, type KiotaSdk } from "./clients";
import { mintToken } from "./token";

const DAY_MS = 86_400_000;
const UPN = "Megan.Bowen@contoso.com";

const plus30Days = (date: Date) => new Date(date.getTime() + 30 * DAY_MS);

let user: string;
let sdk: KiotaSdk;
let context: string;

beforeEach(async () => {
  // Each test its own user, so that feeds and ids never meet.
  user = crypto.randomUUID();
  sdk = kiotaSdk(inject("serviceUrl"), await mintToken({ user, preferredUsername: UPN }));
  context = `${inject("serviceUrl")}/v1.0/$metadata#users('${user}')/activities`;
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** An activity as the typed model of a create: the body carries its appActivityId. */
const newActivity = (appActivityId: string, displayText = "How to Tie a Reef Knot"): UserActivity => ({
  appActivityId,
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?id=12345",
  appDisplayName: "Contoso, Ltd.",
  userTimezone: "Africa/Casablanca",
  visualElements: {
    displayText,
    description: "A step-by-step guide",
    backgroundColor: "#ff0000",
    attribution: { iconUrl: "https://www.contoso.com/icon", alternateText: "Contoso", addImageQuery: false },
  },
});

/** The model the SDK reads back for a created `body`, in plain form (see plain()): every property, the server's matched. */
const createdModel = (body: UserActivity, extra: Partial<UserActivity> = {}) => ({
  additionalData: { "@odata.context": `${context}/$entity` },
  ...body,
  id: expect.stringMatching(/^\d{1,20}$/),
  fallbackUrl: undefined,
  contentUrl: undefined,
  // Free JSON comes back as the SDK's untyped nodes, here an untyped null.
  contentInfo: null,
  visualElements: {
    ...body.visualElements,
    content: null,
    attribution: { ...body.visualElements!.attribution, alternativeText: undefined },
  },
  createdDateTime: expect.any(Date),
  lastModifiedDateTime: expect.any(Date),
  expirationDateTime: expect.any(Date),
  status: "active",
  ...extra,
});

/** The ODataError a call rejects with: its status, code and message. */
async function rejection(call: Promise<unknown>) {
  const error = (await call.then(
    () => undefined,
    (reason: unknown) => reason,
  )) as ODataError;
  return { status: error?.responseStatusCode, code: error?.errorEscaped?.code, message: error?.errorEscaped?.message };
}

describe("Kiota (@microsoft/msgraph-sdk): me.activities", () => {
  it("post creates an activity (201); byUserActivityId().get, .patch and .delete read, change and remove it", async () => {
    const appActivityId = `/article?${crypto.randomUUID()}`;
    const body = newActivity(appActivityId);
    const fetchSpy = vi.spyOn(globalThis, "fetch");

    const created = plain(await sdk.client.me.activities.post(body)) as UserActivity;
    expect(created).toEqual(createdModel(body));
    expect(created.lastModifiedDateTime).toEqual(created.createdDateTime);
    expect(created.expirationDateTime).toEqual(plus30Days(created.createdDateTime!));
    const received = (await fetchSpy.mock.results[0]!.value) as Response;
    expect([fetchSpy.mock.calls.length, fetchSpy.mock.calls[0]![1]?.method, received.status]).toEqual([1, "POST", 201]);
    fetchSpy.mockRestore();

    const activity = sdk.client.me.activities.byUserActivityId(created.id!);
    expect(plain(await activity.get())).toEqual(created);

    // Only what the patch names changes; visualElements merges member by member.
    const patched = plain(
      await activity.patch({ appDisplayName: "Contoso", visualElements: { description: "Knots, step by step" } }),
    ) as UserActivity;
    expect(patched).toEqual({
      ...created,
      appDisplayName: "Contoso",
      visualElements: { ...created.visualElements, description: "Knots, step by step" },
      status: "updated",
      lastModifiedDateTime: expect.any(Date),
      expirationDateTime: plus30Days(patched!.lastModifiedDateTime!),
    });
    expect(plain(await activity.get())).toEqual(patched);

    // The model a read gives back can be patched as it is, with a change.
    const readBack = (await activity.get())!;
    readBack.userTimezone = "Europe/Paris";
    expect(plain(await activity.patch(readBack))).toEqual({
      ...patched,
      userTimezone: "Europe/Paris",
      lastModifiedDateTime: expect.any(Date),
      expirationDateTime: expect.any(Date),
    });

    const again = await rejection(sdk.client.me.activities.post(body));
    expect(again).toEqual({
      status: 409,
      code: "conflict",
      message: `An activity with appActivityId '${appActivityId}' already exists (id '${created.id}'); PATCH or PUT it to change it.`,
    });

    await expect(activity.delete()).resolves.toBeUndefined();
    expect(await rejection(activity.get())).toEqual({
      status: 404,
      code: "itemNotFound",
      message: `The activity '${created.id}' does not exist.`,
    });
  });

  it("historyItems.post, byActivityHistoryItemId().get, .patch and .delete, .activity.get and historyItems.count.get", async () => {
    const activity = await sdk.client.me.activities.post(newActivity(`/article?${crypto.randomUUID()}`));
    const items = sdk.client.me.activities.byUserActivityId(activity!.id!).historyItems;
    const itemContext = `${context}('${activity!.id}')/historyItems/$entity`;

    const posted = await items.post({
      startedDateTime: new Date("2015-02-11T20:54:04.345Z"),
      lastActiveDateTime: new Date("2015-02-11T20:54:24.345Z"),
      userTimezone: "Africa/Casablanca",
    });
    expect(posted).toEqual({
      additionalData: { "@odata.context": itemContext },
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: "active",
      userTimezone: "Africa/Casablanca",
      createdDateTime: expect.any(Date),
      lastModifiedDateTime: posted!.createdDateTime,
      startedDateTime: new Date("2015-02-11T20:54:04.345Z"),
      lastActiveDateTime: new Date("2015-02-11T20:54:24.345Z"),
      expirationDateTime: plus30Days(posted!.createdDateTime!),
      activeDurationSeconds: 20,
    } satisfies ActivityHistoryItem & { additionalData: unknown });

    const item = items.byActivityHistoryItemId(posted!.id!);
    expect(await item.get()).toEqual(posted);
    // Moving lastActiveDateTime computes the computed duration again.
    const patched = await item.patch({ lastActiveDateTime: new Date("2015-02-11T20:55:04.345Z") });
    expect(patched).toEqual({
      ...posted,
      status: "updated",
      lastModifiedDateTime: expect.any(Date),
      lastActiveDateTime: new Date("2015-02-11T20:55:04.345Z"),
      activeDurationSeconds: 60,
    });

    expect(plain(await item.activity.get())).toEqual({
      ...(plain(activity) as object),
      additionalData: { "@odata.context": `${context}('${activity!.id}')/historyItems('${posted!.id}')/activity/$entity` },
    });

    await items.post({ startedDateTime: new Date("2015-02-12T08:00:00Z") });
    expect(await items.count.get()).toBe(2);
    const after = `lastModifiedDateTime gt ${patched!.lastModifiedDateTime!.toISOString()}`;
    expect(await items.count.get({ queryParameters: { filter: after } })).toBe(1);

    await expect(item.delete()).resolves.toBeUndefined();
    expect(await items.count.get()).toBe(1);
    expect(await rejection(item.get())).toEqual({
      status: 404,
      code: "itemNotFound",
      message: `The history item '${posted!.id}' does not exist.`,
    });
  });

  it("get({ queryParameters: { select } }) on an activity, the feed and the items returns only those properties", async () => {
    const activity = await sdk.client.me.activities.post(newActivity(`/article?${crypto.randomUUID()}`));
    const item = await sdk.client.me.activities
      .byUserActivityId(activity!.id!)
      .historyItems.post({ startedDateTime: new Date("2015-02-11T20:54:04.345Z") });

    const one = await sdk.client.me.activities
      .byUserActivityId(activity!.id!)
      .get({ queryParameters: { select: ["appDisplayName", "status"] } });
    expect(one).toEqual({
      additionalData: { "@odata.context": `${context}/$entity` },
      id: activity!.id,
      appDisplayName: "Contoso, Ltd.",
      status: "active",
    });

    const feed = await sdk.client.me.activities.get({ queryParameters: { select: ["appActivityId"], count: true } });
    expect(feed).toEqual({
      additionalData: { "@odata.context": context },
      odataCount: 1,
      value: [{ id: activity!.id, appActivityId: activity!.appActivityId }],
    });

    const recent = await sdk.client.me.activities.recent.get({
      queryParameters: { select: ["id"], expand: ["historyItems($select=startedDateTime)"] },
    });
    expect(recent!.value).toEqual([{ id: activity!.id, historyItems: [{ id: item!.id, startedDateTime: item!.startedDateTime }] }]);

    const items = await sdk.client.me.activities
      .byUserActivityId(activity!.id!)
      .historyItems.get({ queryParameters: { select: ["startedDateTime"] } });
    expect(items!.value).toEqual([{ id: item!.id, startedDateTime: item!.startedDateTime }]);

    expect(await sdk.client.me.activities.count.get()).toBe(1);
    const unknown = await rejection(sdk.client.me.activities.get({ queryParameters: { select: ["displayText"] } }));
    expect(unknown).toEqual({
      status: 400,
      code: "invalidRequest",
      message: expect.stringMatching(/^Invalid \$select: 'displayText' is not a selectable property of microsoft\.graph\.userActivity/),
    });
  });
});

describe("Kiota (@microsoft/msgraph-sdk-users): users.byUserId()", () => {
  it("activities.get() serves the caller's own oid and user principal name, and refuses anyone else's with 403", async () => {
    const created = plain(await sdk.client.me.activities.post(newActivity(`/article?${crypto.randomUUID()}`))) as UserActivity;
    const { additionalData: _, ...listed } = created;

    expect(plain(await sdk.client.users.byUserId(user).activities.get())).toEqual({
      additionalData: { "@odata.context": context },
      value: [listed],
    });
    const byName = plain(await sdk.client.users.byUserId(UPN.toLowerCase()).activities.byUserActivityId(created.id!).get());
    expect(byName).toEqual({
      ...created,
      additionalData: {
        "@odata.context": `${inject("serviceUrl")}/v1.0/$metadata#users('${encodeURIComponent(UPN.toLowerCase())}')/activities/$entity`,
      },
    });

    const other = crypto.randomUUID();
    expect(await rejection(sdk.client.users.byUserId(other).activities.get())).toEqual({
      status: 403,
      code: "accessDenied",
      message: `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of '${other}'.`,
    });
    expect((await rejection(sdk.client.users.byUserId(other).activities.post(newActivity("/x")))).status).toBe(403);
  });
});

describe("the classic client (@microsoft/microsoft-graph-client)", () => {
  const origin = inject("secureServiceUrl");
  const certificate = inject("secureServiceCertificate");

  it(".skipToken() pages on, .select() keeps only the named properties, .count() adds @odata.count", async () => {
    const client = classicClient(origin, certificate, await mintToken({ user }));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await client.api("/me/activities").post(newActivity(`/article?${crypto.randomUUID()}`, `Activity ${i}`));
      ids.unshift(created.id);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const listContext = `${origin}/v1.0/$metadata#users('${user}')/activities`;

    const first = await client.api("/me/activities").top(2).select(["appDisplayName"]).count().get();
    expect(first).toEqual({
      "@odata.context": listContext,
      "@odata.count": 3,
      value: ids.slice(0, 2).map((id) => ({ id, appDisplayName: "Contoso, Ltd." })),
      "@odata.nextLink": expect.stringMatching(/\$skiptoken=/),
    });
    // .skipToken() sends the cursor as $skipToken; the service reads option names ignoring case.
    const token = new URL(first["@odata.nextLink"]).searchParams.get("$skiptoken")!;
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const second = await client.api("/me/activities").top(2).select(["appDisplayName"]).count().skipToken(token).get();
    expect(fetchSpy.mock.calls.map(([input]) => String(input))).toEqual([expect.stringContaining("$skipToken=")]);
    expect(second).toEqual({ "@odata.context": listContext, "@odata.count": 3, value: [{ id: ids[2], appDisplayName: "Contoso, Ltd." }] });

    const patched = await client.api(`/me/activities/${ids[0]}`).patch({ visualElements: { backgroundColor: "#00ff00" } });
    expect(patched.visualElements).toEqual({
      displayText: "Activity 2",
      description: "A step-by-step guide",
      backgroundColor: "#00ff00",
      content: null,
      attribution: { iconUrl: "https://www.contoso.com/icon", alternateText: "Contoso", alternativeText: null, addImageQuery: false },
    });
  });
});
