// What the Worker judges of a subscription request before its feed sees it: whose activities it
// watches, how long it may live, where it may send, and the certificate of rich notifications.
// The handshake comes last (handshake.ts): it is the one check that costs the endpoint a request.
import { isCaller, notTheCaller } from "../auth/path-user";
import type { Caller } from "../auth/verify-token";
import { formatDateTime, parseDateTime } from "../graph/dates";
import { badRequest, quoted } from "../graph/errors";
import { notificationTimes } from "../limits";
import type { NewSubscription } from "../objects/subscription-records";
import { DEFAULT_TLS_VERSION, type SubscriptionCreateBody } from "../schemas/subscription";
import { certificateProblem } from "./certificate";
import { allowsLoopbackHttp, endpointProblem } from "./endpoint";
import type { Endpoint } from "./handshake";
import { signingConfigured } from "./validation-tokens";

/** Who asks, as the token says, and what the deployment allows. */
export interface Asker {
  caller: Caller;
  principalNames: string[];
  env: Env;
}

/**
 * When a subscription asked to end at `expirationDateTime` (a valid DateTimeOffset) ends: under
 * notificationTimes.minLifetimeMs from `now` (or past) is raised to it, as Graph does; beyond
 * notificationTimes.maxLifetimeMs is a 400.
 */
export function lifetimeEnd(expirationDateTime: string, now: number): number {
  const asked = parseDateTime(expirationDateTime)!;
  const latest = now + notificationTimes.maxLifetimeMs;
  if (asked > latest) {
    throw badRequest(
      `Invalid value for 'expirationDateTime': expected at most ${notificationTimes.maxLifetimeMs / 60_000} minutes from now (no later than ${formatDateTime(latest)}), got ${quoted(expirationDateTime)}.`,
    );
  }
  return Math.max(asked, now + notificationTimes.minLifetimeMs);
}

/** Refuses an endpoint the deployment does not send to (endpoint.ts), naming the property and the rule. */
export function checkEndpoint(endpoint: Endpoint, env: Env): void {
  const problem = endpointProblem(endpoint.url, allowsLoopbackHttp(env));
  if (problem) throw badRequest(`Invalid value for '${endpoint.property}': expected ${problem}; got ${quoted(endpoint.url)}.`);
}

/**
 * includeResourceData's needs: keys to sign its validationTokens (NOTIFICATION_SIGNING_KEY), a
 * certificate and its id; any certificate given must be one the service can encrypt to.
 */
async function checkEncryption(body: SubscriptionCreateBody, env: Env): Promise<void> {
  if (body.includeResourceData) {
    if (!signingConfigured(env)) {
      throw badRequest(
        "includeResourceData is not available on this deployment: it has no key to sign the validationTokens rich notifications carry (NOTIFICATION_SIGNING_KEY is not set). Subscribe without it.",
      );
    }
    const missing = (["encryptionCertificate", "encryptionCertificateId"] as const).filter((name) => body[name] == null);
    if (missing.length > 0) {
      throw badRequest(
        `includeResourceData is true, so the ${missing.length > 1 ? "properties" : "property"} ${missing.map((name) => `'${name}'`).join(" and ")} ${missing.length > 1 ? "are" : "is"} required: rich notifications are encrypted to the receiver's certificate.`,
      );
    }
  }
  if (body.encryptionCertificate != null) {
    const problem = await certificateProblem(body.encryptionCertificate);
    if (problem) throw badRequest(`Invalid value for 'encryptionCertificate'. ${problem}`);
  }
}

/**
 * A POST's body judged whole, but for the handshake: the subscription to store (issued by
 * `issuer`, from `now`) and the endpoints the handshake must reach; or the error to answer.
 */
export async function newSubscription(
  body: SubscriptionCreateBody,
  asker: Asker,
  issuer: string,
  now: number,
): Promise<{ subscription: NewSubscription; endpoints: Endpoint[] }> {
  const { caller } = asker;
  if (body.resource.user !== null && !isCaller(body.resource.user, caller, asker.principalNames)) throw notTheCaller(body.resource.user);
  const expirationMs = lifetimeEnd(body.expirationDateTime, now);
  const endpoints: Endpoint[] = [{ property: "notificationUrl", url: body.notificationUrl }];
  if (body.lifecycleNotificationUrl != null) endpoints.push({ property: "lifecycleNotificationUrl", url: body.lifecycleNotificationUrl });
  for (const endpoint of endpoints) checkEndpoint(endpoint, asker.env);
  await checkEncryption(body, asker.env);
  const subscription: NewSubscription = {
    id: crypto.randomUUID(),
    resource: body.resource.written,
    changeTypes: body.changeType,
    notificationUrl: body.notificationUrl,
    lifecycleNotificationUrl: body.lifecycleNotificationUrl ?? null,
    expirationMs,
    clientState: body.clientState ?? null,
    includeResourceData: body.includeResourceData ?? false,
    encryptionCertificate: body.encryptionCertificate ?? null,
    encryptionCertificateId: body.encryptionCertificateId ?? null,
    latestSupportedTlsVersion: body.latestSupportedTlsVersion ?? DEFAULT_TLS_VERSION,
    applicationId: caller.appId,
    creatorId: caller.userId,
    issuer,
    tenantId: caller.tenantId,
  };
  return { subscription, endpoints };
}
