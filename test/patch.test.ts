// PATCH of an activity and of a history item: only what the body names changes, merged inside the
// activity's object and held to every rule a PUT must pass; a refused patch stores nothing.
import { describe, expect, it } from "vitest";
import { type Answer, call, DAY_MS, ISO_MS } from "./support/api";
import { activityContext, expectGraphError, historyItemsContext } from "./support/graph";
import { expectJson, freshUser, postItem, putActivity, rowsOf, tick, type TestUser } from "./support/users";

const activityPath = (id: string) => `/v1.0/me/activities/${id}`;
const itemPath = (activityId: string, itemId: string) => `${activityPath(activityId)}/historyItems/${itemId}`;

const patch = (user: TestUser, path: string, body: unknown) => call("PATCH", path, { as: user.as, body });

/** A richly filled activity: typed complex values, free JSON, optional text. */
const richActivity = () => ({
  appDisplayName: "Contoso, Ltd.",
  userTimezone: "Africa/Casablanca",
  contentInfo: { "@context": "https://schema.org", "@type": "Article", author: { name: "Jennifer Booth" }, tags: ["knots"] },
  visualElements: {
    displayText: "How to Tie a Reef Knot",
    description: "A step-by-step guide",
    backgroundColor: "#ff0000",
    content: { type: "AdaptiveCard", body: [{ type: "TextBlock", text: "Reef knot" }] },
    attribution: { iconUrl: "https://www.contoso.com/icon", alternateText: "Contoso", addImageQuery: false },
  },
});

/** What an activity answers after a successful write that changed it: the stored one with `changes`, updated now. */
function patchedActivity(user: TestUser, before: Record<string, any>, changes: Record<string, unknown>) {
  return {
    "@odata.context": activityContext({ user: user.oid }),
    ...before,
    ...changes,
    status: "updated",
    lastModifiedDateTime: expect.stringMatching(ISO_MS),
    expirationDateTime: expect.stringMatching(ISO_MS),
  };
}

/** A patch's server fields: modified after the create, expiry renewed to 30 days from the patch. */
function expectRenewed(before: Record<string, any>, after: Answer) {
  expect(Date.parse(after.body.lastModifiedDateTime)).toBeGreaterThan(Date.parse(before.lastModifiedDateTime));
  expect(Date.parse(after.body.expirationDateTime) - Date.parse(after.body.lastModifiedDateTime)).toBe(30 * DAY_MS);
}

/** PATCHes `body` onto a fresh activity and asserts the 400 that names `message`, with nothing stored. */
async function expectRefusedPatch(body: unknown, message: string) {
  const user = freshUser();
  const before = await putActivity(user, richActivity());
  const rows = await rowsOf(user, before.id);

  const answer = await patch(user, activityPath(before.id), body);

  expectGraphError(answer, 400, "BadRequest", message);
  expect(await rowsOf(user, before.id)).toEqual(rows);
}

