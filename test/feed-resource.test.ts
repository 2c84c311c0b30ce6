// A feed entry keeps the activity's Graph JSON as it was stored, and a page (the feed's, a delta
// round's) is joined from those texts: the same answer as the activity's own GET gives, in the
// bytes JSON.stringify would write. An entry stored before the feed kept them is rendered as it is read.
import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";
import { activityPath, call, createActivity, historyItemPath, ORIGIN } from "./support/api";
import { DELTA, deltaContext, removed } from "./support/delta";
import { activitiesContext, jsonAnswer, seen, withoutContext } from "./support/graph";
import { feedStub, sqlIn } from "./support/objects";
import { callerFor, mintToken } from "./support/tokens";
import { createActivities, freshUser, putActivity, type TestUser } from "./support/users";

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

/** A page's raw text as the Worker answers it. */
async function pageText(user: TestUser, url: string, headers: Record<string, string> = {}): Promise<string> {
  const path = url.startsWith(ORIGIN) ? url.slice(ORIGIN.length) : url;
  const answer = await exports.default.fetch(
    new Request(`${ORIGIN}${path}`, { headers: { Authorization: `Bearer ${await mintToken(user.as)}`, ...headers } }),
  );
  expect(answer.status).toBe(200);
  return answer.text();
}

it("joins the stored texts into the very bytes JSON.stringify writes for the page: the feed's pages and a delta round's", async () => {
  const user = freshUser();
  const [gone] = await createActivities(user, 3);
  const first = await pageText(user, "/v1.0/me/activities?$top=2");
  expect(first).toBe(JSON.stringify(JSON.parse(first)));
  const next = (JSON.parse(first) as { "@odata.nextLink": string })["@odata.nextLink"];
  expect(next).toEqual(expect.stringContaining("$skiptoken="));
  const last = await pageText(user, next);
  expect(JSON.parse(last)).toEqual({ "@odata.context": activitiesContext({ user: user.oid }), value: [expect.any(Object)] });
  expect(last).toBe(JSON.stringify(JSON.parse(last)));

  const prefer = { Prefer: "odata.maxpagesize=2" };
  const opening = await pageText(user, DELTA, prefer);
  expect(opening).toBe(JSON.stringify(JSON.parse(opening)));
  const closing = await pageText(user, (JSON.parse(opening) as { "@odata.nextLink": string })["@odata.nextLink"], prefer);
  expect(closing).toBe(JSON.stringify(JSON.parse(closing)));
  const deltaLink = (JSON.parse(closing) as { "@odata.deltaLink": string })["@odata.deltaLink"];
  expect((await call("DELETE", activityPath(gone!.id), { as: user.as })).status).toBe(204);
  await putActivity(user);
  const changes = await pageText(user, deltaLink, prefer);
  expect(JSON.parse(changes)).toEqual({
    "@odata.context": deltaContext({ user: user.oid }),
    value: expect.arrayContaining([removed(gone!.id)]),
    "@odata.deltaLink": expect.stringContaining("$deltatoken="),
  });
  expect(changes).toBe(JSON.stringify(JSON.parse(changes)));
});
