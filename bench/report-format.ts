// Formatting shared by the report's sections.
import { fmt } from "./context.ts";
import type { PairedSeries, Spread } from "./paired.ts";

export const num = fmt;
export const ratio = (value: number | undefined | null) =>
  value === undefined || value === null || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
export const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** A median ratio with its interquartile range: "1.12× (1.05–1.20×)". */
export const spreadRatio = (spread: Spread) => `${ratio(spread.median)} (${ratio(spread.q1)}–${ratio(spread.q3)})`;

export function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`)].join("\n");
}

/**
 * One table of paired series: each side's median figures, then the per-pair ratios (median and
 * IQR) of CPU per request, throughput, p50 and p99.
 */
export function pairedTable(series: PairedSeries[]): string {
  return table(
    [
      "series",
      "A",
      "B",
      "A: req/s, p50 / p99 ms, CPU ms/req",
      "B: req/s, p50 / p99 ms, CPU ms/req",
      "CPU ÷",
      "CPU with dev proxy ÷",
      "req/s ÷",
      "p50 ÷",
      "p99 ÷",
      "errors",
    ],
    series.map((one) => [
      one.label,
      one.a,
      one.b,
      `${num(one.medianA.rps)}, ${num(one.medianA.p50)} / ${num(one.medianA.p99)}, ${num(one.medianA.cpuMs)}`,
      `${num(one.medianB.rps)}, ${num(one.medianB.p50)} / ${num(one.medianB.p99)}, ${num(one.medianB.cpuMs)}`,
      spreadRatio(one.ratio.cpu),
      spreadRatio(one.ratio.cpuWithProxy),
      spreadRatio(one.ratio.rps),
      spreadRatio(one.ratio.p50),
      spreadRatio(one.ratio.p99),
      String(one.medianA.errors + one.medianB.errors),
    ]),
  );
}

/** Each pair's ratios, one line per series (for results.json readers, the report shows throughput's). */
export function pairsLine(one: PairedSeries): string {
  return `${one.label}: ${one.pairs.map((pair) => `${pair.order} ${ratio(pair.a.rps / pair.b.rps)}`).join(", ")}`;
}
