// JSON batching through both Microsoft SDKs' own batching helpers, unchanged, against the service as
// `npm run dev` serves it: Kiota core's BatchRequestContent + BatchRequestBuilder fed by the typed
// builders' RequestInformation, and the classic client's BatchRequestContent/BatchResponseContent.
import { createUntypedObject, createUntypedString } from "@microsoft/kiota-abstractions";
import {
  BatchRequestContent as ClassicBatchRequestContent,
  BatchResponseContent as ClassicBatchResponseContent,
  type Client,
} from "@microsoft/microsoft-graph-client";
import { BatchRequestBuilder, BatchRequestContent, type BatchRequestStep } from "@microsoft/msgraph-sdk-core";
import type { ActivityHistoryItem, UserActivity } from "@microsoft/msgraph-sdk/models/index.js";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { classicClient, errorMappings, kiotaSdk, type KiotaSdk } from "./clients";
import { mintToken } from "./token";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ERROR_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
const STARTED = "2015-02-11T20:54:04.345Z";

const activity = (displayText: string) => ({
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?id=12345",
  appDisplayName: "Contoso, Ltd.",
  visualElements: { displayText },
});

/** The activity the service answers for activity(displayText), with its server fields matched. */
const activityResource = (context: string, appActivityId: string, displayText: string) => ({
  "@odata.context": `${context}/$entity`,
  id: expect.stringMatching(/^\d{1,20}$/),
  appActivityId,
  ...activity(displayText),
  fallbackUrl: null,
  contentUrl: null,
  visualElements: { displayText, description: null, backgroundColor: null, content: null, attribution: null },
  contentInfo: null,
  userTimezone: null,
  createdDateTime: expect.stringMatching(UTC_MS),
  lastModifiedDateTime: expect.stringMatching(UTC_MS),
  expirationDateTime: expect.stringMatching(UTC_MS),
  status: "active",
});

/** The history item the service answers for a POST of `{ id, startedDateTime }`. */
const itemResource = (context: string, id: string) => ({
  "@odata.context": `${context}/$entity`,
  id,
  status: "active",
  userTimezone: null,
  createdDateTime: expect.stringMatching(UTC_MS),
  lastModifiedDateTime: expect.stringMatching(UTC_MS),
  startedDateTime: STARTED,
  lastActiveDateTime: null,
  expirationDateTime: expect.stringMatching(UTC_MS),
  activeDurationSeconds: null,
});

/** A resource as a collection or $expand lists it: without its @odata.context. */
const withoutContext = ({ "@odata.context": _context, ...rest }: Record<string, unknown>) => rest;

/** Graph's error envelope with the ids its answer carries. */
const errorEnvelope = (code: string, message: unknown, requestId: unknown, clientRequestId: unknown) => ({
  error: {
    code,
    message,
    innerError: { date: expect.stringMatching(ERROR_DATE), "request-id": requestId, "client-request-id": clientRequestId },
  },
});

let user: string;
let context: string;

