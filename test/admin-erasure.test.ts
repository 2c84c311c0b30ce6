// DELETE /admin/users/{oid}: a durable job that leaves nothing of the user written before the
// request in any object, through evictions, an abort in the middle and failed steps, and touches
// nothing of anyone else.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Caller } from "../src/auth/verify-token";
import { ActivityObject } from "../src/objects/ActivityObject";
import { FeedObject } from "../src/objects/FeedObject";
import { activityPath, type Answer, appActivityPath, call, historyItemsPath, ISO_MS } from "./support/api";
import { appUser, exportOf, holdErasureAtFirstStep, operationAt, ownView, runErasure, seedActivity, type AppUser } from "./support/admin";
import { activityStub, feedStub, HOLDS_NOTHING, storageOf, userStub } from "./support/objects";
import { DEV_CALLER, mintAdminToken } from "./support/tokens";

const TENANT = DEV_CALLER.tenantId;
const OTHER_TENANT = "5a1b2c3d-0000-4000-8000-000000000004";
const OPERATION_URL = /^https:\/\/feed\.test\/admin\/users\/[^/]+\/operations\/([0-9a-f-]{36})$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

afterEach(() => {
  vi.restoreAllMocks();
});

/** Requests the erasure of `user`'s data and checks the 202: Location of the operation, and the operation itself. */
async function requestErasure(user: Pick<Caller, "tenantId" | "userId">): Promise<{ location: string; body: Record<string, unknown> }> {
  const answer = await call("DELETE", `/admin/users/${user.userId}`, { token: await mintAdminToken({ tenant: user.tenantId }) });
  const location = answer.headers.get("Location") ?? "";
  expect({ status: answer.status, location }).toEqual({ status: 202, location: expect.stringMatching(OPERATION_URL) });
  expect(answer.body).toEqual({
    id: OPERATION_URL.exec(location)![1],
    status: expect.stringMatching(/^(running|succeeded)$/),
    createdDateTime: expect.stringMatching(ISO_MS),
    lastActionDateTime: expect.stringMatching(ISO_MS),
    statusDetail: null,
    erased: { apps: expect.any(Number), activities: expect.any(Number), historyItems: expect.any(Number) },
  });
  return { location, body: answer.body };
}

/** The operation once it succeeded, in full. */
const succeeded = (requested: Record<string, unknown>, erased: { apps: number; activities: number; historyItems: number }) => ({
  id: requested.id,
  status: "succeeded",
  createdDateTime: requested.createdDateTime,
  lastActionDateTime: expect.stringMatching(ISO_MS),
  statusDetail: null,
  erased,
});

/** The registry's own rows: the apps it lists and the running job's work. */
const registryRows = (user: Caller) =>
  runInDurableObject(userStub(user), (_instance, state) => ({
    apps: state.storage.sql.exec("SELECT app_id FROM app").toArray(),
    work: [
      ...state.storage.sql.exec("SELECT * FROM erasure_app").toArray(),
      ...state.storage.sql.exec("SELECT * FROM erasure_activity").toArray(),
    ],
  }));

/** What anyone can see of `who`'s data: the feed, each activity with its items, and the export lines. */
async function visible(who: AppUser, ids: string[]) {
  const feed = await call("GET", "/v1.0/me/activities?$top=200", { token: who.token });
  return {
    feed: feed.body.value,
    activities: await Promise.all(ids.map((id) => ownView(who, id))),
    export: await exportOf(who.caller.userId, await mintAdminToken({ tenant: who.caller.tenantId })),
  };
}

/** The object an RPC method runs in, from inside it. */
const idOf = (instance: unknown) => (instance as { ctx: DurableObjectState }).ctx.id;

