import { errors, jwtVerify, type JWTPayload } from "jose";
import { toHex, utf8 } from "../graph/encoding";
import { GraphError } from "../graph/errors";
import { limits } from "../limits";
import { KeySetUnavailable, localKeys, remoteKeys, type SigningKeys } from "./signing-keys";

/** The delegated permission every call needs. */
const REQUIRED_SCOPE = "UserActivity.ReadWrite.CreatedByApp";

/** Signing algorithms accepted; Entra ID signs access tokens with RS256. */
const ALGORITHMS = ["RS256"];

/** Allowed difference between our clock and another's, in seconds: a token issuer's (exp, nbf), an imported export's times. */
export const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * How long a token that passed every check is trusted without checking its signature again
 * (never past its exp), and how many such tokens an isolate remembers. A client sends the same
 * token for an hour; checking an RS256 signature on every request costs more than the rest.
 */
const VERIFIED_TOKEN_MS = 5 * 60_000;
const VERIFIED_TOKENS = 1000;

/** Who is calling: data is partitioned by exactly these three. */
export interface Caller {
  tenantId: string;
  userId: string;
  appId: string;
}

/** A token that passed every check: who is calling, and the user principal names it gives them. */
interface VerifiedToken {
  caller: Caller;
  /** The token's `upn` and `preferred_username`, when present: names the caller may use in /users/{user}. */
  principalNames: string[];
  /** When the token stops being accepted (its exp, with the allowed clock skew), in epoch ms. */
  expiresMs: number;
}

/** A tenant's administrative application (an app-only token with the admin role): it acts on that tenant's users only. */
export interface Administrator {
  tenantId: string;
  appId: string;
}

/** The claims of a token whose signature, lifetime, audience, tenant and issuer all passed. */
interface CheckedClaims extends JWTPayload {
  tid: string;
}

interface AuthConfig {
  keys: SigningKeys;
  /**
   * Tokens that passed every check common to all routes, by their SHA-256 (the isolate's memory
   * holds no token a leak could replay), with their claims, until they must be checked again.
   */
  verified: Map<string, { claims: CheckedClaims; until: number }>;
  tenants: "*" | string[];
  issuerTemplates: string[];
  audiences: string[];
}

const list = (value: string) =>
  value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);

let cached: { source: string; config: AuthConfig } | undefined;

// Built once per isolate and configuration, so a remote key set's cache outlives a request.
function authConfig(env: Env): AuthConfig {
  const source = [env.AUTH_JWKS, env.AUTH_JWKS_URL, env.AUTH_TENANTS, env.AUTH_ISSUERS, env.AUTH_AUDIENCE].join("\n");
  if (cached?.source !== source) {
    cached = {
      source,
      config: {
        keys: env.AUTH_JWKS ? localKeys(JSON.parse(env.AUTH_JWKS)) : remoteKeys(new URL(env.AUTH_JWKS_URL)),
        verified: new Map(),
        tenants: env.AUTH_TENANTS.trim() === "*" ? "*" : list(env.AUTH_TENANTS),
        issuerTemplates: list(env.AUTH_ISSUERS),
        audiences: list(env.AUTH_AUDIENCE),
      },
    };
  }
  return cached.config;
}

/** 401 with a `WWW-Authenticate: Bearer` challenge (RFC 6750). */
function invalidToken(message: string, withError = true): GraphError {
  const challenge = withError ? `Bearer error="invalid_token", error_description="${message.replace(/"/g, "'")}"` : "Bearer";
  return new GraphError(401, "InvalidAuthenticationToken", message, { "WWW-Authenticate": challenge });
}

function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "Lifetime validation failed: the token is expired.";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf") return "Lifetime validation failed: the token is not yet valid.";
    if (error.claim === "aud") return "Invalid audience: the token is not for this service.";
    return `The token's '${error.claim}' claim is not valid.`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `The token's signing algorithm is not allowed; expected ${ALGORITHMS.join(", ")}.`;
  if (error instanceof errors.JWKSNoMatchingKey) return "No signing key matches the token's key id (kid).";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "The token's signature is invalid.";
  return "The access token is malformed.";
}

const isIdentity = (value: unknown): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= limits.identityClaimChars;

/**
 * Verifies a delegated (user) bearer token of a request to `url` and returns the caller it names,
 * or throws the Graph error to answer with.
 */
