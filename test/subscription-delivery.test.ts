// Delivery of Graph's change notifications by a feed: each change a subscription asked for reaches
// its notificationUrl at least once, promptly, even across a crash; failures are retried with
// backoff for four hours and then reported as missed; a dead receiver holds up only itself.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLocalJWKSet, jwtVerify } from "jose";
import { call, activityPath, ORIGIN } from "./support/api";
import { CERTIFICATES, decryptContent, PRIVATE_KEYS } from "./support/certificates";
import { activityStub, feedStub, HOLDS_NOTHING, sqlIn, storageOf } from "./support/objects";
import { prompt, Receiver, stall } from "./support/receiver";
import { changeNotificationOf, lifecycleNotificationOf, notificationsAt, subscribe } from "./support/subscriptions";
import { freshUser, postItem, putActivity } from "./support/users";
import { writerItemBody } from "./support/builders";
import { eraseUser } from "./support/admin";

const MINUTE_MS = 60_000;
/** OpenSSL's SHA-1 fingerprint of the RSA 2048 test certificate, as Graph writes a thumbprint. */
const RSA_2048_THUMBPRINT = "7B3CFC409DD47A6479C630D0BBDEA3C37EE851C0";
const HOUR_MS = 60 * MINUTE_MS;

afterEach(() => {
  vi.useRealTimers();
});

/** The subscription's delivery state as its feed stored it. */
const deliveryState = (user: ReturnType<typeof freshUser>, id: string) =>
  runInDurableObject(feedStub(user.caller), (_instance, state) =>
    state.storage.sql.exec("SELECT attempts, retry_ms FROM subscription WHERE id = ?", id).toArray(),
  );