describe("erasure of a user's data", () => {
  it("empties every object of the user across apps, through evictions and an abort halfway; other users and tenants are untouched", async () => {
    const notes = await appUser("contoso-notes");
    const reader = await appUser("fabrikam-reader", notes.caller.userId);
    const noteIds = await Promise.all(range(12).map(() => seedActivity(notes, 2)));
    const readerIds = await Promise.all(range(12).map(() => seedActivity(reader, 2)));
    // A deleted activity leaves a tombstone in its feed and a version counter in its object.
    const deleted = await seedActivity(notes, 1);
    expect((await call("DELETE", activityPath(deleted), { token: notes.token })).status).toBe(204);
    // Paging makes cursor keys, in the feed and in an activity.
    expect((await call("GET", "/v1.0/me/activities?$top=1", { token: notes.token })).body["@odata.nextLink"]).toBeDefined();
    expect((await call("GET", `${historyItemsPath(noteIds[0]!)}?$top=1`, { token: notes.token })).body["@odata.nextLink"]).toBeDefined();

    const neighbour = await appUser("contoso-notes");
    const elsewhere = await appUser("contoso-notes", notes.caller.userId, OTHER_TENANT);
    const neighbourIds = [await seedActivity(neighbour, 1), await seedActivity(neighbour)];
    const elsewhereIds = [await seedActivity(elsewhere, 1), await seedActivity(elsewhere)];
    const othersBefore = [await visible(neighbour, neighbourIds), await visible(elsewhere, elsewhereIds)];

    // Hold the job at the last activity of the second app, so that it is caught halfway.
    const held = activityStub([...readerIds].sort().at(-1)!, reader.caller).id;
    const erase = ActivityObject.prototype.eraseWrittenBefore;
    vi.spyOn(ActivityObject.prototype, "eraseWrittenBefore").mockImplementation(function (this: ActivityObject, beforeMs: number) {
      return idOf(this).equals(held) ? new Promise(() => {}) : erase.call(this, beforeMs);
    });

    const { location, body: requested } = await requestErasure(notes.caller);
    let halfway: Answer;
    do {
      await sleep(20);
      halfway = await operationAt(location);
    } while (halfway.body.erased.apps < 1);
    expect(halfway.body).toEqual({ ...succeeded(requested, { apps: 1, activities: 12, historyItems: 24 }), status: "running" });
    await abortAllDurableObjects();
    vi.restoreAllMocks();

    const done = await runErasure(notes.caller, location);
    expect(done.body).toEqual(succeeded(requested, { apps: 2, activities: 24, historyItems: 48 }));

    for (const id of [...noteIds, deleted]) expect(await storageOf(activityStub(id, notes.caller))).toEqual(HOLDS_NOTHING);
    for (const id of readerIds) expect(await storageOf(activityStub(id, reader.caller))).toEqual(HOLDS_NOTHING);
    expect(await storageOf(feedStub(notes.caller))).toEqual(HOLDS_NOTHING);
    expect(await storageOf(feedStub(reader.caller))).toEqual(HOLDS_NOTHING);
    expect(await registryRows(notes.caller)).toEqual({ apps: [], work: [] });

    // The user's own routes find nothing, and reading writes nothing back.
    for (const who of [notes, reader]) {
      const feed = await call("GET", "/v1.0/me/activities", { token: who.token });
      expect(feed.body.value).toEqual([]);
    }
    expect((await call("GET", `/v1.0/me/activities/${noteIds[0]}?$expand=historyItems`, { token: notes.token })).status).toBe(404);
    expect((await call("GET", `/v1.0/me/activities/${noteIds[0]}/historyItems`, { token: notes.token })).status).toBe(404);
    expect(await storageOf(activityStub(noteIds[0]!, notes.caller))).toEqual(HOLDS_NOTHING);
    expect(await storageOf(feedStub(notes.caller))).toEqual(HOLDS_NOTHING);
    expect(await exportOf(notes.caller.userId)).toEqual([]);

    expect([await visible(neighbour, neighbourIds), await visible(elsewhere, elsewhereIds)]).toEqual(othersBefore);
  });

  it("keeps an activity created after the request; one created before is erased with whatever was written to it since", async () => {
    const notes = await appUser("contoso-notes");
    const before = await seedActivity(notes, 2);
    const beforeAppActivityId = (await ownView(notes, before)).appActivityId as string;
    // Hold the job at its first step, so that writes arrive while it runs.
    const release = holdErasureAtFirstStep();

    const { location, body: requested } = await requestErasure(notes.caller);
    const after = await seedActivity(notes, 3);
    const replaced = await call("PUT", appActivityPath(beforeAppActivityId), {
      token: notes.token,
      body: {
        activitySourceHost: "https://www.contoso.com",
        activationUrl: "https://www.contoso.com/a",
        visualElements: { displayText: "written during" },
      },
    });
    expect(replaced.status).toBe(200);
    release();

    expect((await runErasure(notes.caller, location)).body).toEqual(succeeded(requested, { apps: 1, activities: 1, historyItems: 2 }));
    expect(await storageOf(activityStub(before, notes.caller))).toEqual(HOLDS_NOTHING);
    const kept = await ownView(notes, after);
    expect((kept.historyItems as unknown[]).length).toBe(3);
    const { historyItems: _items, ...keptActivity } = kept;
    expect((await call("GET", "/v1.0/me/activities", { token: notes.token })).body.value).toEqual([keptActivity]);
    expect(await exportOf(notes.caller.userId)).toEqual([{ appId: "contoso-notes", ...kept }]);
    expect(await registryRows(notes.caller)).toEqual({ apps: [{ app_id: "contoso-notes" }], work: [] });
    // The kept feed's cursor key went with the erasure: no cursor issued before it opens again.
    expect(
      await runInDurableObject(feedStub(notes.caller), (_instance, state) => state.storage.sql.exec("SELECT * FROM cursor_key").toArray()),
    ).toEqual([]);
  });

  it("erases an activity whose update was still on its way to the feed when the request came, once that update arrives", async () => {
    const notes = await appUser("contoso-notes");
    const late = await appUser("northwind-tasks", notes.caller.userId);
    await seedActivity(notes, 1);
    // The new app's feed cannot be reached: its first update (and its registration) waits in the activity's outbox.
    const apply = vi.spyOn(FeedObject.prototype, "apply").mockRejectedValue(new Error("feed unreachable"));
    const pending = await seedActivity(late, 2);
    apply.mockRestore();

    const { location, body: requested } = await requestErasure(notes.caller);
    expect((await runErasure(notes.caller, location)).body).toEqual(succeeded(requested, { apps: 1, activities: 1, historyItems: 1 }));
    expect((await storageOf(activityStub(pending, late.caller))).tables).not.toEqual([]);

    // The retry reaches the feed, which refuses it as written before the erasure: the activity erases itself.
    await runDurableObjectAlarm(activityStub(pending, late.caller));
    expect(await storageOf(activityStub(pending, late.caller))).toEqual(HOLDS_NOTHING);
    expect(await storageOf(feedStub(late.caller))).toEqual(HOLDS_NOTHING);
    expect(await registryRows(notes.caller)).toEqual({ apps: [], work: [] });
    expect(await exportOf(notes.caller.userId)).toEqual([]);
  });

  it("retries a step that failed, saying so in statusDetail, and then succeeds", async () => {
    const notes = await appUser("contoso-notes");
    await seedActivity(notes, 1);
    const inventory = vi.spyOn(ActivityObject.prototype, "inventory").mockRejectedValueOnce(new Error("activity unreachable"));
    const { location, body: requested } = await requestErasure(notes.caller);
    let waiting: Answer;
    do {
      await sleep(20);
      waiting = await operationAt(location);
    } while (waiting.body.statusDetail === null);
    expect(waiting.body).toEqual({
      ...succeeded(requested, { apps: 0, activities: 0, historyItems: 0 }),
      status: "running",
      statusDetail: "A step failed; the erasure is retrying.",
    });
    inventory.mockRestore();
    expect((await runErasure(notes.caller, location)).body).toEqual(succeeded(requested, { apps: 1, activities: 1, historyItems: 1 }));
  });

  it("answers the running erasure to a second request; once it succeeded, a new request starts a new one; a user with no data is erased at once", async () => {
    const notes = await appUser("contoso-notes");
    await seedActivity(notes, 1);
    const release = holdErasureAtFirstStep();

    const first = await requestErasure(notes.caller);
    const second = await requestErasure(notes.caller);
    expect(second).toEqual({ location: first.location, body: { ...first.body, lastActionDateTime: expect.stringMatching(ISO_MS) } });
    release();
    expect((await runErasure(notes.caller, first.location)).body).toEqual(
      succeeded(first.body, { apps: 1, activities: 1, historyItems: 1 }),
    );

    const third = await requestErasure(notes.caller);
    expect(third.location).not.toBe(first.location);
    expect((await runErasure(notes.caller, third.location)).body).toEqual(
      succeeded(third.body, { apps: 0, activities: 0, historyItems: 0 }),
    );
    // The first operation still answers, as it ended.
    expect((await operationAt(first.location)).body).toEqual(succeeded(first.body, { apps: 1, activities: 1, historyItems: 1 }));

    const stranger = { tenantId: TENANT, userId: crypto.randomUUID() };
    const nobody = await requestErasure(stranger);
    expect((await runErasure(stranger, nobody.location)).body).toEqual(succeeded(nobody.body, { apps: 0, activities: 0, historyItems: 0 }));
  });
});
