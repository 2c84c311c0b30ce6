// The write path's economies: a verified token is not verified again (it is remembered by its
// hash), and a burst of writes to one activity shares its pushes to the feed, while every write is
// still in the feed when acknowledged.
import { runInDurableObject } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import { FeedObject } from "../src/objects/FeedObject";
import { call, createActivity, historyItemsPath } from "./support/api";
import { activitiesContext, jsonAnswer, seen } from "./support/graph";
import { feedStub } from "./support/objects";
import { callerFor, mintToken } from "./support/tokens";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

it("checks a token's signature once, then trusts it until it expires", async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  const start = Date.now();
  const token = await mintToken({ user: crypto.randomUUID(), ttl: 10 });
  const verify = vi.spyOn(crypto.subtle, "verify");
  for (let read = 0; read < 3; read++) expect((await call("GET", "/v1.0/me/activities", { token })).status).toBe(200);
  expect(verify).toHaveBeenCalledTimes(1);
  // Past exp and the 60 s clock tolerance, the remembered token is checked again, and refused.
  vi.setSystemTime(start + 71_000);
  const expired = await call("GET", "/v1.0/me/activities", { token });
  expect(expired.status).toBe(401);
  expect(expired.body.error.message).toBe("Lifetime validation failed: the token is expired.");
  expect(verify).toHaveBeenCalledTimes(2);
});

it("remembers a verified token by its SHA-256, never by the token itself", async () => {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  const sha256 = Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
  // Every key any Map of the isolate is asked for or given while the two requests run.
  const lookups = [vi.spyOn(Map.prototype, "get"), vi.spyOn(Map.prototype, "set")];
  const verify = vi.spyOn(crypto.subtle, "verify");
  const answers = [await call("GET", "/v1.0/me/activities", { token }), await call("GET", "/v1.0/me/activities", { token })];
  const keys = lookups.flatMap((spy) => spy.mock.calls.map(([key]) => key));
  vi.restoreAllMocks();

  for (const answer of answers)
    expect(seen(answer)).toEqual(jsonAnswer(200, { "@odata.context": activitiesContext({ user }), value: [] }, answer));
  // The second request was answered from memory: one signature check for both.
  expect(verify).toHaveBeenCalledTimes(1);
  const signature = token.split(".")[2]!;
  expect(keys.filter((key) => typeof key === "string" && key.includes(signature))).toEqual([]);
  // Looked up twice and remembered once, by the hex SHA-256 of the whole token.
  expect(keys.filter((key) => key === sha256)).toHaveLength(3);
});

it("a burst of writes to one activity: each is in the feed when acknowledged, at one push per write at most", async () => {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const id = await createActivity({ token });
  const feed = feedStub(callerFor({ user }));
  const feedRecentMs = () =>
    runInDurableObject(
      feed,
      (_, state) =>
        state.storage.sql.exec<{ recent_ms: number }>("SELECT recent_ms FROM feed_entry WHERE activity_id = ?", id).one().recent_ms,
    );
  const applies = vi.spyOn(FeedObject.prototype, "apply");
  const writes = await Promise.all(
    Array.from({ length: 30 }, async () => {
      const answer = await call("POST", historyItemsPath(id), { token, body: { startedDateTime: "2015-02-11T20:54:04Z" } });
      // As soon as this write is acknowledged, the feed orders the activity by it or by a later write.
      return { status: answer.status, inFeed: (await feedRecentMs()) >= Date.parse(answer.body.lastModifiedDateTime) };
    }),
  );
  expect(writes).toEqual(Array(30).fill({ status: 201, inFeed: true }));
  // No write waits for another's push: each pushes once, unless a newer write's push was acknowledged first.
  expect(applies.mock.calls.length).toBeGreaterThan(0);
  expect(applies.mock.calls.length).toBeLessThanOrEqual(30);
});
