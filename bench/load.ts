// Load runs with autocannon, in a child process of their own (one, forked once and reused), so that
// the benchmark's other work (wrangler's log handling, seeding, webhook receivers, sockets) never
// delays the load generator's event loop or its clock.
// Fixed concurrency (closed loop), a warm-up whose responses are discarded, then the measured run.
// Latencies are taken from every response of the measured run (autocannon's own histogram keeps
// whole milliseconds only), so p50 and p99 keep sub-millisecond precision. Given the Worker's
// workerd processes, the child reads their CPU time from /proc right before and right after the
// measured run (the warm-up is a run of its own before it), so the CPU per request counts only the
// measured requests' work; it then waits for the runtime to go idle, before the reading and after
// the run, so that what one run left in flight is never charged to the next.
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { CLOCK_TICKS_PER_SECOND, type CpuTicks, readTicks, untilIdle, type WorkerProcesses } from "./cpu.ts";

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
  /** The Worker's workerd processes, whose CPU time the measured run is charged. */
  processes?: WorkerProcesses;
}

/** workerd's CPU time over a measured run: per completed request (ms), and the clock ticks read. */
export interface RunCpu {
  /** The runtime's (the Worker and its objects) CPU ms per completed request. */
  runtimeMs: number;
  /** wrangler's dev proxy's CPU ms per completed request. */
  proxyMs: number;
  ticks: CpuTicks;
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
  /** workerd's CPU time, when the spec named the Worker's processes. */
  cpu?: RunCpu;
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
  const run = (duration: number) =>
    autocannon({
      url: spec.origin,
      connections: spec.connections,
      duration,
      // autocannon stops at its first sample after the duration: every 50 ms, not every second.
      sampleInt: 50,
      timeout: 30,
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
  if (spec.warmupSeconds > 0) await run(spec.warmupSeconds);
  // What the warm-up left in flight ends before the reading, and what this run leaves before the next one's.
  if (spec.processes) await untilIdle(spec.processes);
  const ticksBefore = spec.processes ? readTicks(spec.processes) : undefined;
  const instance = run(spec.durationSeconds);
  instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
    statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    if (statusCode >= 200 && statusCode < 300) ok++;
    if (spec.timeline) timeline.push([Date.now(), round(responseTime), statusCode]);
  });
  const result = (await instance) as { duration: number; errors: number; timeouts: number; start: Date; finish: Date };
  const ticksAfter = spec.processes ? readTicks(spec.processes) : undefined;
  if (spec.processes) await untilIdle(spec.processes);
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
    ...(ticksBefore && ticksAfter && latencies.length ? { cpu: cpuOf(ticksBefore, ticksAfter, latencies.length) } : {}),
  };
}

/** CPU ms per completed request, from the clock ticks read before and after the measured run. */
function cpuOf(before: CpuTicks, after: CpuTicks, requests: number): RunCpu {
  const ticks = { runtime: after.runtime - before.runtime, proxy: after.proxy - before.proxy };
  const msPerRequest = (value: number) => round((value * 1000) / CLOCK_TICKS_PER_SECOND / (requests || 1));
  return { runtimeMs: msPerRequest(ticks.runtime), proxyMs: msPerRequest(ticks.proxy), ticks };
}

// The child: runs each spec it is sent and answers with its result.
if (import.meta.main) {
  process.on("message", (message: { id: number; spec: LoadSpec }) => {
    runLoad(message.spec).then(
      (result) => process.send!({ id: message.id, result }),
      (error: unknown) => process.send!({ id: message.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    );
  });
}

let child: ChildProcess | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (result: LoadResult) => void; reject: (error: Error) => void }>();

/** The load child, forked on first use; it holds the bench's event loop open only while a run is pending. */
function loadChild(): ChildProcess {
  if (child) return child;
  const forked = fork(fileURLToPath(import.meta.url), [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
  forked.on("message", (message: { id: number; result?: LoadResult; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (pending.size === 0) forked.channel?.unref();
    if (message.error !== undefined) waiter?.reject(new Error(`load run failed: ${message.error}`));
    else waiter?.resolve(message.result!);
  });
  forked.on("exit", (code, signal) => {
    child = undefined;
    for (const waiter of pending.values()) waiter.reject(new Error(`the load child exited (${code ?? signal})`));
    pending.clear();
  });
  forked.unref();
  child = forked;
  return forked;
}

/** Runs the spec in the load child and returns its result. */
export function loadInChild(spec: LoadSpec): Promise<LoadResult> {
  const worker = loadChild();
  const id = nextId++;
  worker.channel?.ref();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.send({ id, spec });
  });
}

/** Ends the load child. */
export function stopLoadChild(): void {
  child?.kill();
}
