import { env } from "cloudflare:workers";
import { base64url, generateKeyPair, SignJWT, type JWK } from "jose";
import { describe, expect, it } from "vitest";
import { appActivityPath, call, freshAppActivityId, send, type Answer, type CallOptions } from "./support/api";
import { activityBody, activityResource } from "./support/builders";
import { expectGraphError } from "./support/graph";
import { DEV_CALLER, issuerFor, mintToken, SCOPE, type TokenOptions } from "./support/tokens";

const SERVER_ID = /^\d{1,20}$/;

const TENANT = DEV_CALLER.tenantId;
const APP = DEV_CALLER.appId;
const DEV_KID = "dev-2026-1";

const BEARER_EMPTY = "Access token is empty. Send 'Authorization: Bearer <token>'.";
const NOT_BEARER = "The Authorization header must be 'Bearer <token>'.";
const MALFORMED = "The access token is malformed.";
const BAD_SIGNATURE = "The token's signature is invalid.";
const UNKNOWN_KID = "No signing key matches the token's key id (kid).";
const EXPIRED = "Lifetime validation failed: the token is expired.";
const NOT_YET_VALID = "Lifetime validation failed: the token is not yet valid.";
const BAD_AUDIENCE = "Invalid audience: the token is not for this service.";
const BAD_ISSUER = "Invalid issuer: the token was not issued for this service's tenants.";
const NO_TENANT = "The token has no tenant (tid claim).";
const NO_USER = "The token has no user (oid claim).";
const NO_APP = "The token has no client application (azp or appid claim).";
const ALG_NOT_ALLOWED = "The token's signing algorithm is not allowed; expected RS256.";
const INSUFFICIENT_SCOPE = `Insufficient privileges: the token needs the delegated scope ${SCOPE}.`;
const APP_ONLY = "Application-only tokens are not supported; this API needs a delegated (user) token.";

const challengeFor = (message: string) => `Bearer error="invalid_token", error_description="${message}"`;

/** 401 InvalidAuthenticationToken with its Bearer challenge. */
function expectUnauthorized(answer: Answer, message: string, challenge = challengeFor(message)) {
  expectGraphError(answer, 401, "InvalidAuthenticationToken", message);
  expect(answer.headers.get("WWW-Authenticate")).toBe(challenge);
}

/** PUTs a fresh activity with the given token and expects the service to accept it. */
async function expectAccepted(token: string) {
  const appActivityId = freshAppActivityId();
  const answer = await call("PUT", appActivityPath(appActivityId), { token, body: activityBody() });
  expect({ status: answer.status, body: answer.body }).toEqual({ status: 201, body: activityResource(appActivityId) });
}

/** PUTs a fresh activity with the given token and expects a 401 with this message. */
async function expectRejected(token: string | null, message: string, options: CallOptions = {}, challenge = challengeFor(message)) {
  const answer = await send("PUT", appActivityPath(freshAppActivityId()), { token, body: activityBody(), ...options });
  expectUnauthorized(answer, message, challenge);
}

/** The claims of a valid development token, to rebuild it under another header. */
async function validClaims(): Promise<Record<string, unknown>> {
  const payload = (await mintToken()).split(".")[1]!;
  return JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
}

const publicJwk = (): JWK => (JSON.parse(env.AUTH_JWKS) as { keys: JWK[] }).keys[0]!;

const now = () => Math.floor(Date.now() / 1000);

describe("the Authorization header", () => {
  it("is required: none gives 401 with a bare Bearer challenge", async () => {
    await expectRejected(null, BEARER_EMPTY, {}, "Bearer");
  });

  it("must use the Bearer scheme: Basic gives 401", async () => {
    await expectRejected(null, NOT_BEARER, { headers: { Authorization: "Basic dXNlcjpwYXNzd29yZA==" } });
  });

  it("must carry a JWT: Bearer with garbage gives 401 malformed", async () => {
    await expectRejected(null, MALFORMED, { headers: { Authorization: "Bearer garbage" } });
  });

  it("is the only place a token is read: ?access_token= with no header gives 401", async () => {
    const appActivityId = freshAppActivityId();
    const created = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    expect(created.status).toBe(201);
    const token = await mintToken();
    const answer = await send("GET", `/v1.0/me/activities/${created.body.id}?access_token=${token}`, { token: null });
    expectUnauthorized(answer, BEARER_EMPTY, "Bearer");
  });
});

