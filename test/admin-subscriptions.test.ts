// GET /admin/users/{oid}/subscriptions: a user's subscriptions across apps, as their tenant's
// administrator sees them, including an app the user has subscriptions with but no activities.
import { describe, expect, it } from "vitest";
import { send } from "./support/api";
import { appUser, seedActivity } from "./support/admin";
import { expectGraphError, withoutContext } from "./support/graph";
import { Receiver } from "./support/receiver";
import { postSubscription } from "./support/subscriptions";
import { DEV_CALLER, mintAdminToken } from "./support/tokens";
import { expectJson } from "./support/users";

const subscriptionsOf = async (user: string, tenant = DEV_CALLER.tenantId) =>
  send("GET", `/admin/users/${user}/subscriptions`, { token: await mintAdminToken({ tenant }) });

describe("GET /admin/users/{oid}/subscriptions", () => {
  it("lists every live subscription of the user across apps, by app id then oldest first, and no one else's", async () => {
    const receiver = new Receiver();
    const user = crypto.randomUUID();
    // Apps named so that their id order differs from the order of the writes.
    const [notes, mail] = [await appUser("b-contoso-notes", user), await appUser("a-contoso-mail", user)];
    await seedActivity(notes);
    const as = (app: string) => ({ user, app });
    const first = await postSubscription(receiver, as(notes.caller.appId), { clientState: "notes 1" });
    const second = await postSubscription(receiver, as(notes.caller.appId), { changeType: "deleted", clientState: "notes 2" });
    // The mail app has subscriptions but has never written an activity.
    const third = await postSubscription(receiver, as(mail.caller.appId), { lifecycleNotificationUrl: receiver.url("/lifecycle") });
    // Someone else: another user of the same app, the same oid in another tenant.
    await postSubscription(receiver, { app: notes.caller.appId });
    const otherTenant = "5a1b2c3d-0000-4000-8000-000000000003";
    const foreign = await postSubscription(receiver, { user, app: notes.caller.appId, tenant: otherTenant });
    // A deleted one is not listed.
    const deleted = await postSubscription(receiver, as(notes.caller.appId));
    expect((await send("DELETE", `/v1.0/subscriptions/${deleted.id}`, { as: as(notes.caller.appId) })).status).toBe(204);

    expectJson(await subscriptionsOf(user), 200, { value: [third, first, second].map(withoutContext) });
    expectJson(await subscriptionsOf(user, otherTenant), 200, { value: [withoutContext(foreign)] });
  });

  it("answers an empty list for a user without any", async () => {
    expectJson(await subscriptionsOf(crypto.randomUUID()), 200, { value: [] });
  });

  it("refuses a query option, and a method it does not take (405 with Allow)", async () => {
    const user = crypto.randomUUID();
    const token = await mintAdminToken();
    expectGraphError(
      await send("GET", `/admin/users/${user}/subscriptions?$top=1`, { token }),
      400,
      "invalidRequest",
      "The query option '$top' is not supported (this request takes none).",
    );
    const refused = await send("DELETE", `/admin/users/${user}/subscriptions`, { token });
    expectGraphError(refused, 405, "notAllowed", "The method DELETE is not allowed on this resource; use GET.");
    expect(refused.headers.get("allow")).toBe("GET");
  });
});
