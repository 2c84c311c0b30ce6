// Request bodies the service cannot take as sent, and calls to an object that fail: each refusal is
// a 4xx naming what is wrong, with nothing stored; never a 503 that a retry cannot fix.
import { describe, expect, it } from "vitest";
import { callObject } from "../src/graph/call-object";
import { GraphError } from "../src/graph/errors";
import { createActivity } from "./support/api";
import { activityStub } from "./support/objects";

/** JSON nested `depth` levels deep (a scalar is 0): arrays in arrays around a number. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

describe("3. callObject answers 503 only for what a retry can fix", () => {
  const failing = (error: unknown) => () => Promise.reject(error);
  const retryable = { status: 503, code: "serviceNotAvailable", headers: { "Retry-After": "1" } };
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => "resolved",
      (error: unknown) => (error instanceof GraphError ? { status: error.status, code: error.code, headers: error.headers } : error),
    );

  it("a value too deep to send to the object is the caller's bug, rethrown as it is (a 500), never a 503", async () => {
    const stub = activityStub(await createActivity());
    const failure = await outcome(callObject(stub, (activity) => activity.patchActivity({ contentInfo: { x: nested(5000) } })));
    expect(failure).toBeInstanceOf(RangeError);
  });

  it("an exception of the object's own code and an uncloneable argument stay themselves; an object reset or overloaded is a 503", async () => {
    const remote = Object.assign(new Error("bug in the object"), { remote: true });
    const uncloneable = new DOMException("could not be cloned", "DataCloneError");
    expect(await outcome(callObject(null, failing(remote)))).toBe(remote);
    expect(await outcome(callObject(null, failing(uncloneable)))).toBe(uncloneable);
    const reset = new Error("Durable Object reset because its code was updated.");
    const overloaded = Object.assign(new Error("Durable Object is overloaded."), { overloaded: true });
    const disconnected = Object.assign(new Error("Network connection lost."), { retryable: true });
    for (const error of [reset, overloaded, disconnected]) expect(await outcome(callObject(null, failing(error)))).toEqual(retryable);
  });
});
