// Every operation the service documents, as "METHOD /path": the OpenAPI document lists each once,
// and the /docs page renders each (test/openapi.test.ts, test/node/docs.test.ts).

/** The routes on a user's activities, relative to the user: declared once, mounted under /me and /users/{user}. */
const USER_ACTIVITY_OPERATIONS = [
  "GET /activities",
  "POST /activities",
  "GET /activities/$count",
  "GET /activities/recent",
  "GET /activities/recent/$count",
  "GET /activities/delta",
  "GET /activities/live",
  "PUT /activities/{id}",
  "GET /activities/{id}",
  "PATCH /activities/{id}",
  "DELETE /activities/{id}",
  "POST /activities/{id}/historyItems",
  "GET /activities/{id}/historyItems",
  "GET /activities/{id}/historyItems/$count",
  "PUT /activities/{id}/historyItems/{historyItemId}",
  "GET /activities/{id}/historyItems/{historyItemId}",
  "PATCH /activities/{id}/historyItems/{historyItemId}",
  "DELETE /activities/{id}/historyItems/{historyItemId}",
  "GET /activities/{id}/historyItems/{historyItemId}/activity",
];

/** The caller's subscriptions to change notifications (Graph's /subscriptions), whoever's activities they name. */
const SUBSCRIPTION_OPERATIONS = [
  "POST /subscriptions",
  "GET /subscriptions",
  "GET /subscriptions/{id}",
  "PATCH /subscriptions/{id}",
  "DELETE /subscriptions/{id}",
  "POST /subscriptions/{id}/reauthorize",
];

export const DOCUMENTED_OPERATIONS = [
  ...["/me", "/users/{user}"].flatMap((user) => USER_ACTIVITY_OPERATIONS.map((operation) => operation.replace(" ", ` ${user}`))),
  ...SUBSCRIPTION_OPERATIONS,
  "POST /$batch",
];
