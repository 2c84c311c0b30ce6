// Every target of issue 23 (and issue 22's figures that have one), judged from this run's results:
// paired figures by the median of their per-pair ratios, shown with their IQR and the A/A band of
// the same metric; rows written and dollars from the deterministic counts.
import { fmt, TARGETS } from "./context.ts";
import type { Metric, PairedSeries, Spread } from "./paired.ts";
import { COST_FLOORS, costPerMillion, rowsPerRequest } from "./report-cost.ts";
import type { Results, TargetKind, TargetResult } from "./results.ts";

const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : "–");
const range = (spread: Spread) => `${ratio(spread.q1)}–${ratio(spread.q3)}`;

/** What a metric is called in a target, and the unit of its sides' own figures. */
const METRIC_NAMES: Record<Metric, { name: string; unit: string }> = {
  cpu: { name: "CPU per request", unit: "ms" },
  cpuWithProxy: { name: "CPU per request with wrangler's dev proxy", unit: "ms" },
  rps: { name: "throughput", unit: "req/s" },
  p50: { name: "p50", unit: "ms" },
  p99: { name: "p99", unit: "ms" },
};

function sideFigure(series: PairedSeries, metric: Metric, side: "medianA" | "medianB"): number | null {
  const run = series[side];
  if (metric === "cpu") return run.cpuMs;
  if (metric === "cpuWithProxy") return run.cpuMs === null ? null : run.cpuMs + (run.proxyCpuMs ?? 0);
  return run[metric];
}

/** A paired target: met when the median ratio is on the right side of `goal`. */
function paired(
  kind: TargetKind,
  series: PairedSeries,
  metric: Metric,
  versus: string,
  goal: { atMost?: number; atLeast?: number },
  aa: PairedSeries | undefined,
): TargetResult {
  const figure = series.ratio[metric];
  const bound = goal.atMost ?? goal.atLeast!;
  const { name, unit } = METRIC_NAMES[metric];
  // A run in which no request completed has no latency or CPU per request: a miss, not a ratio.
  const silent = series.pairs.filter((pair) => pair.a.requests === 0 || pair.b.requests === 0).length;
  const answered = Number.isFinite(figure.median) && silent === 0;
  return {
    kind,
    target: `${series.label}: ${name} ÷ ${versus}`,
    goal: `${goal.atMost !== undefined ? "≤" : "≥"} ${bound}×`,
    figure: ratio(figure.median),
    iqr: range(figure),
    band: aa ? range(aa.ratio[metric]) : null,
    detail: answered
      ? `${fmt(sideFigure(series, metric, "medianA"))} vs ${fmt(sideFigure(series, metric, "medianB"))} ${unit}; ${series.pairs.length} pairs`
      : `no request completed within ${silent} of the ${series.pairs.length} pairs' measured runs`,
    met: answered && (goal.atMost !== undefined ? figure.median <= goal.atMost : figure.median >= goal.atLeast!),
  };
}

