// The benchmark's figures as Markdown tables (bench/RESULTS.md, also printed).
import type { BundleSize } from "./bundle.ts";
import type { ContinuityResult } from "./continuity.ts";
import type { LoadResult } from "./load.ts";
import type { ProfileSummary } from "./profile.ts";

/** The bench's phases, in the order they run (`--only` names some of them). */
export const PHASES = ["workloads", "growth", "expiry", "continuity", "bundle", "counts", "plans", "profile"] as const;

export interface WorkloadRow {
  key: string;
  label: string;
  server: "service" | "baseline" | "baseline + feed push" | "floor";
  kind: "write" | "read";
  /**
   * The key of the run this row is divided by: for the service, the baseline + feed push (writes)
   * or the bare GET (reads), which its targets judge; for the baseline + feed push, the bare write.
   */
  denominator: string | null;
  result: LoadResult;
  vsDenominator: { rps: number; p50: number; p99: number } | null;
  vsFloor: { rps: number; p50: number; p99: number } | null;
}

export interface GrowthSeries {
  label: string;
  unit: string;
  /** Each size's least disturbed round, and every round's p50. */
  points: { size: number; result: LoadResult; rounds: number[] }[];
  ratioP50: number;
  ratioP99: number;
  ratioRps: number;
}

export interface ExpiryResult {
  /** Seeding ended less than 2 s before T, so the window of writes before T is short or missing. */
  seedingOverran: boolean;
  expiringItems: number;
  liveItems: number;
  rowsBefore: number;
  rowsAfter: number;
  completed: boolean;
  expiresAt: number;
  preWindowSeconds: number;
  alarmRuns: number;
  alarmStartLagMs: number;
  sweepMs: number;
  hardDeleteMs: number;
  longestAlarmRunMs: number;
  writesBefore: { count: number; p50: number; p99: number };
  writesDuring: { count: number; p50: number; p99: number };
  p99Ratio: number;
  errors: number;
}

export interface TargetResult {
  target: string;
  figure: string;
  met: boolean;
  kind: "write" | "read" | "growth" | "expiry" | "bundle";
}

export interface QueryPlan {
  object: string;
  statement: string;
  plan: string[];
  /** Why its cost grows with a table that grows (a scan, or a sort of every matching row); null when it does not. */
  grows: string | null;
}

export interface ProfileResult {
  target: string;
  workload: string;
  requests: number;
  busyMsPerRequest: number;
  summary: ProfileSummary;
}

export interface Results {
  date: string;
  quick: boolean;
  /** The phases this run included (all of them unless --only named some). */
  phases: string[];
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    /** The 1-minute load average as each phase began. */
    loadAverageByPhase: Record<string, number>;
  };
  versions: Record<string, string>;
  settings: {
    connections: number;
    warmupSeconds: number;
    durationSeconds: number;
    workloadRounds: number;
    growth: { warmupSeconds: number; durationSeconds: number; rounds: number };
    [key: string]: unknown;
  };
  targets: Record<string, number>;
  seeding: Record<string, { seconds: number }>;
  workloads: WorkloadRow[];
  growth: GrowthSeries[];
  expiry: ExpiryResult | null;
  /** Delta pages beside the feed page, live push latency, idle-socket memory: figures, not targets. */
  continuity: ContinuityResult | null;
  bundle: BundleSize | null;
  profiles: ProfileResult[];
  /** Storage operations per request, by request kind. */
  counts: Record<string, Record<string, number>> | null;
  /** The baseline's billed rows per request (read, written), by request kind. */
  baselineRows: Record<string, { read: number; written: number }> | null;
  /** EXPLAIN QUERY PLAN of every statement seen, by object class. */
  plans: QueryPlan[] | null;
  verdicts: TargetResult[];
  /** Phases that failed, with their error. */
  failures: { phase: string; error: string }[];
  workerWarnings: Record<string, string[]>;
  durationSeconds: number;
}

/** The baseline write the profile phase profiles: the write targets' denominator, with its feed push. */
export const BASELINE_WRITE_PROFILE = "PUT history item (replace), with its feed push";

/** The source files whose code runs inside each object (an inclusive profile entry; see bench/profile.ts). */
export const ACTIVITY_OBJECT_CODE = "src/objects/ActivityObject.ts + src/objects/feed-outbox.ts + src/objects/activity-tables.ts";
export const FEED_OBJECT_CODE = "src/objects/FeedObject.ts";

