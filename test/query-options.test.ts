// Query options as Graph's SDKs send them: $select everywhere (inside $expand too), $count as a
// segment and as an option, $orderby of the natural order, names in any case, and $-less on /beta.
import { describe, expect, it } from "vitest";
import { type Answer, call, ORIGIN } from "./support/api";
import { activityContext, expectGraphError, historyItemsContext } from "./support/graph";
import { expectJson, freshUser, postItem, putActivity, tick, type TestUser } from "./support/users";

const get = (user: TestUser, path: string) => call("GET", path, { as: user.as });
const listContext = (user: TestUser, prefix = "/v1.0") => `${ORIGIN}${prefix}/$metadata#users('${user.oid}')/activities`;
const recentContext = `${ORIGIN}/v1.0/$metadata#Collection(microsoft.graph.userActivity)`;

const pick = (resource: Record<string, unknown>, names: string[]) => Object.fromEntries(names.map((name) => [name, resource[name]]));

/** The text/plain answer of a /$count segment. */
const counted = (answer: Answer) => ({ status: answer.status, type: answer.headers.get("content-type"), text: answer.body });

/** A user with activities a (no items), b (two items) and c (one item), written in that order. */
async function seeded() {
  const user = freshUser();
  const a = await putActivity(user, { appDisplayName: "A" });
  await tick();
  const b = await putActivity(user, { appDisplayName: "B" });
  await tick();
  const c = await putActivity(user, { appDisplayName: "C" });
  await tick();
  const b1 = await postItem(user, b.id, { startedDateTime: "2015-02-11T20:54:04.345Z" });
  await tick();
  const b2 = await postItem(user, b.id, { startedDateTime: "2015-02-11T21:00:00.000Z", activeDurationSeconds: 30 });
  await tick();
  const c1 = await postItem(user, c.id, { startedDateTime: "2015-02-12T08:00:00.000Z" });
  return { user, a, b, c, b1, b2, c1 };
}

describe("$select", () => {
  it("returns only the selected properties, with id and @odata.context, on an activity, the lists and an item", async () => {
    const { user, a, b, c, b1, b2 } = await seeded();
    const names = ["appActivityId", "visualElements"];

    expectJson(await get(user, `/v1.0/me/activities/${a.id}?$select=appActivityId,visualElements`), 200, {
      "@odata.context": activityContext({ user: user.oid }),
      id: a.id,
      ...pick(a, names),
    });
    expectJson(await get(user, "/v1.0/me/activities?$select=appDisplayName"), 200, {
      "@odata.context": listContext(user),
      value: [c, b, a].map((x) => ({ id: x.id, appDisplayName: x.appDisplayName })),
    });
    expectJson(await get(user, "/v1.0/me/activities/recent?$select=status"), 200, {
      "@odata.context": recentContext,
      value: [c, b].map((x) => ({ id: x.id, status: "active" })),
    });
    expectJson(await get(user, `/v1.0/me/activities/${b.id}/historyItems?$select=startedDateTime,activeDurationSeconds`), 200, {
      "@odata.context": historyItemsContext(b.id, { user: user.oid }),
      value: [b2, b1].map((item) => ({
        id: item.id,
        startedDateTime: item.startedDateTime,
        activeDurationSeconds: item.activeDurationSeconds,
      })),
    });
    expectJson(await get(user, `/v1.0/me/activities/${b.id}/historyItems/${b1.id}?$select=status`), 200, {
      "@odata.context": `${historyItemsContext(b.id, { user: user.oid })}/$entity`,
      id: b1.id,
      status: "active",
    });
  });

  it("matches property names ignoring case, answers them in Graph's spelling, and takes * for all", async () => {
    const { user, a } = await seeded();
    expectJson(await get(user, `/v1.0/me/activities/${a.id}?$select=APPDISPLAYNAME, userTimeZone`), 200, {
      "@odata.context": activityContext({ user: user.oid }),
      id: a.id,
      appDisplayName: "A",
      userTimezone: null,
    });
    expectJson(await get(user, `/v1.0/me/activities/${a.id}?$select=*`), 200, {
      "@odata.context": activityContext({ user: user.oid }),
      ...a,
    });
  });

  it("keeps expanded history items, and selects inside $expand=historyItems($select=…)", async () => {
    const { user, b, b1, b2 } = await seeded();
    const expand = encodeURIComponent("historyItems($select=startedDateTime)");
    const answer = await get(user, `/v1.0/me/activities/${b.id}?$select=appDisplayName&$expand=${expand}`);
    expectJson(answer, 200, {
      "@odata.context": activityContext({ user: user.oid }),
      id: b.id,
      appDisplayName: "B",
      historyItems: [b2, b1].map((item) => ({ id: item.id, startedDateTime: item.startedDateTime })),
    });
    // Both nested options, ';'-separated, names in any case and $-less inside the parentheses.
    const both = encodeURIComponent(`historyItems(FILTER=lastModifiedDateTime gt ${b1.lastModifiedDateTime};$Select=id)`);
    expectJson(await get(user, `/v1.0/me/activities?$expand=${both}&$select=id`), 200, {
      "@odata.context": listContext(user),
      value: expect.arrayContaining([{ id: b.id, historyItems: [{ id: b2.id }] }]),
    });
  });

  it.each([
    [
      "/v1.0/me/activities/{a}?$select=displayText",
      "Invalid $select: 'displayText' is not a selectable property of microsoft.graph.userActivity",
    ],
    ["/v1.0/me/activities?$select=id,,status", "Invalid $select 'id,,status': expected property names separated by commas."],
    [
      "/v1.0/me/activities?$select=historyItems",
      "Invalid $select: 'historyItems' is not a selectable property of microsoft.graph.userActivity",
    ],
    [
      "/v1.0/me/activities/{b}/historyItems?$select=appActivityId",
      "Invalid $select: 'appActivityId' is not a selectable property of microsoft.graph.activityHistoryItem",
    ],
    [
      "/v1.0/me/activities/{b}?$expand=historyItems($select=nope)",
      "Invalid $select in $expand: 'nope' is not a selectable property of microsoft.graph.activityHistoryItem",
    ],
    [
      "/v1.0/me/activities/{b}?$expand=historyItems($top=1)",
      "Invalid $expand 'historyItems($top=1)': inside historyItems(...) only $filter and $select are supported.",
    ],
  ])("answers 400 invalidRequest naming an unknown property: %s", async (template, message) => {
    const { user, a, b } = await seeded();
    const answer = await get(user, template.replace("{a}", a.id).replace("{b}", b.id));
    expectGraphError(answer, 400, "invalidRequest", expect.stringContaining(message));
  });
});

