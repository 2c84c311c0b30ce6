import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";

/**
 * What every API answer carries: it holds personal data, so no browser, proxy or CDN keeps a copy
 * (`no-store`), and a browser never reads it as another type than the one it declares (`nosniff`).
 */
export const NO_STORE_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } as const;

/** Sets NO_STORE_HEADERS on every answer: errors, preflights and `$batch` too; a site page drops them (withoutNoStore). */
export function noStore(): MiddlewareHandler<AppEnv> {
  return async function noStore(c, next) {
    // Set before the answer exists, so every answer is made with them (as requestId does).
    for (const [name, value] of Object.entries(NO_STORE_HEADERS)) c.header(name, value);
    await next();
  };
}

/**
 * Asks `site` for an answer without the API's headers, one that sets its own caching: a page of the
 * site Worker (sitePage), or the public key set (routes/jwks.ts). When it has no page (or fails), the
 * answer is the API's error, and takes them back.
 */
export async function withoutNoStore<Page extends Response | null>(c: Context<AppEnv>, site: () => Promise<Page>): Promise<Page> {
  for (const name of Object.keys(NO_STORE_HEADERS)) c.header(name, undefined);
  let page: Page | null = null;
  try {
    page = await site();
    return page;
  } finally {
    // No page, or the site failed: the answer is the API's error.
    if (!page) for (const [name, value] of Object.entries(NO_STORE_HEADERS)) c.header(name, value);
  }
}