/**
 * Cloudflare's published prices on the Workers Paid plan, in USD, beyond the monthly inclusions:
 * https://developers.cloudflare.com/workers/platform/pricing/ (Workers: requests, CPU time, Workers
 * Logs) and https://developers.cloudflare.com/durable-objects/platform/pricing/ (Durable Objects:
 * requests, each RPC method call one; duration at 128 MB; SQLite rows read and written, a setAlarm
 * one row written).
 */
export const PRICES = {
  workerRequest: 0.3 / 1e6,
  workerCpuMs: 0.02 / 1e6,
  logEvent: 0.6 / 1e6,
  objectRequest: 0.15 / 1e6,
  objectGbSecond: 12.5 / 1e6,
  objectGb: 0.128,
  rowRead: 0.001 / 1e6,
  rowWritten: 1 / 1e6,
} as const;

const num = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value)) return "–";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
};
const ratio = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/** SQL statements per request of each kind, in all and by object class ("12 (ActivityObject 11, FeedObject 1)"). */
function sqlStatementsPerRequest(counts: Results["counts"]): [string, string][] {
  if (!counts) return [];
  return Object.entries(counts).map(([kind, operations]) => {
    const byObject = new Map<string, number>();
    for (const [operation, perRequest] of Object.entries(operations)) {
      const [object, what] = operation.split(" ", 2);
      if (what === "sql:") byObject.set(object!, (byObject.get(object!) ?? 0) + perRequest);
    }
    const total = [...byObject.values()].reduce((sum, value) => sum + value, 0);
    return [kind, `${num(total)} (${[...byObject].map(([object, value]) => `${object} ${num(value)}`).join(", ")})`];
  });
}

/** Rows read and rows written per request of each kind, all objects together; a storage.setAlarm or deleteAlarm is billed as one row written. */
export function billedRowsPerRequest(counts: Results["counts"]): [string, number, number][] {
  if (!counts) return [];
  return Object.entries(counts).map(([kind, operations]) => {
    let read = 0;
    let written = 0;
    for (const [operation, perRequest] of Object.entries(operations)) {
      if (operation.endsWith(" rows read")) read += perRequest;
      if (operation.endsWith(" rows written") || /storage\.(setAlarm|deleteAlarm)$/.test(operation)) written += perRequest;
    }
    return [kind, read, written];
  });
}

/** A profile's isolate ms per request inside an entry (inclusive share × busy ms), or undefined. */
function msIn(profile: ProfileResult | undefined, entry: string): number | undefined {
  const share = profile?.summary.inclusive[entry];
  return share === undefined || !profile ? undefined : share * profile.busyMsPerRequest;
}

/**
 * Per-object ceilings and dollars per million requests, from this run's profiles and counts and
 * Cloudflare's published prices (PRICES).
 */