beforeEach(() => {
  // Each test its own user, so that feeds and ids never meet.
  user = crypto.randomUUID();
  context = `/v1.0/$metadata#users('${user}')/activities`;
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("Kiota core's BatchRequestContent and BatchRequestBuilder", () => {
  const origin = inject("serviceUrl");
  let sdk: KiotaSdk;

  beforeEach(async () => {
    sdk = kiotaSdk(origin, await mintToken({ user }));
  });

  /**
   * Adds the typed builder's write to the batch with its Content-Type. Kiota core (1.0.0-preview.17)
   * leaves a step's headers out (convertRequestInformationToBatchItem never copies them), so the write
   * would reach the batch with a body and no Content-Type, which Graph refuses (see the next test); and
   * it serializes headers only as its own untyped nodes (a plain object comes out as `{}`). Given them
   * so, it sends the body as base64, which the service decodes.
   */
  const addWrite = (
    content: BatchRequestContent,
    request: Parameters<BatchRequestContent["addBatchRequest"]>[0],
    id: string,
  ): BatchRequestStep => {
    const step = content.addBatchRequest(request, id);
    const contentType = request.headers.tryGetValue("Content-Type")![0]!;
    step.headers = createUntypedObject({ "Content-Type": createUntypedString(contentType) }) as unknown as Record<string, string>;
    return step;
  };

  /** Posts the batch with the SDK's BatchRequestBuilder; the SDK's answer, and the batch answer as it came over the wire. */
  async function post(content: BatchRequestContent) {
    const send = globalThis.fetch;
    const received: Response[] = [];
    const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const response = await send(input, init);
      received.push(response.clone());
      return response;
    });
    const answer = await new BatchRequestBuilder(sdk.adapter, errorMappings).postBatchResponseContentAsync(content);
    expect(fetchSpy.mock.calls.map(([input, init]) => [String(input), init?.method])).toEqual([[`${origin}/v1.0/$batch`, "POST"]]);
    fetchSpy.mockRestore();
    return { answer: answer!, wire: (await received[0]!.json()) as { responses: any[] } };
  }

  it("runs the typed builders' requests, in dependsOn order, and reports each one's status", async () => {
    const appActivityId = `/article?${crypto.randomUUID()}`;
    const activities = sdk.client.me.activities;

    const first = new BatchRequestContent(sdk.adapter, errorMappings);
    addWrite(first, activities.toPostRequestInformation({ appActivityId, ...activity("Contoso article") } as UserActivity), "create");
    first.addBatchRequest(activities.toGetRequestInformation(), "feed").dependsOn = ["create"];
    const created = await post(first);
    expect(await created.answer.getResponsesStatusCodes()).toEqual(
      new Map([
        ["create", 201],
        ["feed", 200],
      ]),
    );
    const [createAnswer, feedAnswer] = created.wire.responses;
    expect(createAnswer).toEqual({
      id: "create",
      status: 201,
      headers: { "Content-Type": "application/json", "request-id": expect.stringMatching(GUID), "client-request-id": expect.any(String) },
      body: activityResource(`${origin}${context}`, appActivityId, "Contoso article"),
    });
    expect(feedAnswer.body).toEqual({ "@odata.context": `${origin}${context}`, value: [withoutContext(createAnswer.body)] });
    const id: string = createAnswer.body.id;

    // A serial chain on that activity through its typed builders: create an item, patch it and the
    // activity, count the items, read the activity with them, delete the item, read it again.
    const itemId = crypto.randomUUID();
    const activityBuilder = activities.byUserActivityId(id);
    const items = activityBuilder.historyItems;
    const second = new BatchRequestContent(sdk.adapter, errorMappings);
    const steps: [string, BatchRequestStep][] = [
      [
        "item",
        addWrite(second, items.toPostRequestInformation({ id: itemId, startedDateTime: new Date(STARTED) } as ActivityHistoryItem), "item"),
      ],
      [
        "patch-item",
        addWrite(
          second,
          items.byActivityHistoryItemId(itemId).toPatchRequestInformation({ userTimezone: "Africa/Casablanca" }),
          "patch-item",
        ),
      ],
      [
        "patch-activity",
        addWrite(
          second,
          activityBuilder.toPatchRequestInformation({ visualElements: { description: "Knots, step by step" } }),
          "patch-activity",
        ),
      ],
      ["count", second.addBatchRequest(items.count.toGetRequestInformation(), "count")],
      [
        "expanded",
        second.addBatchRequest(activityBuilder.toGetRequestInformation({ queryParameters: { expand: ["historyItems"] } }), "expanded"),
      ],
      ["delete", second.addBatchRequest(items.byActivityHistoryItemId(itemId).toDeleteRequestInformation(), "delete")],
      ["gone", second.addBatchRequest(items.byActivityHistoryItemId(itemId).toGetRequestInformation(), "gone")],
    ];
    // The SDK's helper takes dependencies only as a chain (or all on one request).
    steps.slice(1).forEach(([, step], index) => (step.dependsOn = [steps[index]![0]]));
    const chained = await post(second);
    expect(await chained.answer.getResponsesStatusCodes()).toEqual(
      new Map([
        ["item", 201],
        ["patch-item", 200],
        ["patch-activity", 200],
        ["count", 200],
        ["expanded", 200],
        ["delete", 204],
        ["gone", 404],
      ]),
    );
    const [item, patchedItem, patchedActivity, count, expanded, deleted, gone] = chained.wire.responses;
    const itemsContext = `${origin}${context}('${id}')/historyItems`;
    expect(item.body).toEqual(itemResource(itemsContext, itemId));
    expect(patchedItem.body).toEqual({
      ...item.body,
      userTimezone: "Africa/Casablanca",
      status: "updated",
      lastModifiedDateTime: expect.stringMatching(UTC_MS),
    });
    expect(patchedActivity.body).toEqual({
      ...createAnswer.body,
      visualElements: { ...createAnswer.body.visualElements, description: "Knots, step by step" },
      status: "updated",
      lastModifiedDateTime: expect.stringMatching(UTC_MS),
      expirationDateTime: expect.stringMatching(UTC_MS),
    });
    // A text answer is the text itself; Kiota core reads every body as base64, so it cannot decode this one.
    expect(count).toEqual({
      id: "count",
      status: 200,
      headers: {
        "Content-Type": "text/plain; charset=UTF-8",
        "request-id": expect.stringMatching(GUID),
        "client-request-id": expect.any(String),
      },
      body: "1",
    });
    expect(expanded.body).toEqual({ ...patchedActivity.body, historyItems: [withoutContext(patchedItem.body)] });
    expect(deleted).toEqual({
      id: "delete",
      status: 204,
      headers: { "request-id": expect.stringMatching(GUID), "client-request-id": expect.any(String) },
      body: null,
    });
    expect(gone.body).toEqual(
      errorEnvelope(
        "itemNotFound",
        `The history item '${itemId}' does not exist.`,
        gone.headers["request-id"],
        gone.headers["client-request-id"],
      ),
    );
  });

  it("is refused whole, naming the request, when a write goes without its Content-Type, as Graph refuses it", async () => {
    const content = new BatchRequestContent(sdk.adapter, errorMappings);
    content.addBatchRequest(
      sdk.client.me.activities.byUserActivityId("1").historyItems.toPostRequestInformation({ startedDateTime: new Date(STARTED) }),
      "item",
    );
    const failure = await post(content).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(failure).toMatchObject({
      responseStatusCode: 400,
      errorEscaped: {
        code: "BadRequest",
        message: "Invalid value for 'requests[0].headers': expected a Content-Type header, since the request has a body.",
      },
    });
  });
});

