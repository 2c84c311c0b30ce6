import type { Caller } from "../auth/verify-token";
import { utf8 } from "../graph/encoding";
import type { ActivityObject } from "./ActivityObject";
import type { FeedObject } from "./FeedObject";
import type { UserKey } from "./records";
import type { UserObject } from "./UserObject";

// Every Durable Object of the service is reached through this file, so where the objects live
// (DATA_JURISDICTION) is decided here, once, for all of them.

/** The jurisdictions DATA_JURISDICTION may name; empty places no restriction. */
export const JURISDICTIONS = ["eu", "fedramp"] as const satisfies DurableObjectJurisdiction[];

/** The namespace to address objects through: restricted to DATA_JURISDICTION when one is set. */
export function placed<T extends Rpc.DurableObjectBranded | undefined>(
  env: Env,
  namespace: DurableObjectNamespace<T>,
): DurableObjectNamespace<T> {
  const jurisdiction = env.DATA_JURISDICTION;
  if (!jurisdiction) return namespace;
  if (!(JURISDICTIONS as readonly string[]).includes(jurisdiction)) {
    throw new Error(`DATA_JURISDICTION must be one of ${JURISDICTIONS.join(", ")} or empty, not '${jurisdiction}'.`);
  }
  return namespace.jurisdiction(jurisdiction as DurableObjectJurisdiction);
}

/**
 * The activity's server id: the first 64 bits of SHA-256 over (tenant, user, app,
 * appActivityId), as a decimal string like Graph's. Deterministic, so every later call reaches
 * the same object with no lookup.
 */
export async function activityIdFor(caller: Caller, appActivityId: string): Promise<string> {
  const key = JSON.stringify([caller.tenantId, caller.userId, caller.appId, appActivityId]);
  const digest = await crypto.subtle.digest("SHA-256", utf8(key));
  return new DataView(digest).getBigUint64(0).toString();
}

/** The object that holds activity `id` for this caller; another caller's is a different object. */
export function activityObject(env: Env, caller: Caller, id: string): DurableObjectStub<ActivityObject> {
  return placed(env, env.ACTIVITIES).getByName(JSON.stringify([caller.tenantId, caller.userId, caller.appId, id]));
}

/** The index of this caller's activities, one per (tenant, user, app). */
export function feedObject(env: Env, owner: Caller): DurableObjectStub<FeedObject> {
  return placed(env, env.FEEDS).getByName(JSON.stringify([owner.tenantId, owner.userId, owner.appId]));
}

/** The registry of one user's apps and erasures, one per (tenant, user). */
export function userObject(env: Env, user: UserKey): DurableObjectStub<UserObject> {
  return placed(env, env.USERS).getByName(JSON.stringify([user.tenantId, user.userId]));
}
