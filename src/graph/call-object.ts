import { GraphError } from "./errors";

/**
 * Failures of the call itself, raised in the Worker before anything reaches the object: an
 * argument that cannot be sent (nested too deep for the runtime's serializer, or not cloneable).
 * A retry sends the same arguments and fails the same way.
 */
const UNSENDABLE = new Set(["RangeError", "DataCloneError"]);

/** Whether retrying can fix a failed call: not an exception of the object's own code (`remote`), nor an argument that cannot be sent. */
function isTransient(error: unknown): boolean {
  const { remote, name } = (error ?? {}) as { remote?: unknown; name?: unknown };
  return remote !== true && !UNSENDABLE.has(String(name));
}

/**
 * Makes one RPC call on a Durable Object. A failure that retrying can fix (the object reset,
 * crashed, moved or was overloaded) becomes a 503 the client may retry; any other (an exception
 * thrown by the object's own code, or a call that could not be sent) is a bug and stays one, a 500.
 */
export async function callObject<S, R>(stub: S, call: (object: S) => R): Promise<Awaited<R>> {
  try {
    return await call(stub);
  } catch (error) {
    if (!isTransient(error)) throw error;
    throw new GraphError(503, "serviceNotAvailable", "The activity store is briefly unavailable; retry the request.", {
      "Retry-After": "1",
    });
  }
}
