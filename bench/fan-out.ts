// How soon a feed's followers hear of a write (its live sockets, bench/live.ts; its webhook
// subscriptions, bench/subscriptions.ts): sequential replaces of one history item, each sent once
// every follower heard of the one before, every receipt timed from the write's acknowledgement.
import { ITEM_BODY, round } from "./context.ts";

/** Latencies in ms: p50, p99 and the largest. */
export interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

/** How soon a feed's followers heard of each of a run of sequential writes. */
export interface FanOutLatency {
  writes: number;
  /** Writes sent first, whose receipts are not timed. */
  warmupWrites: number;
  /** Receipts timed (followers × writes, less those missed). */
  receipts: number;
  /** A follower that heard nothing of a write within the run's timeout. */
  missed: number;
  /** From the writer's receipt of the write's whole response to a follower's receipt; negative when the receipt came first. */
  fromAck: Percentiles & { min: number };
  /** Receipts that came before the write's response did. */
  beforeAck: number;
  /** For each write, to the last of its followers' receipts. */
  lastFromAck: Percentiles;
  /** From sending the write to a follower's receipt. */
  fromSend: Percentiles;
  /** The write itself, sent to acknowledged. */
  write: Percentiles;
}

/** Writes sent before the timed ones, whose receipts are not counted. */
const WARMUP_WRITES = 10;

/**
 * Replaces the history item at `itemUrl` WARMUP_WRITES + `writes` times, one after another. Before
 * each, `listen(w)` starts listening for write `w`: its promise resolves with the receipt times
 * (performance.now()) of the followers that heard of it, once all `followers` did or its timeout passed.
 */
export async function timeFanOut(
  run: { what: string; itemUrl: string; headers: Record<string, string>; followers: number; writes: number },
  listen: (write: number) => Promise<number[]>,
): Promise<FanOutLatency> {
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  const last: number[] = [];
  const write: number[] = [];
  let missed = 0;
  for (let w = 0; w < WARMUP_WRITES + run.writes; w++) {
    const heard = listen(w);
    const sent = performance.now();
    const response = await fetch(run.itemUrl, { method: "PUT", headers: run.headers, body: ITEM_BODY });
    await response.arrayBuffer();
    const acknowledged = performance.now();
    if (response.status !== 200) throw new Error(`${run.what}: PUT history item: ${response.status}`);
    const receipts = await heard;
    if (w < WARMUP_WRITES) continue;
    missed += run.followers - receipts.length;
    write.push(acknowledged - sent);
    for (const at of receipts) {
      fromAck.push(at - acknowledged);
      fromSend.push(at - sent);
    }
    if (receipts.length) last.push(Math.max(...receipts) - acknowledged);
  }
  return {
    writes: run.writes,
    warmupWrites: WARMUP_WRITES,
    receipts: fromAck.length,
    missed,
    fromAck: { ...percentiles(fromAck), min: round(Math.min(...fromAck)) },
    beforeAck: fromAck.filter((latency) => latency < 0).length,
    lastFromAck: percentiles(last),
    fromSend: percentiles(fromSend),
    write: percentiles(write),
  };
}

/** p50, p99 (nearest rank) and the largest, rounded to µs. */
function percentiles(values: number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : NaN);
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN) };
}
