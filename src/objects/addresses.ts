import type { Caller } from "../auth/verify-token";
import type { ActivityObject } from "./ActivityObject";
import type { FeedObject } from "./FeedObject";

/**
 * The activity's server id: the first 64 bits of SHA-256 over (tenant, user, app,
 * appActivityId), as a decimal string like Graph's. Deterministic, so every later call reaches
 * the same object with no lookup.
 */
export async function activityIdFor(caller: Caller, appActivityId: string): Promise<string> {
  const key = JSON.stringify([caller.tenantId, caller.userId, caller.appId, appActivityId]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return new DataView(digest).getBigUint64(0).toString();
}

/** The object that holds activity `id` for this caller; another caller's is a different object. */
export function activityObject(env: Env, caller: Caller, id: string): DurableObjectStub<ActivityObject> {
  return env.ACTIVITIES.getByName(JSON.stringify([caller.tenantId, caller.userId, caller.appId, id]));
}

/** The index of this caller's activities, one per (tenant, user, app). */
export function feedObject(env: Env, owner: Caller): DurableObjectStub<FeedObject> {
  return env.FEEDS.getByName(JSON.stringify([owner.tenantId, owner.userId, owner.appId]));
}
