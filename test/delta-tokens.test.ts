// Delta tokens: sealed to their feed (altered, or another user's or app's: 400), good for the
// horizon (older: 410 syncStateNotFound with Location), gone after an erasure (410), `latest`; and
// tombstones outlive every token still answered.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STREAM_HORIZON_MS } from "../src/objects/feed-stream";
import { unsealedToken } from "../src/objects/keyset";
import { TOMBSTONE_LIFETIME_MS } from "../src/objects/FeedObject";
import { activityPath, type Answer, call, DAY_MS, ORIGIN } from "./support/api";
import { runErasure } from "./support/admin";
import { DELTA, deltaContext, deltaPage, deltaRound, feedBeganAt, payloadOf, removed, resealed, tokenOf, withToken } from "./support/delta";
import { expectGraphError, withoutContext } from "./support/graph";
import { feedStub, sqlIn } from "./support/objects";
import { mintAdminToken } from "./support/tokens";
import { createActivities, freshUser, putActivity, type TestUser } from "./support/users";

const BAD_TOKEN =
  "The $skiptoken or $deltatoken is not valid for this request: use @odata.nextLink and @odata.deltaLink exactly as returned.";
const GONE = "The delta token has expired or its sync state was reset; start a new round at the Location given.";

const expectBadToken = (answer: Answer) => expectGraphError(answer, 400, "invalidRequest", BAD_TOKEN);

/** A 410 syncStateNotFound whose Location starts a new round at `location`. */
function expectGone(answer: Answer, location: string) {
  expectGraphError(answer, 410, "syncStateNotFound", GONE);
  expect(answer.headers.get("Location")).toBe(location);
}

/** The same text with its character at `index` changed to another of the base64url alphabet. */
const flipped = (text: string, index: number) => `${text.slice(0, index)}${text[index] === "A" ? "B" : "A"}${text.slice(index + 1)}`;

/** A user with two activities, a round's nextLink (a page of one) and a deltaLink. */
async function withLinks() {
  const user = freshUser();
  const created = await createActivities(user, 2);
  const page1 = await deltaPage(user, DELTA, { Prefer: "odata.maxpagesize=1" });
  const nextLink: string = page1.body["@odata.nextLink"];
  const { deltaLink } = await deltaRound(user, nextLink, { headers: { Prefer: "odata.maxpagesize=1" } });
  return { user, created, nextLink, deltaLink };
}

describe("sealed tokens", () => {
  it("an altered token is a 400, whichever character of its payload or seal changed", async () => {
    const { user, nextLink, deltaLink } = await withLinks();
    for (const link of [nextLink, deltaLink]) {
      const token = tokenOf(link);
      const seal = token.indexOf(".");
      for (const index of [0, 5, seal - 1, seal + 1, token.length - 2])
        expectBadToken(await deltaPage(user, withToken(link, flipped(token, index))));
      for (const altered of [token.slice(0, -1), `${token}A`, token.slice(0, seal), `${token}.${token.slice(seal + 1)}`, "", "latest!"])
        expectBadToken(await deltaPage(user, withToken(link, altered)));
      // A readable payload that says something else under the old seal.
      const payload = payloadOf(link);
      const forged = `${btoa(JSON.stringify({ ...payload, since: payload.since + 1 }))
        .replace(/=+$/, "")
        .replace(/\+/g, "-")
        .replace(/\//g, "_")}${token.slice(seal)}`;
      expectBadToken(await deltaPage(user, withToken(link, forged)));
    }
    // The links themselves still work.
    expect((await deltaRound(user, nextLink)).values).toHaveLength(1);
    expect((await deltaRound(user, deltaLink)).values).toEqual([]);
  });

  it("another user's token, or the same user's through another app, is a 400 and shows nothing", async () => {
    const { user, nextLink, deltaLink } = await withLinks();
    const stranger = freshUser();
    await putActivity(stranger);
    const otherApp: TestUser = {
      ...user,
      as: { ...user.as, app: "5d2d4c29-3e33-4b9b-a1f6-0b2f7e0c9a11" },
      caller: { ...user.caller, appId: "5d2d4c29-3e33-4b9b-a1f6-0b2f7e0c9a11" },
    };
    await putActivity(otherApp);
    for (const who of [stranger, otherApp]) for (const link of [nextLink, deltaLink]) expectBadToken(await deltaPage(who, link));
    // A feed that never wrote refuses them too.
    for (const link of [nextLink, deltaLink]) expectBadToken(await deltaPage(freshUser(), link));
  });

  it("a token nobody sealed, carrying options this service never writes, is a 400 (anyone can write a feed's unsealed tokens)", async () => {
    const user = freshUser();
    const [a] = await createActivities(user, 1);
    const { deltaLink } = await deltaRound(user, DELTA);
    const { feed } = payloadOf(deltaLink);
    // The origin token travels unsealed: it grants a first round, and nothing more.
    const origin = unsealedToken({ feed, shape: JSON.stringify({ $select: "status" }), tokensAfter: false, since: 0, sinceMs: null });
    expect((await deltaRound(user, withToken(deltaLink, origin))).values).toEqual([{ id: a!.id, status: "active" }]);
    for (const shape of ["not JSON", "null", "[]", '{"$select":"nope"}', '{"$select":5}', '{"$expand":"bogus"}', '{"$top":"1"}']) {
      const unsealed = unsealedToken({ feed, shape, tokensAfter: false, since: 0, sinceMs: null });
      expectBadToken(await deltaPage(user, withToken(deltaLink, unsealed)));
      // Read before its seal (whether it is gone comes first): its options are never echoed in a Location.
      const unsigned = `${unsealedToken({ feed, shape, tokensAfter: false, since: 1, sinceMs: 1 })}.AAAA`;
      expectBadToken(await deltaPage(user, withToken(deltaLink, unsigned)));
    }
  });

  it("a paging cursor of the feed list is no delta token, nor a delta token a cursor", async () => {
    const { user, deltaLink } = await withLinks();
    const list = await call("GET", "/v1.0/me/activities?$top=1", { as: user.as });
    const cursor = new URL(list.body["@odata.nextLink"]).searchParams.get("$skiptoken")!;
    expectBadToken(await deltaPage(user, `${DELTA}?$skiptoken=${encodeURIComponent(cursor)}`));
    expectBadToken(await deltaPage(user, `${DELTA}?$deltatoken=${encodeURIComponent(cursor)}`));
    const misused = await call("GET", `/v1.0/me/activities?$top=1&$skiptoken=${encodeURIComponent(tokenOf(deltaLink))}`, { as: user.as });
    expectGraphError(
      misused,
      400,
      "invalidRequest",
      "The $skiptoken is not valid for this request: use @odata.nextLink exactly as returned.",
    );
  });
});

