// GET …/historyItems/{historyItemId}/activity: Graph's `activity` navigation, the item's parent.
import { describe, expect, it } from "vitest";
import { call, ORIGIN } from "./support/api";
import { errorAnswer, expectGraphError, seen } from "./support/graph";
import { expectJson, freshUser, postItem, putActivity } from "./support/users";

describe("GET /me/activities/{id}/historyItems/{historyItemId}/activity", () => {
  it("answers the item's activity, with $select and $expand as a GET of the activity takes them", async () => {
    const user = freshUser();
    const activity = await putActivity(user, { appDisplayName: "Contoso" });
    const item = await postItem(user, activity.id, { startedDateTime: "2015-02-11T20:54:04.345Z" });
    const path = `/v1.0/me/activities/${activity.id}/historyItems/${item.id.toUpperCase()}/activity`;
    const context = `${ORIGIN}/v1.0/$metadata#users('${user.oid}')/activities('${activity.id}')/historyItems('${item.id}')/activity/$entity`;

    expectJson(await call("GET", path, { as: user.as }), 200, { "@odata.context": context, ...activity });
    expectJson(await call("GET", `${path}?$select=appDisplayName&$expand=historyItems($select=startedDateTime)`, { as: user.as }), 200, {
      "@odata.context": context,
      id: activity.id,
      appDisplayName: "Contoso",
      historyItems: [{ id: item.id, startedDateTime: item.startedDateTime }],
    });
  });

  it("answers 404 for an item or an activity that does not exist, and 405 for another method", async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const itemId = crypto.randomUUID();
    const noItem = await call("GET", `/v1.0/me/activities/${activity.id}/historyItems/${itemId}/activity`, { as: user.as });
    expectGraphError(noItem, 404, "itemNotFound", `The history item '${itemId}' does not exist.`);
    const noActivity = await call("GET", `/v1.0/me/activities/12345/historyItems/${itemId}/activity`, { as: user.as });
    expectGraphError(noActivity, 404, "itemNotFound", "The activity '12345' does not exist.");
    const deleted = await call("DELETE", `/v1.0/me/activities/${activity.id}/historyItems/${itemId}/activity`, { as: user.as });
    expect({ ...seen(deleted), allow: deleted.headers.get("allow") }).toEqual({
      ...errorAnswer(405, "notAllowed", "The method DELETE is not allowed on this resource; use GET.", deleted),
      allow: "GET",
    });
  });
});
