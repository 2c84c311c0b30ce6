// GET /me/activities/delta, a round at a time: a first round lists every live activity in pages
// sized by Prefer: odata.maxpagesize and ends in a deltaLink; the links carry the first request's
// $select and $expand; every prefix, spelling and /users/{user} form, and inside $batch.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { activityPath, call, DAY_MS, GUID, ORIGIN } from "./support/api";
import { DELTA, deltaContext, deltaPage, deltaRound, expectDeltaPage, fillFeed, removed } from "./support/delta";
import { expectGraphError, withoutContext } from "./support/graph";
import { activityStub } from "./support/objects";
import { createActivities, freshUser, postItem, putActivity, type TestUser } from "./support/users";

/** A deltaLink or nextLink the service writes: the request's own path, and only the token. */
const linkTo = (path: string, option: "$skiptoken" | "$deltatoken") =>
  expect.stringMatching(new RegExp(`^${ORIGIN}${path.replace(/[.()$]/g, "\\$&")}\\?\\${option}=[A-Za-z0-9_.%-]+$`));

/** Adds `n` history items to an activity, stored as its object stores them (faster than 10 PUTs of 100). */
const addItems = (user: TestUser, activityId: string, n: number) =>
  runInDurableObject(activityStub(activityId, user.caller), (_instance, state) => {
    for (let k = 0; k < n; k++)
      state.storage.sql.exec(
        `INSERT INTO history_item (id, started_ms, status, created_ms, last_modified_ms, expiration_ms, user_timezone)
         VALUES (?, ?, 'active', ?, ?, ?, ?)`,
        crypto.randomUUID(),
        Date.UTC(2026, 0, 1) + k,
        Date.now(),
        Date.now(),
        Date.now() + DAY_MS,
        "z".repeat(256),
      );
  });

/** The activity as GET answers it now (with `query`), as a round lists it. */
async function current(user: TestUser, id: string, query = "") {
  const answer = await call("GET", `${activityPath(id)}${query}`, { as: user.as });
  expect(answer.status).toBe(200);
  return withoutContext(answer.body);
}

describe("a first round", () => {
  it("lists every live activity a page at a time, nextLink until the last page, which has the deltaLink; then an empty round", async () => {
    const user = freshUser();
    const created = await createActivities(user, 6);
    const gone = created.splice(2, 1)[0]!;
    expect((await call("DELETE", activityPath(gone.id), { as: user.as })).status).toBe(204);

    const prefer = { Prefer: "odata.maxpagesize=2" };
    const first = await deltaRound(user, DELTA, { headers: prefer });
    expect(first.pages.map((page) => page.body)).toEqual([
      { "@odata.context": deltaContext({ user: user.oid }), value: created.slice(0, 2), "@odata.nextLink": linkTo(DELTA, "$skiptoken") },
      { "@odata.context": deltaContext({ user: user.oid }), value: created.slice(2, 4), "@odata.nextLink": linkTo(DELTA, "$skiptoken") },
      { "@odata.context": deltaContext({ user: user.oid }), value: created.slice(4), "@odata.deltaLink": linkTo(DELTA, "$deltatoken") },
    ]);
    expect(first.pages.map((page) => page.headers.get("Preference-Applied"))).toEqual(Array(3).fill("odata.maxpagesize=2"));

    // Nothing changed since: an empty value and a new deltaLink; no Prefer, no Preference-Applied.
    const empty = await deltaPage(user, first.deltaLink);
    expectDeltaPage(empty, deltaContext({ user: user.oid }));
    expect(empty.body).toEqual({
      "@odata.context": deltaContext({ user: user.oid }),
      value: [],
      "@odata.deltaLink": linkTo(DELTA, "$deltatoken"),
    });
    expect(empty.headers.get("Preference-Applied")).toBeNull();
    const again = await deltaRound(user, empty.body["@odata.deltaLink"], { headers: prefer });
    expect(again.values).toEqual([]);
    expect(again.pages.map((page) => page.headers.get("Preference-Applied"))).toEqual(["odata.maxpagesize=2"]);
  });

  it("a feed that never wrote: an empty round, whose deltaLink then lists what was written since", async () => {
    const user = freshUser();
    const first = await deltaRound(user, DELTA);
    expect(first.pages.map((page) => page.body)).toEqual([
      { "@odata.context": deltaContext({ user: user.oid }), value: [], "@odata.deltaLink": linkTo(DELTA, "$deltatoken") },
    ]);
    const created = await createActivities(user, 2);
    expect((await deltaRound(user, first.deltaLink)).values).toEqual(created);
  });

  it(
    "pages hold 100 activities unless Prefer asks otherwise, and at most 1,000 (Preference-Applied says what applied)",
    { timeout: 120_000 },
    async () => {
      const user = freshUser();
      const first = await putActivity(user);
      const ids = [first.id, ...(await fillFeed(user, 1000))].sort();

      const plain = await deltaRound(user, DELTA);
      expect(plain.pages.map((page) => page.body.value.length)).toEqual([...Array(10).fill(100), 1]);
      expect(plain.pages.map((page) => page.headers.get("Preference-Applied"))).toEqual(Array(11).fill(null));
      expect(plain.values.map((value) => value.id).sort()).toEqual(ids);

      for (const asked of ["5000", "1001", '"1000"']) {
        const capped = await deltaRound(user, DELTA, { headers: { Prefer: `odata.maxpagesize=${asked}` } });
        expect(capped.pages.map((page) => page.body.value.length)).toEqual([1000, 1]);
        expect(capped.pages.map((page) => page.headers.get("Preference-Applied"))).toEqual([
          "odata.maxpagesize=1000",
          "odata.maxpagesize=1000",
        ]);
        expect(capped.values.map((value) => value.id).sort()).toEqual(ids);
      }

      // Among other preferences, ignoring case; a size that is not a positive whole number is not a preference this service applies.
      const mixed = await deltaPage(user, DELTA, { Prefer: "return=minimal, OData.MaxPageSize=300" });
      expect({ size: mixed.body.value.length, applied: mixed.headers.get("Preference-Applied") }).toEqual({
        size: 300,
        applied: "odata.maxpagesize=300",
      });
      for (const ignored of ["odata.maxpagesize=0", "odata.maxpagesize=-3", "odata.maxpagesize=ten"]) {
        const page = await deltaPage(user, DELTA, { Prefer: ignored });
        expect({ size: page.body.value.length, applied: page.headers.get("Preference-Applied") }).toEqual({ size: 100, applied: null });
      }
    },
  );
});

