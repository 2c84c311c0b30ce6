// Graph's change notifications with real clients against the service as `npm run dev` serves it:
// Kiota's client.subscriptions builders and the classic client's .api("/subscriptions") as Graph's
// docs show them, a real webhook receiver on 127.0.0.1 (test/node/receiver.ts) that answers the
// validation handshake, takes created / updated / deleted notifications, fails and recovers, and
// rich notifications decrypted with Node's crypto as Microsoft's guide for Node does, their
// validationTokens verified against the service's key set with jose.
import { constants, createDecipheriv, createHmac, createPrivateKey, privateDecrypt, X509Certificate, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Subscription, UserActivity } from "@microsoft/msgraph-sdk/models/index.js";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it, vi } from "vitest";
import { classicClient, kiotaSdk, type KiotaSdk } from "./clients";
import { expectGraphError, expectODataError, graphRejection, GUID, odataRejection } from "./errors";
import { Receiver, type Endpoint } from "./receiver";
import { mintToken } from "./token";

const origin = inject("serviceUrl");
const secureOrigin = inject("secureServiceUrl");

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const UTC_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const CERTIFICATES = new URL("../fixtures/certificates/", import.meta.url);

let receiver: Receiver;
let user: string;
let app: string;
let tenant: string;
let token: string;
let sdk: KiotaSdk;

beforeAll(async () => {
  receiver = await Receiver.start();
});

afterAll(async () => {
  await receiver.close();
});

