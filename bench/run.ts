// npm run bench: how fast the service is, against what, and how its cost grows.
//
//   npm run bench                 the full run (about 13 minutes on 2 cores)
//   npm run bench -- --quick      a smoke run: short runs, small sizes (about 5 minutes)
//   npm run bench -- --profile    also profile when every target is met
//   npm run bench -- --only growth,plans   only the named phases (workloads, growth, expiry,
//                                 continuity, bundle, counts, plans, profile)
//
// Starts four Workers the way `npm run dev` does (wrangler's dev server, local Durable Objects,
// 127.0.0.1 only): the service (wrangler.toml), the service with bench-only doors
// (bench/service), the baseline (bench/baseline) and the floor (bench/floor). Load comes from
// autocannon at fixed concurrency with a warm-up, in a child process. Writes bench/RESULTS.md and
// bench/results.json, and prints the tables.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { activityBody, benchDoor, clientFor, historyItemBody, putActivity } from "./api.ts";
import { measureBundle } from "./bundle.ts";
import { measureContinuity } from "./continuity.ts";
import { loadInChild, type LoadResult, type LoadSpec } from "./load.ts";
import { profileWhile, summarise, type ProfileSummary } from "./profile.ts";
import {
  ACTIVITY_OBJECT_CODE,
  BASELINE_WRITE_PROFILE,
  FEED_OBJECT_CODE,
  PHASES,
  renderReport,
  type QueryPlan,
  type Results,
  type TargetResult,
  type WorkloadRow,
} from "./report.ts";
import { newIdentity } from "./tokens.ts";
import { ROOT, startWorker, type RunningWorker } from "./workers.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
  },
  strict: true,
});
const only = new Set(flags.only?.flatMap((value) => value.split(",")) ?? []);
for (const phase of only) {
  if (!(PHASES as readonly string[]).includes(phase)) throw new Error(`--only: unknown phase '${phase}'; phases: ${PHASES.join(", ")}`);
}
/** Whether a phase runs: every phase by default, only the named ones with --only. */
const runs = (phase: (typeof PHASES)[number]) => only.size === 0 || only.has(phase);

const QUICK = flags.quick;
const SETTINGS = {
  connections: 16,
  warmupSeconds: QUICK ? 1 : 3,
  durationSeconds: QUICK ? 3 : 15,
  growth: {
    warmupSeconds: 1,
    durationSeconds: 2,
    rounds: QUICK ? 2 : 4,
    itemCounts: QUICK ? [10, 1_000, 5_000] : [10, 1_000, 100_000],
    activityCounts: QUICK ? [10, 1_000, 2_000] : [10, 1_000, 10_000],
  },
  expiry: { expiringItems: QUICK ? 2_000 : 10_000, liveItems: 64 },
  /** Delta pages beside the feed page, push latency and idle-socket memory (bench/continuity.ts). */
  continuity: {
    feedActivities: 1_000,
    pageSize: 10,
    deltaChanges: 10,
    rounds: QUICK ? 2 : 3,
    warmupSeconds: 1,
    durationSeconds: QUICK ? 2 : 4,
    pushWrites: QUICK ? 100 : 300,
    pushSockets: [1, 100],
    idleSockets: 1_000,
    hibernationWaitSeconds: 20,
  },
  /** Activities the workloads spread over, and history items seeded in each. */
  activities: 16,
  itemsPerActivity: 32,
  /** Each workload's measured seconds are split over this many rounds (see runWorkloads). */
  workloadRounds: QUICK ? 2 : 3,
  profileSeconds: QUICK ? 3 : 5,
  countRequests: 40,
} as const;

const TARGETS = { writeThroughput: 0.8, writeP99: 1.3, readThroughput: 0.8, growth: 1.2, expiryP99: 2, bundleGzipBytes: 96 * 1024 };

/**
 * What the profile's inclusive shares are taken of: the Worker's fixed per-request costs (request
 * id, access log, CORS, routing, token, throttling, query guard, body scan, validation, RPC), the
 * handlers and mappings, and the objects (each file, and the methods of a write); the baseline's upsert.
 */
const PROFILED = [
  // A frame matching a function and its file counts for the function (the first entry it matches).
  "putHistoryItem",
  "getHistoryItem",
  "list",
  "upsertHistoryItem",
  "armAlarm",
  "apply",
  "upsert",
  "src/graph/request-id.ts",
  "src/graph/access-log.ts",
  "node_modules/hono/dist/middleware/cors/",
  "node_modules/hono/dist/router/",
  "node_modules/hono/dist/compose.js",
  "src/auth/verify-token.ts",
  "src/auth/rate-limit.ts",
  "src/graph/route-guards.ts",
  "src/graph/json-body.ts",
  "node_modules/@hono/zod-validator/",
  "node_modules/hono/dist/validator/",
  "node_modules/zod/",
  "src/graph/call-object.ts",
  "src/routes/",
  "src/schemas/",
  "src/objects/ActivityObject.ts",
  "src/objects/feed-outbox.ts",
  "src/objects/FeedObject.ts",
  // Each object's own work per request (CPU inside it), for the per-object ceilings.
  ACTIVITY_OBJECT_CODE,
  FEED_OBJECT_CODE,
];