export async function verifyAccessToken(authorization: string | undefined, env: Env, url: string): Promise<VerifiedToken> {
  const claims = await checkedClaims(authorization, env, url);
  const scopes = typeof claims.scp === "string" ? claims.scp.split(" ") : [];
  if (scopes.length === 0 || claims.idtyp === "app") {
    throw new GraphError(403, "accessDenied", "Application-only tokens are not supported; this API needs a delegated (user) token.");
  }
  const userId = claims.oid;
  if (!isIdentity(userId)) throw invalidToken("The token has no user (oid claim).");
  const appId = clientApp(claims);
  if (!scopes.includes(REQUIRED_SCOPE)) {
    throw new GraphError(403, "accessDenied", `Insufficient privileges: the token needs the delegated scope ${REQUIRED_SCOPE}.`, {
      "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${REQUIRED_SCOPE}"`,
    });
  }
  const principalNames = [claims.upn, claims.preferred_username].filter(isIdentity);
  return { caller: { tenantId: claims.tid, userId, appId }, principalNames, expiresMs: (claims.exp! + CLOCK_TOLERANCE_SECONDS) * 1000 };
}

/**
 * Verifies an application (client-credentials) token of a request to `url`, for the admin routes:
 * no user in it (no `scp`), and the app role `ADMIN_ROLE` in `roles`. Returns the administrator,
 * whose tenant is the only one it may act on.
 */
export async function verifyAdministratorToken(authorization: string | undefined, env: Env, url: string): Promise<Administrator> {
  const claims = await checkedClaims(authorization, env, url);
  if (claims.scp !== undefined || claims.idtyp === "user") {
    throw new GraphError(
      403,
      "accessDenied",
      "Delegated (user) tokens are not accepted here; this route needs an application token (client credentials).",
    );
  }
  const appId = clientApp(claims);
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  if (!env.ADMIN_ROLE || !roles.includes(env.ADMIN_ROLE)) {
    throw new GraphError(
      403,
      "accessDenied",
      `Insufficient privileges: the application token needs the app role ${env.ADMIN_ROLE || "(none is configured)"}.`,
    );
  }
  return { tenantId: claims.tid, appId };
}

function clientApp(claims: CheckedClaims): string {
  const appId = claims.azp ?? claims.appid;
  if (!isIdentity(appId)) throw invalidToken("The token has no client application (azp or appid claim).");
  return appId;
}

/** The checks every route makes: header, size, signature, lifetime, audience, tenant and issuer. Remembers tokens that passed. */
async function checkedClaims(authorization: string | undefined, env: Env, url: string): Promise<CheckedClaims> {
  if (!authorization) throw invalidToken("Access token is empty. Send 'Authorization: Bearer <token>'.", false);
  if (authorization.length > limits.tokenChars) throw invalidToken(`The access token is longer than ${limits.tokenChars} characters.`);
  const match = /^Bearer +([A-Za-z0-9_.~+/=-]+)$/i.exec(authorization.trim());
  if (!match) throw invalidToken("The Authorization header must be 'Bearer <token>'.");
  const config = authConfig(env);
  const token = match[1]!;
  const digest = await sha256(token);
  const remembered = config.verified.get(digest);
  if (remembered && Date.now() < remembered.until) return remembered.claims;
  const claims = await verify(token, config, url);
  // Forget the oldest when full (a Map iterates in insertion order).
  if (config.verified.size >= VERIFIED_TOKENS) config.verified.delete(config.verified.keys().next().value!);
  config.verified.set(digest, { claims, until: Math.min((claims.exp! + CLOCK_TOLERANCE_SECONDS) * 1000, Date.now() + VERIFIED_TOKEN_MS) });
  return claims;
}

/** A token's SHA-256, in hex. */
async function sha256(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(token)));
  return toHex(digest);
}

/** Checks one token's signature, lifetime, audience, tenant and issuer. */
async function verify(token: string, config: AuthConfig, url: string): Promise<CheckedClaims> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, config.keys(url), {
      algorithms: ALGORITHMS,
      audience: config.audiences,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["exp", "iss", "aud"],
    }));
  } catch (error) {
    if (error instanceof KeySetUnavailable) {
      throw new GraphError(503, "serviceNotAvailable", "The token signing keys could not be loaded; retry the request.", {
        "Retry-After": "5",
      });
    }
    throw invalidToken(describeJoseError(error));
  }

  const tenantId = payload.tid;
  if (!isIdentity(tenantId)) throw invalidToken("The token has no tenant (tid claim).");
  if (config.tenants !== "*" && !config.tenants.includes(tenantId))
    throw invalidToken("The token's tenant is not allowed to call this service.");
  const issuers = config.issuerTemplates.map((template) => template.replaceAll("{tenantid}", tenantId));
  if (!issuers.includes(payload.iss!)) throw invalidToken("Invalid issuer: the token was not issued for this service's tenants.");
  return { ...payload, tid: tenantId };
}
