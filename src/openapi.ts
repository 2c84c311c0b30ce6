import { buildApi } from "./app";
import type { Dispatch } from "./routes/batch";

/** The document's API only lists its routes; no request is ever dispatched through it. */
const neverDispatched: Dispatch = () => {
  throw new Error("The OpenAPI document's routes serve no requests.");
};

/**
 * The OpenAPI 3.1 document of every route, from the same schemas that validate requests. It is
 * generated ahead of time into public/openapi.json (npm run openapi; test/openapi.test.ts checks it
 * is current) and served as a static asset, so the generator stays out of the Worker.
 */
export function openApiDocument() {
  return buildApi(neverDispatched).getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Graph-compatible user activity feed",
      version: "1.0.0",
      description: "Microsoft Graph's user activity API (Project Rome), self-hosted. Every path is also served under /v1.0 and /beta.",
    },
    servers: [{ url: "/v1.0" }, { url: "/beta" }, { url: "/" }],
    security: [{ bearer: [] }],
  });
}