const startedAt = Date.now();
const note = (message: string) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false"; // no Request.cf lookup: everything stays on 127.0.0.1
process.env.WRANGLER_SEND_METRICS = "false";
process.chdir(ROOT);

function version(file: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}${file}`, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function workerdVersion(): string {
  try {
    return execFileSync(`${ROOT}node_modules/.bin/workerd`, ["--version"], { encoding: "utf8" })
      .trim()
      .replace(/^workerd /, "");
  } catch {
    return "unknown";
  }
}

const results: Results = {
  date: new Date().toISOString(),
  quick: QUICK,
  phases: PHASES.filter((phase) => runs(phase)),
  machine: {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    loadAverageAtEnd: [],
    loadAverageByPhase: {},
  },
  versions: {
    node: process.version,
    workerd: `${workerdVersion()} (npm workerd ${version("node_modules/workerd/package.json")})`,
    wrangler: version("node_modules/wrangler/package.json"),
    autocannon: version("node_modules/autocannon/package.json"),
  },
  settings: SETTINGS,
  targets: TARGETS,
  seeding: {},
  workloads: [],
  growth: [],
  expiry: null,
  continuity: null,
  bundle: null,
  profiles: [],
  counts: null,
  baselineRows: null,
  plans: null,
  verdicts: [],
  failures: [],
  workerWarnings: {},
  durationSeconds: 0,
};

const load = (
  worker: RunningWorker,
  spec: Omit<LoadSpec, "origin" | "connections" | "warmupSeconds" | "durationSeconds"> & Partial<LoadSpec>,
) =>
  loadInChild({
    origin: worker.origin,
    connections: SETTINGS.connections,
    warmupSeconds: SETTINGS.warmupSeconds,
    durationSeconds: SETTINGS.durationSeconds,
    ...spec,
  });

const ITEM_BODY = JSON.stringify(historyItemBody());
/** A PATCH that moves an item's last activity (its computed activeDurationSeconds is computed again). */
const ITEM_PATCH_BODY = JSON.stringify({ lastActiveDateTime: "2015-02-11T20:55:04.3457274+00:00" });

/** A reference run on the baseline Worker: the bare write or read, or the write with its feed push. */
type ReferenceKey =
  "bare put-item-replace" | "bare get-item" | "bare list-feed" | `feed ${"put-item-create" | "put-item-replace" | "post-item"}`;

interface Workload {
  key: string;
  label: string;
  kind: "write" | "read";
  /** The reference run its targets are judged against: writes against the baseline + feed push, reads against the bare GET. */
  denominator: ReferenceKey;
  spec: Pick<LoadSpec, "method" | "paths" | "body">;
}

// ---------------------------------------------------------------------------------------------

note("starting the service, the service with bench doors, the baseline and the floor");
const service = await startWorker("service", "wrangler.toml");
const doors = await startWorker("service (bench doors)", "wrangler.toml", { entrypoint: "bench/service/index.ts" });
const baseline = await startWorker("baseline", "bench/baseline/wrangler.toml");
const floor = await startWorker("floor", "bench/floor/wrangler.toml");
const workers = [service, doors, baseline, floor];

/** Runs one phase; a phase that fails is reported, and the others still run. */
async function phase(name: (typeof PHASES)[number], body: () => Promise<void>): Promise<void> {
  if (!runs(name)) return;
  results.machine.loadAverageByPhase[name] = Math.round(os.loadavg()[0]! * 100) / 100;
  try {
    await body();
  } catch (error) {
    note(`${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    results.failures.push({ phase: name, error: String(error).slice(0, 2000) });
  }
}

try {
  await phase("workloads", runWorkloads);
  await phase("growth", runGrowth);
  await phase("expiry", runExpiry);
  await phase("continuity", async () => {
    results.continuity = await measureContinuity(service, SETTINGS.continuity, load, note);
  });
  await phase("bundle", async () => {
    note("measuring the bundle (wrangler deploy --dry-run)");
    results.bundle = await measureBundle();
  });
  await phase("counts", runCounts);
  await phase("plans", runQueryPlans);
  results.verdicts = verdicts();
  await phase("profile", runProfiles);
} finally {
  for (const worker of workers) {
    results.workerWarnings[worker.name] = worker.logs.warnings;
    await worker.dispose().catch(() => {});
  }
}

