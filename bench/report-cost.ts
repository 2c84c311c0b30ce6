// What a request costs on Cloudflare's price list, and how much each object can take before its one
// thread saturates: from this run's counted rows, its CPU per request (/proc) and its profiles.
import { fmt } from "./context.ts";
import { COUNTED } from "./counts.ts";
import type { PairedSeries } from "./paired.ts";
import type { ProfileResult, Results } from "./results.ts";

/** The baseline write the profile phase profiles: the write targets' reference, with its feed push. */
export const BASELINE_WRITE_PROFILE = "PUT history item (replace), with its feed push";
/** The service write the profile phase profiles with subscriptions and sockets on the feed. */
export const SUBSCRIBED_WRITE_PROFILE = "PUT history item (replace), 50 subscriptions and 100 sockets on the feed";

/** The source files whose code runs inside each object (an inclusive profile entry; see bench/profile.ts). */
export const ACTIVITY_OBJECT_CODE = [
  "src/objects/ActivityObject.ts",
  "src/objects/feed-outbox.ts",
  "src/objects/activity-",
  "src/objects/history-item-table.ts",
].join(" + ");
export const FEED_OBJECT_CODE = [
  "src/objects/FeedObject.ts",
  "src/objects/feed-stream.ts",
  "src/objects/feed-pages.ts",
  "src/objects/feed-live.ts",
  "src/objects/feed-notifications.ts",
  "src/objects/feed-subscriptions.ts",
  "src/objects/feed-registration.ts",
  "src/notifications/",
].join(" + ");

/**
 * Cloudflare's published prices on the Workers Paid plan, in USD, beyond the monthly inclusions:
 * https://developers.cloudflare.com/workers/platform/pricing/ (Workers: requests, CPU time) and
 * https://developers.cloudflare.com/durable-objects/platform/pricing/ (Durable Objects: requests,
 * each RPC method call one; duration at 128 MB; SQLite rows read and written, a setAlarm one row written).
 */
export const PRICES = {
  workerRequest: 0.3 / 1e6,
  workerCpuMs: 0.02 / 1e6,
  objectRequest: 0.15 / 1e6,
  objectGbSecond: 12.5 / 1e6,
  objectGb: 0.128,
  rowRead: 0.001 / 1e6,
  rowWritten: 1 / 1e6,
} as const;

/** Each item write, and the baseline + feed push row (baselineRows) it is priced against: the floor. */
export const COST_FLOORS: Record<string, string> = {
  "PUT history item (create)": "PUT history item (create), baseline + feed push",
  "PUT history item (replace)": COUNTED.floor,
  "POST history item": "POST history item, baseline + feed push",
  "PATCH history item": COUNTED.floor,
};

/** The writes series (bench/workloads.ts) whose CPU per request prices each item write. */
const WRITE_SERIES: Record<string, string> = {
  "PUT history item (create)": "put-item-create",
  "PUT history item (replace)": "put-item-replace",
  "POST history item": "post-item",
  "PATCH history item": "patch-item",
};

/** Rows read and written per request of each kind, all objects together; a storage.setAlarm or deleteAlarm is billed as one row written. */
export function rowsPerRequest(counts: Results["counts"]): Map<string, { read: number; written: number; objectCalls: number }> {
  const out = new Map<string, { read: number; written: number; objectCalls: number }>();
  for (const [kind, operations] of Object.entries(counts ?? {})) {
    let read = 0;
    let written = 0;
    for (const [operation, perRequest] of Object.entries(operations)) {
      if (operation.endsWith(" rows read")) read += perRequest;
      if (operation.endsWith(" rows written") || /storage\.(setAlarm|deleteAlarm)$/.test(operation)) written += perRequest;
    }
    // The Worker's call of the object it addresses, and each feed apply an activity object makes.
    out.set(kind, { read, written, objectCalls: 1 + (operations["FeedObject rpc: apply"] ?? 0) });
  }
  return out;
}

/** Dollars per million requests, by line, and in all. */
export interface Cost {
  items: Record<"Worker requests" | "CPU" | "object requests" | "object duration" | "rows read" | "rows written", number>;
  total: number;
}

/**
 * Dollars per million requests: Worker requests, workerd's CPU per request (the Worker and its
 * objects, priced as Worker CPU), object requests, duration (the same CPU time taken as the
 * objects' active time), and rows read and written as counted.
 */
