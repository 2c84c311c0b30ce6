// workerd's CPU time and memory, read from /proc. Each Worker the bench starts runs in its own
// wrangler dev session, which spawns two workerd processes as children of the bench's process: the
// runtime (the Worker and its Durable Objects, one isolate) and wrangler's dev proxy (the origin the
// clients connect to, which forwards every request and WebSocket to the runtime). Neither has
// children of its own.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The workerd processes of one Worker's wrangler dev session. */
export interface WorkerProcesses {
  /** Runs the Worker and its Durable Objects. */
  runtime: number[];
  /** wrangler's dev proxy: listens on the Worker's origin; not part of a deployment. */
  proxy: number[];
}

/** CPU time in clock ticks (utime + stime), of a Worker's runtime and of its dev proxy. */
export interface CpuTicks {
  runtime: number;
  proxy: number;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (`getconf CLK_TCK`; 100 on Linux). */
export const CLOCK_TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** Fields of /proc/<pid>/stat after the command name (which may hold spaces), from field 3 (state) on. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** utime + stime of a process, all its threads included (fields 14 and 15 of /proc/<pid>/stat), in clock ticks. */
function processTicks(pid: number): number {
  const fields = statFields(pid);
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU ticks of a Worker's processes, read now. */
export function readTicks(processes: WorkerProcesses): CpuTicks {
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + processTicks(pid), 0);
  return { runtime: sum(processes.runtime), proxy: sum(processes.proxy) };
}

/**
 * Resolves once a Worker's runtime has been idle (at most a tick of CPU time in 100 ms) or after
 * `timeoutMs`: the work a load run left in flight (requests the server took before the client
 * stopped, deliveries they set off) ends before the next run's reading.
 */
export async function untilIdle(processes: WorkerProcesses, timeoutMs = 10_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  let last = readTicks(processes).runtime;
  while (performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = readTicks(processes).runtime;
    if (now - last <= 1) return;
    last = now;
  }
}

/** The workerd processes whose parent is this process, right now. */
export function workerdChildren(): Set<number> {
  const found = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const command = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (command === "workerd" && Number(statFields(Number(entry))[1]) === process.pid) found.add(Number(entry));
    } catch {
      // Gone since the directory was read.
    }
  }
  return found;
}

/**
 * Tells a Worker's runtime from its dev proxy among the workerd processes its session started
 * (`started`): the proxy is the one listening on the Worker's origin port.
 */
export function splitProcesses(started: Set<number>, port: number): WorkerProcesses {
  const proxy = listenerOf(port, started);
  const runtime = [...started].filter((pid) => pid !== proxy);
  if (runtime.length === 0) throw new Error(`no workerd runtime beside the dev proxy on port ${port}`);
  return { runtime, proxy: [proxy] };
}

/** Which of `candidates` listens on 127.0.0.1:`port`. */
function listenerOf(port: number, candidates: Set<number>): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  // /proc/net/tcp: "sl local_address rem_address st … inode"; st 0A is LISTEN.
  const sockets = new Set(
    readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1] === local && fields[3] === "0A")
      .map((fields) => `socket:[${fields[9]}]`),
  );
  for (const pid of candidates) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        if (sockets.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
      }
    } catch {
      // Gone, or a descriptor closed while listed.
    }
  }
  throw new Error(`no workerd of this Worker listens on 127.0.0.1:${port}`);
}

/** VmRSS of a Worker's processes, in KiB: its runtime's and its dev proxy's. */
export function residentKiB(processes: WorkerProcesses): { runtime: number; proxy: number } {
  const rss = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
  const sum = (pids: number[]) => pids.reduce((total, pid) => total + rss(pid), 0);
  return { runtime: sum(processes.runtime), proxy: sum(processes.proxy) };
}
