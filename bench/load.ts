// One load run with autocannon, in its own process so that the benchmark's other work (wrangler's
// log handling, seeding, polling) never delays the load generator's event loop or its clock.
//   node bench/load.ts <spec.json>   → prints one JSON LoadResult on stdout
// Fixed concurrency (closed loop), a warm-up whose responses are discarded, then the measured run.
// Latencies are taken from every response of the measured run (autocannon's own histogram keeps
// whole milliseconds only), so p50 and p99 keep sub-millisecond precision.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";

export interface LoadSpec {
  /** Origin, http://127.0.0.1:port. */
  origin: string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  method: "GET" | "PUT" | "POST" | "PATCH";
  headers: Record<string, string>;
  body?: string;
  /** Each request picks one at random; "{guid}" in a path becomes a fresh random GUID. */
  paths: string[];
  /** Also return each measured response as [end epoch ms, latency ms, status]. */
  timeline?: boolean;
}

export interface LoadResult {
  requests: number;
  ok: number;
  durationSeconds: number;
  /** 2xx responses per second. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number;
  statusCodes: Record<string, number>;
  timeline?: [number, number, number][];
  /** When the result is the best of several rounds: every round's req/s. */
  roundsRps?: number[];
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const round = (value: number) => Math.round(value * 1000) / 1000;

/** Runs the spec and summarises the measured part. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const { paths } = spec;
  const pick = () => {
    const path = paths[Math.floor(Math.random() * paths.length)]!;
    return path.includes("{guid}") ? path.replace("{guid}", crypto.randomUUID()) : path;
  };
  const latencies: number[] = [];
  const timeline: [number, number, number][] = [];
  const statusCodes: Record<string, number> = {};
  let ok = 0;
  const instance = autocannon({
    url: spec.origin,
    connections: spec.connections,
    duration: spec.durationSeconds,
    timeout: 30,
    warmup: spec.warmupSeconds > 0 ? { connections: spec.connections, duration: spec.warmupSeconds } : undefined,
    requests: [
      {
        method: spec.method,
        headers: spec.headers,
        body: spec.body,
        setupRequest: (request: { path: string }) => {
          request.path = pick();
          return request;
        },
      },
    ],
  });
  // Only the measured run's tracker emits these; the warm-up has its own.
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) ok++;
    if (spec.timeline) timeline.push([Date.now(), round(responseTime), statusCode]);
  });
  const result = (await instance) as { duration: number; errors: number; timeouts: number; start: Date; finish: Date };
  const sorted = Float64Array.from(latencies).sort();
  const durationSeconds = (result.finish.getTime() - result.start.getTime()) / 1000 || spec.durationSeconds;
  return {
    requests: latencies.length,
    ok,
    durationSeconds: round(durationSeconds),
    rps: round(ok / durationSeconds),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.at(-1) ?? NaN),
    mean: round(latencies.reduce((sum, value) => sum + value, 0) / (latencies.length || 1)),
    errors: result.errors + (latencies.length - ok),
    statusCodes,
    ...(spec.timeline ? { timeline } : {}),
  };
}

if (import.meta.main) {
  const spec = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadSpec;
  process.stdout.write(JSON.stringify(await runLoad(spec)));
}

/** Runs the spec in a child process (this file) and returns its result. */
export async function loadInChild(spec: LoadSpec): Promise<LoadResult> {
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { execFile } = await import("node:child_process");
  const dir = mkdtempSync(join(tmpdir(), "bench-load-"));
  const file = join(dir, "spec.json");
  writeFileSync(file, JSON.stringify(spec));
  try {
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [fileURLToPath(import.meta.url), file], { maxBuffer: 512 * 1024 * 1024 }, (error, out, err) =>
        error ? reject(new Error(`load run failed: ${error.message}\n${err}`)) : resolve(out),
      ),
    );
    return JSON.parse(stdout) as LoadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