/** Met or missed, with the figure, for every target this run measured. */
export function verdicts(results: Results): TargetResult[] {
  const out: TargetResult[] = [];
  const find = (list: PairedSeries[], key: string) => list.find((series) => series.key === key);

  const aaWrite = find(results.writes, "aa-write");
  for (const series of results.writes.filter((one) => !one.key.startsWith("aa-"))) {
    const versus = "(baseline + feed push)";
    out.push(paired("write", series, "cpu", versus, { atMost: TARGETS.writeCpu }, aaWrite));
    out.push(paired("write", series, "rps", versus, { atLeast: TARGETS.writeThroughput }, aaWrite));
    out.push(paired("write", series, "p99", versus, { atMost: TARGETS.writeP99 }, aaWrite));
  }
  const aaGet = find(results.reads, "aa-get");
  const aaPage = find(results.reads, "aa-page");
  for (const series of results.reads.filter((one) => !one.key.startsWith("aa-"))) {
    const page = !series.key.startsWith("get-");
    out.push(
      page
        ? paired("read", series, "rps", "the bare page", { atLeast: TARGETS.pageThroughput }, aaPage)
        : paired("read", series, "rps", "the bare GET", { atLeast: TARGETS.readThroughput }, aaGet),
    );
  }

  const rows = rowsPerRequest(results.counts);
  const floorRows = results.baselineRows?.[COST_FLOORS["PUT history item (replace)"]!]?.written;
  for (const kind of Object.keys(COST_FLOORS)) {
    const counted = rows.get(kind);
    if (!counted) continue;
    out.push({
      kind: "rows",
      target: `${kind}: rows written per write`,
      goal: `≤ ${TARGETS.rowsWritten}`,
      figure: fmt(counted.written),
      iqr: null,
      band: null,
      detail: `counted over the bench doors' requests; the floor (baseline + feed push) writes ${fmt(floorRows)}`,
      met: counted.written <= TARGETS.rowsWritten,
    });
  }
  for (const kind of Object.keys(COST_FLOORS)) {
    const cost = costPerMillion(results, kind);
    if (!cost) continue;
    out.push({
      kind: "cost",
      target: `${kind}: $ per million writes ÷ the floor's (baseline + feed push)`,
      goal: `≤ ${TARGETS.costPerWrite}×`,
      figure: ratio(cost.service.total / cost.floor.total),
      iqr: null,
      band: null,
      detail: `$${cost.service.total.toFixed(2)} vs $${cost.floor.total.toFixed(2)} (rows counted; CPU the paired runs' median)`,
      met: cost.service.total / cost.floor.total <= TARGETS.costPerWrite,
    });
  }

  const aaSubscriptions = find(results.subscriptions?.throughput ?? [], "aa-subscriptions");
  for (const key of ["subscriptions-50-sockets", "subscriptions-dead"]) {
    const series = find(results.subscriptions?.throughput ?? [], key);
    if (!series) continue;
    out.push(paired("continuity", series, "rps", "writes to a feed with none", { atLeast: TARGETS.continuityThroughput }, aaSubscriptions));
  }

  const aaGrowth = results.growth.find((series) => series.key === "aa-growth");
  for (const series of results.growth.filter((one) => one.key !== "aa-growth")) {
    const [large, small] = series.sizes.map((size) => size.toLocaleString("en"));
    const verdict = paired("growth", series, "p50", `at ${small}`, { atMost: TARGETS.growth }, aaGrowth);
    out.push({ ...verdict, target: `${series.label}: p50 at ${large} ÷ at ${small} ${series.unit}` });
  }
  if (results.expiry) {
    const expiry = results.expiry;
    out.push({
      kind: "expiry",
      target: "writes during the expiry sweep: p99 ÷ p99 before it",
      goal: `≤ ${TARGETS.expiryP99}×`,
      figure: ratio(expiry.p99Ratio),
      iqr: null,
      band: null,
      detail: `${fmt(expiry.writesDuring.p99)} ms over ${expiry.writesDuring.count} writes vs ${fmt(expiry.writesBefore.p99)} ms over ${expiry.writesBefore.count}`,
      met: expiry.completed && expiry.p99Ratio <= TARGETS.expiryP99,
    });
  }
  if (results.bundle) {
    out.push({
      kind: "bundle",
      target: "deploy bundle, gzip",
      goal: `≤ ${TARGETS.bundleGzipBytes / 1024} KiB`,
      figure: `${(results.bundle.gzipBytes / 1024).toFixed(1)} KiB`,
      iqr: null,
      band: null,
      detail: `${(results.bundle.rawBytes / 1024).toFixed(1)} KiB raw`,
      met: results.bundle.gzipBytes <= TARGETS.bundleGzipBytes,
    });
  }
  if (results.startup) {
    const active = results.startup.activeMs;
    out.push({
      kind: "startup",
      target: "startup CPU (`wrangler check startup`, active ms)",
      goal: `≤ ${TARGETS.startupMs} ms`,
      figure: `${fmt(active.median)} ms`,
      iqr: `${fmt(active.q1)}–${fmt(active.q3)} ms`,
      band: null,
      detail: `${results.startup.runs.length} runs, the least ${fmt(active.min)} ms`,
      met: active.median <= TARGETS.startupMs,
    });
  }
  return out;
}
