/** Every size limit the service enforces, in one place (documented in docs/api.md). */
export const limits = {
  /** Largest request body accepted, in bytes (SQLite's row limit is 2 MB). */
  bodyBytes: 256 * 1024,
  /** Longest decoded appActivityId, in characters. */
  appActivityIdChars: 1024,
  /** Longest URL property (activationUrl, fallbackUrl, contentUrl, iconUrl, activitySourceHost). */
  urlChars: 2048,
  /** Longest free-text property (displayText, description, appDisplayName, alternateText, alternativeText). */
  textChars: 4096,
  /** Longest userTimezone. */
  timezoneChars: 256,
  /** History items in one deep insert (PUT of an activity carrying historyItems). */
  historyItemsPerRequest: 100,
  /** History items in an activity's $expand: the most recently modified this many. */
  historyItemsPerExpand: 1000,
  /** History items per list page: the default $top, and the most $top may ask for. */
  historyItemPageDefault: 100,
  historyItemPageMax: 1000,
  /** Activities per feed page: the default $top, and the most $top may ask for. */
  feedPageDefault: 10,
  feedPageMax: 200,
  /** Activities per delta page: without Prefer: odata.maxpagesize, and the most it may ask for. */
  deltaPageDefault: 100,
  deltaPageMax: 1000,
  /**
   * Most characters of JSON in one page (the feed, with or without $expand, and the item list),
   * whatever $top asks for: a shorter page continues through @odata.nextLink. Well under the
   * 32 MiB an RPC result may carry, and small enough for the Worker to hold at once.
   */
  pageChars: 4 * 1024 * 1024,
  /** Deepest nesting of free JSON (visualElements.content, contentInfo); Adaptive Cards are shallow. */
  jsonDepth: 32,
  /**
   * Deepest nesting of any request body, counted from the body itself: room for free JSON at its
   * own limit inside an activity, and far below the ~3,000 levels at which handing a value to a
   * Durable Object fails. Checked in the Worker before anything else reads the body.
   */
  bodyDepth: 64,
  /** Longest bearer token accepted; Entra ID's are a few KB. */
  tokenChars: 16 * 1024,
  /** Longest tenant, user or app identifier taken from a token. */
  identityClaimChars: 128,
  /** Requests in one JSON batch (POST /$batch), as Graph allows. */
  batchRequests: 20,
  /**
   * Largest JSON batch body, in bytes: four bodies at the single-request limit, or twenty
   * activities of 50 KiB. A batch holds its text, its parsed form and every request's own copy
   * at once, in an isolate whose 128 MB serves other requests too (ours).
   */
  batchBodyBytes: 1024 * 1024,
  /** Deepest nesting of a batch body: a request's body sits 3 levels down (requests, [i], body), so it may nest as deep as alone. */
  batchBodyDepth: 64 + 3,
  /**
   * Longest url of a request in a batch, in characters: room for the longest appActivityId with
   * every character percent-encoded (9 per character at most) and query options (ours).
   */
  batchUrlChars: 16 * 1024,
  /**
   * Longest value of one query option, in characters, as decoded: the longest an option needs is a
   * few hundred ($expand with both nested options, a $select of every property, a $skiptoken) (ours).
   */
  queryOptionChars: 2048,
  /** Most characters of client input an error message quotes before it cuts the rest off (ours). */
  quotedChars: 100,
  /**
   * Longest line of an import (POST /admin/users/{oid}/activities), in bytes: an activity at the
   * body limit with some 10,000 history items. A longer line is reported and skipped unread; the
   * lines being restored at once hold no more than this together (ours).
   */
  importLineBytes: 4 * 1024 * 1024,
  /** Failed lines an import's answer lists (the first, by line number); it counts them all. */
  importErrorsShown: 100,
  /** Live subscriptions (POST /subscriptions) one feed may hold; the next is a 403 (ours). */
  subscriptionsPerFeed: 100,
  /** Longest clientState of a subscription, as Graph allows. */
  clientStateChars: 128,
} as const;

/** The lifetimes and deadlines of Graph's change notifications (/subscriptions), documented in docs/webhooks.md. */
export const notificationTimes = {
  /** A subscription asked to live less than this is given this much (Graph's rule). */
  minLifetimeMs: 45 * 60 * 1000,
  /** The longest a subscription may be asked to live, on a POST or a PATCH (Graph's figure for most resources). */
  maxLifetimeMs: 4230 * 60 * 1000,
  /** How long the validation handshake waits for the endpoint's answer. */
  handshakeMs: 10_000,
  /** How long a delivery waits for the receiver's 2xx; anything later counts as a failure and is retried. */
  deliveryMs: 3_000,
  /** How long after a change its notification is retried; then it is dropped and reported by a `missed` lifecycle notification. */
  retryWindowMs: 4 * 60 * 60 * 1000,
  /** reauthorizationRequired is sent once, when less than this remains of a subscription's life. */
  reauthorizeBeforeMs: 15 * 60 * 1000,
} as const;

/** How long an activity, and a history item without its own expirationDateTime, lives. */
export const DEFAULT_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