describe("the classic client's BatchRequestContent and BatchResponseContent", () => {
  const origin = inject("secureServiceUrl");
  let client: Client;

  beforeEach(async () => {
    client = classicClient(origin, inject("secureServiceCertificate"), await mintToken({ user }));
  });

  /** A fetch Request for the service, as the classic client's batching takes them (it sends `/v1.0/me/…`). */
  const request = (method: string, path: string, body?: unknown) =>
    new Request(
      `${origin}/v1.0${path}`,
      body === undefined ? { method } : { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) },
    );

  it("runs a serial dependsOn chain that ends in a 424 for the request after a failure, which is not run", async () => {
    const created = await client
      .api("/me/activities")
      .post({ appActivityId: `/article?${crypto.randomUUID()}`, ...activity("Contoso article") });
    const itemId = crypto.randomUUID();
    const items = `/me/activities/${created.id}/historyItems`;
    const missing = crypto.randomUUID();

    const content = new ClassicBatchRequestContent([
      { id: "item", request: request("POST", items, { id: itemId, startedDateTime: STARTED }) },
      { id: "patch", request: request("PATCH", `${items}/${itemId}`, { userTimezone: "Africa/Casablanca" }), dependsOn: ["item"] },
      { id: "count", request: request("GET", `${items}/$count`), dependsOn: ["patch"] },
      { id: "read", request: request("GET", `${items}/${itemId}`), dependsOn: ["count"] },
      { id: "missing", request: request("DELETE", `${items}/${missing}`), dependsOn: ["read"] },
      { id: "activity", request: request("DELETE", `/me/activities/${created.id}`), dependsOn: ["missing"] },
    ]);
    const body = await content.getContent();
    expect(body.requests.map(({ id, url, method }) => [id, method, url])).toEqual([
      ["item", "POST", `/v1.0${items}`],
      ["patch", "PATCH", `/v1.0${items}/${itemId}`],
      ["count", "GET", `/v1.0${items}/$count`],
      ["read", "GET", `/v1.0${items}/${itemId}`],
      ["missing", "DELETE", `/v1.0${items}/${missing}`],
      ["activity", "DELETE", `/v1.0/me/activities/${created.id}`],
    ]);
    const answer = new ClassicBatchResponseContent(await client.api("/$batch").post(body));

    const itemsContext = `${origin}${context}('${created.id}')/historyItems`;
    const response = (id: string) => answer.getResponseById(id);
    expect([...answer.getResponses()].map(([id, { status }]) => [id, status])).toEqual([
      ["item", 201],
      ["patch", 200],
      ["count", 200],
      ["read", 200],
      ["missing", 404],
      ["activity", 424],
    ]);
    expect(response("item").headers.get("Content-Type")).toBe("application/json");
    expect(response("item").headers.get("request-id")).toMatch(GUID);
    const posted = await response("item").json();
    expect(posted).toEqual(itemResource(itemsContext, itemId));
    const patched = await response("patch").json();
    expect(patched).toEqual({
      ...posted,
      userTimezone: "Africa/Casablanca",
      status: "updated",
      lastModifiedDateTime: expect.stringMatching(UTC_MS),
    });
    expect(response("count").headers.get("Content-Type")).toBe("text/plain; charset=UTF-8");
    expect(await response("count").text()).toBe("1");
    expect(await response("read").json()).toEqual(patched);
    const [missingAnswer, notRun] = [response("missing"), response("activity")];
    expect(await missingAnswer.json()).toEqual(
      errorEnvelope(
        "itemNotFound",
        `The history item '${missing}' does not exist.`,
        missingAnswer.headers.get("request-id"),
        missingAnswer.headers.get("client-request-id"),
      ),
    );
    expect(await notRun.json()).toEqual(
      errorEnvelope(
        "failedDependency",
        "The request was not run: it depends on 'missing', which answered 404.",
        notRun.headers.get("request-id"),
        notRun.headers.get("client-request-id"),
      ),
    );
    // The activity the 424 would have deleted is still there.
    expect(await client.api(`/me/activities/${created.id}`).get()).toEqual(created);
  });
});
