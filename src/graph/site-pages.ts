import type { Context } from "hono";
import type { AppEnv } from "../app-env";

/**
 * A page of the site Worker (binding SITE, site/wrangler.toml: /docs, /timeline/, the OpenAPI
 * documents) for a GET or HEAD that no route took, asked for as it was received (before
 * canonicalRequest rewrote it); null when the site has none, so the answer stays the Graph 404.
 * API requests never reach the site, and never wait on an assets router.
 */
export async function sitePage(c: Context<AppEnv>): Promise<Response | null> {
  const received = c.get("received") ?? c.req.raw;
  if (received.method !== "GET" && received.method !== "HEAD") return null;
  const page = await c.env.SITE.fetch(received);
  // Made through the context, as every answer is, so it carries the request-id the middleware set,
  // and as a copy, so that middleware can still set headers on it (CORS, for a module script's request).
  return page.status === 404 ? null : c.newResponse(page.body, page);
}
