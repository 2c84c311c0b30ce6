// What every phase of `npm run bench` shares: its settings (full or --quick), the targets of issue
// 23, the running Workers, the load function and the results being filled in.
import { historyItemBody } from "./api.ts";
import { loadInChild, type LoadResult, type LoadSpec } from "./load.ts";
import type { Results } from "./results.ts";
import type { RunningWorker } from "./workers.ts";

/** The bench's settings; `--quick` shortens every run and shrinks every size, for a smoke run. */
export function settingsFor(quick: boolean) {
  return {
    connections: 16,
    /**
     * Every ratio target's paired rounds (bench/paired.ts): pairs per series, and each run's
     * warm-up and measured seconds. A quick run has fewer pairs than the method asks for: its
     * verdicts show that the harness works, not where the code stands.
     */
    paired: { pairs: quick ? 4 : 8, warmupSeconds: 0.3, durationSeconds: quick ? 1 : 1.5 },
    /** The workloads' fixture: activities, history items in each, and the feed the delta pages are read from. */
    workloads: { activities: 16, itemsPerActivity: 32, deltaFeedActivities: quick ? 60 : 200, pageSize: 10, deltaChanges: 10 },
    growth: {
      pairs: quick ? 4 : 8,
      warmupSeconds: 0.3,
      durationSeconds: 1,
      itemCounts: quick ? [10, 5_000] : [10, 100_000],
      activityCounts: quick ? [10, 2_000] : [10, 10_000],
      changeCounts: quick ? [10, 2_000] : [10, 10_000],
    },
    expiry: { expiringItems: quick ? 2_000 : 10_000, liveItems: 64, preWindowSeconds: quick ? 3 : 5 },
    /** Live sockets (bench/continuity.ts, bench/live.ts). */
    continuity: { pushWrites: quick ? 100 : 300, pushSockets: [1, 100], idleSockets: 1_000, hibernationWaitSeconds: 20 },
    /** Change notifications (bench/subscriptions.ts). */
    subscriptions: { deliveryWrites: quick ? 50 : 200, fanOut: [1, 50], sockets: 100 },
    profileSeconds: quick ? 3 : 5,
    countRequests: 40,
    startupRuns: quick ? 1 : 5,
  };
}

export type Settings = ReturnType<typeof settingsFor>;

/** Issue 23's targets (and issue 22's figures that have one). */
export const TARGETS = {
  /** item writes and PUT activity: CPU per request ÷ (baseline + feed push), at most */
  writeCpu: 1.15,
  /** the same: throughput, at least */
  writeThroughput: 0.85,
  /** the same: p99, at most */
  writeP99: 1.3,
  /** rows written per item write, at most (the baseline + feed push writes 4) */
  rowsWritten: 5,
  /** $ per million item writes ÷ the baseline + feed push's, at most */
  costPerWrite: 1.25,
  /** GET history item and GET activity ÷ the bare GET: throughput, at least */
  readThroughput: 0.85,
  /** feed, recent and delta pages ÷ the bare page: throughput, at least */
  pageThroughput: 0.9,
  /** writes with 50 subscriptions and 100 sockets on the feed ÷ with none; with a subscriber that never answers ÷ without: throughput, at least */
  continuityThroughput: 0.95,
  /** p50 at the largest size ÷ at the smallest, at most */
  growth: 1.2,
  /** p99 of writes during the expiry sweep ÷ before it, at most */
  expiryP99: 2,
  bundleGzipBytes: 110 * 1024,
  /** `wrangler check startup`'s active CPU ms, at most (issue 23: 31–36 ms before continuity) */
  startupMs: 36,
} as const;

/** A load run on a Worker with the bench's defaults. */
export type Load = (
  worker: RunningWorker,
  spec: Omit<LoadSpec, "origin" | "connections" | "warmupSeconds" | "durationSeconds"> & Partial<LoadSpec>,
) => Promise<LoadResult>;

/** What a phase is given. */
export interface Bench {
  quick: boolean;
  settings: Settings;
  results: Results;
  service: RunningWorker;
  doors: RunningWorker;
  baseline: RunningWorker;
  load: Load;
  note: (message: string) => void;
}

/** A load run with the bench's defaults (connections, the paired runs' seconds). */
export function loadWith(settings: Settings): Load {
  return (worker, spec) =>
    loadInChild({
      origin: worker.origin,
      connections: settings.connections,
      warmupSeconds: settings.paired.warmupSeconds,
      durationSeconds: settings.paired.durationSeconds,
      ...spec,
    });
}

/** A history item's body, as every item write sends it. */
export const ITEM_BODY = JSON.stringify(historyItemBody());
/** A PATCH that moves an item's last activity (its computed activeDurationSeconds is computed again). */
export const ITEM_PATCH_BODY = JSON.stringify({ lastActiveDateTime: "2015-02-11T20:55:04.3457274+00:00" });

export function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
