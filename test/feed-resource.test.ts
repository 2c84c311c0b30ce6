// A feed entry keeps the activity's Graph JSON as it was stored, and a page is joined from those
// texts: the same answer as the activity's own GET gives. An entry stored before the feed kept
// them is rendered as it is read.
import { expect, it } from "vitest";
import { activityPath, call, createActivity, historyItemPath } from "./support/api";
import { activitiesContext, jsonAnswer, seen, withoutContext } from "./support/graph";
import { feedStub, sqlIn } from "./support/objects";
import { callerFor, mintToken } from "./support/tokens";

it("stores each activity's Graph JSON, lists it as the activity's own GET shows it, and renders an entry stored without one", async () => {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const feed = feedStub(callerFor({ user }));
  const ids = [await createActivity({ token }), await createActivity({ token })];
  expect(
    (await call("PUT", historyItemPath(ids[0]!, crypto.randomUUID()), { token, body: { startedDateTime: "2015-02-11T20:54:04Z" } })).status,
  ).toBe(201);
  const own = await Promise.all(ids.map(async (id) => withoutContext((await call("GET", activityPath(id), { token })).body)));

  const stored = (await sqlIn(feed, "SELECT activity_id, resource FROM feed_entry ORDER BY activity_id")) as {
    activity_id: string;
    resource: string;
  }[];
  expect(stored.map((row) => ({ id: row.activity_id, resource: JSON.parse(row.resource) }))).toEqual(
    ids.map((id, k) => ({ id, resource: own[k] })).sort((a, b) => a.id.localeCompare(b.id)),
  );

  const expected = (answer: Awaited<ReturnType<typeof call>>) =>
    jsonAnswer(200, { "@odata.context": activitiesContext({ user }), value: [own[1], own[0]] }, answer);
  const listed = await call("GET", "/v1.0/me/activities", { token });
  expect(seen(listed)).toEqual(expected(listed));

  // As an entry written before the feed kept the texts.
  await sqlIn(feed, "UPDATE feed_entry SET resource = NULL");
  const rendered = await call("GET", "/v1.0/me/activities", { token });
  expect(seen(rendered)).toEqual(expected(rendered));
});