export function cost(parts: { requests: number; cpuMs: number; objectCalls: number; rowsRead: number; rowsWritten: number }): Cost {
  const items: Cost["items"] = {
    "Worker requests": parts.requests * PRICES.workerRequest * 1e6,
    CPU: parts.cpuMs * PRICES.workerCpuMs * 1e6,
    "object requests": parts.objectCalls * PRICES.objectRequest * 1e6,
    "object duration": (parts.cpuMs / 1000) * PRICES.objectGb * PRICES.objectGbSecond * 1e6,
    "rows read": parts.rowsRead * PRICES.rowRead * 1e6,
    "rows written": parts.rowsWritten * PRICES.rowWritten * 1e6,
  };
  return { items, total: Object.values(items).reduce((sum, value) => sum + value, 0) };
}

/** An item write's cost and its floor's, from the counts and the writes phase's CPU (0 when it did not run). */
export function costPerMillion(results: Results, kind: string): { service: Cost; floor: Cost } | null {
  const rows = rowsPerRequest(results.counts).get(kind);
  const floorRows = results.baselineRows?.[COST_FLOORS[kind]!];
  if (!rows || !floorRows) return null;
  const series = results.writes.find((one) => one.key === WRITE_SERIES[kind]);
  return {
    service: cost({
      requests: 1,
      cpuMs: series?.medianA.cpuMs ?? 0,
      objectCalls: rows.objectCalls,
      rowsRead: rows.read,
      rowsWritten: rows.written,
    }),
    floor: cost({
      requests: 1,
      cpuMs: series?.medianB.cpuMs ?? 0,
      objectCalls: 2,
      rowsRead: floorRows.read,
      rowsWritten: floorRows.written,
    }),
  };
}

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** A profile's isolate ms per request inside an entry (inclusive share × busy ms), or undefined. */
function msIn(profile: ProfileResult | undefined, entry: string): number | undefined {
  const share = profile?.summary.inclusive[entry];
  return share === undefined || !profile ? undefined : share * profile.busyMsPerRequest;
}

/** Each object's CPU ms per request in the profiles, and the rate its one thread can take. */
function ceilings(results: Results): string[] {
  const profile = (workload: string) => results.profiles.find((p) => p.target === "service" && p.workload === workload);
  const rows: [string, string, number | undefined, string][] = [
    [
      "ActivityObject",
      "PUT history item",
      msIn(profile("PUT history item (replace)"), ACTIVITY_OBJECT_CODE),
      "Graph's per-user limit: 100 writes / 5 min = 0.33/s, across all of a user's activities; Cloudflare's soft limit: about 1,000 requests/s per object",
    ],
    [
      "FeedObject",
      "apply (one write's push)",
      msIn(profile("PUT history item (replace)"), FEED_OBJECT_CODE),
      "the same user's writes through one app, at most 0.33/s under Graph's limit",
    ],
    [
      "FeedObject",
      "apply, with 50 subscriptions and 100 sockets (their messages and deliveries included)",
      msIn(profile(SUBSCRIBED_WRITE_PROFILE), FEED_OBJECT_CODE),
      "the same",
    ],
    [
      "FeedObject",
      "list ($top=10)",
      msIn(profile("GET feed page ($top=10)"), FEED_OBJECT_CODE),
      "Graph's per-user read limit: 400 / 5 min = 1.33/s",
    ],
    [
      "FeedObject",
      "delta (a round's first page, maxpagesize 10)",
      msIn(profile("delta: a round's first page"), FEED_OBJECT_CODE),
      "the same",
    ],
  ];
  const measured = rows.filter(([, , ms]) => ms !== undefined);
  if (!measured.length) return [];
  return [
    "Per-object ceilings, from this run's profiles (isolate CPU time under `wrangler dev` on this loaded machine, so an upper bound for a deployed isolate). Each ActivityObject serializes the writes to one activity; each FeedObject those to one (tenant, user, app)'s feed, which every write of that user through that app reaches, and it also serves that feed's live sockets and subscriptions.",
    "",
    table(
      ["object", "work", "CPU ms per request (here)", "requests/s before its thread saturates", "against"],
      measured.map(([object, work, ms, against]) => [object, work, fmt(ms), fmt(1000 / ms!), against]),
    ),
    "",
  ];
}

