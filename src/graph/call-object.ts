import { GraphError } from "./errors";

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