describe("$count", () => {
  it("answers /$count segments with the number of live entries as text/plain, $filter applied", async () => {
    const { user, b, c, b1 } = await seeded();
    const after = (at: string) => `$filter=${encodeURIComponent(`lastModifiedDateTime gt ${at}`)}`;
    expect(counted(await get(user, "/v1.0/me/activities/$count"))).toEqual({ status: 200, type: "text/plain; charset=UTF-8", text: 3 });
    expect(counted(await get(user, `/v1.0/me/activities/$count?${after(b.lastModifiedDateTime)}`))).toEqual({
      status: 200,
      type: "text/plain; charset=UTF-8",
      text: 1,
    });
    for (const recent of ["recent", "recent()", "microsoft.graph.recent()"]) {
      expect(counted(await get(user, `/v1.0/me/activities/${recent}/$count`))).toEqual({
        status: 200,
        type: "text/plain; charset=UTF-8",
        text: 2,
      });
    }
    expect(counted(await get(user, `/v1.0/me/activities/recent/$count?${after(c.lastModifiedDateTime)}`))).toEqual({
      status: 200,
      type: "text/plain; charset=UTF-8",
      text: 0,
    });
    expect(counted(await get(user, `/v1.0/me/activities/${b.id}/historyItems/$count`))).toEqual({
      status: 200,
      type: "text/plain; charset=UTF-8",
      text: 2,
    });
    expect(counted(await get(user, `/v1.0/me/activities/${b.id}/historyItems/$count?${after(b1.lastModifiedDateTime)}`))).toEqual({
      status: 200,
      type: "text/plain; charset=UTF-8",
      text: 1,
    });
  });

  it("adds @odata.count for $count=true: every page carries the whole count, $filter applied", async () => {
    const { user, a, b, c, b2 } = await seeded();
    const first = await get(user, "/v1.0/me/activities?$count=true&$top=2");
    expectJson(first, 200, {
      "@odata.context": listContext(user),
      "@odata.count": 3,
      value: [c, b],
      "@odata.nextLink": expect.stringMatching(/^https:\/\/feed\.test\/v1\.0\/me\/activities\?\$count=true&\$top=2&\$skiptoken=/),
    });
    expectJson(await get(user, first.body["@odata.nextLink"].slice(ORIGIN.length)), 200, {
      "@odata.context": listContext(user),
      "@odata.count": 3,
      value: [a],
    });
    const filter = encodeURIComponent(`lastModifiedDateTime ge ${b.lastModifiedDateTime}`);
    expectJson(await get(user, `/v1.0/me/activities?$count=true&$filter=${filter}`), 200, {
      "@odata.context": listContext(user),
      "@odata.count": 2,
      value: [c, b],
    });
    expectJson(await get(user, "/v1.0/me/activities/recent?$count=TRUE"), 200, {
      "@odata.context": recentContext,
      "@odata.count": 2,
      value: [c, b],
    });
    const items = `$filter=${encodeURIComponent(`lastModifiedDateTime ge ${b2.lastModifiedDateTime}`)}`;
    expectJson(await get(user, `/v1.0/me/activities/${b.id}/historyItems?$count=true&${items}`), 200, {
      "@odata.context": historyItemsContext(b.id, { user: user.oid }),
      "@odata.count": 1,
      value: [b2],
    });
    expectJson(await get(user, "/v1.0/me/activities?$count=false&$select=id"), 200, {
      "@odata.context": listContext(user),
      value: [c, b, a].map(({ id }) => ({ id })),
    });
  });

  it("answers 400 for a $count that is neither true nor false, and 404 for the items of an activity that does not exist", async () => {
    const user = freshUser();
    const bad = await get(user, "/v1.0/me/activities?$count=yes");
    expectGraphError(bad, 400, "invalidRequest", "Invalid $count 'yes': expected true or false.");
    const missing = await get(user, "/v1.0/me/activities/12345/historyItems/$count");
    expectGraphError(missing, 404, "itemNotFound", "The activity '12345' does not exist.");
  });
});