const byTimezone = (items: { userTimezone: string }[]) => [...items].sort((x, y) => x.userTimezone.localeCompare(y.userTimezone));

describe("$select and $expand", () => {
  it("the first request's are carried through the nextLinks and the deltaLink, and ignored when repeated on a link", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    for (const n of [1, 2]) await postItem(user, a!.id, { startedDateTime: `2026-01-0${n}T10:00:00Z`, userTimezone: `item ${n}` });
    const shape = "$select=appActivityId,status&$expand=historyItems($select=userTimezone)";
    /** What GET of the activity answers with the same options, as a round lists it. */
    const shown = async (id: string) => {
      const answer = await call("GET", `${activityPath(id)}?${shape}`, { as: user.as });
      expect(answer.status).toBe(200);
      return withoutContext(answer.body);
    };

    const page1 = await deltaPage(user, `${DELTA}?${shape}`, { Prefer: "odata.maxpagesize=1" });
    const expectedA = await shown(a!.id);
    expect({ ...expectedA, historyItems: byTimezone(expectedA.historyItems as { userTimezone: string }[]) }).toEqual({
      id: a!.id,
      appActivityId: a!.appActivityId,
      status: "active",
      historyItems: [
        { id: expect.stringMatching(GUID), userTimezone: "item 1" },
        { id: expect.stringMatching(GUID), userTimezone: "item 2" },
      ],
    });
    // b first: a moved past it when its items were added.
    expect(page1.body).toEqual({
      "@odata.context": deltaContext({ user: user.oid }),
      value: [await shown(b!.id)],
      "@odata.nextLink": linkTo(DELTA, "$skiptoken"),
    });
    // Options repeated on a link change nothing: the round keeps the first request's.
    const page2 = await deltaPage(user, `${page1.body["@odata.nextLink"]}&$select=activationUrl&$expand=historyItems`, {
      Prefer: "odata.maxpagesize=1",
    });
    expect(page2.body).toEqual({
      "@odata.context": deltaContext({ user: user.oid }),
      value: [expectedA],
      "@odata.deltaLink": linkTo(DELTA, "$deltatoken"),
    });

    const patched = await call("PATCH", activityPath(b!.id), { as: user.as, body: { userTimezone: "Europe/Paris" } });
    expect(patched.status).toBe(200);
    const next = await deltaRound(user, `${page2.body["@odata.deltaLink"]}&$select=userTimezone`);
    expect(next.values).toEqual([{ id: b!.id, appActivityId: b!.appActivityId, status: "updated", historyItems: [] }]);

    // A removed activity is its id and @removed, whatever the shape.
    expect((await call("DELETE", activityPath(a!.id), { as: user.as })).status).toBe(204);
    expect((await deltaRound(user, next.deltaLink)).values).toEqual([removed(a!.id)]);
  });

  it(
    "a round that expands continues a page its expansion cut short (4 MiB), also when read through its links",
    { timeout: 120_000 },
    async () => {
      const user = freshUser();
      const created = await createActivities(user, 9);
      // 1,000 items of about 560 characters each: an expanded activity is over half a MiB.
      for (const activity of created) await addItems(user, activity.id, 1000);
      const expanded = async () => Promise.all(created.map((activity) => current(user, activity.id, "?$expand=historyItems")));

      const first = await deltaRound(user, `${DELTA}?$expand=historyItems`);
      expect(first.pages.map((page) => page.body.value.length)).toEqual([7, 2]);
      expect(first.values).toEqual(await expanded());

      for (const activity of created)
        expect((await call("PATCH", activityPath(activity.id), { as: user.as, body: { userTimezone: "Pacific/Fiji" } })).status).toBe(200);
      const next = await deltaRound(user, first.deltaLink);
      expect(next.pages.map((page) => page.body.value.length)).toEqual([7, 2]);
      expect(next.values).toEqual(await expanded());
    },
  );

  it("a bad $select or $expand on the first request is a 400 naming it", async () => {
    const user = freshUser();
    await putActivity(user);
    expectGraphError(
      await deltaPage(user, `${DELTA}?$select=displayText`),
      400,
      "invalidRequest",
      "Invalid $select: 'displayText' is not a selectable property of microsoft.graph.userActivity (selectable: id, appActivityId, activitySourceHost, activationUrl, appDisplayName, fallbackUrl, contentUrl, visualElements, contentInfo, userTimezone, createdDateTime, lastModifiedDateTime, expirationDateTime, status).",
    );
    expectGraphError(
      await deltaPage(user, `${DELTA}?$expand=visualElements`),
      400,
      "invalidRequest",
      "Invalid $expand 'visualElements': only 'historyItems', optionally with '($filter=...)' or '($select=...)', is supported.",
    );
  });
});

