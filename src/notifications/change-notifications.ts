import { formatDateTime } from "../graph/dates";
import type { ChangeType } from "../objects/feed-stream";
import type { NewSubscription } from "../objects/subscription-records";

// Graph's changeNotification, as a subscription's notificationUrl and lifecycleNotificationUrl get it.

/** The lifecycle events the service sends (Graph's lifecycleEventType). */
export type LifecycleEvent = "reauthorizationRequired" | "subscriptionRemoved" | "missed";

/** A change as a notification tells of it: the activity, how it changed, and the version it changed to. */
export interface NotifiedChange {
  activityId: string;
  changeType: ChangeType;
  version: number;
}

/** What every notification of a subscription carries. */
const subscriptionFields = (id: string, subscription: NewSubscription) => ({
  id,
  subscriptionId: subscription.id,
  subscriptionExpirationDateTime: formatDateTime(subscription.expirationMs),
  tenantId: subscription.tenantId,
  clientState: subscription.clientState,
});

/** The activity a notification tells of: its resource path and Graph's resourceData naming it (with its etag, when given). */
export function activityResource(userId: string, activityId: string, etag?: string) {
  const resource = `users/${userId}/activities/${activityId}`;
  return {
    resource,
    resourceData: {
      "@odata.type": "#microsoft.graph.userActivity" as const,
      "@odata.id": resource,
      ...(etag === undefined ? {} : { "@odata.etag": etag }),
      id: activityId,
    },
  };
}

/** Graph's change notification of one change of an activity (the resource data names it; rich notifications add encryptedContent). */
export const changeNotification = (id: string, subscription: NewSubscription, change: NotifiedChange) => ({
  ...subscriptionFields(id, subscription),
  changeType: change.changeType,
  ...activityResource(subscription.creatorId, change.activityId, `W/"${change.version}"`),
});

/** Graph's lifecycle notification: the subscription's fields and the event, no resource. */
export const lifecycleNotification = (id: string, subscription: NewSubscription, event: LifecycleEvent) => ({
  ...subscriptionFields(id, subscription),
  lifecycleEvent: event,
});

/**
 * A change notification's id: the same on every retry of it (a receiver drops the repeats), and
 * unique to its subscription and change. A GUID whose first half is the subscription's id (60
 * random bits: no two of a feed's subscriptions share it) and second half the change's position
 * in the feed's stream (unique in the feed), in hexadecimal; no hash, as it is made for every
 * subscription of every change.
 */
export function notificationId(subscriptionId: string, position: number): string {
  const hex = subscriptionId.replaceAll("-", "").slice(0, 16) + position.toString(16).padStart(16, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
