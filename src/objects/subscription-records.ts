// What crosses RPC between the Worker and a feed for Graph's change notifications (/subscriptions):
// plain data, as records.ts. The feed keeps its subscriptions and delivers to them (feed-subscriptions.ts,
// feed-notifications.ts); the Worker validates, runs the handshake and shapes Graph's JSON (routes/subscriptions.ts).

/** The changes a subscription may ask for, as Graph names them. */
export const SUBSCRIPTION_CHANGE_TYPES = ["created", "updated", "deleted"] as const;
export type SubscriptionChangeType = (typeof SUBSCRIPTION_CHANGE_TYPES)[number];

/** A subscription as the feed keeps it; the Worker renders it as Graph's subscription resource. */
export interface SubscriptionRecord {
  /** A GUID, lowercase. */
  id: string;
  /** The resource as the client wrote it (me/activities, /me/activities, users/{user}/activities). */
  resource: string;
  /** The change types asked for, in the client's order, without repeats. */
  changeTypes: SubscriptionChangeType[];
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationMs: number;
  clientState: string | null;
  includeResourceData: boolean;
  encryptionCertificate: string | null;
  encryptionCertificateId: string | null;
  /** As asked, or Graph's default (v1_2). */
  latestSupportedTlsVersion: string;
  /** The subscribing app (the token's azp or appid). */
  applicationId: string;
  /** The subscribing user's oid. */
  creatorId: string;
}

/** What a new subscription needs besides its record: the issuer of the validationTokens its rich notifications carry (the service's base URL). */
export interface NewSubscription extends SubscriptionRecord {
  issuer: string;
  /** The subscribing user's tenant, which every notification names. */
  tenantId: string;
}

/** A feed's answer to a new subscription: created, or refused because the feed holds its limit of live ones. */
export type SubscriptionCreated = { kind: "created"; subscription: SubscriptionRecord } | { kind: "limit"; limit: number };

/** What a PATCH may change. */
export interface SubscriptionChanges {
  expirationMs?: number;
  notificationUrl?: string;
}