describe("PATCH /me/activities/{id}", () => {
  it("merges a typed complex value member by member: visualElements and its attribution keep what the patch leaves out", async () => {
    const user = freshUser();
    const before = await putActivity(user, richActivity());
    await tick();

    const answer = await patch(user, activityPath(before.id), {
      visualElements: { description: "Knots, step by step", attribution: { addImageQuery: true } },
    });

    const expected = patchedActivity(user, before, {
      visualElements: {
        ...before.visualElements,
        description: "Knots, step by step",
        attribution: { ...before.visualElements.attribution, addImageQuery: true },
      },
    });
    expectJson(answer, 200, expected);
    expectRenewed(before, answer);
    expect(answer.body.createdDateTime).toBe(before.createdDateTime);
    expectJson(await call("GET", activityPath(before.id), { as: user.as }), 200, answer.body);
  });

  it("replaces free JSON whole: contentInfo and visualElements.content keep nothing of what they were", async () => {
    const user = freshUser();
    const before = await putActivity(user, richActivity());

    const contentInfo = { "@type": "Book", author: { url: "https://contoso.com/jb" } };
    const content = { type: "AdaptiveCard", version: "1.5" };
    const answer = await patch(user, activityPath(before.id), { contentInfo, visualElements: { content } });

    expectJson(answer, 200, patchedActivity(user, before, { contentInfo, visualElements: { ...before.visualElements, content } }));
  });

  it("removes an optional property sent as null, at the top and inside visualElements", async () => {
    const user = freshUser();
    const before = await putActivity(user, richActivity());

    const answer = await patch(user, activityPath(before.id), {
      appDisplayName: null,
      contentInfo: null,
      visualElements: { attribution: null, description: null },
    });

    const expected = patchedActivity(user, before, {
      appDisplayName: null,
      contentInfo: null,
      visualElements: { ...before.visualElements, attribution: null, description: null },
    });
    expectJson(answer, 200, expected);
  });

  it.each([
    [{ activationUrl: null }, "The property 'activationUrl' is required."],
    [{ visualElements: null }, "The property 'visualElements' is required."],
    [{ visualElements: { displayText: null } }, "The property 'visualElements.displayText' is required."],
  ])("answers null on a required property (%j) with 400 naming it, and stores nothing", async (body, message) => {
    await expectRefusedPatch(body, message);
  });

  it.each([
    [
      { visualElements: { backgroundColor: "red" } },
      "Invalid value for 'visualElements.backgroundColor': expected a hex colour such as #ff0000.",
    ],
    [
      { visualElements: { attribution: { iconUrl: "not a url" } } },
      "Invalid value for 'visualElements.attribution.iconUrl': expected an absolute URL.",
    ],
    [{ visualElements: { displayText: "" } }, "Invalid value for 'visualElements.displayText': expected a non-empty string."],
    [{ colour: "red" }, "The property 'colour' does not exist on type 'microsoft.graph.userActivity'."],
    [{ visualElements: { colour: "red" } }, "The property 'visualElements.colour' does not exist on type 'microsoft.graph.visualInfo'."],
    [{ contentInfo: [1, 2] }, "Invalid value for 'contentInfo': expected a JSON object."],
    [{ historyItems: [] }, "Invalid value for 'historyItems': cannot be changed by a PATCH of the activity; use its historyItems."],
    [[{ appDisplayName: "x" }], "The request body is not valid: expected a JSON object (microsoft.graph.userActivity)."],
  ])("answers a merge that breaks a PUT rule (%j) with 400 naming the property, and stores nothing", async (body, message) => {
    await expectRefusedPatch(body, message);
  });

  it("accepts its own appActivityId and id, and the read-only properties a read gives back; refuses another appActivityId or id", async () => {
    const user = freshUser();
    const before = await putActivity(user, richActivity());
    const rows = await rowsOf(user, before.id);

    const other = await patch(user, activityPath(before.id), { appActivityId: `${before.appActivityId}-other`, appDisplayName: "Changed" });
    expectGraphError(
      other,
      400,
      "BadRequest",
      `The appActivityId in the body must equal the activity's own ('${before.appActivityId}'); it cannot be changed.`,
    );
    const otherId = await patch(user, activityPath(before.id), { id: "123", appDisplayName: "Changed" });
    expectGraphError(
      otherId,
      400,
      "BadRequest",
      `Invalid value for 'id': expected '${before.id}', the id of the item the URL names, or no id at all.`,
    );
    expect(await rowsOf(user, before.id)).toEqual(rows);

    // A client that read the activity may send it back whole with one change: the read-only properties are ignored.
    const answer = await patch(user, activityPath(before.id), { ...before, "@odata.context": "elsewhere", appDisplayName: "Changed" });
    expectJson(answer, 200, patchedActivity(user, before, { appDisplayName: "Changed" }));
  });

  it("answers 404 for an activity that does not exist, and 400 for a body that is not JSON", async () => {
    const user = freshUser();
    const missing = await patch(user, activityPath("12345"), { appDisplayName: "x" });
    expectGraphError(missing, 404, "itemNotFound", "The activity '12345' does not exist.");
    const before = await putActivity(user);
    const broken = await call("PATCH", activityPath(before.id), { as: user.as, raw: "{" });
    expect(broken.status).toBe(400);
    const text = await call("PATCH", activityPath(before.id), { as: user.as, raw: "{}", headers: { "Content-Type": "text/plain" } });
    expect(text.status).toBe(415);
  });

  it("serializes concurrent patches in the object: each one's member survives the others", async () => {
    const user = freshUser();
    const before = await putActivity(user, richActivity());
    const patches = [
      { appDisplayName: "A" },
      { userTimezone: "Europe/Paris" },
      { visualElements: { description: "B" } },
      { visualElements: { backgroundColor: "#00ff00" } },
      { visualElements: { attribution: { alternateText: "C" } } },
      { fallbackUrl: "https://www.contoso.com/fallback" },
    ];
    const answers = await Promise.all(patches.map((body) => patch(user, activityPath(before.id), body)));
    expect(answers.map((answer) => answer.status)).toEqual(patches.map(() => 200));

    const read = await call("GET", activityPath(before.id), { as: user.as });
    expectJson(
      read,
      200,
      patchedActivity(user, before, {
        appDisplayName: "A",
        userTimezone: "Europe/Paris",
        fallbackUrl: "https://www.contoso.com/fallback",
        visualElements: {
          ...before.visualElements,
          description: "B",
          backgroundColor: "#00ff00",
          attribution: { ...before.visualElements.attribution, alternateText: "C" },
        },
      }),
    );
  });
});

