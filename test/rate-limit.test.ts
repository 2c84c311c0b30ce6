import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { appActivityPath, call, freshAppActivityId } from "./support/api";
import { activityBody } from "./support/builders";
import { expectGraphError } from "./support/graph";
import { throttledEnv } from "./support/throttling";
import { mintToken } from "./support/tokens";

/** Calls the Worker with throttling on and the test's tiny limiters (3 reads, 2 writes a minute) in place of the deployed ones. */
function throttledCall(method: string, path: string, token: string, body?: unknown, rateLimiting = "on") {
  return call(method, path, { token, body, vars: throttledEnv(rateLimiting) });
}

it("throttles each user's writes and reads separately, across apps, with 429 TooManyRequests and Retry-After", async () => {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const otherApp = await mintToken({ user, app: "99999999-2222-3333-4444-555555555555" });
  const otherUser = await mintToken({ user: crypto.randomUUID() });
  const put = (as: string) => throttledCall("PUT", appActivityPath(freshAppActivityId()), as, activityBody());

  expect((await put(token)).status).toBe(201);
  expect((await put(otherApp)).status).toBe(201);
  const throttled = await put(token);
  expectGraphError(throttled, 429, "TooManyRequests", "Too many requests for this user; retry after 60 seconds.");
  expect(throttled.headers.get("Retry-After")).toBe("60");
  // Another user has a budget of their own; this user's reads are counted apart from writes.
  expect((await put(otherUser)).status).toBe(201);
  for (let read = 0; read < 3; read++) expect((await throttledCall("GET", "/v1.0/me/activities", token)).status).toBe(200);
  expect((await throttledCall("GET", "/v1.0/me/activities", token)).status).toBe(429);
});

it("is off unless RATE_LIMITING is on, as in local development", async () => {
  expect(env.RATE_LIMITING).toBe("off");
  const token = await mintToken({ user: crypto.randomUUID() });
  for (let write = 0; write < 5; write++) {
    const answer = await throttledCall("PUT", appActivityPath(freshAppActivityId()), token, activityBody(), "off");
    expect(answer.status).toBe(201);
  }
});