results.machine.loadAverageAtEnd = os.loadavg().map((value) => Math.round(value * 100) / 100);
results.durationSeconds = Math.round((Date.now() - startedAt) / 1000);
const report = renderReport(results);
writeFileSync(`${ROOT}bench/RESULTS.md`, report);
writeFileSync(`${ROOT}bench/results.json`, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${report}\n`);
note(`wrote bench/RESULTS.md and bench/results.json in ${results.durationSeconds} s`);
process.exit(results.failures.length ? 1 : 0);

// ---------------------------------------------------------------------------------------------

/** The workloads of the issue, each against the service, its baseline twin, and the floor. */
async function runWorkloads(): Promise<void> {
  note(`seeding ${SETTINGS.activities} activities with ${SETTINGS.itemsPerActivity} history items each`);
  const client = await clientFor(newIdentity());
  const activityIds: string[] = [];
  const itemPaths: string[] = [];
  for (let i = 0; i < SETTINGS.activities; i++) {
    const ids = Array.from({ length: SETTINGS.itemsPerActivity }, () => crypto.randomUUID());
    const id = await putActivity(
      service.origin,
      client,
      `/bench/workload/${i}`,
      ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
    );
    activityIds.push(id);
    itemPaths.push(...ids.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`));
  }
  // The baseline holds the same items, so that its replaces replace and its reads find.
  await Promise.all(
    [0, 1, 2, 3].map(async (lane) => {
      for (let i = lane; i < itemPaths.length; i += 4) {
        const response = await fetch(`${baseline.origin}${itemPaths[i]}`, { method: "PUT", headers: client.headers, body: ITEM_BODY });
        await response.arrayBuffer();
      }
    }),
  );

  // The bare page lists the very texts the service's feed stores (the service's own page of them).
  const listed = (await (
    await fetch(`${service.origin}/v1.0/me/activities?$top=${SETTINGS.activities}`, { headers: client.headers })
  ).json()) as {
    value: { id: string; lastModifiedDateTime: string }[];
  };
  const seeded = await fetch(`${baseline.origin}/__bench/feed`, {
    method: "POST",
    body: JSON.stringify(
      listed.value.map((activity) => ({
        activityId: activity.id,
        lastModifiedMs: Date.parse(activity.lastModifiedDateTime),
        resource: JSON.stringify(activity),
      })),
    ),
  });
  if (seeded.status !== 204) throw new Error(`seeding the bare page: ${seeded.status}`);

  const activityPaths = activityIds.map((id) => `/v1.0/me/activities/${id}`);
  // PUT names an activity by its appActivityId; GET by the server id.
  const activityPutPaths = Array.from(
    { length: SETTINGS.activities },
    (_, i) => `/v1.0/me/activities/${encodeURIComponent(`/bench/workload/${i}`)}`,
  );
  const itemPut = (paths: string[]) => ({ method: "PUT" as const, paths, body: ITEM_BODY });
  const workloads: Workload[] = [
    {
      key: "put-item-create",
      label: "PUT history item (create)",
      kind: "write",
      denominator: "feed put-item-create",
      spec: itemPut(activityIds.map((id) => `/v1.0/me/activities/${id}/historyItems/{guid}`)),
    },
    {
      key: "put-item-replace",
      label: "PUT history item (replace)",
      kind: "write",
      denominator: "feed put-item-replace",
      spec: itemPut(itemPaths),
    },
    {
      key: "post-item",
      label: "POST history item",
      kind: "write",
      denominator: "feed post-item",
      spec: { method: "POST", paths: activityIds.map((id) => `/v1.0/me/activities/${id}/historyItems`), body: ITEM_BODY },
    },
    {
      key: "patch-item",
      label: "PATCH history item",
      kind: "write",
      denominator: "feed put-item-replace",
      spec: { method: "PATCH", paths: itemPaths, body: ITEM_PATCH_BODY },
    },
    {
      key: "put-activity",
      label: "PUT activity (replace)",
      kind: "write",
      denominator: "feed put-item-replace",
      spec: { method: "PUT", paths: activityPutPaths, body: activityBody() },
    },
    { key: "get-item", label: "GET history item", kind: "read", denominator: "bare get-item", spec: { method: "GET", paths: itemPaths } },
    {
      key: "get-activity",
      label: "GET activity",
      kind: "read",
      denominator: "bare get-item",
      spec: { method: "GET", paths: activityPaths },
    },
    {
      key: "list-feed",
      label: "GET feed page (/me/activities, $top=10)",
      kind: "read",
      denominator: "bare get-item",
      spec: { method: "GET", paths: ["/v1.0/me/activities?$top=10"] },
    },
    {
      key: "list-recent",
      label: "GET recent page (/me/activities/recent, $top=10)",
      kind: "read",
      denominator: "bare get-item",
      spec: { method: "GET", paths: ["/v1.0/me/activities/recent?$top=10"] },
    },
  ];
  // The baseline's runs: the write with its feed push for each kind of item write (the write
  // targets' denominators), the bare write and bare GET (the read target's denominator), and the
  // bare page (a reference for the feed pages).
  const references: {
    key: ReferenceKey;
    label: string;
    server: WorkloadRow["server"];
    kind: "write" | "read";
    spec: Parameters<typeof load>[1];
  }[] = [
    ...(["put-item-create", "put-item-replace", "post-item"] as const).map((key) => {
      const workload = workloads.find((candidate) => candidate.key === key)!;
      return {
        key: `feed ${key}` as const,
        label: workload.label,
        server: "baseline + feed push" as const,
        kind: "write" as const,
        spec: { ...workload.spec, headers: { ...client.headers, "x-bench-feed": "1" } },
      };
    }),
    {
      key: "bare put-item-replace",
      label: "PUT history item (replace)",
      server: "baseline",
      kind: "write",
      spec: { ...itemPut(itemPaths), headers: client.headers },
    },
    {
      key: "bare get-item",
      label: "GET history item",
      server: "baseline",
      kind: "read",
      spec: { method: "GET", paths: itemPaths, headers: client.headers },
    },
    {
      key: "bare list-feed",
      label: "GET feed page ($top=10), bare",
      server: "baseline",
      kind: "read",
      spec: { method: "GET", paths: ["/v1.0/me/activities?$top=10"], headers: client.headers },
    },
  ];

  // Every (server, workload) runs once per round, the rounds one after the other, and keeps its
  // least disturbed round (highest req/s): other work on the machine comes in bursts, and a burst
  // that hits one run of a pair would otherwise decide its ratio. Each reference run follows the
  // first service workload it is the denominator of, so the two of a pair run back to back.
  const rounds = new Map<string, LoadResult[]>();
  const measure = async (key: string, worker: RunningWorker, spec: Parameters<typeof load>[1], round: number) => {
    const timing = round === 1 ? {} : { warmupSeconds: 1 };
    note(`  ${key}`);
    const runs = rounds.get(key) ?? [];
    runs.push(await load(worker, { ...spec, ...timing, durationSeconds: SETTINGS.durationSeconds / SETTINGS.workloadRounds }));
    rounds.set(key, runs);
  };
  for (let round = 1; round <= SETTINGS.workloadRounds; round++) {
    note(`workloads: round ${round} of ${SETTINGS.workloadRounds}: floor, then each workload against the service and its baseline`);
    await measure("floor", floor, { method: "GET", paths: ["/"], headers: client.headers }, round);
    const measured = new Set<ReferenceKey>();
    for (const workload of workloads) {
      await measure(`service ${workload.key}`, service, { ...workload.spec, headers: client.headers }, round);
      for (const reference of references) {
        const pairs = reference.key === workload.denominator || reference.key === `bare ${workload.key}`;
        if (!pairs || measured.has(reference.key)) continue;
        measured.add(reference.key);
        await measure(reference.key, baseline, reference.spec, round);
      }
    }
  }
  const best = (key: string): LoadResult => {
    const runs = rounds.get(key)!;
    return { ...runs.reduce((a, b) => (b.rps > a.rps ? b : a)), roundsRps: runs.map((run) => run.rps) };
  };
  const floorResult = best("floor");
  const versus = (result: LoadResult, other: LoadResult) => ({
    rps: result.rps / other.rps,
    p50: result.p50 / other.p50,
    p99: result.p99 / other.p99,
  });

  for (const workload of workloads) {
    const result = best(`service ${workload.key}`);
    results.workloads.push({
      key: workload.key,
      label: workload.label,
      server: "service",
      kind: workload.kind,
      denominator: workload.denominator,
      result,
      vsDenominator: versus(result, best(workload.denominator)),
      vsFloor: versus(result, floorResult),
    });
  }
  for (const reference of references) {
    const result = best(reference.key);
    // The feed push rows are divided by the bare write (what the push itself costs), the bare page by the bare GET.
    const denominator =
      reference.server === "baseline + feed push" ? "bare put-item-replace" : reference.key === "bare list-feed" ? "bare get-item" : null;
    results.workloads.push({
      key: reference.key,
      label: reference.label,
      server: reference.server,
      kind: reference.kind,
      denominator,
      result,
      vsDenominator: denominator ? versus(result, best(denominator)) : null,
      vsFloor: versus(result, floorResult),
    });
  }
  results.workloads.push({
    key: "floor",
    label: "GET / (constant)",
    server: "floor",
    kind: "read",
    denominator: null,
    result: floorResult,
    vsDenominator: null,
    vsFloor: null,
  } satisfies WorkloadRow);
}