/** The cost table: a write, the floor's write, a page, the bare page, a delta read and a delivered notification. */
function costTable(results: Results): string[] {
  const rows = rowsPerRequest(results.counts);
  const find = (list: PairedSeries[] | undefined, key: string) => list?.find((one) => one.key === key);
  const write = costPerMillion(results, "PUT history item (replace)");
  const page = find(results.reads, "list-feed");
  const delta = find(results.reads, "delta-changes");
  const pageRows = rows.get(COUNTED.feedPage);
  const deltaRows = rows.get(COUNTED.deltaRound);
  const bareRows = results.baselineRows?.["GET bare page"];
  const notified = rows.get(COUNTED.notified);
  const plain = rows.get("PUT history item (replace)");
  // A delivered notification's CPU: what 50 subscriptions add to a write, per subscription (the deliveries under load, POSTs shared by several changes).
  const fanned = find(results.subscriptions?.throughput, "subscriptions-50");
  const fanOut = (results.settings.subscriptions as { fanOut: number[] } | undefined)?.fanOut.at(-1) ?? 50;
  const notificationCpuMs =
    fanned?.medianA.cpuMs != null && fanned.medianB.cpuMs != null ? Math.max(0, fanned.medianA.cpuMs - fanned.medianB.cpuMs) / fanOut : 0;
  const columns: [string, ReturnType<typeof cost> | undefined][] = [
    ["service: PUT history item (replace)", write?.service],
    ["floor: baseline + feed push", write?.floor],
    [
      "service: feed page ($top=10)",
      pageRows &&
        cost({ requests: 1, cpuMs: page?.medianA.cpuMs ?? 0, objectCalls: 1, rowsRead: pageRows.read, rowsWritten: pageRows.written }),
    ],
    [
      "bare page",
      bareRows &&
        cost({ requests: 1, cpuMs: page?.medianB.cpuMs ?? 0, objectCalls: 1, rowsRead: bareRows.read, rowsWritten: bareRows.written }),
    ],
    [
      "service: delta, a deltaLink round",
      deltaRows &&
        cost({ requests: 1, cpuMs: delta?.medianA.cpuMs ?? 0, objectCalls: 1, rowsRead: deltaRows.read, rowsWritten: deltaRows.written }),
    ],
    [
      "a delivered notification (added to a write)",
      notified && plain
        ? cost({
            requests: 0,
            cpuMs: notificationCpuMs,
            objectCalls: 0,
            rowsRead: notified.read - plain.read,
            rowsWritten: notified.written - plain.written,
          })
        : undefined,
    ],
  ];
  if (columns.every(([, figures]) => !figures)) return [];
  const dollars = (value: number) => `$${value.toFixed(value < 0.1 ? 3 : 2)}`;
  return [
    `Dollars per million requests at Cloudflare's published Workers Paid prices beyond the included amounts ($${PRICES.workerRequest * 1e6} per million Worker requests, $${PRICES.workerCpuMs * 1e6} per million CPU ms, $${PRICES.objectRequest * 1e6} per million object requests, $${PRICES.objectGbSecond * 1e6} per million GB-s at 128 MB, $${PRICES.rowRead * 1e6} per million rows read, $${PRICES.rowWritten * 1e6} per million rows written; a setAlarm is a row written; the included monthly amounts and the $5 plan are left out): https://developers.cloudflare.com/workers/platform/pricing/, https://developers.cloudflare.com/durable-objects/platform/pricing/. Rows are counted (the storage operations table); CPU is workerd's runtime CPU per request, the paired runs' median (the Worker and its objects together, priced as Worker CPU, and taken again as the objects' active time for duration: an approximation, at $0.0016 per million requests per ms). A delivered notification is what one subscription adds to a write: its rows, what a write to a feed with one subscription, each delivered before the next write (a POST each), adds to the same write without (the change logged, the delivery recorded, the log cleared by the feed's alarm); its CPU, what 50 subscriptions add to a write under load, divided by 50 (there several changes share a POST). workerd's outbound requests are not billed. Successes write no log line.`,
    "",
    table(
      ["per million", ...columns.map(([label]) => label)],
      [
        ...(["Worker requests", "CPU", "object requests", "object duration", "rows read", "rows written"] as const).map((item) => [
          item,
          ...columns.map(([, figures]) => (figures ? dollars(figures.items[item]) : "–")),
        ]),
        ["**total**", ...columns.map(([, figures]) => (figures ? `**${dollars(figures.total)}**` : "–"))],
      ],
    ),
    "",
  ];
}

/** The report's last section: per-object ceilings and the cost table. */
export function onPaper(results: Results): string[] {
  const body = [...ceilings(results), ...costTable(results)];
  return body.length ? ["## On paper, toward internet scale", "", ...body] : [];
}
