import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { NO_STORE_HEADERS, withoutNoStore } from "../graph/no-store";
import { methodNotAllowed } from "../graph/route-guards";
import { JWKS_PATH, publicKeySet } from "../notifications/validation-tokens";

// The public keys that verify rich notifications' validationTokens, at {iss}/.well-known/jwks.json: public
// data, so no token is asked for and caches may keep it, for an hour: a new key is published at least an
// hour before it signs (the rotation in docs/deploying.md), so no copy a receiver keeps lacks it.

/** How long a receiver or a cache may keep the key set. */
const KEY_SET_MAX_AGE_SECONDS = 3600;

/** GET /.well-known/jwks.json: mounted once, at the origin's root (never under /v1.0 or /beta, never in $batch). */
export const jwksRoutes = new Hono<AppEnv>()
  .get(JWKS_PATH, (c) =>
    withoutNoStore(c, async () =>
      c.json(await publicKeySet(c.env), 200, {
        "Cache-Control": `public, max-age=${KEY_SET_MAX_AGE_SECONDS}`,
        // Public, but still JSON only: the API's nosniff stays.
        "X-Content-Type-Options": NO_STORE_HEADERS["X-Content-Type-Options"],
      }),
    ),
  )
  .all(JWKS_PATH, methodNotAllowed(["GET"]));