function onPaper(results: Results): string[] {
  const profile = (target: string, workload: string) => results.profiles.find((p) => p.target === target && p.workload === workload);
  const write = profile("service", "PUT history item (replace)");
  const read = profile("service", "GET feed page ($top=10)");
  const baseWrite = profile("baseline", BASELINE_WRITE_PROFILE);
  const baseRead = profile("baseline", "GET history item");
  const rows = new Map(billedRowsPerRequest(results.counts).map(([kind, r, w]) => [kind, { read: r, written: w }]));
  const writeRows = rows.get("PUT history item (replace)");
  const readRows = rows.get("GET feed page");
  if (!write || !read || !writeRows || !readRows) return [];
  const activityMs = msIn(write, ACTIVITY_OBJECT_CODE)!;
  const feedWriteMs = msIn(write, FEED_OBJECT_CODE)!;
  const feedReadMs = msIn(read, FEED_OBJECT_CODE)!;
  const out = ["## On paper, toward internet scale", ""];
  out.push(
    "From this run's profiles (isolate CPU time under `wrangler dev` on this loaded machine, so an upper bound for a deployed isolate) and counts. Each ActivityObject serializes the writes to one activity; each FeedObject those to one (tenant, user, app)'s feed, which every write of that user through that app reaches.",
    "",
    table(
      ["object", "work", "CPU ms per request (here)", "requests/s before its thread saturates", "against"],
      [
        [
          "ActivityObject",
          "PUT history item",
          num(activityMs),
          num(1000 / activityMs),
          "Graph's per-user limit: 100 writes / 5 min = 0.33/s, across all of a user's activities; Cloudflare's soft limit: about 1,000 requests/s per object",
        ],
        [
          "FeedObject",
          "apply (one write's push)",
          num(feedWriteMs),
          num(1000 / feedWriteMs),
          "the same user's writes through one app, at most 0.33/s under Graph's limit",
        ],
        ["FeedObject", "list ($top=10)", num(feedReadMs), num(1000 / feedReadMs), "Graph's per-user read limit: 400 / 5 min = 1.33/s"],
      ],
    ),
    "",
  );
  // Dollars per million requests: Worker requests and CPU, object requests (RPC calls), duration
  // (taken as the objects' CPU time: a lower bound, as an object awaiting its feed is billed too),
  // rows read and written as counted.
  const cost = (parts: { workerMs: number; objectCalls: number; objectMs: number; rowsRead: number; rowsWritten: number }) => {
    const items = {
      "Worker requests": PRICES.workerRequest,
      "Worker CPU": parts.workerMs * PRICES.workerCpuMs,
      "object requests": parts.objectCalls * PRICES.objectRequest,
      "object duration": (parts.objectMs / 1000) * PRICES.objectGb * PRICES.objectGbSecond,
      "rows read": parts.rowsRead * PRICES.rowRead,
      "rows written": parts.rowsWritten * PRICES.rowWritten,
    };
    const total = Object.values(items).reduce((sum, value) => sum + value, 0);
    return { items, total };
  };
  const dollars = (perRequest: number) => `$${(perRequest * 1e6).toFixed(2)}`;
  const serviceWrite = cost({
    workerMs: write.busyMsPerRequest - activityMs - feedWriteMs,
    objectCalls: 2,
    objectMs: activityMs + feedWriteMs,
    rowsRead: writeRows.read,
    rowsWritten: writeRows.written,
  });
  const serviceRead = cost({
    workerMs: read.busyMsPerRequest - feedReadMs,
    objectCalls: 1,
    objectMs: feedReadMs,
    rowsRead: readRows.read,
    rowsWritten: readRows.written,
  });
  const rowsOf = (kind: string) => results.baselineRows?.[kind] ?? { read: 0, written: 0 };
  // The baseline's objects: its upsert and its feed object's apply (each on its own object's stack).
  const baselineUpsertMs = (msIn(baseWrite, "upsert") ?? 0) + (msIn(baseWrite, "apply") ?? 0);
  const baselineWrite = baseWrite
    ? cost({
        workerMs: baseWrite.busyMsPerRequest - baselineUpsertMs,
        objectCalls: 2,
        objectMs: baselineUpsertMs,
        rowsRead: rowsOf("PUT history item (replace), baseline + feed push").read,
        rowsWritten: rowsOf("PUT history item (replace), baseline + feed push").written,
      })
    : undefined;
  const baselineRead = baseRead
    ? cost({
        workerMs: baseRead.busyMsPerRequest,
        objectCalls: 1,
        objectMs: 0,
        rowsRead: rowsOf("GET history item, bare baseline").read,
        rowsWritten: 0,
      })
    : undefined;
  const columns = [
    ["service: history-item write", serviceWrite],
    ["baseline + feed push: write", baselineWrite],
    ["service: feed page read", serviceRead],
    ["baseline: GET read", baselineRead],
  ] as const;
  out.push(
    `Dollars per million requests at Cloudflare's published Workers Paid prices beyond the included amounts (${PRICES.workerRequest * 1e6} per million Worker requests, ${PRICES.workerCpuMs * 1e6} per million CPU ms, ${PRICES.objectRequest * 1e6} per million object requests, ${PRICES.objectGbSecond * 1e6} per million GB-s at 128 MB, ${PRICES.rowRead * 1e6} per million rows read, ${PRICES.rowWritten * 1e6} per million rows written; a setAlarm is a row written; the included monthly amounts and the $5 plan are left out): https://developers.cloudflare.com/workers/platform/pricing/, https://developers.cloudflare.com/durable-objects/platform/pricing/. Worker CPU is the isolate time outside the objects, duration the objects' CPU time (a lower bound: an object waiting for its feed's answer is billed too, at $0.0016 per million writes for each ms it waits). Successes write no log line (Workers Logs: $0.60 per million events beyond 20 million a month). The baseline's read is the bare GET of one item; its write object time is the bare upsert's.`,
    "",
    table(
      ["per million", ...columns.map(([label]) => label)],
      [
        ...Object.keys(serviceWrite.items).map((item) => [
          item,
          ...columns.map(([, figures]) => (figures ? dollars(figures.items[item as keyof typeof figures.items]) : "–")),
        ]),
        ["**total**", ...columns.map(([, figures]) => (figures ? `**${dollars(figures.total)}**` : "–"))],
      ],
    ),
    "",
  );
  return out;
}