describe("the signature", () => {
  it("must verify: a token signed by another key under the dev kid gives 401", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    await expectRejected(await mintToken({ key: privateKey, kid: DEV_KID }), BAD_SIGNATURE);
  });

  it("must come from a known key: an unknown kid gives 401", async () => {
    await expectRejected(await mintToken({ kid: "unknown-2026-9" }), UNKNOWN_KID);
  });

  it("is never optional: alg none gives 401", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    const payload = base64url.encode(JSON.stringify(await validClaims()));
    await expectRejected(`${header}.${payload}.`, ALG_NOT_ALLOWED);
  });

  it.each([
    ["the public key's modulus", () => base64url.decode(publicJwk().n!)],
    ["the public JWK's JSON text", () => new TextEncoder().encode(JSON.stringify(publicJwk()))],
  ])("cannot be an HMAC keyed with %s (algorithm confusion): 401", async (_, secret) => {
    const token = await new SignJWT(await validClaims()).setProtectedHeader({ alg: "HS256", typ: "JWT", kid: DEV_KID }).sign(secret());
    await expectRejected(token, ALG_NOT_ALLOWED);
  });
});

describe("the lifetime", () => {
  it("rejects a token expired beyond the 60 s clock tolerance: 401", async () => {
    await expectRejected(await mintToken({ ttl: -120 }), EXPIRED);
  });

  it("accepts a token expired by less than the clock tolerance", async () => {
    await expectAccepted(await mintToken({ ttl: -30, claims: { nbf: now() - 3600, iat: now() - 3600 } }));
  });

  it("rejects a token whose nbf is in the future beyond the tolerance: 401", async () => {
    await expectRejected(await mintToken({ claims: { nbf: now() + 120 } }), NOT_YET_VALID);
  });

  it("accepts a token whose nbf is in the future within the tolerance", async () => {
    await expectAccepted(await mintToken({ claims: { nbf: now() + 30 } }));
  });
});

describe("issuer, audience and tenant", () => {
  it("rejects an issuer on another host: 401", async () => {
    await expectRejected(await mintToken({ claims: { iss: `https://login.evil.localhost/${TENANT}/v2.0` } }), BAD_ISSUER);
  });

  it("rejects an issuer whose tenant differs from tid: 401", async () => {
    await expectRejected(await mintToken({ claims: { iss: issuerFor(crypto.randomUUID()) } }), BAD_ISSUER);
  });

  it("rejects a token for another audience: 401", async () => {
    await expectRejected(await mintToken({ claims: { aud: "api://some-other-api" } }), BAD_AUDIENCE);
  });

  it("rejects a token without a tenant (tid): 401", async () => {
    await expectRejected(await mintToken({ claims: { tid: undefined } }), NO_TENANT);
  });
});

describe("scope and token type", () => {
  it("refuses a delegated token without UserActivity.ReadWrite.CreatedByApp: 403 with an insufficient_scope challenge", async () => {
    const answer = await send("PUT", appActivityPath(freshAppActivityId()), { as: { scope: "User.Read" }, body: activityBody() });
    expectGraphError(answer, 403, "accessDenied", INSUFFICIENT_SCOPE);
    expect(answer.headers.get("WWW-Authenticate")).toBe(`Bearer error="insufficient_scope", scope="${SCOPE}"`);
  });

  it("refuses an app-only token (roles, no scp, idtyp app): 403", async () => {
    const as: TokenOptions = { scope: null, claims: { roles: ["UserActivity.ReadWrite.All"], idtyp: "app" } };
    const answer = await send("PUT", appActivityPath(freshAppActivityId()), { as, body: activityBody() });
    expectGraphError(answer, 403, "accessDenied", APP_ONLY);
  });
});

