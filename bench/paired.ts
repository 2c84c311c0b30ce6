// Paired rounds (issue 23's method): a series pits a workload (A) against its reference (B), run
// back to back in alternating order, A B, then B A, and so on, for a number of pairs; each pair
// gives a ratio (A ÷ B) of throughput, p50, p99 and CPU per request, and a series' figure is the
// median of its pairs' ratios, with their interquartile range. A burst of other work on the machine
// then moves one pair, not the figure, and both runs of a pair share whatever slow drift there is.
// An A/A series runs the reference against itself on the same schedule: its spread is the noise
// band of that run. The series run interleaved, pair 1 of every series, then pair 2 of every
// series, …, so a long burst touches every series a little rather than one series a lot.
import type { LoadResult, LoadSpec } from "./load.ts";
import type { RunningWorker } from "./workers.ts";

/** One side of a series: a load on a Worker. */
export interface Side {
  /** What it is, e.g. "service", "baseline + feed push". */
  name: string;
  worker: RunningWorker;
  spec: Omit<LoadSpec, "origin" | "connections" | "warmupSeconds" | "durationSeconds" | "processes">;
}

export interface SeriesSpec {
  key: string;
  label: string;
  a: Side;
  b: Side;
  /** Runs after every run of this series, before the next one starts (e.g. waiting for deliveries to drain). */
  settle?: () => Promise<void>;
}

/** One run, as kept for a pair: the figures its ratios are taken of. */
export interface RunFigures {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** workerd runtime CPU ms per request (the Worker and its objects). */
  cpuMs: number | null;
  /** wrangler dev proxy CPU ms per request. */
  proxyCpuMs: number | null;
}

export interface Pair {
  /** Which side ran first. */
  order: "AB" | "BA";
  a: RunFigures;
  b: RunFigures;
}

/** A median with its interquartile range. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
}

export type Metric = "rps" | "p50" | "p99" | "cpu" | "cpuWithProxy";

export interface PairedSeries {
  key: string;
  label: string;
  a: string;
  b: string;
  pairs: Pair[];
  /** Each metric's per-pair ratios (A ÷ B): median and IQR. */
  ratio: Record<Metric, Spread>;
  /** Each side's own figures: the median over its runs. */
  medianA: RunFigures;
  medianB: RunFigures;
}

/** How many pairs a series runs, and each run's warm-up and measured seconds. */
export interface PairedSchedule {
  pairs: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export type LoadRun = (worker: RunningWorker, spec: Side["spec"] & Partial<LoadSpec>) => Promise<LoadResult>;

/** The median and quartiles of some values (linear interpolation between the closest ranks). */
export function spreadOf(values: number[]): Spread {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  const at = (q: number) => {
    if (sorted.length === 0) return NaN;
    const position = q * (sorted.length - 1);
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
  };
  return { median: round(at(0.5)), q1: round(at(0.25)), q3: round(at(0.75)) };
}

function figures(result: LoadResult): RunFigures {
  return {
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    requests: result.requests,
    errors: result.errors,
    cpuMs: result.cpu?.runtimeMs ?? null,
    proxyCpuMs: result.cpu?.proxyMs ?? null,
  };
}

/** The ratio A ÷ B of one metric in one pair. */
export function pairRatio(pair: Pair, metric: Metric): number {
  const { a, b } = pair;
  switch (metric) {
    case "cpu":
      return a.cpuMs !== null && b.cpuMs !== null ? a.cpuMs / b.cpuMs : NaN;
    case "cpuWithProxy":
      return a.cpuMs !== null && b.cpuMs !== null ? (a.cpuMs + (a.proxyCpuMs ?? 0)) / (b.cpuMs + (b.proxyCpuMs ?? 0)) : NaN;
    default:
      return a[metric] / b[metric];
  }
}

const METRICS: Metric[] = ["rps", "p50", "p99", "cpu", "cpuWithProxy"];

/** A series' summary from its pairs. */
export function summarisePairs(spec: { key: string; label: string; a: string; b: string }, pairs: Pair[]): PairedSeries {
  const ratio = Object.fromEntries(METRICS.map((metric) => [metric, spreadOf(pairs.map((pair) => pairRatio(pair, metric)))])) as Record<
    Metric,
    Spread
  >;
  const medianOf = (side: "a" | "b"): RunFigures => {
    const runs = pairs.map((pair) => pair[side]);
    const median = (pick: (run: RunFigures) => number | null) => {
      const values = runs.map(pick).filter((value): value is number => value !== null);
      return values.length ? spreadOf(values).median : null;
    };
    return {
      rps: median((run) => run.rps)!,
      p50: median((run) => run.p50)!,
      p99: median((run) => run.p99)!,
      requests: median((run) => run.requests)!,
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      cpuMs: median((run) => run.cpuMs),
      proxyCpuMs: median((run) => run.proxyCpuMs),
    };
  };
  return { ...spec, pairs, ratio, medianA: medianOf("a"), medianB: medianOf("b") };
}

/**
 * Runs the series in paired rounds, interleaved: for each pair index, every series' pair, A first
 * on even indexes and B first on odd ones. Each run is charged its Worker's CPU time.
 */
export async function runPaired(
  series: SeriesSpec[],
  schedule: PairedSchedule,
  load: LoadRun,
  note: (message: string) => void,
): Promise<PairedSeries[]> {
  const pairs = new Map<string, Pair[]>(series.map((one) => [one.key, []]));
  const runSide = async (one: SeriesSpec, side: Side) => {
    const result = await load(side.worker, {
      ...side.spec,
      warmupSeconds: schedule.warmupSeconds,
      durationSeconds: schedule.durationSeconds,
      processes: side.worker.processes,
    });
    await one.settle?.();
    return figures(result);
  };
  for (let index = 0; index < schedule.pairs; index++) {
    note(`  pair ${index + 1} of ${schedule.pairs} (${index % 2 === 0 ? "A B" : "B A"}) of ${series.length} series`);
    for (const one of series) {
      let a: RunFigures;
      let b: RunFigures;
      if (index % 2 === 0) {
        a = await runSide(one, one.a);
        b = await runSide(one, one.b);
      } else {
        b = await runSide(one, one.b);
        a = await runSide(one, one.a);
      }
      pairs.get(one.key)!.push({ order: index % 2 === 0 ? "AB" : "BA", a, b });
    }
  }
  return series.map((one) => summarisePairs({ key: one.key, label: one.label, a: one.a.name, b: one.b.name }, pairs.get(one.key)!));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
