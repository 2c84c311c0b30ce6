// GET /me/activities/live: the upgrade (the token in a subprotocol or Authorization, checked
// before), a message per change of the feed in changeNotification's shape to every socket on it
// and to no other, ping/pong, and the close when the token expires.
import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { activityPath, appActivityPath, call, exchange, GUID, historyItemPath } from "./support/api";
import { activityBody } from "./support/builders";
import { expectGraphError } from "./support/graph";
import { browserOffer, Inbox, LIVE, openLive, upgradeRequest } from "./support/live";
import { activityStub, alarmOf, feedStub, sqlIn } from "./support/objects";
import { mintToken } from "./support/tokens";
import { freshUser, postItem, putActivity, type TestUser } from "./support/users";

/** The message a socket gets for a change of `user`'s activity `id`. */
const notification = (user: TestUser, id: string, changeType: "created" | "updated" | "deleted") => ({
  id: expect.stringMatching(GUID),
  changeType,
  tenantId: user.caller.tenantId,
  resource: `users/${user.oid}/activities/${id}`,
  resourceData: { "@odata.type": "#microsoft.graph.userActivity", "@odata.id": `users/${user.oid}/activities/${id}`, id },
});

/** A socket of `user`'s own, opened as a browser opens it. */
async function liveSocket(user: TestUser, path = LIVE) {
  return (await openLive(path, browserOffer(await mintToken(user.as)))).inbox;
}

/** The next `n` messages, parsed. */
async function nextMessages(inbox: Inbox, n: number) {
  const messages: Record<string, any>[] = [];
  for (let k = 0; k < n; k++) messages.push(await inbox.nextJson());
  return messages;
}

/** When the feed closes a socket opened with `token`: its exp and the 60 s of clock skew every request is allowed. */
const socketExpiry = (token: string) => (decodeJwt(token).exp! + 60) * 1000;

describe("the upgrade", () => {
  it("with the browser's subprotocols: 101, answering graph-activities alone, never the token", async () => {
    const user = freshUser();
    const token = await mintToken(user.as);
    for (const offer of [`graph-activities, bearer.${token}`, `bearer.${token}, graph-activities`]) {
      const { response, inbox } = await openLive(LIVE, { "Sec-WebSocket-Protocol": offer });
      expect([...response.headers]).toEqual([["sec-websocket-protocol", "graph-activities"]]);
      expect(await inbox.drain()).toEqual([]);
      inbox.socket.close(1000, "done");
    }
  });

  it("with Authorization: 101 without a subprotocol, or answering graph-activities when offered alone", async () => {
    const user = freshUser();
    const authorization = { Authorization: `Bearer ${await mintToken(user.as)}` };
    const plain = await openLive(LIVE, authorization);
    expect([...plain.response.headers]).toEqual([]);
    const offered = await openLive(LIVE, { ...authorization, "Sec-WebSocket-Protocol": "graph-activities" });
    expect([...offered.response.headers]).toEqual([["sec-websocket-protocol", "graph-activities"]]);
    const a = await putActivity(user);
    for (const { inbox } of [plain, offered]) expect(await inbox.nextJson()).toEqual(notification(user, a.id, "created"));
  });

  it("under every prefix and /users/{user}; another user's path is a 403", async () => {
    const user = freshUser();
    const sockets = [];
    for (const path of [LIVE, "/beta/me/activities/live", "/me/activities/live", `/v1.0/users/${user.oid}/activities/live`])
      sockets.push(await liveSocket(user, path));
    const a = await putActivity(user);
    for (const inbox of sockets) expect(await inbox.nextJson()).toEqual(notification(user, a.id, "created"));

    const other = crypto.randomUUID();
    expectGraphError(
      await exchange(upgradeRequest(`/v1.0/users/${other}/activities/live`, browserOffer(await mintToken(user.as)))),
      403,
      "accessDenied",
      `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of '${other}'.`,
    );
  });

  it("a missing, malformed or expired token is a 401 in Graph's envelope, before any upgrade", async () => {
    const user = freshUser();
    const token = await mintToken(user.as);
    const expired = await mintToken({ ...user.as, ttl: -3600 });
    const empty = "Access token is empty. Send 'Authorization: Bearer <token>'.";
    const cases: [Record<string, string>, string, string][] = [
      [{}, empty, "Bearer"],
      // The bearer subprotocol counts only beside graph-activities.
      [{ "Sec-WebSocket-Protocol": `bearer.${token}` }, empty, "Bearer"],
      [{ "Sec-WebSocket-Protocol": "graph-activities" }, empty, "Bearer"],
      [
        browserOffer("garbage"),
        "The access token is malformed.",
        'Bearer error="invalid_token", error_description="The access token is malformed."',
      ],
      [
        browserOffer(expired),
        "Lifetime validation failed: the token is expired.",
        'Bearer error="invalid_token", error_description="Lifetime validation failed: the token is expired."',
      ],
      [
        { Authorization: "Bearer nope" },
        "The access token is malformed.",
        'Bearer error="invalid_token", error_description="The access token is malformed."',
      ],
    ];
    for (const [headers, message, challenge] of cases) {
      const answer = await exchange(upgradeRequest(LIVE, headers));
      expectGraphError(answer, 401, "InvalidAuthenticationToken", message);
      expect(answer.headers.get("WWW-Authenticate")).toBe(challenge);
    }
  });

  it("a GET that is not an upgrade is a 426 naming the upgrade; offering only other subprotocols is a 400", async () => {
    const user = freshUser();
    const token = await mintToken(user.as);
    const plain = await call("GET", LIVE, { token });
    expectGraphError(plain, 426, "upgradeRequired", "This resource is a WebSocket: send 'Upgrade: websocket'.");
    expect(plain.headers.get("Upgrade")).toBe("websocket");

    const other = await exchange(upgradeRequest(LIVE, { Authorization: `Bearer ${token}`, "Sec-WebSocket-Protocol": "chat, superchat" }));
    expectGraphError(other, 400, "invalidRequest", "Offer the WebSocket subprotocol 'graph-activities' (or none, with Authorization).");

    // Not in $batch either: a batch's requests are no upgrades.
    const batched = await call("POST", "/v1.0/$batch", {
      token,
      body: { requests: [{ id: "1", method: "GET", url: "/me/activities/live" }] },
    });
    expect(batched.body.responses.map((answer: { status: number; body: any }) => [answer.status, answer.body.error.code])).toEqual([
      [426, "upgradeRequired"],
    ]);
  });
});

