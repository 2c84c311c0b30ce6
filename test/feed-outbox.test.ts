// The feed outbox on its own: a FeedOutbox over a real activity object's tables, with a feed
// that answers, fails or holds on command, so coalescing and retry are seen directly.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FeedOutbox } from "../src/objects/feed-outbox";
import type { FeedUpdate } from "../src/objects/records";
import { createActivity } from "./support/api";
import { activityStub } from "./support/objects";

/** A feed whose apply records each update and answers as `behaviour` says at the time of the call. */
function scriptedFeed() {
  const applied: FeedUpdate[] = [];
  const held: (() => void)[] = [];
  const feed = {
    behaviour: "answer" as "answer" | "fail" | "hold",
    applied,
    /** Lets every held apply answer. */
    release: () => held.splice(0).forEach((answer) => answer()),
    env: {
      ...env,
      FEEDS: {
        getByName: () => ({
          apply: (update: FeedUpdate) => {
            applied.push(update);
            if (feed.behaviour === "fail") return Promise.reject(new Error("feed down"));
            if (feed.behaviour === "hold") return new Promise((resolve) => held.push(() => resolve({ kind: "applied" })));
            return Promise.resolve({ kind: "applied" });
          },
        }),
      },
    } as unknown as Env,
  };
  return feed;
}

/** Runs `test` with an outbox over the tables of a freshly created activity's object (its feed up to date, and known to be). */
async function withOutbox(
  test: (outbox: FeedOutbox, sql: SqlStorage, feed: ReturnType<typeof scriptedFeed>, storage: DurableObjectStorage) => Promise<void>,
) {
  const id = await createActivity();
  // The alarm finds the creation acknowledged and stores that: an outbox with no memory of its own sees it.
  expect(await runDurableObjectAlarm(activityStub(id))).toBe(true);
  await runInDurableObject(activityStub(id), async (_instance, state) => {
    const feed = scriptedFeed();
    // One live history item, last modified at 42 ms past the epoch: the newest item time every push carries.
    state.storage.sql.exec(
      `INSERT INTO history_item (id, started_ms, status, created_ms, last_modified_ms, expiration_ms)
       VALUES ('item', 0, 'active', 42, 42, ?)`,
      Date.now() + 86_400_000,
    );
    const outbox = new FeedOutbox(state.storage.sql, feed.env, {
      liveActivity: () => null,
      holdsData: () => true,
      eraseWrittenBefore: () => Promise.reject(new Error("this feed never refuses an update")),
    });
    await test(outbox, state.storage.sql, feed, state.storage);
  });
}

const outboxRows = (sql: SqlStorage) => sql.exec("SELECT version, attempts, retry_at_ms FROM feed_outbox").toArray();
const version = (sql: SqlStorage) => sql.exec<{ version: number }>("SELECT version FROM feed_outbox").one().version;