/**
 * PUT and GET latency as one activity grows; feed-page latency as one feed grows. Every size is
 * seeded first; then the sizes are measured in turn, in several rounds, and each (size, request)
 * keeps its least disturbed round (lowest p50): other work on the machine comes in bursts, and
 * alternating the sizes keeps a burst from landing on one size only.
 */
async function runGrowth(): Promise<void> {
  const growth = SETTINGS.growth;
  const short = { warmupSeconds: growth.warmupSeconds, durationSeconds: growth.durationSeconds };
  const best = (runs: LoadResult[]) => runs.reduce((a, b) => (b.p50 < a.p50 ? b : a));

  const client = await clientFor(newIdentity());
  const items: { size: number; paths: string[]; put: LoadResult[]; get: LoadResult[] }[] = [];
  for (const size of growth.itemCounts) {
    const ids = Array.from({ length: size }, () => crypto.randomUUID());
    note(`growth: seeding one activity with ${size.toLocaleString("en")} history items (bench door, through ActivityObject.putActivity)`);
    const seedStarted = performance.now();
    const appActivityId = `/bench/growth/items/${size}`;
    const id = await putActivity(doors.origin, client, appActivityId);
    for (let first = 0; first < size; first += 10_000) {
      await benchDoor(doors.origin, "seed-items", {
        caller: client.identity,
        appActivityId,
        ids: ids.slice(first, first + 10_000),
        item: historyItemBody(),
      });
    }
    results.seeding[`items-${size}`] = { seconds: round((performance.now() - seedStarted) / 1000) };
    items.push({ size, paths: ids.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`), put: [], get: [] });
  }
  const feeds: { size: number; client: Awaited<ReturnType<typeof clientFor>>; feed: LoadResult[]; recent: LoadResult[] }[] = [];
  for (const size of growth.activityCounts) {
    const feedClient = await clientFor(newIdentity());
    note(`growth: seeding one feed with ${size.toLocaleString("en")} activities (bench door, through FeedObject.apply)`);
    const seedStarted = performance.now();
    for (let first = 0; first < size; first += 5_000) {
      await benchDoor(doors.origin, "seed-feed", { caller: feedClient.identity, total: Math.min(5_000, size - first), firstIndex: first });
    }
    results.seeding[`feed-${size}`] = { seconds: round((performance.now() - seedStarted) / 1000) };
    feeds.push({ size, client: feedClient, feed: [], recent: [] });
  }

  for (let pass = 1; pass <= growth.rounds; pass++) {
    note(
      `growth: round ${pass} of ${growth.rounds}: PUT and GET at ${growth.itemCounts.join(", ")} items; feed and recent pages at ${growth.activityCounts.join(", ")} activities`,
    );
    for (const point of items) {
      point.put.push(await load(doors, { ...short, method: "PUT", paths: point.paths, body: ITEM_BODY, headers: client.headers }));
      point.get.push(await load(doors, { ...short, method: "GET", paths: point.paths, headers: client.headers }));
    }
    for (const point of feeds) {
      point.feed.push(
        await load(doors, { ...short, method: "GET", paths: ["/v1.0/me/activities?$top=10"], headers: point.client.headers }),
      );
      point.recent.push(
        await load(doors, { ...short, method: "GET", paths: ["/v1.0/me/activities/recent?$top=10"], headers: point.client.headers }),
      );
    }
  }

  const series = (label: string, unit: string, points: { size: number; runs: LoadResult[] }[]) => {
    const chosen = points.map((point) => ({ size: point.size, result: best(point.runs), rounds: point.runs.map((run) => run.p50) }));
    const first = chosen[0]!.result;
    const last = chosen.at(-1)!.result;
    results.growth.push({
      label,
      unit,
      points: chosen,
      ratioP50: last.p50 / first.p50,
      ratioP99: last.p99 / first.p99,
      ratioRps: last.rps / first.rps,
    });
  };
  series(
    "PUT history item (replace)",
    "items in the activity",
    items.map((point) => ({ size: point.size, runs: point.put })),
  );
  series(
    "GET history item",
    "items in the activity",
    items.map((point) => ({ size: point.size, runs: point.get })),
  );
  series(
    "GET feed page ($top=10)",
    "activities in the feed",
    feeds.map((point) => ({ size: point.size, runs: point.feed })),
  );
  series(
    "GET recent page ($top=10)",
    "activities in the feed",
    feeds.map((point) => ({ size: point.size, runs: point.recent })),
  );
}

/**
 * The expiry sweep: one activity holds live items and `expiringItems` items that all expire at
 * one instant T. Writes to the live items run from before T until after the sweep; the alarm
 * runs are timed by the bench doors' ActivityObject. p99 of the writes in flight during the sweep
 * is compared with p99 of those that ended before T, in the same run.
 */
async function runExpiry(): Promise<void> {
  const { expiringItems, liveItems } = SETTINGS.expiry;
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
  const preWindowSeconds = QUICK ? 3 : 5;
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

  const runSeconds = Math.max(4, (expiresAt - seededAt) / 1000 + (QUICK ? 4 : 8));
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

/** Met or missed, with the figure, for every target of the issue. */
function verdicts(): TargetResult[] {
  const out: TargetResult[] = [];
  for (const row of results.workloads.filter((workload) => workload.server === "service")) {
    const denominator = denominatorOf(row);
    const versus = row.kind === "write" ? "(baseline + feed push)" : "bare GET";
    out.push({
      target: `${row.label}: throughput ≥ ${row.kind === "write" ? TARGETS.writeThroughput : TARGETS.readThroughput}× ${versus}`,
      figure: `${row.vsDenominator!.rps.toFixed(2)}× (${fmt(row.result.rps)} vs ${fmt(denominator.rps)} req/s)`,
      met: row.vsDenominator!.rps >= (row.kind === "write" ? TARGETS.writeThroughput : TARGETS.readThroughput),
      kind: row.kind,
    });
    if (row.kind === "read") continue;
    out.push({
      target: `${row.label}: p99 ≤ ${TARGETS.writeP99}× ${versus}'s`,
      figure: `${row.vsDenominator!.p99.toFixed(2)}× (${fmt(row.result.p99)} vs ${fmt(denominator.p99)} ms)`,
      met: row.vsDenominator!.p99 <= TARGETS.writeP99,
      kind: "write",
    });
  }
  for (const series of results.growth) {
    const first = series.points[0]!;
    const last = series.points.at(-1)!;
    // A size at which no request completed within the run has no p50: that is a miss, not a ratio of 0.
    const answered = last.result.ok > 0 && first.result.ok > 0;
    out.push({
      target: `${series.label}: p50 at ${last.size.toLocaleString("en")} ÷ at ${first.size.toLocaleString("en")} ${series.unit} ≤ ${TARGETS.growth}`,
      figure: answered
        ? `${series.ratioP50.toFixed(2)} (${fmt(last.result.p50)} vs ${fmt(first.result.p50)} ms; p99 ratio ${series.ratioP99.toFixed(2)})`
        : `no request answered within the ${SETTINGS.growth.durationSeconds} s run at ${(last.result.ok > 0 ? first : last).size.toLocaleString("en")} ${series.unit}`,
      met: answered && series.ratioP50 <= TARGETS.growth,
      kind: "growth",
    });
  }
  if (results.expiry) {
    const expiry = results.expiry;
    out.push({
      target: `writes during the expiry sweep: p99 ≤ ${TARGETS.expiryP99}× p99 without one`,
      figure: `${expiry.p99Ratio.toFixed(2)}× (${fmt(expiry.writesDuring.p99)} ms over ${expiry.writesDuring.count} writes vs ${fmt(expiry.writesBefore.p99)} ms over ${expiry.writesBefore.count})`,
      met: expiry.completed && expiry.p99Ratio <= TARGETS.expiryP99,
      kind: "expiry",
    });
  }
  if (results.bundle) {
    out.push({
      target: `bundle ≤ ${TARGETS.bundleGzipBytes / 1024} KiB gzip`,
      figure: `${(results.bundle.gzipBytes / 1024).toFixed(1)} KiB`,
      met: results.bundle.gzipBytes <= TARGETS.bundleGzipBytes,
      kind: "bundle",
    });
  }
  return out;
}

