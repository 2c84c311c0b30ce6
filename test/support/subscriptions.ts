// Subscriptions for the delivery tests, stored in a user's feed as POST /subscriptions stores them
// once its checks and handshakes passed, and the notifications their receivers get.
import { expect } from "vitest";
import type { NewSubscription, SubscriptionChangeType } from "../../src/objects/subscription-records";
import { ORIGIN, GUID } from "./api";
import { feedStub } from "./objects";
import type { Receiver } from "./receiver";
import type { TestUser } from "./users";

const HOUR_MS = 3_600_000;

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
