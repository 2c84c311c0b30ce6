import { buildApi } from "./app";
import { adminRoutes } from "./routes/admin";
import type { Dispatch } from "./routes/batch";

/** The document's API only lists its routes; no request is ever dispatched through it. */
const neverDispatched: Dispatch = () => {
  throw new Error("The OpenAPI document's routes serve no requests.");
};

/** The {user} of /users/{user}, which the mount declares rather than each route: added to every operation under it. */
const USER_PARAMETER = {
  name: "user",
  in: "path",
  required: true,
  description: "The caller's own id (oid) or user principal name; anyone else's is a 403.",
  schema: { type: "string" },
  example: "adele.vance@contoso.com",
};

function withUserParameter<T extends { paths?: Record<string, object> }>(document: T): T {
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.includes("{user}")) continue;
    for (const operation of Object.values(item) as { parameters?: unknown[] }[])
      operation.parameters = [USER_PARAMETER, ...(operation.parameters ?? [])];
  }
  return document;
}

/**
 * The OpenAPI 3.1 document of every route, from the same schemas that validate requests. It is
 * generated ahead of time into public/openapi.json (npm run openapi; test/openapi.test.ts checks it
 * is current) and served as a static asset, so the generator stays out of the Worker.
 */
export function openApiDocument() {
  const document = buildApi(neverDispatched).getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Graph-compatible user activity feed",
      version: "1.0.0",
      description: "Microsoft Graph's user activity API (Project Rome), self-hosted. Every path is also served under /v1.0 and /beta.",
    },
    servers: [{ url: "/v1.0" }, { url: "/beta" }, { url: "/" }],
    security: [{ bearer: [] }],
    tags: [
      { name: "activities", description: "The caller's activities, one at a time, by appActivityId (PUT, POST) or id." },
      { name: "history items", description: "An activity's history items: its sessions of use." },
      { name: "feed", description: "The caller's activities as a list, newest first: all of them, or the recently used." },
      {
        name: "continuity",
        description:
          "Following the caller's activities from another device: delta query, a live WebSocket, and subscriptions to change notifications (webhooks) (ours).",
      },
      { name: "batch", description: "Up to 20 requests in one (JSON batching)." },
    ],
  });
  return withUserParameter(document);
}

/** The admin routes' OpenAPI 3.1 document, generated ahead of time into public/admin/openapi.json the same way. */
export function adminOpenApiDocument() {
  return adminRoutes.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Graph-compatible user activity feed: administration",
      version: "1.0.0",
      description:
        "A tenant administrator's routes: export, import and erase one user's data, and list their subscriptions. They take application tokens with the admin role.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    tags: [
      { name: "export", description: "A user's data, for the user to take away (NDJSON)." },
      { name: "import", description: "An export brought back: a user restored, or moved from another deployment." },
      { name: "erasure", description: "Erasing a user's data, and following the erasure." },
      { name: "subscriptions", description: "A user's subscriptions to change notifications, across apps." },
    ],
  });
}