/** The reference run a service row is judged against. */
function denominatorOf(row: WorkloadRow): LoadResult {
  return results.workloads.find((other) => other.server !== "service" && other.key === row.denominator)!.result;
}

/**
 * Where the time goes, when a write, growth or expiry target is missed (or with --profile): a CPU
 * profile of the service's isolate and of the baseline's under the same load.
 */
async function runProfiles(): Promise<void> {
  const missed = new Set(results.verdicts.filter((verdict) => !verdict.met).map((verdict) => verdict.kind));
  if (
    !flags.profile &&
    !only.has("profile") &&
    !missed.has("write") &&
    !missed.has("read") &&
    !missed.has("growth") &&
    !missed.has("expiry")
  )
    return;

  // Fresh Workers with an inspector for each profile: a DevTools session that attaches after many
  // requests is handed every console line the isolate buffered, and wrangler opens a file for each
  // (EMFILE after ~20,000).
  const client = await clientFor(newIdentity());
  const ids = Array.from({ length: 64 }, () => crypto.randomUUID());
  // The baseline's writes push to its feed object: the write targets' denominator.
  const feedPush = { "x-bench-feed": "1" };
  const profiled: {
    target: "service" | "baseline";
    workload: string;
    method: "PUT" | "POST" | "GET";
    paths: (itemPaths: string[]) => string[];
    headers?: Record<string, string>;
  }[] = [
    { target: "service", workload: "PUT history item (replace)", method: "PUT", paths: (itemPaths) => itemPaths },
    { target: "baseline", workload: BASELINE_WRITE_PROFILE, method: "PUT", paths: (itemPaths) => itemPaths, headers: feedPush },
    { target: "service", workload: "POST history item", method: "POST", paths: (itemPaths) => [collectionOf(itemPaths[0]!)] },
    {
      target: "baseline",
      workload: "POST history item, with its feed push",
      method: "POST",
      paths: (itemPaths) => [collectionOf(itemPaths[0]!)],
      headers: feedPush,
    },
    { target: "service", workload: "GET history item", method: "GET", paths: (itemPaths) => itemPaths },
    { target: "baseline", workload: "GET history item", method: "GET", paths: (itemPaths) => itemPaths },
    { target: "service", workload: "GET feed page ($top=10)", method: "GET", paths: () => ["/v1.0/me/activities?$top=10"] },
  ];
  let itemPaths: string[] = [];
  for (const { target, workload, method, paths, headers } of profiled) {
    note(`profile: ${target}, ${workload}, ${SETTINGS.profileSeconds} s`);
    const worker = await startWorker(`${target} (profiled)`, target === "service" ? "wrangler.toml" : "bench/baseline/wrangler.toml", {
      inspector: true,
    });
    // The same items in either Worker (the baseline answers the service's URLs; the service is
    // profiled first); the service's feed holds 16 activities.
    if (target === "service") {
      const id = await putActivity(
        worker.origin,
        client,
        "/bench/profile",
        ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
      );
      itemPaths = ids.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`);
      for (let i = 1; i < 16; i++) await putActivity(worker.origin, client, `/bench/profile/${i}`);
    } else {
      for (const path of itemPaths)
        await (await fetch(`${worker.origin}${path}`, { method: "PUT", headers: client.headers, body: ITEM_BODY })).arrayBuffer();
    }
    const { profile, value } = await profileWhile(worker.inspector!, () => {
      note(`profile: ${target}: profiler started`);
      return load(worker, {
        method,
        paths: paths(itemPaths),
        ...(method === "GET" ? {} : { body: ITEM_BODY }),
        headers: { ...client.headers, ...headers },
        warmupSeconds: 2,
        durationSeconds: SETTINGS.profileSeconds,
      });
    });
    note(`profile: ${target}: profiler stopped (${profile.nodes.length} nodes)`);
    const summary: ProfileSummary = summarise(profile, ROOT.replace(/\/$/, ""), PROFILED);
    // Per request: busy isolate time over the requests answered while profiling (warm-up included).
    const requests = value.requests + Math.round(value.rps * 2);
    results.profiles.push({
      target,
      workload,
      requests,
      busyMsPerRequest: round((summary.sampledMs * (1 - summary.idleShare)) / (requests || 1)),
      summary,
    });
    results.workerWarnings[worker.name] = worker.logs.warnings;
    await worker.dispose();
  }
}

/** An item path's collection: where a POST of a new item goes. */
function collectionOf(itemPath: string): string {
  return itemPath.slice(0, itemPath.lastIndexOf("/"));
}

/** Storage operations per request of each kind, counted by the bench doors' instrumented objects. */
async function runCounts(): Promise<void> {
  note(`counts: storage operations per request (${SETTINGS.countRequests} requests each, bench doors)`);
  const countClient = await clientFor(newIdentity());
  const countIds = Array.from({ length: SETTINGS.countRequests }, () => crypto.randomUUID());
  const countActivity = await putActivity(
    doors.origin,
    countClient,
    "/bench/counts",
    countIds.map((itemId) => ({ id: itemId, ...historyItemBody() })),
  );
  const itemPath = (itemId: string) => `/v1.0/me/activities/${countActivity}/historyItems/${itemId}`;
  const cases: { label: string; request: (i: number) => [string, RequestInit] }[] = [
    { label: "PUT history item (create)", request: () => [itemPath(crypto.randomUUID()), { method: "PUT", body: ITEM_BODY }] },
    { label: "PUT history item (replace)", request: (i) => [itemPath(countIds[i]!), { method: "PUT", body: ITEM_BODY }] },
    {
      label: "POST history item",
      request: () => [`/v1.0/me/activities/${countActivity}/historyItems`, { method: "POST", body: ITEM_BODY }],
    },
    { label: "PATCH history item", request: (i) => [itemPath(countIds[i]!), { method: "PATCH", body: ITEM_PATCH_BODY }] },
    {
      label: "PUT activity (replace)",
      request: () => [`/v1.0/me/activities/${encodeURIComponent("/bench/counts")}`, { method: "PUT", body: activityBody() }],
    },
    { label: "GET history item", request: (i) => [itemPath(countIds[i]!), { method: "GET" }] },
    { label: "GET activity", request: () => [`/v1.0/me/activities/${countActivity}`, { method: "GET" }] },
    { label: "GET feed page", request: () => ["/v1.0/me/activities?$top=10", { method: "GET" }] },
  ];
  const perRequest: Record<string, Record<string, number>> = {};
  await benchDoor(doors.origin, "counts", {});
  for (const { label, request } of cases) {
    for (let i = 0; i < SETTINGS.countRequests; i++) {
      const [path, init] = request(i);
      const response = await fetch(`${doors.origin}${path}`, { ...init, headers: countClient.headers });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`counts: ${label}: ${response.status}`);
    }
    const counts = await benchDoor<Record<string, number>>(doors.origin, "counts", {});
    perRequest[label] = Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, round(value / SETTINGS.countRequests)]));
  }
  results.counts = perRequest;

  // The baseline's billed rows for the same writes and read, for the cost comparison.
  const baselineRows = async (label: string, init: RequestInit) => {
    await (await fetch(`${baseline.origin}/__bench/rows`)).arrayBuffer();
    for (const itemId of countIds) {
      const response = await fetch(`${baseline.origin}${itemPath(itemId)}`, {
        ...init,
        headers: { ...countClient.headers, ...(init.headers as Record<string, string>) },
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`counts: baseline ${label}: ${response.status}`);
    }
    const rows = (await (await fetch(`${baseline.origin}/__bench/rows`)).json()) as { read: number; written: number };
    return { read: round(rows.read / countIds.length), written: round(rows.written / countIds.length) };
  };
  await baselineRows("PUT history item (create)", { method: "PUT", body: ITEM_BODY });
  results.baselineRows = {
    "PUT history item (replace), baseline + feed push": await baselineRows("PUT + feed push", {
      method: "PUT",
      body: ITEM_BODY,
      headers: { "x-bench-feed": "1" },
    }),
    "PUT history item (replace), bare baseline": await baselineRows("PUT", { method: "PUT", body: ITEM_BODY }),
    "GET history item, bare baseline": await baselineRows("GET", { method: "GET" }),
  };
}

/**
 * EXPLAIN QUERY PLAN of every statement the objects ran during the benchmark: first one request
 * of every route against the bench doors, so that each statement has been seen at least once.
 */
async function runQueryPlans(): Promise<void> {
  note("query plans: every route once, then EXPLAIN QUERY PLAN of every statement seen");
  const client = await clientFor(newIdentity());
  const ids = [crypto.randomUUID(), crypto.randomUUID()];
  const id = await putActivity(
    doors.origin,
    client,
    "/bench/plans",
    ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
  );
  const other = await putActivity(doors.origin, client, "/bench/plans-deleted");
  const item = `/v1.0/me/activities/${id}/historyItems`;
  const requests: [string, RequestInit][] = [
    [`${item}/${crypto.randomUUID()}`, { method: "PUT", body: ITEM_BODY }],
    [`${item}/${ids[0]}`, { method: "PUT", body: ITEM_BODY }],
    [item, { method: "POST", body: ITEM_BODY }],
    [`${item}/${ids[0]}`, { method: "GET" }],
    [`${item}?$top=1`, { method: "GET" }],
    [`/v1.0/me/activities/${id}?$expand=historyItems`, { method: "GET" }],
    ["/v1.0/me/activities?$top=1", { method: "GET" }],
    ["/v1.0/me/activities/recent?$top=1&$expand=historyItems", { method: "GET" }],
    [`${item}/${ids[1]}`, { method: "DELETE" }],
    [`/v1.0/me/activities/${other}`, { method: "DELETE" }],
  ];
  for (const [path, init] of requests) {
    const response = await fetch(`${doors.origin}${path}`, { ...init, headers: client.headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`query plans: ${init.method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    // Follow one nextLink, so the keyset continuation is planned too.
    const next = (JSON.parse(text || "{}") as { "@odata.nextLink"?: string })["@odata.nextLink"];
    if (next) await (await fetch(next.replace(/^https?:\/\/[^/]+/, doors.origin), { headers: client.headers })).arrayBuffer();
  }
  results.plans = await benchDoor<QueryPlan[]>(doors.origin, "query-plans", { caller: client.identity, id });
}

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