describe("the caller's identity", () => {
  it("takes the app from appid in a v1-style token", async () => {
    const app = crypto.randomUUID();
    const appActivityId = freshAppActivityId();
    const created = await call("PUT", appActivityPath(appActivityId), {
      as: { claims: { azp: undefined, appid: app, ver: "1.0" } },
      body: activityBody(),
    });
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: activityResource(appActivityId) });

    // The same app seen through a v2 token (azp) reaches the same activity; the default app does not.
    const sameApp = await call("GET", `/v1.0/me/activities/${created.body.id}`, { as: { app } });
    expect({ status: sameApp.status, body: sameApp.body }).toEqual({ status: 200, body: created.body });
    const otherApp = await send("GET", `/v1.0/me/activities/${created.body.id}`, { as: { app: APP } });
    expectGraphError(otherApp, 404, "itemNotFound", `The activity '${created.body.id}' does not exist.`);
  });

  it("requires a user (oid): 401", async () => {
    await expectRejected(await mintToken({ claims: { oid: undefined } }), NO_USER);
  });

  it("requires an app (azp or appid): 401", async () => {
    await expectRejected(await mintToken({ claims: { azp: undefined } }), NO_APP);
  });
});

describe("a rejected request", () => {
  it("stores nothing: a 401 PUT of an item or an activity leaves no trace", async () => {
    const appActivityId = freshAppActivityId();
    const created = await call("PUT", appActivityPath(appActivityId), { body: activityBody() });
    expect(created.status).toBe(201);
    const itemId = crypto.randomUUID();
    const itemPath = `/v1.0/me/activities/${created.body.id}/historyItems/${itemId}`;
    const { privateKey } = await generateKeyPair("RS256");

    const noToken = await send("PUT", itemPath, { token: null, body: { startedDateTime: "2026-01-01T00:00:00Z" } });
    expectUnauthorized(noToken, BEARER_EMPTY, "Bearer");
    const forged = await send("PUT", itemPath, {
      token: await mintToken({ key: privateKey }),
      body: { startedDateTime: "2026-01-01T00:00:00Z" },
    });
    expectUnauthorized(forged, BAD_SIGNATURE);

    const item = await send("GET", itemPath);
    expectGraphError(item, 404, "itemNotFound", `The history item '${itemId}' does not exist.`);
    const list = await call("GET", `/v1.0/me/activities/${created.body.id}/historyItems`);
    expect({ status: list.status, value: list.body.value }).toEqual({ status: 200, value: [] });
    const activity = await call("GET", `/v1.0/me/activities/${created.body.id}`);
    expect({ status: activity.status, body: activity.body }).toEqual({ status: 200, body: created.body });

    // An activity PUT refused with 401 is not there afterwards: the next authenticated PUT creates it.
    const otherAppActivityId = freshAppActivityId();
    const refused = await send("PUT", appActivityPath(otherAppActivityId), { token: null, body: activityBody() });
    expectUnauthorized(refused, BEARER_EMPTY, "Bearer");
    const first = await call("PUT", appActivityPath(otherAppActivityId), { body: activityBody() });
    expect({ status: first.status, body: first.body }).toEqual({ status: 201, body: activityResource(otherAppActivityId) });
  });
});

