// GET /admin/users/{oid}/activities: every live activity of one user, across apps, as the user's
// own routes show it, one NDJSON line each; nothing of anyone else.
import { describe, expect, it } from "vitest";
import { activityPath, appActivityPath, call } from "./support/api";
import { appUser, exportOf, ownView, seedActivity, type AppUser } from "./support/admin";
import { activityBody } from "./support/builders";
import { HOLDS_NOTHING, storageOf, userStub } from "./support/objects";
import { DEV_CALLER, mintAdminToken } from "./support/tokens";

const OTHER_TENANT = "5a1b2c3d-0000-4000-8000-000000000002";

/** The activities of one app as the user's feed lists them, newest first, each as GET with $expand=historyItems shows it, with its app. */
async function ownFeed(who: AppUser): Promise<Record<string, unknown>[]> {
  const list = await call("GET", "/v1.0/me/activities?$top=200", { token: who.token });
  expect(list.status).toBe(200);
  expect(list.body["@odata.nextLink"]).toBeUndefined();
  return Promise.all(
    list.body.value.map(async (activity: { id: string }) => ({ appId: who.caller.appId, ...(await ownView(who, activity.id)) })),
  );
}

describe("export of a user's data", () => {
  it("is every live activity of the user in every app, with all its history items, exactly as the user's own routes return them", async () => {
    const notes = await appUser("contoso-notes");
    const reader = await appUser("fabrikam-reader", notes.caller.userId);
    // More items than one page of the export reads, so a line is written a page at a time.
    const long = await seedActivity(notes, 450);
    await seedActivity(notes, 2);
    await seedActivity(notes);
    const deleted = await seedActivity(notes, 1);
    expect((await call("DELETE", activityPath(deleted), { token: notes.token })).status).toBe(204);
    await seedActivity(reader, 1);
    await seedActivity(reader);
    // Changed after its first write: the export reads each activity from its own object.
    const changed = await call("PUT", appActivityPath((await ownView(notes, long)).appActivityId as string), {
      token: notes.token,
      body: activityBody({ visualElements: { displayText: "changed" } }),
    });
    expect(changed.status).toBe(200);

    const expected = [...(await ownFeed(notes)), ...(await ownFeed(reader))];
    expect(expected.map((line) => line.appId)).toEqual([
      "contoso-notes",
      "contoso-notes",
      "contoso-notes",
      "fabrikam-reader",
      "fabrikam-reader",
    ]);
    const longLine = expected.find((line) => line.id === long)!;
    expect(longLine).toMatchObject({ visualElements: { displayText: "changed" } });
    expect((longLine.historyItems as unknown[]).length).toBe(450);
    expect(await exportOf(notes.caller.userId)).toEqual(expected);
  });

  it("holds nothing of another user, nor of the same oid in another tenant; that tenant's administrator sees only its own", async () => {
    const own = await appUser("contoso-notes");
    const neighbour = await appUser("contoso-notes");
    const elsewhere = await appUser("contoso-notes", own.caller.userId, OTHER_TENANT);
    const id = await seedActivity(own, 1);
    await seedActivity(neighbour, 1);
    const foreign = await seedActivity(elsewhere, 1);

    expect(await exportOf(own.caller.userId)).toEqual([{ appId: "contoso-notes", ...(await ownView(own, id)) }]);
    expect(await exportOf(own.caller.userId, await mintAdminToken({ tenant: OTHER_TENANT }))).toEqual([
      { appId: "contoso-notes", ...(await ownView(elsewhere, foreign)) },
    ]);
  });

  it("is empty for a user with no data, and creates no storage for one", async () => {
    const stranger = { tenantId: DEV_CALLER.tenantId, userId: crypto.randomUUID() };
    expect(await exportOf(stranger.userId)).toEqual([]);
    expect(await storageOf(userStub(stranger))).toEqual(HOLDS_NOTHING);
  });

  it("is empty once the user's activities are all deleted", async () => {
    const who = await appUser("contoso-notes");
    const id = await seedActivity(who, 3);
    expect(await exportOf(who.caller.userId)).toHaveLength(1);
    expect((await call("DELETE", activityPath(id), { token: who.token })).status).toBe(204);
    expect(await exportOf(who.caller.userId)).toEqual([]);
  });
});
