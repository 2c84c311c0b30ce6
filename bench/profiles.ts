// The profile phase: CPU profiles of fresh Workers under load (bench/profile.ts), the service and the
// baseline under the same PUT, POST and GET loads (the baseline's writes with their feed push, as in
// the write targets' reference), the service's feed and delta pages, and its writes to a feed with
// 50 subscriptions and 100 sockets, mapped back to source files. It runs
// when a write, read, growth or expiry target is missed, or when asked for (--profile, --only profile).
import { clientFor, historyItemBody, putActivity, subscribe } from "./api.ts";
import { type Bench, ITEM_BODY, round } from "./context.ts";
import { profileWhile, summarise, type ProfileSummary } from "./profile.ts";
import { closeSockets, openSockets, tokenOf } from "./live.ts";
import { ACTIVITY_OBJECT_CODE, BASELINE_WRITE_PROFILE, FEED_OBJECT_CODE, SUBSCRIBED_WRITE_PROFILE } from "./report-cost.ts";
import { sharedReceiver } from "./subscriptions.ts";
import { newIdentity } from "./tokens.ts";
import { ROOT, startWorker } from "./workers.ts";

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
  "src/graph/dates.ts",
  "node_modules/@hono/zod-validator/",
  "node_modules/hono/dist/validator/",
  "node_modules/zod/",
  "src/graph/call-object.ts",
  "src/routes/",
  "src/schemas/",
  "src/objects/ActivityObject.ts",
  "src/objects/feed-outbox.ts",
  "src/objects/FeedObject.ts",
  "src/objects/feed-notifications.ts",
  "src/objects/feed-live.ts",
  // Each object's own work per request (CPU inside it), for the per-object ceilings.
  ACTIVITY_OBJECT_CODE,
  FEED_OBJECT_CODE,
];

/** Whether a target the profiles explain was missed. */
export function profilesWanted(bench: Bench): boolean {
  const missed = new Set<string>(bench.results.verdicts.filter((verdict) => !verdict.met).map((verdict) => verdict.kind));
  return ["write", "read", "continuity", "growth", "expiry"].some((kind) => missed.has(kind));
}

/** CPU profiles of fresh Workers, each under one load. */
export async function runProfiles(bench: Bench): Promise<void> {
  const { settings, results, load, note } = bench;
  // Fresh Workers with an inspector for each profile: a DevTools session that attaches after many
  // requests is handed every console line the isolate buffered, and wrangler opens a file for each
  // (EMFILE after ~20,000).
  const client = await clientFor(newIdentity());
  const ids = Array.from({ length: 64 }, () => crypto.randomUUID());
  // The baseline's writes push to its feed object: the write targets' denominator.
  const feedPush = { "x-bench-feed": "1" };
  const deltaHeaders = { prefer: "odata.maxpagesize=10" };
  const profiled: {
    target: "service" | "baseline";
    workload: string;
    method: "PUT" | "POST" | "GET";
    paths: (itemPaths: string[]) => string[];
    headers?: Record<string, string>;
    /** Sets the feed up before the load (subscriptions, sockets); returns what undoes it. */
    prepare?: (origin: string) => Promise<() => Promise<void>>;
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
    {
      target: "service",
      workload: "delta: a round's first page",
      method: "GET",
      paths: () => ["/v1.0/me/activities/delta"],
      headers: deltaHeaders,
    },
    {
      target: "service",
      workload: SUBSCRIBED_WRITE_PROFILE,
      method: "PUT",
      paths: (itemPaths) => itemPaths,
      prepare: async (origin) => {
        const hooks = await sharedReceiver();
        const many = settings.subscriptions.fanOut.at(-1)!;
        for (let n = 0; n < many; n++) await subscribe(origin, client, `${hooks.origin}/profile/${n}`, `bench-profile-${n}`);
        const sockets = await openSockets(origin, tokenOf(client.headers), settings.subscriptions.sockets);
        return async () => {
          await hooks.quiet(250, 10_000);
          await closeSockets(sockets);
        };
      },
    },
  ];
  let itemPaths: string[] = [];
  for (const { target, workload, method, paths, headers, prepare } of profiled) {
    note(`profile: ${target}, ${workload}, ${settings.profileSeconds} s`);
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
    const undo = await prepare?.(worker.origin);
    const { profile, value } = await profileWhile(worker.inspector!, () => {
      note(`profile: ${target}: profiler started`);
      return load(worker, {
        method,
        paths: paths(itemPaths),
        ...(method === "GET" ? {} : { body: ITEM_BODY }),
        headers: { ...client.headers, ...headers },
        warmupSeconds: 2,
        durationSeconds: settings.profileSeconds,
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
    await undo?.();
    results.workerWarnings[worker.name] = worker.logs.warnings;
    await worker.dispose();
  }
}

/** An item path's collection: where a POST of a new item goes. */
function collectionOf(itemPath: string): string {
  return itemPath.slice(0, itemPath.lastIndexOf("/"));
}
