import { importJWK, SignJWT, type JWK } from "jose";

// The validationTokens a rich notification's POST carries: JWTs this service signs, so that a receiver
// checks the sender as it checks Graph's (signature, iss, aud, exp). The keys are the Worker secret
// NOTIFICATION_SIGNING_KEY, a JSON Web Key Set of RSA private keys: the first signs, every one's public
// half is published at {iss}/.well-known/jwks.json, so a new key is added last, published, then moved first.

/** Where the public keys are published, under the service's base URL (the tokens' iss). */
export const JWKS_PATH = "/.well-known/jwks.json";

/** The variable (a Worker secret) that holds the private key set. */
const VARIABLE = "NOTIFICATION_SIGNING_KEY";

/** A token's lifetime: a notification's POST is signed when it is sent, each retry again. */
export const VALIDATION_TOKEN_SECONDS = 3600;

/** Smaller keys are refused, as RS256 requires (RFC 7518 §3.3). */
const MIN_KEY_BITS = 2048;

/** The configuration this module reads: absent or empty when the secret is not set. */
type SigningEnv = { NOTIFICATION_SIGNING_KEY?: string | undefined };

/** A published public key, as a JWKS holds it. */
export type PublicSigningKey = Pick<JWK, "kty" | "n" | "e"> & { kid: string; alg: "RS256"; use: "sig" };

interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  published: PublicSigningKey[];
}

/** The key set this isolate imported, and the secret's text it came from. */
let imported: { secret: string; keys: Promise<SigningKeys> } | undefined;

/** Whether the service has signing keys, and may therefore accept subscriptions with includeResourceData. */
export function signingConfigured(env: SigningEnv): boolean {
  return Boolean(env.NOTIFICATION_SIGNING_KEY?.trim());
}

/** An Error naming the variable and what is wrong with it. */
const malformed = (problem: string) => new Error(`${VARIABLE} is not a JSON Web Key Set of RSA private keys (RS256): ${problem}.`);

/** The secret's keys imported and checked, every one of them, so that a bad key fails at once and not after a rotation. */
async function importKeys(secret: string): Promise<SigningKeys> {
  let set: unknown;
  try {
    set = JSON.parse(secret);
  } catch {
    throw malformed("it is not JSON");
  }
  const keys = (set as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw malformed('it has no "keys" array with a key in it');
  const kids = new Set<string>();
  const checked = await Promise.all(
    keys.map(async (jwk: JWK, index) => {
      const which = `key ${index + 1}`;
      if (typeof jwk !== "object" || jwk === null) throw malformed(`${which} is not an object`);
      if (typeof jwk.kid !== "string" || !jwk.kid) throw malformed(`${which} has no kid`);
      if (kids.has(jwk.kid)) throw malformed(`the kid ${jwk.kid} is used twice`);
      kids.add(jwk.kid);
      if (jwk.kty !== "RSA" || typeof jwk.d !== "string") throw malformed(`${which} (${jwk.kid}) is not an RSA private key`);
      if (jwk.alg !== undefined && jwk.alg !== "RS256") throw malformed(`${which} (${jwk.kid}) is for ${jwk.alg}, not RS256`);
      let privateKey: CryptoKey;
      try {
        privateKey = (await importJWK({ ...jwk, alg: "RS256" }, "RS256")) as CryptoKey;
      } catch (error) {
        throw malformed(`${which} (${jwk.kid}) cannot be imported: ${error instanceof Error ? error.message : String(error)}`);
      }
      const bits = (privateKey.algorithm as CryptoKeyRsaKeyAlgorithm).modulusLength;
      if (bits < MIN_KEY_BITS) throw malformed(`${which} (${jwk.kid}) has ${bits} bits, fewer than ${MIN_KEY_BITS}`);
      const published: PublicSigningKey = { kty: "RSA", n: jwk.n, e: jwk.e, kid: jwk.kid, alg: "RS256", use: "sig" };
      return { kid: jwk.kid, privateKey, published };
    }),
  );
  return { kid: checked[0]!.kid, privateKey: checked[0]!.privateKey, published: checked.map((key) => key.published) };
}

/** The configured keys, imported once per isolate (again only if the secret changes); null when none are configured. */
function signingKeys(env: SigningEnv): Promise<SigningKeys> | null {
  if (!signingConfigured(env)) return null;
  const secret = env.NOTIFICATION_SIGNING_KEY!;
  if (imported?.secret !== secret) imported = { secret, keys: importKeys(secret) };
  return imported.keys;
}

/** The public key set the JWKS route serves: every configured key's public half; no keys when none are configured. */
export async function publicKeySet(env: SigningEnv): Promise<{ keys: PublicSigningKey[] }> {
  const keys = signingKeys(env);
  return { keys: keys ? (await keys).published : [] };
}

/**
 * A validationToken for the notifications of one (app, tenant) pair in a POST: RS256, signed by the first
 * configured key (its kid in the header), `iss` the service's base URL (a trailing slash is dropped),
 * `aud` the subscribing app's id, `tid` the tenant, valid for VALIDATION_TOKEN_SECONDS from now. An Error
 * when no key is configured or the secret is malformed (the routes refuse includeResourceData first).
 */
export async function validationToken(options: { env: SigningEnv; issuer: string; audience: string; tenantId: string }): Promise<string> {
  const keys = signingKeys(options.env);
  if (!keys) throw new Error(`${VARIABLE} is not set: rich notifications cannot be signed.`);
  const { kid, privateKey } = await keys;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: options.tenantId })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid })
    .setIssuer(options.issuer.replace(/\/+$/, ""))
    .setAudience(options.audience)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + VALIDATION_TOKEN_SECONDS)
    .sign(privateKey);
}