describe("a nextLink of an earlier release, whose rounds walked ids", () => {
  it("continues its round with the entries it had not reached, each once, and ends it where it would have", async () => {
    const user = freshUser();
    const created = await createActivities(user, 3);
    const { deltaLink } = await deltaRound(user, DELTA);
    for (const x of created)
      expect((await call("PATCH", activityPath(x.id), { as: user.as, body: { userTimezone: "UTC" } })).status).toBe(200);
    const lowest = [...created].sort((x, y) => (x.id < y.id ? -1 : 1))[0]!;
    const now = async (id: string) => withoutContext((await call("GET", activityPath(id), { as: user.as })).body);
    for (const start of [DELTA, deltaLink]) {
      const page1 = await deltaPage(user, start, { Prefer: "odata.maxpagesize=1" });
      const { round } = payloadOf(page1.body["@odata.nextLink"]);
      // What that release gave after its first page, which listed the lowest id: the head, its instant, and that id.
      const old = await resealed(user.caller, page1.body["@odata.nextLink"], (payload) => ({
        ...payload,
        round: { head: round!.head, headMs: round!.headMs, after: lowest.id },
      }));
      const continued = await deltaRound(user, old, { headers: { Prefer: "odata.maxpagesize=1" } });
      // The others, as they are, in the order they last changed; the next round has nothing, as nothing changed since this one began.
      const others = created.filter((x) => x.id !== lowest.id);
      expect(continued.values).toEqual(await Promise.all(others.map((x) => now(x.id))));
      expect((await deltaRound(user, continued.deltaLink)).values).toEqual([]);
    }
  });
});

