// POST /admin/users/{oid}/activities: an export brought back, as it was, for the same user; the
// same export twice changes nothing; a line that cannot be imported is reported and the rest go in.
import { afterEach, describe, expect, it, vi } from "vitest";
import { limits } from "../src/limits";
import { activityIdFor } from "../src/objects/addresses";
import { type Answer, appActivityPath, call, DAY_MS, freshAppActivityId, historyItemPath, historyItemsPath } from "./support/api";
import {
  appUser,
  eraseUser,
  exportLines,
  exportOf,
  exportPath,
  holdErasureAtFirstStep,
  importInto,
  runErasure,
  seedActivity,
  type AppUser,
} from "./support/admin";
import { activityBody } from "./support/builders";
import { expectGraphError, withoutContext } from "./support/graph";
import { activityStub, HOLDS_NOTHING, sqlIn, storageOf, storedRows } from "./support/objects";
import { mintAdminToken } from "./support/tokens";

afterEach(() => {
  vi.restoreAllMocks();
});

const FUTURE = new Date(Date.now() + 10 * DAY_MS).toISOString();

/** A user of two apps whose activities have every shape: many items, replaced ones, sent and computed durations, a card, JSON-LD. */
async function variedUser(): Promise<[AppUser, AppUser]> {
  const notes = await appUser("contoso-notes");
  const reader = await appUser("fabrikam-reader", notes.caller.userId);
  // More items than one page of the export reads.
  await seedActivity(notes, 250);
  await seedActivity(notes);
  const appActivityId = freshAppActivityId();
  const body = activityBody({
    appDisplayName: "Fabrikam Reader",
    contentUrl: "https://www.fabrikam.com/books/1",
    userTimezone: "Europe/Paris",
    contentInfo: { "@context": "https://schema.org", "@type": "Book", name: "Ünïcödé ✓", pages: 320, tags: ["a", { nested: [1.5, null] }] },
    visualElements: {
      displayText: "A book",
      description: "Chapter 3",
      backgroundColor: "#2b7a94",
      content: { $schema: "http://adaptivecards.io/schemas/adaptive-card.json", type: "AdaptiveCard", version: "1.0", body: [] },
      attribution: { iconUrl: "https://www.fabrikam.com/icon.png", alternateText: "Fabrikam", addImageQuery: false },
    },
    historyItems: [
      { startedDateTime: "2026-01-01T10:00:00Z", lastActiveDateTime: "2026-01-01T10:05:30.5Z" },
      { startedDateTime: "2026-01-02T10:00:00Z", lastActiveDateTime: "2026-01-02T11:00:00Z", activeDurationSeconds: 42 },
      { startedDateTime: "2026-01-03T10:00:00Z", expirationDateTime: FUTURE, userTimezone: "Asia/Tokyo" },
    ],
  });
  const created = await call("PUT", appActivityPath(appActivityId), { token: reader.token, body });
  expect(created.status).toBe(201);
  // Replaced: status updated, createdDateTime kept; one item patched (updated).
  expect((await call("PUT", appActivityPath(appActivityId), { token: reader.token, body: { ...body, historyItems: [] } })).status).toBe(
    200,
  );
  const itemId = created.body.historyItems[0].id;
  const patched = await call("PATCH", historyItemPath(created.body.id, itemId), { token: reader.token, body: { userTimezone: "UTC" } });
  expect(patched.status).toBe(200);
  await seedActivity(reader, 1);
  return [notes, reader];
}

/** The summary of an import of `lines` lines, with these counts and no failures. */
const summary = (
  linesRead: number,
  activities: Partial<Record<"imported" | "skipped" | "expired", number>>,
  historyItems: Partial<Record<"imported" | "skipped" | "expired", number>>,
  errors: { line: number; code: string; message: string }[] = [],
) => ({
  linesRead,
  activities: { imported: 0, skipped: 0, expired: 0, ...activities },
  historyItems: { imported: 0, skipped: 0, expired: 0, ...historyItems },
  failedLines: errors.length,
  errors,
});

/** The number of history items in export lines. */
const itemsIn = (lines: string[]) => lines.reduce((sum, line) => sum + JSON.parse(line).historyItems.length, 0);

