import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwksCache,
  type JSONWebKeySet,
  type JWKSCacheInput,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from "jose";

/** The key set could not be fetched: the service's problem, not the token's. */
export class KeySetUnavailable extends Error {}

/** How long a fetched key set is used before it is fetched again: a key removed from the set stops working within that. */
const KEY_SET_MAX_AGE_MS = 600_000;

/** How long after a fetch an unknown kid is refused without fetching again, so made-up kids cannot flood the key endpoint. */
const UNKNOWN_KID_COOLDOWN_MS = 30_000;

/** The Cache API cache that holds fetched key sets for every isolate of the data center. */
export const KEY_SET_CACHE = "signing-keys";

/** Where a key set is kept in KEY_SET_CACHE: under the Worker's own origin (Cloudflare's advice for Cache API keys), naming the set's URL. */
export const keySetCacheKey = (origin: string, url: URL) => `${origin}/.signing-keys?from=${encodeURIComponent(url.href)}`;

/** The keys that verify the signature of a token sent to `url`. */
export type SigningKeys = (url: string) => JWTVerifyGetKey;

/** An inline key set (AUTH_JWKS). */
export function localKeys(jwks: JSONWebKeySet): SigningKeys {
  const keys = createLocalJWKSet(jwks);
  return () => keys;
}

/** One isolate's remote key set: jose's resolver, the record jose keeps of the set it holds, and when the shared copy was fetched. */
interface RemoteKeySet {
  keys: RemoteJWKSet;
  record: JWKSCacheInput;
  sharedUat: number | undefined;
}

/** The key set another isolate put in the Cache API, as jose's `jwksCache` takes it; empty when there is none. */
async function sharedRecord(origin: string, url: URL): Promise<JWKSCacheInput> {
  try {
    const cached = await (await caches.open(KEY_SET_CACHE)).match(keySetCacheKey(origin, url));
    const record: unknown = cached ? await cached.json() : undefined;
    // jose uses it only if it is a key set fetched less than KEY_SET_MAX_AGE_MS ago.
    return typeof record === "object" && record !== null ? (record as JWKSCacheInput) : {};
  } catch {
    // An unreadable cache only means fetching the keys, as an isolate did before sharing them.
    return {};
  }
}

/** Puts the key set this isolate fetched in the Cache API, for the isolates that start after it. */
async function share(origin: string, url: URL, set: RemoteKeySet) {
  if (!("uat" in set.record) || set.record.uat === set.sharedUat) return;
  set.sharedUat = set.record.uat;
  try {
    const cache = await caches.open(KEY_SET_CACHE);
    await cache.put(
      keySetCacheKey(origin, url),
      Response.json(set.record, { headers: { "Cache-Control": `max-age=${KEY_SET_MAX_AGE_MS / 1000}` } }),
    );
  } catch {
    // Not shared: the other isolates fetch the keys themselves.
  }
}

/**
 * Entra ID's published keys (AUTH_JWKS_URL), used for 10 minutes after each fetch and fetched again
 * for an unknown kid at most every 30 s. A fetched set is shared through the Cache API: an isolate
 * starts from the set another isolate fetched, and takes it again when its own set is 10 minutes
 * old, so it waits on Entra ID only when no isolate of the data center has a set younger than that.
 */
export function remoteKeys(url: URL): SigningKeys {
  let loading: Promise<RemoteKeySet> | undefined;
  const load = async (origin: string): Promise<RemoteKeySet> => {
    const record = await sharedRecord(origin, url);
    const keys = createRemoteJWKSet(url, {
      cacheMaxAge: KEY_SET_MAX_AGE_MS,
      cooldownDuration: UNKNOWN_KID_COOLDOWN_MS,
      [jwksCache]: record,
    });
    return { keys, record, sharedUat: "uat" in record ? record.uat : undefined };
  };
  return (requestUrl) => async (header, token) => {
    const origin = new URL(requestUrl).origin;
    let set = await (loading ??= load(origin));
    // A set that expired: another isolate may have shared a newer one since.
    if ("uat" in set.record && !set.keys.fresh) set = await (loading = load(origin));
    try {
      return await set.keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeySetUnavailable(String(error));
    } finally {
      await share(origin, url, set);
    }
  };
}
