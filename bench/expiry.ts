// The expiry phase: one activity holds live items and `expiringItems` items that all expire at one
// instant T. Writes to the live items run from before T until after the sweep; the alarm runs are
// timed by the bench doors' ActivityObject. p99 of the writes in flight during the sweep is
// compared with p99 of those that ended before T, in the same run.
import { benchDoor, clientFor, historyItemBody, putActivity } from "./api.ts";
import { type Bench, ITEM_BODY, round } from "./context.ts";
import { newIdentity } from "./tokens.ts";

/** The expiry sweep under a load of writes to the same activity. */
export async function runExpiry(bench: Bench): Promise<void> {
  const { doors, note, results, load } = bench;
  const { expiringItems, liveItems, preWindowSeconds } = bench.settings.expiry;
  const client = await clientFor(newIdentity());
  const appActivityId = "/bench/expiry";
  const liveIds = Array.from({ length: liveItems }, () => crypto.randomUUID());
  const id = await putActivity(
    doors.origin,
    client,
    appActivityId,
    liveIds.map((itemId) => ({ id: itemId, ...historyItemBody() })),
  );

  // The expiring items go in through the bench door (the object's own deep insert, seconds for
  // 10,000), so T can be set just far enough ahead for them and for a window of writes before T.
  const seedAllowanceSeconds = 3;
  const expiresAt = Date.now() + (seedAllowanceSeconds + preWindowSeconds) * 1000;
  note(`expiry: seeding ${expiringItems.toLocaleString("en")} items expiring at +${((expiresAt - Date.now()) / 1000).toFixed(1)} s`);
  const expiringIds = Array.from({ length: expiringItems }, () => crypto.randomUUID());
  const seedStarted = performance.now();
  await benchDoor(doors.origin, "seed-items", {
    caller: client.identity,
    appActivityId,
    ids: expiringIds,
    item: historyItemBody(new Date(expiresAt).toISOString()),
  });
  results.seeding[`expiring-${expiringItems}`] = { seconds: round((performance.now() - seedStarted) / 1000) };
  const seededAt = Date.now();
  const caller = client.identity;
  const before = await benchDoor<{ rows: number }>(doors.origin, "activity-state", { caller, id });

  const runSeconds = Math.max(4, (expiresAt - seededAt) / 1000 + (bench.quick ? 4 : 8));
  note(`expiry: ${(expiresAt - seededAt) / 1000} s of writes before T, sweep, writes after (run of ${runSeconds.toFixed(0)} s)`);
  const paths = liveIds.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`);
  const run = await load(doors, {
    method: "PUT",
    paths,
    body: ITEM_BODY,
    headers: client.headers,
    warmupSeconds: 0,
    durationSeconds: Math.ceil(runSeconds),
    timeline: true,
  });
  const loadStartedAt = run.timeline![0]?.[0] ?? seededAt;

  // Wait for the sweep to finish if the run ended first.
  let state = await benchDoor<{ rows: number; alarmRuns: { startedMs: number; endedMs: number }[] }>(doors.origin, "activity-state", {
    caller,
    id,
  });
  for (let waited = 0; state.rows > liveItems && waited < 60; waited++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    state = await benchDoor(doors.origin, "activity-state", { caller, id });
  }
  const sweepRuns = state.alarmRuns.filter((alarm) => alarm.endedMs >= expiresAt - 1000);
  const sweepStart = sweepRuns[0]?.startedMs ?? NaN;
  const sweepEnd = sweepRuns.at(-1)?.endedMs ?? NaN;

  const timeline = run.timeline!;
  const p99Of = (latencies: number[]) => {
    const sorted = latencies.sort((a, b) => a - b);
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]! : NaN;
  };
  const p50Of = (latencies: number[]) => {
    const sorted = latencies.sort((a, b) => a - b);
    return sorted.length ? sorted[Math.floor(0.5 * (sorted.length - 1))]! : NaN;
  };
  // Before: writes that ended between 1 s after the start (warm-up) and 100 ms before T.
  const quiet = timeline.filter(([end]) => end >= loadStartedAt + 1000 && end < expiresAt - 100).map(([, latency]) => latency);
  // During: writes whose time in flight overlaps the sweep.
  const during = timeline.filter(([end, latency]) => end >= sweepStart && end - latency <= sweepEnd).map(([, latency]) => latency);
  results.expiry = {
    seedingOverran: seededAt > expiresAt - 2000,
    expiringItems,
    liveItems,
    rowsBefore: before.rows,
    rowsAfter: state.rows,
    completed: state.rows <= liveItems,
    expiresAt,
    preWindowSeconds: round((expiresAt - loadStartedAt) / 1000),
    alarmRuns: sweepRuns.length,
    alarmStartLagMs: round(sweepStart - expiresAt),
    sweepMs: round(sweepEnd - sweepStart),
    hardDeleteMs: round(sweepEnd - expiresAt),
    longestAlarmRunMs: Math.max(...sweepRuns.map((alarm) => alarm.endedMs - alarm.startedMs)),
    writesBefore: { count: quiet.length, p50: round(p50Of([...quiet])), p99: round(p99Of([...quiet])) },
    writesDuring: { count: during.length, p50: round(p50Of([...during])), p99: round(p99Of([...during])) },
    p99Ratio: p99Of([...during]) / p99Of([...quiet]),
    errors: run.errors,
  };
}