/** Each app's feed as its user lists it, most recently modified first. */
const feeds = (users: AppUser[]) =>
  Promise.all(users.map(async (who) => (await call("GET", "/v1.0/me/activities?$top=200", { token: who.token })).body));

const expectImported = (answer: Answer, expected: ReturnType<typeof summary>) => {
  expect({ status: answer.status, contentType: answer.headers.get("content-type"), body: answer.body }).toEqual({
    status: 200,
    contentType: "application/json",
    body: expected,
  });
};

describe("import of a user's data", () => {
  it("export, erase, import: the export is back byte for byte, and each app's feed lists the activities as before", async () => {
    const users = await variedUser();
    const user = users[0].caller;
    const exported = await exportLines(user.userId);
    expect(exported).toHaveLength(4);
    const feedsBefore = await feeds(users);
    expect(feedsBefore.map((feed) => feed.value.length)).toEqual([2, 2]);

    await eraseUser(user);
    expect(await exportLines(user.userId)).toEqual([]);

    expectImported(await importInto(user.userId, exported), summary(4, { imported: 4 }, { imported: itemsIn(exported) }));
    expect((await exportLines(user.userId)).sort()).toEqual([...exported].sort());
    expect(await feeds(users)).toEqual(feedsBefore);
  });

  it("twice changes nothing: the second reports everything skipped, and the export and the objects' rows are as they were", async () => {
    const users = await variedUser();
    const user = users[0].caller;
    const exported = await exportLines(user.userId);
    await eraseUser(user);
    expect((await importInto(user.userId, exported)).status).toBe(200);
    const once = await exportLines(user.userId);
    const id = JSON.parse(exported[0]!).id as string;
    // The activity's rows, and its outbox: a second import notes no change for the feed either.
    const state = async () => ({
      ...(await storedRows(id, users[0].caller)),
      outbox: await sqlIn(activityStub(id, users[0].caller), "SELECT version, activity_version FROM feed_outbox"),
    });
    const rows = await state();

    expectImported(await importInto(user.userId, exported), summary(4, { skipped: 4 }, { skipped: itemsIn(exported) }));
    expect(await exportLines(user.userId)).toEqual(once);
    expect(await state()).toEqual(rows);
  });

  it("over live data: the newer lastModifiedDateTime wins, per activity and per item, and nothing here is deleted", async () => {
    const who = await appUser("contoso-notes");
    const appActivityId = freshAppActivityId();
    const first = await call("PUT", appActivityPath(appActivityId), { token: who.token, body: activityBody() });
    const older = await exportLines(who.caller.userId);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const item = { startedDateTime: "2026-02-01T09:00:00Z" };
    expect(
      (
        await call("PUT", appActivityPath(appActivityId), {
          token: who.token,
          body: activityBody({ visualElements: { displayText: "newer" }, historyItems: [item] }),
        })
      ).status,
    ).toBe(200);
    const newer = await exportLines(who.caller.userId);

    // Here is the newer state: the older line is skipped.
    expectImported(await importInto(who.caller.userId, older), summary(1, { skipped: 1 }, {}));
    expect(await exportLines(who.caller.userId)).toEqual(newer);

    // Here is the older state (and an item the line does not have, which stays): the newer line replaces it.
    await eraseUser(who.caller);
    expectImported(await importInto(who.caller.userId, older), summary(1, { imported: 1 }, {}));
    const kept = await call("POST", historyItemsPath(first.body.id), {
      token: who.token,
      body: { startedDateTime: "2026-02-02T09:00:00Z" },
    });
    expect(kept.status).toBe(201);
    expectImported(await importInto(who.caller.userId, newer), summary(1, { imported: 1 }, { imported: 1 }));
    const newerLine = JSON.parse(newer[0]!);
    expect(await exportOf(who.caller.userId)).toEqual([
      { ...newerLine, historyItems: [withoutContext(kept.body), ...newerLine.historyItems] },
    ]);
  });
});

