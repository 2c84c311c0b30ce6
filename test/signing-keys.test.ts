// Entra ID's signing keys, shared by a data center's isolates through the Cache API: a cold
// verifier (an isolate's first request, or a configuration it has not seen) starts from the set
// another isolate fetched, instead of waiting on the key endpoint, and leaves the set it fetches
// for the next one; a warm one whose set expired looks there again before fetching. Each test has a key endpoint of its own (a fresh URL), so nothing is shared
// between tests.
import { env } from "cloudflare:workers";
import type { JWK } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KEY_SET_CACHE, keySetCacheKey } from "../src/auth/signing-keys";
import { type Answer, call, ORIGIN } from "./support/api";
import { activitiesContext, expectGraphError, jsonAnswer, seen } from "./support/graph";
import { mintToken, signingKey, stubKeyEndpoint } from "./support/tokens";

const MINUTE_MS = 60_000;
const UNKNOWN_KID = "No signing key matches the token's key id (kid).";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A key endpoint of this test's own, and the configuration that verifies tokens with it. */
const freshKeyEndpoint = () => {
  const keysUrl = `https://keys.test/jwks?run=${crypto.randomUUID()}`;
  return { keysUrl, vars: { AUTH_JWKS: "", AUTH_JWKS_URL: keysUrl } };
};

/** What KEY_SET_CACHE holds for this key endpoint: jose's record of a fetched set ({ uat, jwks }), or null. */
async function sharedRecord(keysUrl: string): Promise<unknown> {
  const cached = await (await caches.open(KEY_SET_CACHE)).match(keySetCacheKey(ORIGIN, new URL(keysUrl)));
  return cached ? cached.json() : null;
}

/** Leaves a key set in KEY_SET_CACHE as an isolate that fetched it at `uat` would have. */
async function shareKeySet(keysUrl: string, uat: number, keys: JWK[]) {
  const cache = await caches.open(KEY_SET_CACHE);
  await cache.put(
    keySetCacheKey(ORIGIN, new URL(keysUrl)),
    Response.json({ uat, jwks: { keys } }, { headers: { "Cache-Control": "max-age=600" } }),
  );
}

/** Reads a fresh user's feed with a token signed by `key`, under `vars`. */
async function readFeed(vars: Partial<Env>, key: Awaited<ReturnType<typeof signingKey>>) {
  const user = crypto.randomUUID();
  const answer = await call("GET", "/v1.0/me/activities", { vars, token: await mintToken({ user, key: key.privateKey, kid: key.kid }) });
  return { user, answer };
}

/** The whole answer of a fresh user's feed: the token was accepted. */
const expectEmptyFeed = ({ user, answer }: { user: string; answer: Answer }) =>
  expect(seen(answer)).toEqual(jsonAnswer(200, { "@odata.context": activitiesContext({ user }), value: [] }, answer));

describe("a cold verifier", () => {
  it("takes the key set another isolate left in the Cache API: its first request fetches nothing", async () => {
    const { keysUrl, vars } = freshKeyEndpoint();
    const key = await signingKey("shared");
    await shareKeySet(keysUrl, Date.now() - MINUTE_MS, [key.jwk]);
    const { keyFetches } = stubKeyEndpoint(keysUrl, () => new Response("the endpoint must not be asked", { status: 500 }));

    expectEmptyFeed(await readFeed(vars, key));
    expect(keyFetches()).toBe(0);
  });

  it("leaves the set it fetched in the Cache API, and the next cold verifier starts from it: one fetch for both", async () => {
    const { keysUrl, vars } = freshKeyEndpoint();
    const key = await signingKey("fetched");
    const { keyFetches } = stubKeyEndpoint(keysUrl, () => Response.json({ keys: [key.jwk] }));
    expect(await sharedRecord(keysUrl)).toBeNull();

    const before = Date.now();
    expectEmptyFeed(await readFeed(vars, key));
    expect(keyFetches()).toBe(1);
    expect(await sharedRecord(keysUrl)).toEqual({
      uat: expect.toSatisfy((uat: number) => uat >= before && uat <= Date.now(), "the time of the fetch"),
      jwks: { keys: [key.jwk] },
    });

    // A configuration this isolate has not seen builds a new verifier, with no keys in memory: a cold isolate's.
    const another = { ...vars, AUTH_AUDIENCE: `${env.AUTH_AUDIENCE},api://another-audience` };
    expectEmptyFeed(await readFeed(another, key));
    expect(keyFetches()).toBe(1);
  });

  it("ignores a shared set older than 10 minutes: a key withdrawn since is refused, and the fresh set is shared", async () => {
    const { keysUrl, vars } = freshKeyEndpoint();
    const [withdrawn, current] = await Promise.all([signingKey("withdrawn"), signingKey("current")]);
    await shareKeySet(keysUrl, Date.now() - 11 * MINUTE_MS, [withdrawn.jwk]);
    const { keyFetches } = stubKeyEndpoint(keysUrl, () => Response.json({ keys: [current.jwk] }));

    const before = Date.now();
    expectGraphError((await readFeed(vars, withdrawn)).answer, 401, "InvalidAuthenticationToken", UNKNOWN_KID);
    expect(keyFetches()).toBe(1);
    expect(await sharedRecord(keysUrl)).toEqual({
      uat: expect.toSatisfy((uat: number) => uat >= before && uat <= Date.now(), "the time of the fetch"),
      jwks: { keys: [current.jwk] },
    });
    expectEmptyFeed(await readFeed(vars, current));
    expect(keyFetches()).toBe(1);
  });

  it("fetches at once for a kid the shared set lacks, when the set is older than the 30 s cooldown: a new key is not refused for 10 minutes", async () => {
    const { keysUrl, vars } = freshKeyEndpoint();
    const [published, added] = await Promise.all([signingKey("published"), signingKey("added")]);
    await shareKeySet(keysUrl, Date.now() - MINUTE_MS, [published.jwk]);
    const { keyFetches } = stubKeyEndpoint(keysUrl, () => Response.json({ keys: [published.jwk, added.jwk] }));

    expectEmptyFeed(await readFeed(vars, added));
    expect(keyFetches()).toBe(1);
    expect(await sharedRecord(keysUrl)).toEqual({ uat: expect.any(Number), jwks: { keys: [published.jwk, added.jwk] } });
  });
});

describe("a warm verifier", () => {
  it("whose set is 10 minutes old takes the newer set another isolate shared, and fetches only when none is newer", async () => {
    const { keysUrl, vars } = freshKeyEndpoint();
    const key = await signingKey("refreshed");
    const { keyFetches } = stubKeyEndpoint(keysUrl, () => Response.json({ keys: [key.jwk] }));
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.now();
    expectEmptyFeed(await readFeed(vars, key));
    expect(keyFetches()).toBe(1);

    // 11 minutes on, another isolate of the data center fetched the set a minute ago and shared it.
    vi.setSystemTime(start + 11 * MINUTE_MS);
    await shareKeySet(keysUrl, Date.now() - MINUTE_MS, [key.jwk]);
    expectEmptyFeed(await readFeed(vars, key));
    expect(keyFetches()).toBe(1);

    // 11 minutes later again nothing newer is shared: the verifier fetches, and shares what it fetched.
    vi.setSystemTime(start + 22 * MINUTE_MS);
    expectEmptyFeed(await readFeed(vars, key));
    expect(keyFetches()).toBe(2);
    expect(await sharedRecord(keysUrl)).toEqual({ uat: Date.now(), jwks: { keys: [key.jwk] } });
  });
});