beforeEach(async () => {
  // Each test its own user, app and tenant, so that feeds never meet and every id a notification names is this test's.
  [user, app, tenant] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
  token = await mintToken({ user, app, tenant });
  sdk = kiotaSdk(origin, token);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** A subscription to the caller's activities, as an app would ask for one through Kiota. */
const subscriptionBody = (endpoint: Endpoint, fields: Subscription = {}): Subscription => ({
  changeType: "created,updated,deleted",
  notificationUrl: endpoint.url,
  resource: "me/activities",
  expirationDateTime: new Date(Date.now() + 2 * HOUR_MS),
  clientState: `secret-${crypto.randomUUID()}`,
  ...fields,
});

/** The subscription Kiota reads back for `body`: every property the service sends (its nulls read as absent). */
const subscriptionModel = (body: Subscription) => ({
  additionalData: { "@odata.context": `${origin}/v1.0/$metadata#subscriptions/$entity` },
  id: expect.stringMatching(GUID),
  applicationId: app,
  creatorId: user,
  includeResourceData: false,
  latestSupportedTlsVersion: "v1_2",
  ...body,
});

/** A subscription made through Kiota, checked whole; the model it answered. */
async function subscribe(body: Subscription): Promise<Subscription> {
  const created = await sdk.client.subscriptions.post(body);
  expect(created).toEqual(subscriptionModel(body));
  return created!;
}

/** A new activity, as the typed model of a create. */
const newActivity = (): UserActivity => ({
  appActivityId: `/article?${crypto.randomUUID()}`,
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?id=12345",
  visualElements: { displayText: "How to Tie a Reef Knot" },
});

/** The changeNotification a subscription gets for a change of activity `activityId` (its id and etag matched). */
const notificationOf = (subscription: Subscription, activityId: string, changeType: string) => ({
  id: expect.stringMatching(GUID),
  subscriptionId: subscription.id,
  subscriptionExpirationDateTime: subscription.expirationDateTime!.toISOString(),
  changeType,
  clientState: subscription.clientState,
  tenantId: tenant,
  resource: `users/${user}/activities/${activityId}`,
  resourceData: {
    "@odata.type": "#microsoft.graph.userActivity",
    "@odata.id": `users/${user}/activities/${activityId}`,
    "@odata.etag": expect.stringMatching(/^W\/"\d+"$/),
    id: activityId,
  },
});

/** The one handshake an endpoint got, checked whole: a POST of its URL with a validationToken, as text/plain. */
function expectOneHandshake(endpoint: Endpoint) {
  expect(endpoint.handshakes).toEqual([
    {
      method: "POST",
      path: new URL(endpoint.url).pathname,
      query: expect.any(URLSearchParams),
      headers: expect.objectContaining({ "content-type": "text/plain; charset=utf-8" }),
      text: "",
      body: null,
      at: expect.any(Number),
    },
  ]);
  const kept = [...new URL(endpoint.url).searchParams];
  expect([...endpoint.handshakes[0]!.query]).toEqual([...kept, ["validationToken", expect.stringMatching(/^\S+$/)]]);
}

/** Waits for `endpoint`'s notification number `count` (from 1); prints how long after `acknowledgedAt` its POST arrived (within 10 s). */
async function arrival(endpoint: Endpoint, count: number, acknowledgedAt: number, what: string): Promise<void> {
  await receiver.until(() => endpoint.notifications.length >= count);
  const latency = endpoint.arrivalOf(count - 1)! - acknowledgedAt;
  console.log(`subscriptions: ${what} arrived ${latency} ms after the write's answer`);
  expect(latency).toBeLessThan(10_000);
}

describe("Kiota (@microsoft/msgraph-sdk-subscriptions)", () => {
  it("subscriptions.post (201 after the handshake), get, list, patch (expiry; a notificationUrl after its own handshake), reauthorize.post, delete; then get is a 404 ODataError", async () => {
    const subscriptions = sdk.client.subscriptions;
    const hook = receiver.endpoint("?tenant=contoso");
    const lifecycle = receiver.endpoint();
    const body = subscriptionBody(hook, { lifecycleNotificationUrl: lifecycle.url });
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const created = await subscribe(body);
    const answer = (await fetchSpy.mock.results[0]!.value) as Response;
    expect([String(fetchSpy.mock.calls[0]![0]), fetchSpy.mock.calls[0]![1]?.method]).toEqual([`${origin}/v1.0/subscriptions`, "POST"]);
    expect([answer.status, answer.headers.get("Location")]).toEqual([201, `${origin}/v1.0/subscriptions/${created.id}`]);
    fetchSpy.mockRestore();
    // Both endpoints proved themselves before the answer, and nothing else reached them.
    expectOneHandshake(hook);
    expectOneHandshake(lifecycle);
    expect([hook.posts, lifecycle.posts]).toEqual([[], []]);

    const item = subscriptions.bySubscriptionId(created.id!);
    expect(await item.get()).toEqual(created);
    const { additionalData: _, ...listed } = created;
    expect(await subscriptions.get()).toEqual({
      additionalData: { "@odata.context": `${origin}/v1.0/$metadata#subscriptions` },
      value: [listed],
    });

    const expirationDateTime = new Date(Date.now() + 3 * HOUR_MS);
    const renewed = await item.patch({ expirationDateTime });
    expect(renewed).toEqual({ ...created, expirationDateTime });
    expect(hook.handshakes).toHaveLength(1);

    const moved = receiver.endpoint();
    expect(await item.patch({ notificationUrl: moved.url })).toEqual({ ...renewed, notificationUrl: moved.url });
    expectOneHandshake(moved);
    expect([hook.handshakes.length, lifecycle.handshakes.length]).toEqual([1, 1]);

    // Reauthorizing renews no lifetime.
    await expect(item.reauthorize.post()).resolves.toBeUndefined();
    expect(await item.get()).toEqual({ ...renewed, notificationUrl: moved.url });

    await expect(item.delete()).resolves.toBeUndefined();
    expectODataError(await odataRejection(item.get()), 404, "itemNotFound", `The subscription '${created.id}' does not exist.`);
    expect((await subscriptions.get())!.value).toEqual([]);
  });

  it("a notificationUrl that fails its handshake: 400 ValidationError as Kiota's ODataError, and nothing is stored", async () => {
    const hook = receiver.endpoint();
    hook.fail();
    const error = await odataRejection(sdk.client.subscriptions.post(subscriptionBody(hook)));
    expectODataError(
      error,
      400,
      "ValidationError",
      `Subscription validation request failed. The notificationUrl '${hook.url}' failed: it answered 500 instead of 200. ` +
        "An endpoint must answer the POST of {url}?validationToken={token} with 200 and the token, exactly, as text/plain, within 10 s; nothing was stored.",
    );
    expect(hook.handshakes).toHaveLength(1);
    expect((await sdk.client.subscriptions.get())!.value).toEqual([]);
  });
});

describe("the classic client (@microsoft/microsoft-graph-client), as Graph's docs show it", () => {
  it(".api('/subscriptions').post (Graph's example: an expiry long past is raised to 45 minutes), .get, .update, reauthorize, .delete; then a 404 GraphError", async () => {
    const client = classicClient(secureOrigin, inject("secureServiceCertificate"), token);
    const hook = receiver.endpoint();
    const before = Date.now();
    const created = await client.api("/subscriptions").post({
      changeType: "created",
      notificationUrl: hook.url,
      resource: "me/activities",
      expirationDateTime: "2016-11-20T18:23:45.9356913Z",
      clientState: "secretClientValue",
      latestSupportedTlsVersion: "v1_2",
    });
    const after = Date.now();
    expect(created).toEqual({
      "@odata.context": `${secureOrigin}/v1.0/$metadata#subscriptions/$entity`,
      id: expect.stringMatching(GUID),
      resource: "me/activities",
      applicationId: app,
      changeType: "created",
      clientState: "secretClientValue",
      notificationUrl: hook.url,
      notificationQueryOptions: null,
      lifecycleNotificationUrl: null,
      expirationDateTime: expect.stringMatching(UTC_MS),
      creatorId: user,
      includeResourceData: false,
      latestSupportedTlsVersion: "v1_2",
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    });
    const expiry = Date.parse(created.expirationDateTime);
    expect(expiry).toBeGreaterThanOrEqual(before + 45 * MINUTE_MS);
    expect(expiry).toBeLessThanOrEqual(after + 45 * MINUTE_MS);
    expectOneHandshake(hook);

    const path = `/subscriptions/${created.id}`;
    expect(await client.api(path).get()).toEqual(created);
    const { "@odata.context": _, ...listed } = created;
    expect(await client.api("/subscriptions").get()).toEqual({
      "@odata.context": `${secureOrigin}/v1.0/$metadata#subscriptions`,
      value: [listed],
    });

    const expirationDateTime = new Date(Date.now() + 24 * HOUR_MS).toISOString();
    const updated = await client.api(path).update({ expirationDateTime });
    expect(updated).toEqual({ ...created, expirationDateTime });

    expect(await client.api(`${path}/reauthorize`).post(undefined)).toBeUndefined();
    expect(await client.api(path).get()).toEqual(updated);

    expect(await client.api(path).delete()).toBeUndefined();
    expectGraphError(await graphRejection(client.api(path).get()), 404, "itemNotFound", `The subscription '${created.id}' does not exist.`);
  });
});

describe("delivery to a real receiver", () => {
  it("created, updated (a history item posted) and deleted arrive with Graph's fields, as JSON POSTs, within 10 s of each write's answer", async () => {
    const hook = receiver.endpoint();
    const subscription = await subscribe(subscriptionBody(hook, { resource: `users/${user}/activities` }));
    const activities = sdk.client.me.activities;

    const activity = (await activities.post(newActivity()))!;
    await arrival(hook, 1, Date.now(), "created");
    await activities.byUserActivityId(activity.id!).historyItems.post({ startedDateTime: new Date() });
    await arrival(hook, 2, Date.now(), "updated (a history item)");
    await activities.byUserActivityId(activity.id!).delete();
    await arrival(hook, 3, Date.now(), "deleted");

    const notifications = hook.notifications;
    expect(notifications).toEqual([
      notificationOf(subscription, activity.id!, "created"),
      notificationOf(subscription, activity.id!, "updated"),
      notificationOf(subscription, activity.id!, "deleted"),
    ]);
    expect(new Set(notifications.map((notification) => notification.id)).size).toBe(3);
    expect(new Set(notifications.map((notification) => notification.resourceData["@odata.etag"])).size).toBe(3);
    for (const post of hook.posts) {
      expect([post.method, post.path, post.headers["content-type"], Object.keys(post.body)]).toEqual([
        "POST",
        new URL(hook.url).pathname,
        "application/json; charset=utf-8",
        ["value"],
      ]);
    }
  });

  it("a receiver that never answers holds up neither the writes nor another subscription's deliveries", async () => {
    const stalled = receiver.endpoint();
    const prompt = receiver.endpoint();
    await subscribe(subscriptionBody(stalled));
    const subscription = await subscribe(subscriptionBody(prompt));
    stalled.stall();
    const activities = sdk.client.me.activities;

    const activity = (await activities.post(newActivity()))!;
    await receiver.until(() => stalled.posts.length === 1 && prompt.notifications.length === 1);
    // While the stalled POST is still open (the service waits 3 s for it), a write is answered and delivered.
    await activities.byUserActivityId(activity.id!).patch({ appDisplayName: "Contoso" });
    const acknowledgedAt = Date.now();
    await arrival(prompt, 2, acknowledgedAt, "updated, beside a stalled receiver");
    const abandonedAt = stalled.posts[0]!.abandonedAt ?? Infinity;
    expect([acknowledgedAt < abandonedAt, prompt.arrivalOf(1)! < abandonedAt]).toEqual([true, true]);
    expect(prompt.notifications).toEqual([
      notificationOf(subscription, activity.id!, "created"),
      notificationOf(subscription, activity.id!, "updated"),
    ]);
  });

  it("a failing receiver gets the same notification, with the same id, once it recovers (the first retry, 10 s after the failure)", async () => {
    const hook = receiver.endpoint();
    const subscription = await subscribe(subscriptionBody(hook));
    hook.fail();
    const activity = (await sdk.client.me.activities.post(newActivity()))!;
    await receiver.until(() => hook.posts.length === 1);
    hook.recover();
    await receiver.until(() => hook.posts.length === 2, 30_000);
    const [failed, retried] = hook.posts;
    console.log(`subscriptions: the retry arrived ${retried!.at - failed!.at} ms after the failed attempt`);
    expect(retried!.at - failed!.at).toBeGreaterThanOrEqual(9_500);
    expect(failed!.body).toEqual({ value: [notificationOf(subscription, activity.id!, "created")] });
    expect(retried!.body).toEqual(failed!.body);
  });
});

/** A rich notification's encryptedContent decrypted as Microsoft's guide for Node does: the signature checked first. */
function decrypt(content: { data: string; dataSignature: string; dataKey: string }, privateKey: KeyObject): unknown {
  const key = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING }, Buffer.from(content.dataKey, "base64"));
  const signature = createHmac("sha256", key).update(Buffer.from(content.data, "base64")).digest("base64");
  expect(signature).toBe(content.dataSignature);
  const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
  return JSON.parse(decipher.update(content.data, "base64", "utf8") + decipher.final("utf8"));
}