/** Delta pages beside the feed page, push latency and idle-socket memory (bench/continuity.ts): figures, no targets yet. */
function continuitySection(continuity: ContinuityResult, connections: number): string[] {
  const { pageSize, runs } = continuity;
  const out = ["## Continuity", ""];
  out.push(
    `Figures, not targets. One feed of ${continuity.feedActivities.toLocaleString("en")} activities (each PUT through the API) on the service, read ${pageSize} a page at ${connections} connections: its feed page, a delta round's first request, that round's pages through their \`@odata.nextLink\` (picked at random), and a deltaLink round that lists ${continuity.deltaChanges} changes (activities replaced after the first round), each delta request with \`Prefer: odata.maxpagesize=${pageSize}\`. They run in ${runs.rounds} alternating rounds of ${runs.durationSeconds} s (after a ${runs.warmupSeconds} s warm-up, 1 s in later rounds), each keeping its round with the most req/s; ratios are to the feed page of the same run.`,
    "",
    table(
      ["request", "req/s", "(each round)", "p50", "p99", "errors", "req/s ÷ feed page", "p50 ÷ feed page", "p99 ÷ feed page"],
      continuity.pages.map((row) => [
        row.label,
        num(row.result.rps),
        (row.result.roundsRps ?? []).map((rps) => num(rps)).join(", "),
        num(row.result.p50),
        num(row.result.p99),
        String(row.result.errors),
        ratio(row.vsFeedPage.rps),
        ratio(row.vsFeedPage.p50),
        ratio(row.vsFeedPage.p99),
      ]),
    ),
    "",
  );
  out.push(
    `Push latency: sockets open on a fresh feed of the service (Node's WebSocket, the token as a subprotocol), then sequential PUTs of one history item, each sent once every socket heard of the one before (the first ${continuity.push[0]?.warmupWrites ?? 0} untimed). Each socket's receipt of each message is timed, in ms, from the moment the writer had the write's whole response (its acknowledgement): negative when the message came first, as the feed sends it while it applies the write, before the write is answered. Also from the moment the write was sent, and, for each write, to the last socket that heard of it. Client and server share this machine's cores.`,
    "",
    table(
      [
        "sockets on the feed",
        "writes",
        "receipts (missed)",
        "ack → message p50 / p99 / max",
        "came before the ack",
        "ack → last socket p50 / p99",
        "send → message p50 / p99 / max",
        "write p50 / p99",
      ],
      continuity.push.map((run) => [
        String(run.sockets),
        String(run.writes),
        `${run.receipts.toLocaleString("en")} (${run.missed})`,
        `${num(run.fromAck.p50)} / ${num(run.fromAck.p99)} / ${num(run.fromAck.max)}`,
        pct(run.beforeAck / (run.receipts || 1)),
        `${num(run.lastSocketFromAck.p50)} / ${num(run.lastSocketFromAck.p99)}`,
        `${num(run.fromSend.p50)} / ${num(run.fromSend.p99)} / ${num(run.fromSend.max)}`,
        `${num(run.write.p50)} / ${num(run.write.p99)}`,
      ]),
    ),
    "",
  );
  const { memory } = continuity;
  const mib = (kib: number | null) => (kib === null ? "–" : `${(kib / 1024).toFixed(1)} MiB`);
  const kibOf = (kib: number | null) => (kib === null ? "–" : `${num(kib)} KiB`);
  const service = memory.runs.find((run) => run.worker === "service");
  const constructions = service?.feedConstructions;
  out.push(
    `Memory per idle socket: VmRSS from /proc of the workerd process that serves each Worker's origin (it runs the Worker, its objects and miniflare's entry worker; wrangler's other workerd, for its inspector, is not on the sockets' path), each Worker started fresh for this: the service (with bench doors, which count the feed object's constructions) and the bare baseline, whose object accepts each socket with hibernation and does nothing else (what workerd itself holds per socket). ${memory.warmSockets} sockets are opened first and kept, so first-use costs are not counted per socket; then ${memory.sockets.toLocaleString("en")} more on the same feed. The service's then sit idle for ${memory.waitedSeconds} s (under \`wrangler dev\` an idle object is evicted after about 10 s; a hibernatable socket stays open without it), and one write wakes the feed.${
      constructions
        ? ` The feed object ${constructions.afterWake > constructions.beforeWait ? "did hibernate" : "did **not** hibernate"}: FeedObject constructions ${constructions.beforeWait} before the wait, ${constructions.afterWake} after the write; ${service!.heardAfterWake!.toLocaleString("en")} of ${(memory.sockets + memory.warmSockets).toLocaleString("en")} sockets heard of that write.`
        : ""
    }`,
    "",
    table(
      [
        "Worker",
        "RSS before",
        `with ${memory.sockets.toLocaleString("en")} more open (opened in)`,
        "**per socket, open**",
        `after ${memory.waitedSeconds} s idle`,
        "**per socket, after the wait**",
        "after a write woke the feed",
      ],
      memory.runs.map((run) => [
        run.worker,
        mib(run.rssKiB.before),
        `${mib(run.rssKiB.open)} (${num(run.openSeconds)} s)`,
        `**${kibOf(run.perSocketKiB.open)}**`,
        mib(run.rssKiB.idle),
        run.perSocketKiB.idle === null ? "–" : `**${kibOf(run.perSocketKiB.idle)}**`,
        mib(run.rssKiB.awake),
      ]),
    ),
    "",
  );
  return out;
}

