import { env } from "cloudflare:workers";
import { importJWK, SignJWT, type JWK, type JWTPayload } from "jose";
import devSigningKey from "../../dev/signing-key.json";

export const SCOPE = "UserActivity.ReadWrite.CreatedByApp";
export const AUDIENCE = env.AUTH_AUDIENCE;

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

export const issuerFor = (tenant: string) => env.AUTH_ISSUERS.split(",")[0]!.replace("{tenantid}", tenant);

/** A token signed by the local development key, as `npm run token` mints it. */
export async function mintToken(options: TokenOptions = {}): Promise<string> {
  const tenant = options.tenant ?? "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = {
    iss: issuerFor(tenant),
    aud: AUDIENCE,
    tid: tenant,
    oid: options.user ?? "00000000-0000-0000-0000-00000000a11c",
    azp: options.app ?? "11111111-2222-3333-4444-555555555555",
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