describe("options", () => {
  it("$top, $filter, $orderby, $skip, $search and $count are a 400 naming them, on the first request and on a link", async () => {
    const user = freshUser();
    await putActivity(user);
    const { deltaLink } = await deltaRound(user, DELTA);
    const link = deltaLink.slice(ORIGIN.length);
    for (const option of [
      "$top=1",
      "$filter=lastModifiedDateTime ge 2026-01-01T00:00:00Z",
      "$orderby=lastModifiedDateTime desc",
      "$skip=1",
      "$search=x",
      "$count=true",
    ]) {
      const name = option.split("=")[0];
      for (const url of [`${DELTA}?${option}`, `${link}&${option}`]) {
        expectGraphError(
          await deltaPage(user, url),
          400,
          "invalidRequest",
          `The query option '${name}' is not supported (supported here: $select, $expand, $skiptoken, $deltatoken).`,
        );
      }
    }
  });
});

describe("addresses", () => {
  it("under every prefix, all three spellings and /users/{user}: the context and links of the form used", async () => {
    const user = freshUser();
    const [a] = await createActivities(user, 1);
    for (const prefix of ["/v1.0", "/beta", ""]) {
      for (const owner of ["/me", `/users/${user.oid}`]) {
        for (const spelling of ["delta", "delta()", "microsoft.graph.delta()"]) {
          const path = `${prefix}${owner}/activities/${spelling}`;
          const context = deltaContext({ prefix, user: user.oid });
          const first = await deltaPage(user, path);
          expect({ path, body: first.body }).toEqual({
            path,
            body: { "@odata.context": context, value: [a], "@odata.deltaLink": linkTo(path, "$deltatoken") },
          });
          const next = await deltaPage(user, first.body["@odata.deltaLink"]);
          expect({ path, body: next.body }).toEqual({
            path,
            body: { "@odata.context": context, value: [], "@odata.deltaLink": linkTo(path, "$deltatoken") },
          });
        }
      }
    }
  });

  it("inside $batch: each page as it answers alone, Preference-Applied included, and its links followed in later batches", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const inBatch = async (url: string) => {
      const answer = await call("POST", "/v1.0/$batch", {
        as: user.as,
        body: { requests: [{ id: "1", method: "GET", url, headers: { Prefer: "odata.maxpagesize=1" } }] },
      });
      expect(answer.status).toBe(200);
      return answer.body.responses as Record<string, any>[];
    };
    const answerOf = (body: unknown) => [
      {
        id: "1",
        status: 200,
        headers: {
          "Content-Type": "application/json",
          "Preference-Applied": "odata.maxpagesize=1",
          "request-id": expect.stringMatching(GUID),
          "client-request-id": expect.stringMatching(GUID),
        },
        body,
      },
    ];
    const context = deltaContext({ user: user.oid });
    const page1 = await inBatch("/me/activities/delta");
    expect(page1).toEqual(answerOf({ "@odata.context": context, value: [a], "@odata.nextLink": linkTo(DELTA, "$skiptoken") }));
    const page2 = await inBatch(page1[0]!.body["@odata.nextLink"].slice(ORIGIN.length));
    expect(page2).toEqual(answerOf({ "@odata.context": context, value: [b], "@odata.deltaLink": linkTo(DELTA, "$deltatoken") }));

    expect((await call("DELETE", activityPath(a!.id), { as: user.as })).status).toBe(204);
    const next = await inBatch(page2[0]!.body["@odata.deltaLink"].slice(ORIGIN.length));
    expect(next).toEqual(
      answerOf({ "@odata.context": context, value: [removed(a!.id)], "@odata.deltaLink": linkTo(DELTA, "$deltatoken") }),
    );
  });
});