describe("$orderby, $skip, $search", () => {
  it("accepts the order the list already has, lastModifiedDateTime desc", async () => {
    const { user, a, b, c, b1, b2 } = await seeded();
    const order = encodeURIComponent("lastModifiedDateTime desc");
    expectJson(await get(user, `/v1.0/me/activities?$orderby=${order}`), 200, { "@odata.context": listContext(user), value: [c, b, a] });
    expectJson(await get(user, `/v1.0/me/activities/${b.id}/historyItems?$orderby=${order}`), 200, {
      "@odata.context": historyItemsContext(b.id, { user: user.oid }),
      value: [b2, b1],
    });
  });

  it.each([
    [
      "/v1.0/me/activities?$orderby=lastModifiedDateTime asc",
      "Invalid $orderby 'lastModifiedDateTime asc': only 'lastModifiedDateTime desc', the order the list already has, is supported.",
    ],
    [
      "/v1.0/me/activities?$orderby=createdDateTime desc",
      "Invalid $orderby 'createdDateTime desc': only 'lastModifiedDateTime desc', the order the list already has, is supported.",
    ],
    [
      "/v1.0/me/activities/recent?$orderby=lastModifiedDateTime desc",
      "The query option '$orderby' is not supported (supported here: $top, $filter, $expand, $select, $skiptoken, $count).",
    ],
    [
      "/v1.0/me/activities?$skip=1",
      "The query option '$skip' is not supported (supported here: $top, $filter, $expand, $select, $skiptoken, $count, $orderby).",
    ],
    [
      "/v1.0/me/activities?$search=contoso",
      "The query option '$search' is not supported (supported here: $top, $filter, $expand, $select, $skiptoken, $count, $orderby).",
    ],
    ["/v1.0/me/activities/$count?$search=contoso", "The query option '$search' is not supported (supported here: $filter)."],
  ])("answers 400 invalidRequest naming the option: %s", async (path, message) => {
    const user = freshUser();
    const answer = await get(user, path.replaceAll(" ", "%20"));
    expectGraphError(answer, 400, "invalidRequest", message);
  });
});