export function renderReport(results: Results): string {
  const out: string[] = [];
  const { machine, settings } = results;
  out.push("# Benchmark results", "");
  out.push(
    `Generated by \`npm run bench\`${results.quick ? " --quick (a smoke run: short runs and small sizes; not comparable)" : ""} on ${results.date}, in ${results.durationSeconds} s${
      results.phases.length < PHASES.length ? `, phases ${results.phases.join(", ")} only` : ""
    }.`,
    "",
  );
  out.push(
    `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}. Load average ${machine.loadAverageAtStart.join(" / ")} at the start, ${machine.loadAverageAtEnd.join(" / ")} at the end; 1-minute load as each phase began: ${Object.entries(
      machine.loadAverageByPhase,
    )
      .map(([name, load]) => `${name} ${load}`)
      .join(
        ", ",
      )}. The benchmark itself keeps both cores busy; a load well above that means other work was competing, which makes every figure noisy: compare ratios from the same run.`,
    `- ${Object.entries(results.versions)
      .map(([name, value]) => `${name} ${value}`)
      .join(", ")}.`,
    `- Load: autocannon, ${settings.connections} connections (closed loop), ${settings.warmupSeconds} s warm-up then ${settings.durationSeconds} s measured per workload, in ${settings.workloadRounds} rounds of ${Number(settings.durationSeconds) / Number(settings.workloadRounds)} s (1 s warm-up after the first), each server and workload keeping its best round; growth runs ${settings.growth.warmupSeconds} s + ${settings.growth.durationSeconds} s, ${settings.growth.rounds} rounds. Everything runs on this machine: the load generator, wrangler's dev proxy and workerd share its cores.`,
    "- Latencies are from each response of the measured run (sub-millisecond), in ms. req/s counts 2xx answers only; errors are connection errors and non-2xx answers.",
    "",
  );

  if (results.failures.length) {
    out.push("## Failed phases", "");
    for (const failure of results.failures) out.push(`- ${failure.phase}:`, "", "```", failure.error, "```", "");
  }

  out.push("## Targets", "");
  out.push(
    table(
      ["target", "figure", "verdict"],
      results.verdicts.map((verdict) => [verdict.target, verdict.figure, verdict.met ? "met" : "**missed**"]),
    ),
    "",
  );
  const statements = sqlStatementsPerRequest(results.counts);
  if (statements.length) {
    out.push(
      `SQL statements per request (counted through the bench doors, not a target): ${statements.map(([kind, perObject]) => `${kind} ${perObject}`).join("; ")}. The baseline + feed push runs 3 per write (2 in its activity object, 1 in its feed object).`,
      "",
    );
    const rows = billedRowsPerRequest(results.counts);
    out.push(
      `Rows read / rows written per request, as Cloudflare bills them (each statement's rowsRead and rowsWritten, and one row written per setAlarm or deleteAlarm): ${rows.map(([kind, read, written]) => `${kind} ${num(read)} / ${num(written)}`).join("; ")}${
        results.baselineRows
          ? `; beside the baseline's: ${Object.entries(results.baselineRows)
              .map(([kind, { read, written }]) => `${kind} ${num(read)} / ${num(written)}`)
              .join("; ")}`
          : ""
      }.`,
      "",
    );
  }
  const feedPush = results.workloads.find((row) => row.server === "baseline + feed push" && row.key === "feed put-item-replace");
  if (feedPush?.vsDenominator) {
    out.push(
      `Reference: the baseline + feed push runs at ${ratio(feedPush.vsDenominator.rps)} the bare baseline write's throughput (p99 ${ratio(feedPush.vsDenominator.p99)}): what one RPC to a feed object before answering costs.`,
      "",
    );
  }
  const barePage = results.workloads.find((row) => row.key === "bare list-feed");
  const pages = ["list-feed", "list-recent"].map((key) => results.workloads.find((row) => row.key === key));
  if (barePage?.vsDenominator && pages.every((row) => row !== undefined)) {
    const [feed, recent] = pages.map((row) => row!.result.rps / barePage.result.rps);
    out.push(
      `Reference: the bare page (the baseline's feed object reading the 10 newest of the service's own stored texts in one statement, joined, with an unsigned cursor) runs at ${ratio(barePage.vsDenominator.rps)} the bare GET's throughput; the service's feed page runs at ${ratio(feed!)} of the bare page's, its recent page at ${ratio(recent!)}.`,
      "",
    );
  }

  out.push("## Workloads", "");
  out.push(
    "The baseline (bench/baseline) does the same read-then-upsert of `history_item` in the same Durable Object binding, with no framework, validation, auth or feed index; it answers the same URLs with the same bodies. The baseline + feed push rows are the same baseline writes followed by one RPC to a second object that upserts one row, the least the spec's feed index needs before a write is acknowledged: they are the write targets' denominators (PATCH and PUT activity, which have no twin, are divided by PUT replace's). Reads are divided by the bare baseline's GET. The bare baseline write and the floor (bench/floor, a constant) are references.",
    "",
  );
  out.push(
    table(
      [
        "workload",
        "server",
        "req/s",
        "(each round)",
        "p50",
        "p99",
        "errors",
        "divided by",
        "req/s ÷",
        "p99 ÷",
        "req/s ÷ floor",
        "p50 ÷ floor",
      ],
      results.workloads.map((row) => [
        row.label,
        row.server,
        num(row.result.rps),
        (row.result.roundsRps ?? []).map((rps) => num(rps)).join(", "),
        num(row.result.p50),
        num(row.result.p99),
        String(row.result.errors),
        row.denominator ? (row.denominator.startsWith("feed ") ? "baseline + feed push" : "baseline (bare)") : "–",
        ratio(row.vsDenominator?.rps),
        ratio(row.vsDenominator?.p99),
        ratio(row.vsFloor?.rps),
        ratio(row.vsFloor?.p50),
      ]),
    ),
    "",
  );

  if (results.growth.length) {
    out.push("## Growth", "");
    out.push(
      "Each cell: p50 / p99 ms (req/s) of the least disturbed of the rounds (lowest p50; every round's p50 is in results.json). All growth runs go to the service with bench doors (the same app and objects, instrumented). Item growth: one activity holding that many history items, seeded through the object's own putActivity() deep insert (1,000 items per call); writes replace, and reads get, items picked at random among them. Feed growth: one user's feed index holding that many activities, seeded through FeedObject.apply().",
      "",
    );
    for (const series of results.growth) {
      out.push(
        table(
          [
            series.label,
            ...series.points.map((point) => `${point.size.toLocaleString("en")} ${series.unit}`),
            "largest ÷ smallest (p50)",
            "(p99)",
            "(req/s)",
          ],
          [
            [
              "best round",
              ...series.points.map((point) => `${num(point.result.p50)} / ${num(point.result.p99)} (${num(point.result.rps)})`),
              ratio(series.ratioP50),
              ratio(series.ratioP99),
              ratio(series.ratioRps),
            ],
            ["p50 of each round", ...series.points.map((point) => point.rounds.map((p50) => num(p50)).join(", ")), "", "", ""],
          ],
        ),
        "",
      );
    }
  }

  const expiry = results.expiry;
  if (expiry) {
    out.push("## Expiry", "");
    out.push(
      `One activity holds ${expiry.liveItems} live items and ${expiry.expiringItems.toLocaleString("en")} items that all expire at the same instant T. Writes (PUT replace of the live items, ${settings.connections} connections) run from ${expiry.preWindowSeconds} s before T until after the sweep; the alarm runs are timed inside the object.`,
      "",
    );
    out.push(
      table(
        ["measure", "value"],
        [
          ...(expiry.seedingOverran
            ? [["**warning**", "seeding ended less than 2 s before T: the window of writes before T is short"]]
            : []),
          [
            "rows before → after",
            `${expiry.rowsBefore.toLocaleString("en")} → ${expiry.rowsAfter.toLocaleString("en")}${expiry.completed ? "" : " (**sweep not finished**)"}`,
          ],
          ["hard-delete time (T → last expired row deleted)", `${num(expiry.hardDeleteMs)} ms`],
          ["alarm start lag after T", `${num(expiry.alarmStartLagMs)} ms`],
          [
            "sweep (first alarm start → last alarm end)",
            `${num(expiry.sweepMs)} ms in ${expiry.alarmRuns} alarm runs, the longest ${num(expiry.longestAlarmRunMs)} ms`,
          ],
          [
            "writes before T: p50 / p99",
            `${num(expiry.writesBefore.p50)} / ${num(expiry.writesBefore.p99)} ms (${expiry.writesBefore.count} writes)`,
          ],
          [
            "writes in flight during the sweep: p50 / p99",
            `${num(expiry.writesDuring.p50)} / ${num(expiry.writesDuring.p99)} ms (${expiry.writesDuring.count} writes)`,
          ],
          ["p99 during ÷ p99 before", ratio(expiry.p99Ratio)],
          ["errors", String(expiry.errors)],
        ],
      ),
      "",
    );
  }

  if (results.continuity) out.push(...continuitySection(results.continuity, settings.connections));

  const bundle = results.bundle;
  if (bundle) {
    out.push("## Bundle", "");
    out.push(
      `\`wrangler deploy --dry-run --outdir\`: ${kib(bundle.rawBytes)} raw, **${kib(bundle.gzipBytes)} gzip** (zlib default level; wrangler says: ${bundle.wranglerSays ?? "–"}).`,
      "",
      "Largest inputs (esbuild metafile: bytes in the output; gzip alone: that input's share of the output, cut out through the source map and compressed on its own, so the column adds up to a little more than the whole):",
      "",
    );
    out.push(
      table(
        ["input", "bytes", "share", "gzip alone"],
        bundle.largest.map((entry) => [entry.input, entry.bytes.toLocaleString("en"), pct(entry.share), kib(entry.gzipBytes)]),
      ),
      "",
      "Largest files:",
      "",
      table(
        ["file", "bytes"],
        bundle.largestFiles.map((entry) => [entry.input, entry.bytes.toLocaleString("en")]),
      ),
      "",
    );
  }

  if (results.plans) {
    const growing = results.plans.filter((plan) => plan.grows);
    out.push(
      "## Query plans",
      "",
      `EXPLAIN QUERY PLAN of every statement the objects ran (each route once, plus everything the benchmark did through the bench doors; schema statements left out), with the bindings of its first use. SEARCH is an index lookup (a range when the plan shows one); SCAN … USING INDEX under a LIMIT walks an index in order and stops early; USE TEMP B-TREE FOR ORDER BY means every matching row is read and sorted before the LIMIT applies. ${
        growing.length
          ? `**${growing.length} statement(s) cost more as history_item or feed_entry grows**: ${growing.map((plan) => `\`${plan.statement.slice(0, 70)}…\` (${plan.grows})`).join("; ")}.`
          : "No statement's cost grows with history_item or feed_entry."
      }`,
      "",
      table(
        ["object", "statement", "plan"],
        results.plans.map((plan) => [
          plan.object,
          `\`${plan.statement}\``,
          plan.plan.join("; ") + (plan.grows ? ` **(${plan.grows})**` : ""),
        ]),
      ),
      "",
    );
  }

  if (results.counts) {
    const kinds = Object.keys(results.counts);
    const operations = [...new Set(kinds.flatMap((kind) => Object.keys(results.counts![kind]!)))].sort();
    out.push(
      "## Storage operations per request",
      "",
      "Counted by the bench doors' instrumented objects over sequential requests. The baseline makes 2 statements per write (one SELECT, one INSERT OR REPLACE) and 1 per read, and no alarm call or second object.",
      "",
    );
    out.push(
      table(
        ["operation", ...kinds],
        [
          ...operations.map((operation) => [`\`${operation}\``, ...kinds.map((kind) => num(results.counts![kind]![operation] ?? 0))]),
          [
            "**SQL statements in all**",
            ...kinds.map((kind) =>
              num(
                Object.entries(results.counts![kind]!)
                  .filter(([operation]) => operation.includes(" sql: "))
                  .reduce((sum, [, value]) => sum + value, 0),
              ),
            ),
          ],
        ],
      ),
      "",
    );
  }

  if (results.profiles.length) {
    out.push("## Profile", "");
    out.push(
      "CPU profiles of each Worker's isolate (the Worker and its Durable Objects run in one isolate under `wrangler dev`), sampled every 250 µs through the DevTools protocol while the same load runs against it. Self time is grouped by where the code lives (through the bundle's source map); `runtime (native, workerd)` is time in workerd's C++ (SQLite, RPC, I/O) and in built-ins. The samples are wall-clock: with other work on the machine, a descheduled thread still counts, so compare shares and the service/baseline ratio rather than absolute ms.",
      "",
    );
    for (const profile of results.profiles) {
      const summary = profile.summary;
      out.push(
        `### ${profile.target}: ${profile.workload}`,
        "",
        `${profile.requests} requests in ${num(summary.sampledMs / 1000)} s sampled; isolate idle ${pct(summary.idleShare)}; **${num(profile.busyMsPerRequest)} ms of isolate time per request**.`,
        "",
      );
      out.push(
        table(
          ["area", "self ms", "share of busy time"],
          summary.areas.slice(0, 14).map((area) => [area.area, num(area.selfMs), pct(area.selfShare)]),
        ),
        "",
      );
      out.push(
        table(
          ["function (source)", "area", "self ms", "share"],
          summary.top.slice(0, 18).map((frame) => [`\`${frame.frame}\``, frame.area, num(frame.selfMs), pct(frame.selfShare)]),
        ),
        "",
      );
      const inclusive = Object.entries(summary.inclusive).filter(([, share]) => share > 0);
      if (inclusive.length) {
        out.push(
          "Each function or source (any code of a file or directory): inclusive, anywhere on the stack (a middleware's figure then includes what it awaits synchronously), and innermost, each busy sample counted once, for the innermost of these on its stack; as a share of busy time and as ms per request.",
          "",
          table(
            ["function or source", "inclusive", "ms per request", "innermost", "ms per request"],
            inclusive
              .sort((a, b) => (summary.innermost?.[b[0]] ?? 0) - (summary.innermost?.[a[0]] ?? 0))
              .map(([entry, share]) => {
                const own = summary.innermost?.[entry] ?? 0;
                return [`\`${entry}\``, pct(share), num(share * profile.busyMsPerRequest), pct(own), num(own * profile.busyMsPerRequest)];
              }),
          ),
          "",
        );
      }
    }
  }

  const paper = onPaper(results);
  if (paper.length) out.push(...paper);

  if (Object.keys(results.seeding).length) {
    out.push(
      "## Seeding",
      "",
      table(
        ["what", "seconds"],
        Object.entries(results.seeding).map(([what, figures]) => [what, num(figures.seconds)]),
      ),
      "",
    );
  }
  const warnings = Object.entries(results.workerWarnings).filter(([, lines]) => lines.length);
  if (warnings.length) {
    out.push("## Warnings the Workers logged", "");
    for (const [name, lines] of warnings) out.push(`- ${name}: ${lines.length} (first: \`${lines[0]!.replace(/`/g, "'").slice(0, 300)}\`)`);
    out.push("");
  }
  return out.join("\n");
}
