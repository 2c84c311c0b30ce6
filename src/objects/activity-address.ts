import type { Caller } from "../auth/verify-token";
import { GraphError } from "../graph/errors";
import type { ActivityObject } from "./ActivityObject";

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

/**
 * Makes one RPC call to the activity's object. An exception thrown by the object's own code
 * (`remote`) is a bug and stays one; any other failure (the object reset, crashed or was
 * overloaded) becomes a 503 the client may retry.
 */
export async function callActivity<R>(
  env: Env,
  caller: Caller,
  id: string,
  call: (object: DurableObjectStub<ActivityObject>) => R,
): Promise<Awaited<R>> {
  try {
    return await call(activityObject(env, caller, id));
  } catch (error) {
    if ((error as { remote?: boolean }).remote === true) throw error;
    throw new GraphError(503, "serviceNotAvailable", "The activity's storage is briefly unavailable; retry the request.", {
      "Retry-After": "1",
    });
  }
}