describe("an import line by line", () => {
  it("reports each line it cannot import with its number and Graph's error, and imports the rest", async () => {
    const who = await appUser("contoso-notes");
    const stranger = await appUser("contoso-notes");
    await seedActivity(who, 2);
    await seedActivity(who, 1);
    await seedActivity(stranger, 1);
    const [first, second] = await exportLines(who.caller.userId);
    const [foreign] = await exportLines(stranger.caller.userId);
    await eraseUser(who.caller);
    const invalid = JSON.parse(second!);
    invalid.visualElements.displayText = "";
    invalid.colour = "blue";
    const repeated = JSON.parse(second!);
    repeated.historyItems = [repeated.historyItems[0], repeated.historyItems[0]];
    // Times the service never writes: modified before created, an activity's expiry past its lifetime.
    const backwards = JSON.parse(second!);
    backwards.historyItems[0].lastModifiedDateTime = "2020-01-01T00:00:00.000Z";
    const overlong = JSON.parse(second!);
    overlong.expirationDateTime = new Date(Date.parse(overlong.lastModifiedDateTime) + 30 * DAY_MS + 1).toISOString();
    const encoder = new TextEncoder();
    const body = new Blob([
      `${first}\n`,
      '{"appId":\n',
      `${"x".repeat(limits.importLineBytes + 1)}\n`,
      `${JSON.stringify(invalid)}\n`,
      "\n",
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
      `${foreign}\n`,
      `${second!.replace('"contentInfo":null', '"contentInfo":{"n":1e400}')}\n`,
      `${JSON.stringify(repeated)}\n`,
      `${JSON.stringify(backwards)}\n`,
      `${JSON.stringify(overlong)}\n`,
      encoder.encode(second),
    ]);
    const foreignLine = JSON.parse(foreign!);
    const ownId = await activityIdFor(who.caller, foreignLine.appActivityId);

    expectImported(
      await importInto(who.caller.userId, body),
      summary(12, { imported: 2 }, { imported: 3 }, [
        { line: 2, code: "BadRequest", message: "The line is not valid JSON: Unexpected end of JSON input" },
        {
          line: 3,
          code: "requestTooLarge",
          message: `The line is longer than ${limits.importLineBytes} bytes, the most one line may hold; it was not read.`,
        },
        {
          line: 4,
          code: "BadRequest",
          message:
            "Invalid value for 'visualElements.displayText': expected a non-empty string. The property 'colour' does not exist on type 'microsoft.graph.userActivity'.",
        },
        { line: 6, code: "BadRequest", message: "The line is not valid UTF-8." },
        {
          line: 7,
          code: "BadRequest",
          message: `Invalid value for 'id': expected '${ownId}', the id of appActivityId '${foreignLine.appActivityId}' of app 'contoso-notes' for this user; an activity keeps its id only for the same tenant, user and app.`,
        },
        { line: 8, code: "BadRequest", message: "Invalid value for 'contentInfo.n': the number is out of range." },
        {
          line: 9,
          code: "BadRequest",
          message: `The history item id '${repeated.historyItems[0].id}' appears more than once in historyItems.`,
        },
        {
          line: 10,
          code: "BadRequest",
          message: "Invalid value for 'historyItems[0].lastModifiedDateTime': expected a date and time not before createdDateTime.",
        },
        {
          line: 11,
          code: "BadRequest",
          message: "Invalid value for 'expirationDateTime': expected at most 30 days after lastModifiedDateTime, as the service sets it.",
        },
      ]),
    );
    expect((await exportLines(who.caller.userId)).sort()).toEqual([first, second].sort());
  });

  it("lists only the first 100 failed lines, and counts them all", async () => {
    const user = crypto.randomUUID();
    const answer = await importInto(
      user,
      Array.from({ length: 150 }, () => "[]"),
    );
    const refused = (line: number) => ({
      line,
      code: "BadRequest",
      message: "The line is not valid: expected a JSON object (microsoft.graph.userActivity).",
    });
    expectImported(answer, {
      ...summary(
        150,
        {},
        {},
        Array.from({ length: 100 }, (_, n) => refused(n + 1)),
      ),
      failedLines: 150,
    });
  });

  it("skips what has expired, counted: an expired activity writes nothing at all, an expired item is left out", async () => {
    const who = await appUser("contoso-notes");
    await seedActivity(who, 2);
    await seedActivity(who, 3);
    // Newest first: the one with 3 items, then the one with 2.
    const [live, gone] = (await exportLines(who.caller.userId)).map((line) => JSON.parse(line));
    await eraseUser(who.caller);
    const past = new Date(Date.now() - 1000).toISOString();
    live.historyItems[1].expirationDateTime = past;
    gone.expirationDateTime = past;

    expectImported(
      await importInto(who.caller.userId, [JSON.stringify(live), JSON.stringify(gone)]),
      summary(2, { imported: 1, expired: 1 }, { imported: 2, expired: 3 }),
    );
    expect(await exportOf(who.caller.userId)).toEqual([{ ...live, historyItems: [live.historyItems[0], live.historyItems[2]] }]);
    expect(await storageOf(activityStub(gone.id, who.caller))).toEqual(HOLDS_NOTHING);
  });

  it("refuses a line dated after the import (beyond 60 seconds of skew), the activity's or an item's, and stores nothing of it", async () => {
    const who = await appUser("contoso-notes");
    for (let n = 0; n < 3; n++) await seedActivity(who, 1);
    const [ahead, skewed, itemAhead] = (await exportLines(who.caller.userId)).map((line) => JSON.parse(line));
    await eraseUser(who.caller);
    const hourAhead = new Date(Date.now() + 3600_000).toISOString();
    ahead.lastModifiedDateTime = hourAhead;
    // Within the clock skew a token is allowed: a line from a clock a little ahead is imported.
    skewed.lastModifiedDateTime = new Date(Date.now() + 30_000).toISOString();
    itemAhead.historyItems[0].lastModifiedDateTime = hourAhead;
    const refused = (line: number, property: string) => ({
      line,
      code: "BadRequest",
      message: `Invalid value for '${property}': expected a date and time not after this import (by the service's clock, with 60 seconds of skew allowed), not '${hourAhead}'.`,
    });

    expectImported(
      await importInto(
        who.caller.userId,
        [ahead, skewed, itemAhead].map((line) => JSON.stringify(line)),
      ),
      summary(3, { imported: 1 }, { imported: 1 }, [
        refused(1, "lastModifiedDateTime"),
        refused(3, "historyItems[0].lastModifiedDateTime"),
      ]),
    );
    expect(await exportOf(who.caller.userId)).toEqual([skewed]);
    expect(await storageOf(activityStub(ahead.id, who.caller))).toEqual(HOLDS_NOTHING);
    expect(await storageOf(activityStub(itemAhead.id, who.caller))).toEqual(HOLDS_NOTHING);
  });

  it("refuses a body that is not NDJSON, and query options, as any route does; an empty body imports nothing", async () => {
    const user = crypto.randomUUID();
    const token = await mintAdminToken();
    expectGraphError(
      await call("POST", exportPath(user), { token, raw: "{}", headers: { "Content-Type": "application/json" } }),
      415,
      "UnsupportedMediaType",
      "The request body must be an export, NDJSON in UTF-8: send 'Content-Type: application/x-ndjson' (got 'application/json').",
    );
    expectGraphError(
      await call("POST", exportPath(user), { token }),
      415,
      "UnsupportedMediaType",
      "The request body must be an export, NDJSON in UTF-8: send 'Content-Type: application/x-ndjson' (got 'none').",
    );
    expectGraphError(
      await call("POST", `${exportPath(user)}?$top=1`, { token, raw: "", headers: { "Content-Type": "application/x-ndjson" } }),
      400,
      "invalidRequest",
      "The query option '$top' is not supported (this request takes none).",
    );
    expectImported(await importInto(user, ""), summary(0, {}, {}));
  });
});

describe("an import and an erasure", () => {
  it("an import is a change made now: an erasure running meanwhile keeps it, and one requested after it erases it", async () => {
    const users = await variedUser();
    const user = users[0].caller;
    const exported = await exportLines(user.userId);
    await eraseUser(user);

    const release = holdErasureAtFirstStep();
    const requested = await call("DELETE", `/admin/users/${user.userId}`, { token: await mintAdminToken() });
    expect(requested.status).toBe(202);
    expect((await importInto(user.userId, exported)).body.failedLines).toBe(0);
    release();
    const done = await runErasure(user, requested.headers.get("Location")!);
    expect(done.body).toMatchObject({ status: "succeeded", erased: { apps: 0, activities: 0, historyItems: 0 } });
    expect((await exportLines(user.userId)).sort()).toEqual([...exported].sort());

    expect((await eraseUser(user)).body.erased).toEqual({ apps: 2, activities: 4, historyItems: itemsIn(exported) });
    expect(await exportLines(user.userId)).toEqual([]);
  });
});