describe("the horizon", () => {
  it(`is ${STREAM_HORIZON_MS / DAY_MS} days, and tombstones live exactly as long`, () => {
    expect(STREAM_HORIZON_MS).toBe(31 * DAY_MS);
    expect(TOMBSTONE_LIFETIME_MS).toBe(STREAM_HORIZON_MS);
  });

  it("a deltaLink or nextLink older than the horizon is 410 syncStateNotFound, Location starting over with the token's options", async () => {
    const user = freshUser();
    await createActivities(user, 2);
    const shape = "$select=appActivityId&$expand=historyItems";
    const page1 = await deltaPage(user, `${DELTA}?${shape}`, { Prefer: "odata.maxpagesize=1" });
    const nextLink: string = page1.body["@odata.nextLink"];
    const { deltaLink } = await deltaRound(user, nextLink);
    const restart = `${ORIGIN}${DELTA}?$select=appActivityId&$expand=historyItems`;
    const old = Date.now() - STREAM_HORIZON_MS - 60_000;
    await feedBeganAt(user.caller, old - DAY_MS);

    const oldDelta = await resealed(user.caller, deltaLink, (payload) => ({ ...payload, sinceMs: old }));
    expectGone(await deltaPage(user, oldDelta), restart);
    // Whatever the link repeats, Location keeps the token's own options.
    expectGone(await deltaPage(user, `${oldDelta}&$select=status`), restart);
    const oldNext = await resealed(user.caller, nextLink, (payload) => ({ ...payload, round: { ...payload.round!, headMs: old } }));
    expectGone(await deltaPage(user, oldNext), restart);
    // Under another prefix and spelling, Location names the same.
    const beta = oldDelta.replace(`${ORIGIN}/v1.0/me/activities/delta`, `${ORIGIN}/beta/me/activities/delta()`);
    expectGone(await deltaPage(user, beta), `${ORIGIN}/beta/me/activities/delta()?$select=appActivityId&$expand=historyItems`);

    // Just inside the horizon, the same token is answered.
    const young = await resealed(user.caller, deltaLink, (payload) => ({ ...payload, sinceMs: Date.now() - STREAM_HORIZON_MS + 60_000 }));
    expect((await deltaRound(user, young)).values).toEqual([]);
    // Without options, Location is the bare first request.
    const { deltaLink: plain } = await deltaRound(user, DELTA);
    expectGone(await deltaPage(user, await resealed(user.caller, plain, (payload) => ({ ...payload, sinceMs: old }))), `${ORIGIN}${DELTA}`);
  });

  it("tombstones are pruned only past it: a token just inside still sees a removal as old as itself", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const { deltaLink } = await deltaRound(user, DELTA);
    expect((await call("DELETE", activityPath(a!.id), { as: user.as })).status).toBe(204);
    // Time passes: the round began almost a horizon ago, and the delete came a minute after it.
    const began = Date.now() - STREAM_HORIZON_MS + 120_000;
    await feedBeganAt(user.caller, began - DAY_MS);
    const link = await resealed(user.caller, deltaLink, (payload) => ({ ...payload, sinceMs: began }));
    await sqlIn(feedStub(user.caller), "UPDATE feed_entry SET deleted_ms = ? WHERE activity_id = ?", began + 60_000, a!.id);
    await runDurableObjectAlarm(feedStub(user.caller));
    expect((await deltaRound(user, link)).values).toEqual([removed(a!.id)]);

    // Past the horizon the tombstone goes, and so has every token that could have needed it.
    await sqlIn(
      feedStub(user.caller),
      "UPDATE feed_entry SET deleted_ms = ? WHERE activity_id = ?",
      Date.now() - STREAM_HORIZON_MS - 1,
      a!.id,
    );
    expect(await runDurableObjectAlarm(feedStub(user.caller))).toBe(true);
    expect(await sqlIn(feedStub(user.caller), "SELECT activity_id FROM feed_entry")).toEqual([{ activity_id: b!.id }]);
    const older = await resealed(user.caller, deltaLink, (payload) => ({ ...payload, sinceMs: Date.now() - STREAM_HORIZON_MS - 1 }));
    expectGone(await deltaPage(user, older), `${ORIGIN}${DELTA}`);
  });
});

describe("an erasure of the user", () => {
  it("makes every token issued before it 410, also once the user writes again; a new round starts afresh", async () => {
    const user = freshUser();
    const [a] = await createActivities(user, 2);
    const page1 = await deltaPage(user, `${DELTA}?$select=status`, { Prefer: "odata.maxpagesize=1" });
    const nextLink: string = page1.body["@odata.nextLink"];
    const { deltaLink } = await deltaRound(user, nextLink);

    const erasure = await call("DELETE", `/admin/users/${user.oid}`, { token: await mintAdminToken() });
    expect(erasure.status).toBe(202);
    expect((await runErasure(user.caller, erasure.headers.get("Location")!)).body.status).toBe("succeeded");
    const restart = `${ORIGIN}${DELTA}?$select=status`;
    expectGone(await deltaPage(user, deltaLink), restart);
    expectGone(await deltaPage(user, nextLink), restart);

    const again = await putActivity(user);
    expectGone(await deltaPage(user, deltaLink), restart);
    expectGone(await deltaPage(user, nextLink), restart);
    const fresh = await deltaRound(user, `${DELTA}?$select=status`);
    expect(fresh.values).toEqual([{ id: again.id, status: "active" }]);
    expect(again.id).not.toBe(a!.id);
  });
});

describe("$deltatoken=latest", () => {
  it("answers no data and a deltaLink from now, which lists only what changed after", async () => {
    const user = freshUser();
    const [a, b] = await createActivities(user, 2);
    const latest = await deltaPage(user, `${DELTA}?$deltatoken=latest&$select=userTimezone`, { Prefer: "odata.maxpagesize=1" });
    expect({ status: latest.status, applied: latest.headers.get("Preference-Applied"), body: latest.body }).toEqual({
      status: 200,
      applied: "odata.maxpagesize=1",
      body: {
        "@odata.context": deltaContext({ user: user.oid }),
        value: [],
        "@odata.deltaLink": expect.stringMatching(new RegExp(`^${ORIGIN}/v1\\.0/me/activities/delta\\?\\$deltatoken=[\\w.-]+$`)),
      },
    });
    const patched = await call("PATCH", activityPath(b!.id), { as: user.as, body: { userTimezone: "Africa/Accra" } });
    expect(patched.status).toBe(200);
    const next = await deltaRound(user, latest.body["@odata.deltaLink"]);
    expect(next.values).toEqual([{ id: b!.id, userTimezone: "Africa/Accra" }]);
    expect(withoutContext(patched.body).id).not.toBe(a!.id);
  });
});