describe("PATCH /me/activities/{id}/historyItems/{historyItemId}", () => {
  /** An item as a write answers it: the stored one with `changes`, updated now, its createdDateTime and expiry kept. */
  const patchedItem = (user: TestUser, activityId: string, before: Record<string, any>, changes: Record<string, unknown>) => ({
    "@odata.context": `${historyItemsContext(activityId, { user: user.oid })}/$entity`,
    ...before,
    ...changes,
    status: "updated",
    lastModifiedDateTime: expect.stringMatching(ISO_MS),
  });

  it("changes only what the body names; status updated, createdDateTime and expirationDateTime kept", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const before = await postItem(user, activity.id, {
      startedDateTime: "2015-02-11T20:54:04.345Z",
      activeDurationSeconds: 5,
      userTimezone: "Africa/Casablanca",
    });
    await tick();

    const answer = await patch(user, itemPath(activity.id, before.id), { userTimezone: "Europe/Paris" });

    expectJson(answer, 200, patchedItem(user, activity.id, before, { userTimezone: "Europe/Paris" }));
    expect(Date.parse(answer.body.lastModifiedDateTime)).toBeGreaterThan(Date.parse(before.lastModifiedDateTime));
    const read = await call("GET", itemPath(activity.id, before.id.toUpperCase()), { as: user.as });
    expectJson(read, 200, answer.body);
  });

  it("sets the expiry when the patch does, and a null expiry falls back to createdDateTime + 30 days", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const before = await postItem(user, activity.id, { startedDateTime: "2015-02-11T20:54:04.345Z" });
    const expiration = new Date(Date.now() + 3 * DAY_MS).toISOString();

    const set = await patch(user, itemPath(activity.id, before.id), { expirationDateTime: expiration });
    expectJson(set, 200, patchedItem(user, activity.id, before, { expirationDateTime: expiration }));
    const removed = await patch(user, itemPath(activity.id, before.id), { expirationDateTime: null });
    expectJson(removed, 200, patchedItem(user, activity.id, before, {}));
  });

  it("computes a computed activeDurationSeconds again when the times move; one the client sent stays", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const computed = await postItem(user, activity.id, {
      startedDateTime: "2015-02-11T20:54:04.345Z",
      lastActiveDateTime: "2015-02-11T20:54:24.345Z",
    });
    const sent = await postItem(user, activity.id, {
      startedDateTime: "2015-02-11T20:54:04.345Z",
      lastActiveDateTime: "2015-02-11T20:54:24.345Z",
      activeDurationSeconds: 7,
    });
    expect([computed.activeDurationSeconds, sent.activeDurationSeconds]).toEqual([20, 7]);

    const later = { lastActiveDateTime: "2015-02-11T20:55:04.345Z" };
    const movedComputed = await patch(user, itemPath(activity.id, computed.id), later);
    expectJson(movedComputed, 200, patchedItem(user, activity.id, computed, { ...later, activeDurationSeconds: 60 }));
    const movedStart = await patch(user, itemPath(activity.id, computed.id), { startedDateTime: "2015-02-11T20:54:54.345Z" });
    expect(movedStart.body.activeDurationSeconds).toBe(10);
    const movedSent = await patch(user, itemPath(activity.id, sent.id), later);
    expectJson(movedSent, 200, patchedItem(user, activity.id, sent, { ...later, activeDurationSeconds: 7 }));

    // Removing the sent duration makes it a computed one; sending one makes it the client's.
    const unset = await patch(user, itemPath(activity.id, sent.id), { activeDurationSeconds: null });
    expect(unset.body.activeDurationSeconds).toBe(60);
    const pinned = await patch(user, itemPath(activity.id, computed.id), { activeDurationSeconds: 3 });
    expect(pinned.body.activeDurationSeconds).toBe(3);
    const movedPinned = await patch(user, itemPath(activity.id, computed.id), { lastActiveDateTime: "2015-02-11T21:00:00Z" });
    expect(movedPinned.body.activeDurationSeconds).toBe(3);

    const rows = await rowsOf(user, activity.id);
    const flags = Object.fromEntries(rows.historyItems.map((row) => [row.id, [row.active_duration_seconds, row.active_duration_computed]]));
    expect(flags).toEqual({ [computed.id]: [3, 0], [sent.id]: [60, 1] });
  });

  it("answers null on startedDateTime, the required property, with 400 naming it, and stores nothing", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const item = await postItem(user, activity.id, { startedDateTime: "2015-02-11T20:54:04.345Z" });
    const rows = await rowsOf(user, activity.id);

    const answer = await patch(user, itemPath(activity.id, item.id), { startedDateTime: null, userTimezone: "x" });

    expectGraphError(answer, 400, "BadRequest", "The property 'startedDateTime' is required.");
    expect(await rowsOf(user, activity.id)).toEqual(rows);
  });

  it("answers a merge that breaks a PUT rule with 400 naming the property, and stores nothing", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const item = await postItem(user, activity.id, {
      startedDateTime: "2015-02-11T20:54:04.345Z",
      lastActiveDateTime: "2015-02-11T20:54:24.345Z",
    });
    const rows = await rowsOf(user, activity.id);

    // Valid alone, but the merged item would start after its last activity.
    const late = await patch(user, itemPath(activity.id, item.id), { startedDateTime: "2015-02-11T21:00:00Z" });
    expectGraphError(
      late,
      400,
      "BadRequest",
      "Invalid value for 'lastActiveDateTime': expected a date and time not before startedDateTime, and at most 2147483647 seconds after it.",
    );
    const negative = await patch(user, itemPath(activity.id, item.id), { activeDurationSeconds: -1 });
    expectGraphError(negative, 400, "BadRequest", "Invalid value for 'activeDurationSeconds': expected an integer from 0 to 2147483647.");
    const unknown = await patch(user, itemPath(activity.id, item.id), { duration: 5 });
    expectGraphError(unknown, 400, "BadRequest", "The property 'duration' does not exist on type 'microsoft.graph.activityHistoryItem'.");
    const otherId = crypto.randomUUID();
    const renamed = await patch(user, itemPath(activity.id, item.id), { id: otherId });
    expectGraphError(
      renamed,
      400,
      "BadRequest",
      `Invalid value for 'id': expected '${item.id}', the id of the item the URL names, or no id at all.`,
    );
    expect(await rowsOf(user, activity.id)).toEqual(rows);
  });

  it("answers 404 for an item or an activity that does not exist", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const itemId = crypto.randomUUID();
    const item = await patch(user, itemPath(activity.id, itemId), { userTimezone: "x" });
    expectGraphError(item, 404, "itemNotFound", `The history item '${itemId}' does not exist.`);
    const parent = await patch(user, itemPath("12345", itemId), { userTimezone: "x" });
    expectGraphError(parent, 404, "itemNotFound", "The activity '12345' does not exist.");
  });
});