describe("messages", () => {
  it("one per change, in changeNotification's shape: created, updated (items too), deleted (expiry too)", async () => {
    const user = freshUser();
    const inbox = await liveSocket(user);

    const a = await putActivity(user);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "created"));
    expect((await call("PATCH", activityPath(a.id), { as: user.as, body: { userTimezone: "Europe/Madrid" } })).status).toBe(200);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "updated"));
    const replaced = await call("PUT", appActivityPath(a.appActivityId), { as: user.as, body: activityBody() });
    expect(replaced.status).toBe(200);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "updated"));

    // A history item's change is an update of its activity: created, replaced, deleted, expired.
    const item = await postItem(user, a.id, { startedDateTime: "2026-01-01T00:00:00Z" });
    const other = crypto.randomUUID();
    expect(
      (await call("PUT", historyItemPath(a.id, other), { as: user.as, body: { startedDateTime: "2026-01-02T00:00:00Z" } })).status,
    ).toBe(201);
    expect(
      (await call("PUT", historyItemPath(a.id, other), { as: user.as, body: { startedDateTime: "2026-01-03T00:00:00Z" } })).status,
    ).toBe(200);
    expect((await call("DELETE", historyItemPath(a.id, other), { as: user.as })).status).toBe(204);
    await sqlIn(activityStub(a.id, user.caller), "UPDATE history_item SET expiration_ms = ? WHERE id = ?", Date.now() - 1, item.id);
    expect(await runDurableObjectAlarm(activityStub(a.id, user.caller))).toBe(true);
    expect(await nextMessages(inbox, 5)).toEqual(Array(5).fill(notification(user, a.id, "updated")));

    expect((await call("DELETE", activityPath(a.id), { as: user.as })).status).toBe(204);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "deleted"));
    // Created again: created, as it was not live before.
    expect((await call("PUT", appActivityPath(a.appActivityId), { as: user.as, body: activityBody() })).status).toBe(201);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "created"));
    // Its time runs out, and its alarm removes it: deleted.
    await sqlIn(activityStub(a.id, user.caller), "UPDATE activity SET expiration_ms = ?", Date.now() - 1);
    expect(await runDurableObjectAlarm(activityStub(a.id, user.caller))).toBe(true);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "deleted"));
    expect(await inbox.drain()).toEqual([]);
  });

  it("each message has an id of its own; a change the feed already has sends none", async () => {
    const user = freshUser();
    const inbox = await liveSocket(user);
    const a = await putActivity(user);
    const b = await putActivity(user);
    const messages = await nextMessages(inbox, 2);
    expect(messages).toEqual([notification(user, a.id, "created"), notification(user, b.id, "created")]);
    expect(new Set(messages.map((message) => message.id)).size).toBe(2);

    const [{ version, activity }] = (await sqlIn(
      feedStub(user.caller),
      "SELECT version, activity FROM feed_entry WHERE activity_id = ?",
      a.id,
    )) as [{ version: number; activity: string }];
    const again = { activityId: a.id, version, activity: JSON.parse(activity), recentMs: null };
    expect(await feedStub(user.caller).apply(again, user.caller)).toEqual({ kind: "applied" });
    expect(await feedStub(user.caller).apply({ ...again, version: version - 1 }, user.caller)).toEqual({ kind: "applied" });
    expect(await inbox.drain()).toEqual([]);
  });

  it("go to every socket on the feed, and to none of another user's or another app's", async () => {
    const user = freshUser();
    const [phone, laptop] = [await liveSocket(user), await liveSocket(user)];
    const stranger = await liveSocket(freshUser());
    const otherApp = await liveSocket({ ...user, as: { ...user.as, app: "5d2d4c29-3e33-4b9b-a1f6-0b2f7e0c9a11" } });
    const a = await putActivity(user);
    for (const inbox of [phone, laptop]) expect(await inbox.nextJson()).toEqual(notification(user, a.id, "created"));
    for (const inbox of [phone, laptop, stranger, otherApp]) expect(await inbox.drain()).toEqual([]);
    // A socket closed by its client leaves the others told.
    laptop.socket.close(1000, "bye");
    expect((await call("DELETE", activityPath(a.id), { as: user.as })).status).toBe(204);
    expect(await phone.nextJson()).toEqual(notification(user, a.id, "deleted"));
  });

  it("ping is answered pong, other text is ignored, and both outlast the feed's object being evicted (hibernation)", async () => {
    const user = freshUser();
    const inbox = await liveSocket(user);
    inbox.socket.send("hello");
    expect(await inbox.drain()).toEqual([]);
    await evictDurableObject(feedStub(user.caller));
    expect(await inbox.drain()).toEqual([]);
    const a = await putActivity(user);
    expect(await inbox.nextJson()).toEqual(notification(user, a.id, "created"));
  });
});