describe("delivery", () => {
  it("tells of a creation, a history item's change (an update) and a deletion, with Graph's fields", async () => {
    const user = freshUser();
    const receiver = new Receiver();
    const subscription = await subscribe(user, receiver);
    const activity = await putActivity(user);
    await postItem(user, activity.id, writerItemBody(1));
    expect((await call("DELETE", activityPath(activity.id), { as: user.as })).status).toBe(204);
    await receiver.until(() => notificationsAt(receiver).length >= 3);
    const notifications = notificationsAt(receiver);
    expect(notifications).toEqual([
      changeNotificationOf(subscription, activity.id, "created"),
      changeNotificationOf(subscription, activity.id, "updated"),
      changeNotificationOf(subscription, activity.id, "deleted"),
    ]);
    expect(new Set(notifications.map((notification) => notification.id)).size).toBe(3);
    // Each id: the subscription's first half, then the change's stream position (hexadecimal, rising).
    const positions = notifications.map(({ id }) => {
      expect((id as string).slice(0, 19)).toBe(subscription.id.slice(0, 19));
      return BigInt(`0x${(id as string).slice(19).replace("-", "")}`);
    });
    expect(positions[0]! < positions[1]! && positions[1]! < positions[2]!).toBe(true);
    for (const request of receiver.received) {
      expect(request.method).toBe("POST");
      expect(request.contentType).toBe("application/json; charset=utf-8");
    }
  });

  it("tells of an activity's expiry as a deletion, and a history item's as an update, once the activity's alarm removes them", async () => {
    const user = freshUser();
    const receiver = new Receiver();
    const subscription = await subscribe(user, receiver);
    const expiring = await putActivity(user);
    const kept = await putActivity(user);
    const item = await postItem(user, kept.id, writerItemBody(1));
    await receiver.until(() => notificationsAt(receiver).length === 3);
    await sqlIn(activityStub(expiring.id, user.caller), "UPDATE activity SET expiration_ms = ?", Date.now() - 1);
    expect(await runDurableObjectAlarm(activityStub(expiring.id, user.caller))).toBe(true);
    await sqlIn(activityStub(kept.id, user.caller), "UPDATE history_item SET expiration_ms = ? WHERE id = ?", Date.now() - 1, item.id);
    expect(await runDurableObjectAlarm(activityStub(kept.id, user.caller))).toBe(true);
    await receiver.until(() => notificationsAt(receiver).length === 5);
    expect(notificationsAt(receiver).slice(3)).toEqual([
      changeNotificationOf(subscription, expiring.id, "deleted"),
      changeNotificationOf(subscription, kept.id, "updated"),
    ]);
  });

  it("delivers only the change types asked for", async () => {
    const user = freshUser();
    const receiver = new Receiver();
    const subscription = await subscribe(user, receiver, { changeTypes: ["deleted"] });
    const activity = await putActivity(user);
    await postItem(user, activity.id, writerItemBody(1));
    expect((await call("DELETE", activityPath(activity.id), { as: user.as })).status).toBe(204);
    await receiver.until(() => notificationsAt(receiver).length >= 1);
    expect(notificationsAt(receiver)).toEqual([changeNotificationOf(subscription, activity.id, "deleted")]);
  });

  it("delivers a change acknowledged just before the feed crashed, with the same id as the attempt the crash cut off", async () => {
    const user = freshUser();
    const receiver = new Receiver(stall);
    const subscription = await subscribe(user, receiver);
    const activity = await putActivity(user);
    await receiver.until(() => notificationsAt(receiver).length === 1);
    const cutOff = notificationsAt(receiver)[0]!;
    receiver.behaviour = prompt;
    await abortAllDurableObjects();
    // Nothing but the feed's alarm wakes it: the check it set when it logged the change.
    await runDurableObjectAlarm(feedStub(user.caller));
    await receiver.until(() => notificationsAt(receiver).length === 2);
    expect(notificationsAt(receiver)).toEqual([cutOff, cutOff]);
    expect(cutOff).toEqual(changeNotificationOf(subscription, activity.id, "created"));
  });

  it("retries a failing receiver with backoff, keeping the id, and delivers once it recovers", async () => {
    const user = freshUser();
    const receiver = new Receiver(() => new Response("busy", { status: 503 }));
    const subscription = await subscribe(user, receiver);
    const activity = await putActivity(user);
    await receiver.until(() => notificationsAt(receiver).length === 1);
    await vi.waitFor(async () => expect((await deliveryState(user, subscription.id))[0]?.attempts).toBe(1));
    const [first] = await deliveryState(user, subscription.id);
    expect(first!.retry_ms).toBeGreaterThanOrEqual(receiver.received.at(-1)!.at + 10_000);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(first!.retry_ms as number);
    await runDurableObjectAlarm(feedStub(user.caller));
    await receiver.until(() => notificationsAt(receiver).length === 2);
    await vi.waitFor(async () => expect((await deliveryState(user, subscription.id))[0]?.attempts).toBe(2));
    const [second] = await deliveryState(user, subscription.id);
    // The second wait is longer than the first.
    expect((second!.retry_ms as number) - receiver.received.at(-1)!.at).toBeGreaterThanOrEqual(30_000);
    receiver.behaviour = prompt;
    vi.setSystemTime(second!.retry_ms as number);
    await runDurableObjectAlarm(feedStub(user.caller));
    await receiver.until(() => notificationsAt(receiver).length === 3);
    await vi.waitFor(async () => expect(await deliveryState(user, subscription.id)).toEqual([{ attempts: 0, retry_ms: null }]));
    const notifications = notificationsAt(receiver);
    expect(notifications).toEqual([notifications[0], notifications[0], notifications[0]]);
    expect(notifications[0]).toEqual(changeNotificationOf(subscription, activity.id, "created"));
  });

  it("drops a change still undelivered four hours after it, and tells the lifecycle URL it was missed", async () => {
    const user = freshUser();
    const receiver = new Receiver((request) =>
      request.url.pathname === "/lifecycle" ? new Response(null, { status: 202 }) : new Response(null, { status: 500 }),
    );
    const subscription = await subscribe(user, receiver, { expirationMs: Date.now() + 70 * HOUR_MS });
    await putActivity(user);
    await receiver.until(() => notificationsAt(receiver).length === 1);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 4 * HOUR_MS + MINUTE_MS);
    await runDurableObjectAlarm(feedStub(user.caller));
    await receiver.until(() => notificationsAt(receiver, "/lifecycle").length === 1);
    expect(notificationsAt(receiver, "/lifecycle")).toEqual([lifecycleNotificationOf(subscription, "missed")]);
    // Nothing is retried any more: the change is gone from the log.
    expect(notificationsAt(receiver)).toHaveLength(1);
    await vi.waitFor(async () => expect(await deliveryState(user, subscription.id)).toEqual([{ attempts: 0, retry_ms: null }]));
  });

  it("does not hold up another subscription while one receiver never answers", async () => {
    const user = freshUser();
    const dead = new Receiver(stall);
    const alive = new Receiver();
    await subscribe(user, dead);
    const subscription = await subscribe(user, alive);
    const first = await putActivity(user);
    await dead.until(() => notificationsAt(dead).length === 1);
    await alive.until(() => notificationsAt(alive).length === 1);
    // The next change reaches the live receiver while the dead one still holds its first POST (3 s).
    const second = await putActivity(user);
    await alive.until(() => notificationsAt(alive).length === 2, 2_000);
    expect(Date.now() - dead.received[0]!.at).toBeLessThan(3_000);
    expect(notificationsAt(alive)).toEqual([
      changeNotificationOf(subscription, first.id, "created"),
      changeNotificationOf(subscription, second.id, "created"),
    ]);
  });
});

