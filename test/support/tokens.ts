// Development tokens inside the Workers runtime, minted as `npm run token` mints them, with the
// extra freedom the auth tests need (any claim, another key and the endpoint that publishes it, no scope).
import { env } from "cloudflare:workers";
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import { vi } from "vitest";
import devSigningKey from "../../dev/signing-key.json";
import { DEV_APPLICATION, DEV_IDENTITY } from "../../scripts/dev-identity";
import type { Caller } from "../../src/auth/verify-token";

export const SCOPE = DEV_IDENTITY.scope;
export const AUDIENCE = env.AUTH_AUDIENCE;

/** The caller a token names when not told otherwise; the objects a test looks inside are named after it. */
export const DEV_CALLER: Caller = { tenantId: DEV_IDENTITY.tenant, userId: DEV_IDENTITY.user, appId: DEV_IDENTITY.app };

export interface TokenOptions {
  tenant?: string;
  user?: string;
  app?: string;
  scope?: string | null;
  /** Seconds from now until exp; negative for an expired token. */
  ttl?: number;
  /** Extra or overriding claims (undefined removes one). */
  claims?: JWTPayload;
  key?: CryptoKey;
  kid?: string;
}

/** A fresh RS256 signing key, with its public JWK under `kid` as a key set publishes it. */
export async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } as JWK };
}

/**
 * Stands in for the key endpoint at `url` (AUTH_JWKS_URL) until the test's mocks are restored:
 * each fetch of it gets `answer()`, any other fetch goes out. `keyFetches()` counts the fetches of it.
 */
export function stubKeyEndpoint(url: string, answer: () => Response) {
  const realFetch = globalThis.fetch;
  const fetches = vi
    .spyOn(globalThis, "fetch")
    .mockImplementation(async (input, init) =>
      (input instanceof Request ? input.url : String(input)) === url ? answer() : realFetch(input, init),
    );
  return { fetches, keyFetches: () => fetches.mock.calls.filter(([input]) => String(input) === url).length };
}

/** The caller a token minted with these options names. */
export const callerFor = (options: TokenOptions = {}): Caller => ({
  tenantId: options.tenant ?? DEV_CALLER.tenantId,
  userId: options.user ?? DEV_CALLER.userId,
  appId: options.app ?? DEV_CALLER.appId,
});

export const issuerFor = (tenant: string) => env.AUTH_ISSUERS.split(",")[0]!.replace("{tenantid}", tenant);

/** A token signed by the local development key, as `npm run token` mints it. */
export async function mintToken(options: TokenOptions = {}): Promise<string> {
  const caller = callerFor(options);
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: issuerFor(caller.tenantId),
    aud: AUDIENCE,
    tid: caller.tenantId,
    oid: caller.userId,
    azp: caller.appId,
    scp: options.scope === null ? undefined : (options.scope ?? SCOPE),
    iat: now,
    nbf: now,
    exp: now + (options.ttl ?? 3600),
    ...options.claims,
  };
  for (const name of Object.keys(claims)) if (claims[name] === undefined) delete claims[name];
  const key = options.key ?? ((await importJWK(devSigningKey as JWK, "RS256")) as CryptoKey);
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: options.kid ?? devSigningKey.kid }).sign(key);
}

/** The app role the admin routes need (ADMIN_ROLE). */
export const ADMIN_ROLE = env.ADMIN_ROLE;

/** An application token (client credentials) of `tenant`'s daemon app, as `npm run token -- --app-only` mints it: the admin role unless `roles` says otherwise. */
export function mintAdminToken(options: { tenant?: string; roles?: string[]; claims?: JWTPayload; ttl?: number } = {}): Promise<string> {
  return mintToken({
    tenant: options.tenant,
    user: DEV_APPLICATION.servicePrincipal,
    scope: null,
    ttl: options.ttl,
    claims: { roles: options.roles ?? [ADMIN_ROLE], idtyp: "app", ...options.claims },
  });
}
