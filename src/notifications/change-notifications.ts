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

/**
 * Graph's change notifications of a subscription, one per change (the resource data names the
 * activity; rich notifications add encryptedContent). What each takes from the subscription is
 * made once, as one POST carries up to a hundred of them.
 */
export function changeNotifier(subscription: NewSubscription) {
  const { id: _id, ...fields } = subscriptionFields("", subscription);
  // The id's first half: `xxxxxxxx-xxxx-xxxx-` of the subscription's (lowercase) GUID.
  const idPrefix = subscription.id.slice(0, 19);
  return (position: number, change: NotifiedChange) => ({
    id: notificationIdAt(idPrefix, position),
    ...fields,
    changeType: change.changeType,
    ...activityResource(subscription.creatorId, change.activityId, `W/"${change.version}"`),
  });
}

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
 * subscription of every change. `prefix` is the id's first half, the subscription's.
 */
function notificationIdAt(prefix: string, position: number): string {
  const hex = position.toString(16).padStart(16, "0");
  return `${prefix}${hex.slice(0, 4)}-${hex.slice(4)}`;
}