describe("rich notifications", () => {
  it("encryptedContent decrypts with Node's crypto to the activity GET returns; each validationToken verifies against the service's JWKS with jose", async () => {
    const certificate = readFileSync(new URL("test-only-rsa-2048-cert.b64", CERTIFICATES), "utf8").trim();
    const privateKey = createPrivateKey(readFileSync(new URL("test-only-rsa-2048-key.pem", CERTIFICATES), "utf8"));
    const thumbprint = new X509Certificate(Buffer.from(certificate, "base64")).fingerprint.replaceAll(":", "");
    const hook = receiver.endpoint();
    const subscription = await subscribe({
      ...subscriptionBody(hook, { changeType: "created,deleted" }),
      includeResourceData: true,
      encryptionCertificate: certificate,
      encryptionCertificateId: "my-cert-2026",
    });

    const activity = (await sdk.client.me.activities.post(newActivity()))!;
    await arrival(hook, 1, Date.now(), "created (rich)");
    const [post] = hook.posts;
    expect(post!.body).toEqual({
      value: [
        {
          ...notificationOf(subscription, activity.id!, "created"),
          encryptedContent: {
            data: expect.stringMatching(BASE64),
            dataSignature: expect.stringMatching(BASE64),
            dataKey: expect.stringMatching(BASE64),
            encryptionCertificateId: "my-cert-2026",
            encryptionCertificateThumbprint: thumbprint,
          },
        },
      ],
      validationTokens: [expect.any(String)],
    });
    const read = await fetch(`${origin}/v1.0/me/activities/${activity.id}`, { headers: { Authorization: `Bearer ${token}` } });
    const { "@odata.context": _, ...resource } = (await read.json()) as Record<string, unknown>;
    expect(decrypt(post!.body.value[0].encryptedContent, privateKey)).toEqual(resource);

    // The tokens prove the sender: signed by a key the service publishes, for this app, by this service.
    const keys = createRemoteJWKSet(new URL(`${origin}/.well-known/jwks.json`));
    for (const validationToken of post!.body.validationTokens as string[]) {
      const { payload, protectedHeader } = await jwtVerify(validationToken, keys, { issuer: origin, audience: app });
      expect(protectedHeader).toEqual({ alg: "RS256", typ: "JWT", kid: expect.any(String) });
      expect(payload).toEqual({
        iss: origin,
        aud: app,
        tid: tenant,
        iat: expect.any(Number),
        nbf: expect.any(Number),
        exp: expect.any(Number),
      });
      await expect(jwtVerify(validationToken, keys, { issuer: origin, audience: crypto.randomUUID() })).rejects.toMatchObject({
        code: "ERR_JWT_CLAIM_VALIDATION_FAILED",
        claim: "aud",
      });
    }

    // A deletion carries no content (there is none left), and the POST still carries its tokens.
    await sdk.client.me.activities.byUserActivityId(activity.id!).delete();
    await arrival(hook, 2, Date.now(), "deleted (rich)");
    expect(hook.posts[1]!.body).toEqual({
      value: [notificationOf(subscription, activity.id!, "deleted")],
      validationTokens: [expect.any(String)],
    });
  });
});
