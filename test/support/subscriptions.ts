// Subscriptions from a test: stored in a user's feed as POST /subscriptions stores them once its
// checks and handshakes passed (for the delivery tests), or made through the route itself; the
// resource the route answers; the handshake and the notifications a receiver gets.
import { expect } from "vitest";
import type { NewSubscription, SubscriptionChangeType } from "../../src/objects/subscription-records";
import { type Answer, call, GUID, ORIGIN } from "./api";
import { feedStub } from "./objects";
import type { Receiver } from "./receiver";
import { callerFor, type TokenOptions } from "./tokens";
import type { TestUser } from "./users";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** Stores a subscription of `user`'s feed delivering to `receiver` (and its /lifecycle path); the record stored. */
export async function subscribe(
  user: TestUser,
  receiver: Receiver,
  overrides: Partial<NewSubscription> & { changeTypes?: SubscriptionChangeType[] } = {},
): Promise<NewSubscription> {
  const record: NewSubscription = {
    id: crypto.randomUUID(),
    resource: "me/activities",
    changeTypes: ["created", "updated", "deleted"],
    notificationUrl: receiver.url("/notify"),
    lifecycleNotificationUrl: receiver.url("/lifecycle"),
    expirationMs: Date.now() + HOUR_MS,
    clientState: `state-${crypto.randomUUID()}`,
    includeResourceData: false,
    encryptionCertificate: null,
    encryptionCertificateId: null,
    latestSupportedTlsVersion: "v1_2",
    applicationId: user.caller.appId,
    creatorId: user.caller.userId,
    tenantId: user.caller.tenantId,
    issuer: ORIGIN,
    ...overrides,
  };
  const created = await feedStub(user.caller).createSubscription(record);
  expect(created.kind).toBe("created");
  return record;
}

/** The change notification a subscription gets for a change of activity `activityId`, its id and version aside (checked as a GUID and a number). */
export const changeNotificationOf = (subscription: NewSubscription, activityId: string, changeType: SubscriptionChangeType) => ({
  id: expect.stringMatching(GUID),
  subscriptionId: subscription.id,
  subscriptionExpirationDateTime: new Date(subscription.expirationMs).toISOString(),
  tenantId: subscription.tenantId,
  clientState: subscription.clientState,
  changeType,
  resource: `users/${subscription.creatorId}/activities/${activityId}`,
  resourceData: {
    "@odata.type": "#microsoft.graph.userActivity",
    "@odata.id": `users/${subscription.creatorId}/activities/${activityId}`,
    "@odata.etag": expect.stringMatching(/^W\/"\d+"$/),
    id: activityId,
  },
});

/** A lifecycle notification a subscription gets. */
export const lifecycleNotificationOf = (subscription: NewSubscription, lifecycleEvent: string) => ({
  id: expect.stringMatching(GUID),
  subscriptionId: subscription.id,
  subscriptionExpirationDateTime: new Date(subscription.expirationMs).toISOString(),
  tenantId: subscription.tenantId,
  clientState: subscription.clientState,
  lifecycleEvent,
});

/** Every notification a receiver got on `path`, in order, across its POSTs. */
export const notificationsAt = (receiver: Receiver, path = "/notify") =>
  receiver.received
    .filter((request) => request.url.pathname === path && !request.url.searchParams.has("validationToken"))
    .flatMap((request) => (JSON.parse(request.body) as { value: Record<string, unknown>[] }).value);

/** The collection, and one subscription, under a version prefix. */
export const subscriptionsPath = (prefix = "/v1.0") => `${prefix}/subscriptions`;
export const subscriptionPath = (id: string, prefix = "/v1.0") => `${subscriptionsPath(prefix)}/${id}`;

/** @odata.context of the collection, and of one subscription. */
export const subscriptionsContext = (prefix = "/v1.0") => `${ORIGIN}${prefix}/$metadata#subscriptions`;
export const subscriptionContext = (prefix = "/v1.0") => `${subscriptionsContext(prefix)}/$entity`;

/** A date `minutes` from now, as a client sends expirationDateTime. */
export const inMinutes = (minutes: number) => new Date(Date.now() + minutes * MINUTE_MS).toISOString();

/** A valid POST body aimed at `receiver`, an hour long, with `overrides`. */
export const subscriptionBody = (receiver: Receiver, overrides: Record<string, unknown> = {}): Record<string, any> => ({
  resource: "me/activities",
  changeType: "created,updated,deleted",
  notificationUrl: receiver.url(),
  expirationDateTime: inMinutes(60),
  ...overrides,
});

/** A UTC millisecond date `minutes` after some instant of the window [before, after] (epoch ms). */
export const minutesAfter = (before: number, after: number, minutes: number) =>
  expect.toSatisfy(
    (value: unknown) =>
      typeof value === "string" &&
      Date.parse(value) >= before + minutes * MINUTE_MS &&
      Date.parse(value) <= after + minutes * MINUTE_MS &&
      new Date(Date.parse(value)).toISOString() === value,
    `a UTC ms date ${minutes} minutes after ${new Date(before).toISOString()} to ${new Date(after).toISOString()}`,
  );

/**
 * What the service answers for a subscription made with `body` by the token `as` names: every
 * Graph property, nulls included; `expirationDateTime` as given unless the test matches it.
 */
export function subscriptionResource(
  body: Record<string, any>,
  as: TokenOptions = {},
  { prefix = "/v1.0", expirationDateTime = new Date(Date.parse(body.expirationDateTime)).toISOString(), context = true } = {},
) {
  const caller = callerFor(as);
  return {
    ...(context ? { "@odata.context": subscriptionContext(prefix) } : {}),
    id: expect.stringMatching(GUID),
    resource: body.resource,
    applicationId: caller.appId,
    changeType: body.changeType,
    clientState: body.clientState ?? null,
    notificationUrl: body.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: body.lifecycleNotificationUrl ?? null,
    expirationDateTime,
    creatorId: caller.userId,
    includeResourceData: body.includeResourceData ?? false,
    latestSupportedTlsVersion: body.latestSupportedTlsVersion ?? "v1_2",
    encryptionCertificate: body.encryptionCertificate ?? null,
    encryptionCertificateId: body.encryptionCertificateId ?? null,
    notificationUrlAppId: null,
  };
}

/** POSTs a subscription aimed at `receiver` for the token `as` names; asserts it was created and returns it. */
export async function postSubscription(receiver: Receiver, as: TokenOptions = {}, overrides: Record<string, unknown> = {}) {
  const answer = await call("POST", subscriptionsPath(), { as, body: subscriptionBody(receiver, overrides) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body as Record<string, any>;
}

/** The caller's subscriptions, as GET /subscriptions lists them. */
export async function listed(as: TokenOptions = {}): Promise<unknown[]> {
  const answer: Answer = await call("GET", subscriptionsPath(), { as });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.value;
}

/** A validation token as the service makes them: 32 random bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The handshake a receiver must have seen for `url`: a POST of `url` with a fresh validationToken added to its query, text/plain, no body. */
export const handshakeTo = (url: string) => ({
  url: expect.toSatisfy((seen: URL) => {
    const token = seen.searchParams.get("validationToken") ?? "";
    const separator = new URL(url).search ? "&" : "?";
    return TOKEN.test(token) && seen.href === `${url}${separator}validationToken=${token}`;
  }, `${url} with a validationToken added to its query`),
  method: "POST",
  contentType: "text/plain; charset=utf-8",
  body: "",
  at: expect.any(Number),
});
