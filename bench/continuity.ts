// The continuity phase of `npm run bench`: live sockets (issue 21's figures). How soon a live socket
// hears of a write after the writer saw it acknowledged (1 and 100 sockets on the feed), and the
// memory an idle socket holds in workerd, before and after the feed's object hibernates (both in
// bench/live.ts). The delta pages are judged with the reads (bench/workloads.ts), the change
// notifications in their own phase (bench/subscriptions.ts).
import type { Bench } from "./context.ts";
import { idleSocketMemory, type IdleSocketMemory, pushLatency, type PushLatency } from "./live.ts";

export interface ContinuityResult {
  push: PushLatency[];
  memory: IdleSocketMemory;
}

/** Push latency on the running service, then idle-socket memory on fresh Workers. */
export async function runContinuity(bench: Bench): Promise<void> {
  const { pushSockets, pushWrites, idleSockets, hibernationWaitSeconds } = bench.settings.continuity;
  const push: PushLatency[] = [];
  for (const sockets of pushSockets) {
    bench.note(`continuity: push latency, ${sockets} socket(s) on the feed, ${pushWrites} sequential writes`);
    push.push(await pushLatency(bench.service.origin, sockets, pushWrites));
  }
  bench.results.continuity = { push, memory: await idleSocketMemory(idleSockets, hibernationWaitSeconds, bench.note) };
}