describe("FeedOutbox", () => {
  it("pushes the noted state with its version; the retry then finds it acknowledged and clears itself, pushing nothing", async () => {
    await withOutbox(async (outbox, sql, feed) => {
      const before = Date.now();
      outbox.note(Date.now());
      const noted = version(sql);
      // The note schedules its own retry, just past the push's 2 s deadline and the first 1 s delay.
      expect(outboxRows(sql)).toEqual([{ version: noted, attempts: 0, retry_at_ms: expect.any(Number) }]);
      expect(outbox.retryAt()).toBeGreaterThanOrEqual(before + 3000);
      expect(outbox.retryAt()).toBeLessThanOrEqual(Date.now() + 3000);
      const retryAt = outbox.retryAt();
      expect(await outbox.push()).toBe("done");
      const applied = [{ activityId: expect.any(String), version: noted, activity: null, recentMs: 42 }];
      expect(feed.applied).toEqual(applied);
      // The acknowledgement is kept in memory: the push wrote nothing, and the retry stays set.
      expect(outboxRows(sql)).toEqual([{ version: noted, attempts: 0, retry_at_ms: retryAt }]);
      await outbox.retry();
      expect(feed.applied).toEqual(applied);
      expect(outboxRows(sql)).toEqual([{ version: noted, attempts: 0, retry_at_ms: null }]);
      expect(outbox.retryAt()).toBeNull();
    });
  });

  it("sends nothing when nothing is pending", async () => {
    await withOutbox(async (outbox, _sql, feed) => {
      expect(await outbox.push()).toBe("done");
      await outbox.retry();
      expect(feed.applied).toEqual([]);
    });
  });

  it("never makes a write wait for a push under way: each pushes the newest state at once, and the newest stands", async () => {
    await withOutbox(async (outbox, sql, feed) => {
      feed.behaviour = "hold";
      outbox.note(Date.now());
      const noted = version(sql);
      const first = outbox.push();
      feed.behaviour = "answer";
      outbox.note(Date.now());
      // The second push is answered while the first is still held.
      expect(await outbox.push()).toBe("done");
      expect(feed.applied.map((update) => update.version)).toEqual([noted, version(sql)]);
      expect(version(sql)).toBeGreaterThan(noted);
      feed.release();
      expect(await first).toBe("done");
      // Answered out of order, the newest is what counts as acknowledged: the retry finds everything delivered.
      await outbox.retry();
      expect(feed.applied).toHaveLength(2);
      expect(outboxRows(sql)).toEqual([{ version: version(sql), attempts: 0, retry_at_ms: null }]);
    });
  });

  it("schedules a retry 1 s out after a failure, doubling per attempt, and clears it once delivered", async () => {
    await withOutbox(async (outbox, sql, feed) => {
      feed.behaviour = "fail";
      outbox.note(Date.now());
      const noted = version(sql);
      for (const [attempts, delayMs] of [
        [1, 1000],
        [2, 2000],
        [3, 4000],
      ] as const) {
        const before = Date.now();
        expect(await outbox.push()).toBe("retry-scheduled");
        const [row] = outboxRows(sql) as { version: number; attempts: number; retry_at_ms: number }[];
        expect(row).toEqual({ version: noted, attempts, retry_at_ms: expect.any(Number) });
        expect(row!.retry_at_ms).toBeGreaterThanOrEqual(before + delayMs);
        expect(row!.retry_at_ms).toBeLessThanOrEqual(Date.now() + delayMs);
        expect(outbox.retryAt()).toBe(row!.retry_at_ms);
      }
      feed.behaviour = "answer";
      expect(await outbox.push()).toBe("done");
      expect(feed.applied.map((update) => update.version)).toEqual([noted, noted, noted, noted]);
      // Delivered after failures, the retry schedule is cleared at once, so a later failure starts it afresh.
      expect(outboxRows(sql)).toEqual([{ version: noted, attempts: 0, retry_at_ms: null }]);
      expect(outbox.retryAt()).toBeNull();
    });
  });

  it("keeps a newer note that arrived during an older push pending", async () => {
    await withOutbox(async (outbox, sql, feed) => {
      feed.behaviour = "hold";
      outbox.note(Date.now());
      const firstRetry = outbox.retryAt();
      const pushing = outbox.push();
      await Promise.resolve();
      outbox.note(Date.now());
      feed.release();
      await pushing;
      // The acknowledged push carried the older version: the newer one is still pending, with the sooner retry.
      expect(outboxRows(sql)).toEqual([{ version: version(sql), attempts: 0, retry_at_ms: firstRetry }]);
    });
  });

  it("forgets a note whose transaction rolled back: nothing is pushed for it, and the next note gets a version of its own", async () => {
    await withOutbox(async (outbox, sql, feed, storage) => {
      const before = version(sql);
      const sameMs = Date.now();
      expect(() =>
        storage.transactionSync(() => {
          outbox.note(sameMs);
          throw new Error("a later statement failed");
        }),
      ).toThrow("a later statement failed");
      outbox.forgetNoted();
      expect(version(sql)).toBe(before);
      expect(await outbox.push()).toBe("done");
      expect(feed.applied).toEqual([]);
      // In the same millisecond, the next note takes the version the rolled-back one had; it is pushed as new.
      outbox.note(sameMs);
      expect(await outbox.push()).toBe("done");
      expect(feed.applied.map((update) => update.version)).toEqual([version(sql)]);
      expect(version(sql)).toBeGreaterThan(before);
    });
  });
});