describe("option names", () => {
  it("are matched ignoring case on every prefix, and @odata.nextLink spells them as Graph does", async () => {
    const { user, a, b, c } = await seeded();
    for (const prefix of ["/v1.0", "/beta", ""]) {
      const first = await get(user, `${prefix}/me/activities?$TOP=1&$Select=id`);
      expectJson(first, 200, {
        "@odata.context": listContext(user, prefix),
        value: [{ id: c.id }],
        "@odata.nextLink": expect.stringMatching(
          new RegExp(`^${ORIGIN}${prefix.replace(".", "\\.")}/me/activities\\?\\$top=1&\\$select=id&\\$skiptoken=[^&]+$`),
        ),
      });
      // The classic client's .skipToken() sends $skipToken.
      const token = new URL(first.body["@odata.nextLink"]).searchParams.get("$skiptoken")!;
      const second = await get(user, `${prefix}/me/activities?$top=1&$select=id&$skipToken=${encodeURIComponent(token)}`);
      expect(second.body.value).toEqual([{ id: b.id }]);
    }
    expect((await get(user, "/v1.0/me/activities?$COUNT=true&$Top=5")).body["@odata.count"]).toBe(3);
    expect((await get(user, `/v1.0/me/activities/${a.id}?$EXPAND=historyItems`)).body.historyItems).toEqual([]);
  });

  it("may leave out their $ on /beta, as Graph documents, and not on /v1.0", async () => {
    const { user, a, b, c, b1, b2 } = await seeded();
    const filter = encodeURIComponent(`lastModifiedDateTime ge ${b.lastModifiedDateTime}`);
    const beta = await get(user, `/beta/me/activities?top=5&filter=${filter}&select=appDisplayName&count=true&Expand=historyItems`);
    expectJson(beta, 200, {
      "@odata.context": listContext(user, "/beta"),
      "@odata.count": 2,
      value: [
        { id: c.id, appDisplayName: "C", historyItems: [expect.objectContaining({ id: expect.any(String) })] },
        { id: b.id, appDisplayName: "B", historyItems: [b2, b1] },
      ],
    });
    expect((await get(user, `/beta/me/activities/${a.id}/historyItems?TOP=1`)).status).toBe(200);
    const v1 = await get(user, "/v1.0/me/activities?top=5");
    expectGraphError(
      v1,
      400,
      "invalidRequest",
      "The query option 'top' is not supported (supported here: $top, $filter, $expand, $select, $skiptoken, $count, $orderby).",
    );
  });

  it("answers 400 for an option given twice, however it is spelled", async () => {
    const user = freshUser();
    for (const query of ["$top=1&$top=2", "$top=1&$TOP=2"]) {
      const answer = await get(user, `/v1.0/me/activities?${query}`);
      expectGraphError(answer, 400, "invalidRequest", "The query option '$top' may be given only once.");
    }
    const beta = await get(user, "/beta/me/activities?top=1&$top=2");
    expectGraphError(beta, 400, "invalidRequest", "The query option '$top' may be given only once.");
  });
});

describe("a trailing slash", () => {
  it("names the same resource on every route", async () => {
    const { user, b, b1 } = await seeded();
    const paths = [
      "/v1.0/me/activities",
      "/v1.0/me/activities/$count",
      "/v1.0/me/activities/recent",
      "/v1.0/me/activities/recent()/$count",
      `/v1.0/me/activities/${b.id}`,
      `/v1.0/me/activities/${b.id}/historyItems`,
      `/v1.0/me/activities/${b.id}/historyItems/$count`,
      `/v1.0/me/activities/${b.id}/historyItems/${b1.id}`,
      `/v1.0/me/activities/${b.id}/historyItems/${b1.id}/activity`,
      `/v1.0/users/${user.oid}/activities/${b.id}`,
    ];
    for (const path of paths) {
      const plain = await get(user, path);
      const slashed = await get(user, `${path}/`);
      expect({ path, status: slashed.status, body: slashed.body }).toEqual({ path, status: 200, body: plain.body });
    }
    const item = crypto.randomUUID();
    const put = await call("PUT", `/v1.0/me/activities/${b.id}/historyItems/${item}/`, {
      as: user.as,
      body: { startedDateTime: "2015-02-11T20:54:04.345Z" },
    });
    expect(put.status).toBe(201);
    const patched = await call("PATCH", `/v1.0/me/activities/${b.id}/`, { as: user.as, body: { appDisplayName: "Slashed" } });
    expect(patched.body.appDisplayName).toBe("Slashed");
    // Graph's own DELETE example ends in a slash.
    expect((await call("DELETE", `/v1.0/me/activities/${b.id}/historyItems/${item}/`, { as: user.as })).status).toBe(204);
    expect((await call("DELETE", `/v1.0/me/activities/${b.id}/`, { as: user.as })).status).toBe(204);
    expect((await get(user, `/v1.0/me/activities/${b.id}`)).status).toBe(404);
  });

  it("names the same activity on a PUT by appActivityId", async () => {
    const user = freshUser();
    const appActivityId = `/article?${crypto.randomUUID()}`;
    const body = {
      activitySourceHost: "https://www.contoso.com",
      activationUrl: "https://www.contoso.com/a",
      visualElements: { displayText: "x" },
    };
    const slashed = await call("PUT", `/v1.0/me/activities/${encodeURIComponent(appActivityId)}/`, { as: user.as, body });
    const plain = await call("PUT", `/v1.0/me/activities/${encodeURIComponent(appActivityId)}`, { as: user.as, body });
    expect([slashed.status, plain.status, slashed.body.appActivityId, plain.body.id]).toEqual([201, 200, appActivityId, slashed.body.id]);
  });
});