describe("partitioning by (tenant, user, app)", () => {
  // Each intruder differs from the owner in exactly one of the three.
  const intruders: [string, (owner: TokenOptions) => TokenOptions][] = [
    ["another user", (owner) => ({ ...owner, user: crypto.randomUUID() })],
    ["the same user through another app", (owner) => ({ ...owner, app: crypto.randomUUID() })],
    ["the same user in another tenant", (owner) => ({ ...owner, tenant: crypto.randomUUID() })],
  ];

  /** User A (a fresh oid) with an activity and one history item. */
  async function ownerWithActivity() {
    const owner: TokenOptions = { tenant: TENANT, user: crypto.randomUUID(), app: APP };
    const appActivityId = freshAppActivityId();
    const activity = await call("PUT", appActivityPath(appActivityId), { as: owner, body: activityBody() });
    expect(activity.status).toBe(201);
    const itemId = crypto.randomUUID();
    const item = await call("PUT", `/v1.0/me/activities/${activity.body.id}/historyItems/${itemId}`, {
      as: owner,
      body: { startedDateTime: "2026-01-01T00:00:00Z" },
    });
    expect(item.status).toBe(201);
    const snapshot = await call("GET", `/v1.0/me/activities/${activity.body.id}?$expand=historyItems`, { as: owner });
    expect(snapshot.status).toBe(200);
    expect(snapshot.body.historyItems).toHaveLength(1);
    return { owner, appActivityId, id: activity.body.id as string, itemId, snapshot: snapshot.body };
  }

  it.each(intruders)("%s gets 404 itemNotFound (never 403) on every route of the activity", async (_, intruderOf) => {
    const a = await ownerWithActivity();
    const intruder = intruderOf(a.owner);
    const base = `/v1.0/me/activities/${a.id}`;
    const item = { startedDateTime: "2026-01-02T00:00:00Z" };
    const attempts: [string, string, CallOptions][] = [
      ["GET", base, {}],
      ["GET", `${base}/historyItems/${a.itemId}`, {}],
      ["GET", `${base}/historyItems`, {}],
      ["POST", `${base}/historyItems`, { body: item }],
      ["POST", `${base}/historyItems`, { body: { ...item, id: crypto.randomUUID() } }],
      ["PUT", `${base}/historyItems/${a.itemId}`, { body: item }],
      ["PUT", `${base}/historyItems/${crypto.randomUUID()}`, { body: item }],
      ["DELETE", `${base}/historyItems/${a.itemId}`, {}],
      ["DELETE", base, {}],
    ];
    for (const [method, path, options] of attempts) {
      const answer = await send(method, path, { as: intruder, ...options });
      expectGraphError(answer, 404, "itemNotFound", `The activity '${a.id}' does not exist.`);
    }

    const after = await call("GET", `${base}?$expand=historyItems`, { as: a.owner });
    expect({ status: after.status, body: after.body }).toEqual({ status: 200, body: a.snapshot });
  });

  it.each(intruders)("%s PUTting the same appActivityId creates its own activity and leaves A's untouched", async (_, intruderOf) => {
    const a = await ownerWithActivity();
    const intruder = intruderOf(a.owner);
    const body = activityBody({ visualElements: { displayText: "Not A's article" } });
    const theirs = await call("PUT", appActivityPath(a.appActivityId), { as: intruder, body });
    expect(theirs.status).toBe(201);
    expect(theirs.body).toMatchObject({
      appActivityId: a.appActivityId,
      status: "active",
      visualElements: { displayText: "Not A's article" },
    });
    expect(theirs.body.id).toMatch(SERVER_ID);
    expect(theirs.body.id).not.toBe(a.id);

    const ours = await call("GET", `/v1.0/me/activities/${a.id}?$expand=historyItems`, { as: a.owner });
    expect({ status: ours.status, body: ours.body }).toEqual({ status: 200, body: a.snapshot });
    const theirsSeenByA = await send("GET", `/v1.0/me/activities/${theirs.body.id}`, { as: a.owner });
    expectGraphError(theirsSeenByA, 404, "itemNotFound", `The activity '${theirs.body.id}' does not exist.`);
    const theirItems = await call("GET", `/v1.0/me/activities/${theirs.body.id}/historyItems`, { as: intruder });
    expect({ status: theirItems.status, value: theirItems.body.value }).toEqual({ status: 200, value: [] });
  });
});
