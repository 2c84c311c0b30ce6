// What `npm run bench` measures, as bench/results.json holds it (bench/RESULTS.md renders it).
import type { BundleSize } from "./bundle.ts";
import type { ContinuityResult } from "./continuity.ts";
import type { PairedSeries } from "./paired.ts";
import type { ProfileSummary } from "./profile.ts";
import type { StartupCpu } from "./startup.ts";
import type { SubscriptionsResult } from "./subscriptions.ts";

/** The bench's phases, in the order they run (`--only` names some of them; `workloads` names writes and reads). */
export const PHASES = [
  "writes",
  "reads",
  "growth",
  "expiry",
  "continuity",
  "subscriptions",
  "bundle",
  "startup",
  "counts",
  "plans",
  "profile",
] as const;
export type Phase = (typeof PHASES)[number];

/** A growth series: the request at the largest size (A) against the same request at the smallest (B), in paired rounds. */
export interface GrowthSeries extends PairedSeries {
  unit: string;
  sizes: [number, number];
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

export type TargetKind = "write" | "read" | "rows" | "cost" | "continuity" | "growth" | "expiry" | "bundle" | "startup";

/** One target's verdict, as the report's table shows it. */
export interface TargetResult {
  kind: TargetKind;
  /** What is judged, e.g. "PUT history item (create): CPU per request ÷ (baseline + feed push)". */
  target: string;
  /** The goal, e.g. "≤ 1.15×". */
  goal: string;
  /** The figure judged: a paired median, or a deterministic count. */
  figure: string;
  /** The interquartile range of the per-pair ratios (paired figures only). */
  iqr: string | null;
  /** The A/A row's interquartile range for the same metric on this run: the noise band (paired figures only). */
  band: string | null;
  /** What the figure is made of (the sides' own medians, counts). */
  detail: string;
  met: boolean;
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

/** One run's own circumstances: when, how long, which phases, on what machine under what load. */
export interface RunInfo {
  date: string;
  quick: boolean;
  /** The phases this run included (all of them unless --only named some). */
  phases: string[];
  machine: {
    cpu: string;
    cores: number;
    memoryGiB: number;
    os: string;
    /** `getconf CLK_TCK`: the unit of /proc/<pid>/stat's utime and stime, from which CPU per request is read. */
    clockTicksPerSecond: number;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    /** The 1-minute load average as each phase began. */
    loadAverageByPhase: Record<string, number>;
  };
  versions: Record<string, string>;
  /** Seconds each phase took. */
  phaseSeconds: Record<string, number>;
  durationSeconds: number;
}

export interface Results extends RunInfo {
  /** The earlier runs whose figures an --only run kept (bench/merge.ts), newest first, each with only the phases still its own; empty otherwise. */
  kept: RunInfo[];
  settings: Record<string, unknown>;
  targets: Record<string, number>;
  seeding: Record<string, { seconds: number }>;
  /** Item writes against the baseline + feed push, and its A/A row. */
  writes: PairedSeries[];
  /** Reads against the bare GET, pages against the bare page, and their A/A rows. */
  reads: PairedSeries[];
  growth: GrowthSeries[];
  expiry: ExpiryResult | null;
  /** Live sockets: push latency and idle-socket memory. */
  continuity: ContinuityResult | null;
  /** Change notifications: delivery latency, and writes with subscriptions, sockets or a dead subscriber against writes with none. */
  subscriptions: SubscriptionsResult | null;
  bundle: BundleSize | null;
  startup: StartupCpu | null;
  profiles: ProfileResult[];
  /** Storage operations per request, by request kind (the service, through the bench doors). */
  counts: Record<string, Record<string, number>> | null;
  /** The baseline's billed rows per request (read, written), by request kind. */
  baselineRows: Record<string, { read: number; written: number }> | null;
  /** EXPLAIN QUERY PLAN of every statement seen, by object class. */
  plans: QueryPlan[] | null;
  verdicts: TargetResult[];
  /** Phases that failed, with their error. */
  failures: { phase: string; error: string }[];
  workerWarnings: Record<string, string[]>;
}