describe("the token's expiry", () => {
  it("closes the socket with 1008 once its token expires (with the clock skew); the others stay open", async () => {
    const user = freshUser();
    // Expired 56 s ago: still accepted within the 60 s of skew, for another 3 to 4 s.
    const short = await mintToken({ ...user.as, ttl: -56 });
    const long = await mintToken(user.as);
    const expiring = (await openLive(LIVE, browserOffer(short))).inbox;
    const staying = (await openLive(LIVE, browserOffer(long))).inbox;
    // The feed holds nothing yet: its alarm is for the socket that expires first.
    expect(await alarmOf(feedStub(user.caller))).toBe(socketExpiry(short));

    // The feed's own alarm fires at the expiry (running it by hand as well would race it) and closes the socket.
    expect(await expiring.close(15_000)).toEqual({ code: 1008, reason: "The access token expired; reconnect with a new one." });
    expect(Date.now()).toBeGreaterThanOrEqual(socketExpiry(short));
    expect(await staying.drain()).toEqual([]);
    // The close reaches the client while the alarm is still running: it then sets itself for the other socket.
    const deadline = Date.now() + 5000;
    while ((await alarmOf(feedStub(user.caller))) !== socketExpiry(long) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await alarmOf(feedStub(user.caller))).toBe(socketExpiry(long));
    const a = await putActivity(user);
    expect(await staying.nextJson()).toEqual(notification(user, a.id, "created"));
  });
});