describe("rich notifications", () => {
  it("carry each live activity's JSON encrypted for the subscription's certificate, and a validationToken for the app", async () => {
    const user = freshUser();
    const receiver = new Receiver();
    const subscription = await subscribe(user, receiver, {
      includeResourceData: true,
      encryptionCertificate: CERTIFICATES.rsa2048,
      encryptionCertificateId: "cert-2026",
    });
    const activity = await putActivity(user);
    expect((await call("DELETE", activityPath(activity.id), { as: user.as })).status).toBe(204);
    await receiver.until(() => notificationsAt(receiver).length === 2);
    const bodies = receiver.received.map((request) => JSON.parse(request.body) as { value: any[]; validationTokens: string[] });
    const [created, deleted] = bodies.flatMap((body) => body.value);
    const { encryptedContent, ...fields } = created;
    expect(fields).toEqual(changeNotificationOf(subscription, activity.id, "created"));
    expect(encryptedContent).toEqual({
      data: expect.any(String),
      dataSignature: expect.any(String),
      dataKey: expect.any(String),
      encryptionCertificateId: "cert-2026",
      encryptionCertificateThumbprint: RSA_2048_THUMBPRINT,
    });
    // The activity as GET returned it when it was created (it is deleted now), without @odata.context.
    expect(JSON.parse(await decryptContent(encryptedContent, PRIVATE_KEYS.rsa2048))).toEqual(activity);
    // A deletion carries no content.
    expect(deleted).toEqual(changeNotificationOf(subscription, activity.id, "deleted"));
    const keys = createLocalJWKSet((await call("GET", "/.well-known/jwks.json", { token: null })).body);
    for (const body of bodies) {
      expect(body.validationTokens).toHaveLength(1);
      const { payload } = await jwtVerify(body.validationTokens[0]!, keys, { issuer: ORIGIN, audience: user.caller.appId });
      expect(payload.tid).toBe(user.caller.tenantId);
    }
  });
});

describe("what ends a subscription", () => {
  it("delivers nothing after a subscription is deleted or has expired, and its row goes", async () => {
    const user = freshUser();
    const deleted = new Receiver();
    const expiring = new Receiver();
    const gone = await subscribe(user, deleted);
    const expired = await subscribe(user, expiring, { expirationMs: Date.now() + HOUR_MS });
    expect(await feedStub(user.caller).deleteSubscription(gone.id)).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + HOUR_MS);
    expect(await feedStub(user.caller).getSubscription(expired.id)).toBeNull();
    await runDurableObjectAlarm(feedStub(user.caller));
    vi.useRealTimers();
    await putActivity(user);
    const stored = await runInDurableObject(feedStub(user.caller), (_instance, state) => ({
      subscriptions: state.storage.sql.exec("SELECT id FROM subscription").toArray(),
      log: state.storage.sql.exec("SELECT position FROM change_log").toArray(),
    }));
    expect(stored).toEqual({ subscriptions: [], log: [] });
    expect(deleted.received).toEqual([]);
    expect(expiring.received).toEqual([]);
  });

  it("tells the lifecycle URL once when less than 15 minutes remain", async () => {
    const user = freshUser();
    const receiver = new Receiver();
    const subscription = await subscribe(user, receiver, { expirationMs: Date.now() + HOUR_MS });
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(subscription.expirationMs - 14 * MINUTE_MS);
    await runDurableObjectAlarm(feedStub(user.caller));
    await receiver.until(() => notificationsAt(receiver, "/lifecycle").length === 1);
    vi.setSystemTime(subscription.expirationMs - 10 * MINUTE_MS);
    await runDurableObjectAlarm(feedStub(user.caller));
    expect(notificationsAt(receiver, "/lifecycle")).toEqual([lifecycleNotificationOf(subscription, "reauthorizationRequired")]);
  });

  it("removes a user's subscriptions on an erasure, telling each with subscriptionRemoved", async () => {
    const user = freshUser();
    const receiver = new Receiver();
    const subscription = await subscribe(user, receiver);
    await putActivity(user);
    await receiver.until(() => notificationsAt(receiver).length === 1);
    await eraseUser(user.caller);
    await receiver.until(() => notificationsAt(receiver, "/lifecycle").length === 1);
    expect(notificationsAt(receiver, "/lifecycle")).toEqual([lifecycleNotificationOf(subscription, "subscriptionRemoved")]);
    expect(await feedStub(user.caller).listSubscriptions()).toEqual([]);
    // Once the lifecycle notification is delivered, the feed the erasure emptied holds nothing at all.
    await runDurableObjectAlarm(feedStub(user.caller));
    expect(await storageOf(feedStub(user.caller))).toEqual(HOLDS_NOTHING);
  });
});
