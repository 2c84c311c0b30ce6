import type { Caller } from "../auth/verify-token";
import { GraphError } from "../graph/errors";
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

/**
 * Makes one RPC call on a Durable Object. An exception thrown by the object's own code
 * (`remote`) is a bug and stays one; any other failure (the object reset, crashed or was
 * overloaded) becomes a 503 the client may retry.
 */
export async function callObject<S, R>(stub: S, call: (object: S) => R): Promise<Awaited<R>> {
  try {
    return await call(stub);
  } catch (error) {
    if ((error as { remote?: boolean }).remote === true) throw error;
    throw new GraphError(503, "serviceNotAvailable", "The activity store is briefly unavailable; retry the request.", {
      "Retry-After": "1",
    });
  }
}
