// Every operation the service documents, as "METHOD /path": the OpenAPI document lists each once,
// and the /docs page renders each (test/openapi.test.ts, test/node/docs.test.ts).
export const DOCUMENTED_OPERATIONS = [
  "GET /me/activities",
  "GET /me/activities/recent",
  "PUT /me/activities/{id}",
  "GET /me/activities/{id}",
  "DELETE /me/activities/{id}",
  "POST /me/activities/{id}/historyItems",
  "GET /me/activities/{id}/historyItems",
  "PUT /me/activities/{id}/historyItems/{historyItemId}",
  "GET /me/activities/{id}/historyItems/{historyItemId}",
  "DELETE /me/activities/{id}/historyItems/{historyItemId}",
  "POST /$batch",
];
