// A bounded soak of the local service: mixed reads and writes over many activities at fixed
// concurrency, on loopback only, then a check that every acknowledged write is readable and that
// the Worker's memory stayed flat. Usage: npm run soak -- [--seconds 120] [--concurrency 16]
//
// "Memory" is the isolate's JavaScript heap, read through the inspector (its low-water mark, since
// the inspector cannot force a collection): what our code could leak. workerd's resident size is reported too, but under the
// dev server it climbs with request count even for a Worker that returns a constant, so it
// cannot tell a leak of ours from the runtime's own growth.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { unstable_startWorker } from "wrangler";
import { mintDevToken } from "./dev-token.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "120" },
    concurrency: { type: "string", default: "16" },
  },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const ACTIVITIES_PER_WORKER = 12;
const ITEMS_PER_ACTIVITY = 8;
/** The heap's low-water mark may grow by this much from the first third of the run to the last and still be "flat". */
const HEAP_GROWTH_ALLOWED = 1.25;

/** Resident memory (KiB) of every workerd process this script started. */
function workerdRssKiB(): number {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("workerd")) continue;
      let ancestor = pid;
      let ours = false;
      for (let hops = 0; hops < 6 && ancestor !== "1"; hops++) {
        ancestor = /PPid:\s+(\d+)/.exec(readFileSync(`/proc/${ancestor}/status`, "utf8"))![1]!;
        if (ancestor === String(process.pid)) ours = true;
      }
      if (ours) total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/**
 * Reads the isolate's JS heap in use through the DevTools protocol. (workerd's inspector does not
 * answer HeapProfiler.collectGarbage, so the soak compares low-water marks: V8 collects under load,
 * and a leak raises the lowest reading, not just the peaks.)
 */
async function heapReader(inspectorOrigin: URL): Promise<{ read: () => Promise<number>; close: () => void }> {
  const targets = (await (await fetch(new URL("/json", inspectorOrigin))).json()) as { webSocketDebuggerUrl: string }[];
  // The inspector proxy accepts DevTools connections only from a local Origin.
  const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl, { headers: { Origin: "http://localhost" } } as unknown as string[]);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error("inspector connection failed")), { once: true });
  });
  let nextId = 1;
  const read = () =>
    new Promise<number>((resolve) => {
      const id = nextId++;
      const onMessage = (event: MessageEvent) => {
        const message = JSON.parse(String(event.data)) as { id?: number; result?: { usedSize?: number } };
        if (message.id !== id) return;
        socket.removeEventListener("message", onMessage);
        resolve(message.result?.usedSize ?? 0);
      };
      socket.addEventListener("message", onMessage);
      socket.send(JSON.stringify({ id, method: "Runtime.getHeapUsage" }));
    });
  return { read, close: () => socket.close() };
}

interface Acknowledged {
  userTimezone: string;
  startedDateTime: string;
}

// Storage on disk, as `npm run dev` keeps it, in a directory of the soak's own.
const state = mkdtempSync(join(tmpdir(), "soak-state-"));
const inspectorPort = 9300 + Math.floor(Math.random() * 500);
const worker = await unstable_startWorker({
  config: new URL("../wrangler.toml", import.meta.url).pathname,
  dev: {
    server: { hostname: "127.0.0.1", port: 0 },
    inspector: { hostname: "127.0.0.1", port: inspectorPort },
    persist: state as unknown as boolean,
    watch: false,
    logLevel: "error",
    // Its own registry of local Workers, where the SITE binding (static pages, not started here) resolves.
    registry: mkdtempSync(join(tmpdir(), "soak-registry-")),
  },
});
await worker.ready;
const base = `${(await worker.url).origin}/v1.0`;
const inspector = (await worker.inspectorUrl)!;

const counts = { requests: 0, status2xx: 0, status4xx: 0, status5xx: 0, networkErrors: 0 };
const latencies: number[] = [];

async function send(token: string, method: string, path: string, body?: unknown) {
  const started = performance.now();
  counts.requests++;
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    latencies.push(performance.now() - started);
    if (response.status >= 500) counts.status5xx++;
    else if (response.status >= 400) counts.status4xx++;
    else counts.status2xx++;
    return { status: response.status, body: text ? JSON.parse(text) : null };
  } catch (error) {
    counts.networkErrors++;
    return { status: 0, body: String(error) };
  }
}

/** One client: owns its activities and items, so the last acknowledged write to each is the truth. */
async function client(index: number, deadline: number) {
  const token = await mintDevToken({ user: `soak-user-${index % 8}` });
  const activities: { id: string; items: Map<string, Acknowledged | null> }[] = [];
  for (let a = 0; a < ACTIVITIES_PER_WORKER; a++) {
    const put = await send(token, "PUT", `/me/activities/${encodeURIComponent(`/soak/${index}/${a}`)}`, {
      activitySourceHost: "https://soak.example",
      activationUrl: `https://soak.example/${index}/${a}`,
      visualElements: { displayText: `Soak ${index}/${a}` },
    });
    if (put.status !== 201 && put.status !== 200) throw new Error(`setup PUT failed: ${put.status} ${JSON.stringify(put.body)}`);
    activities.push({ id: put.body.id, items: new Map() });
  }
  let step = 0;
  while (Date.now() < deadline) {
    const activity = activities[Math.floor(Math.random() * activities.length)]!;
    const itemId = `00000000-0000-4000-8000-${String(index).padStart(4, "0")}${String(step % ITEMS_PER_ACTIVITY).padStart(8, "0")}`;
    const roll = Math.random();
    if (roll < 0.45) {
      const body = { startedDateTime: new Date(Date.now() - 60_000).toISOString(), userTimezone: `zone-${step}` };
      const answer = await send(token, "PUT", `/me/activities/${activity.id}/historyItems/${itemId}`, body);
      if (answer.status === 200 || answer.status === 201) activity.items.set(itemId, body);
    } else if (roll < 0.55) {
      const answer = await send(token, "DELETE", `/me/activities/${activity.id}/historyItems/${itemId}`);
      if (answer.status === 204 || answer.status === 404) activity.items.set(itemId, null);
    } else if (roll < 0.75) {
      await send(token, "GET", `/me/activities/${activity.id}/historyItems/${itemId}`);
    } else if (roll < 0.9) {
      await send(token, "GET", `/me/activities/${activity.id}?$expand=historyItems`);
    } else {
      await send(token, "GET", `/me/activities?$top=20`);
    }
    step++;
  }
  return { token, activities };
}

const started = Date.now();
const deadline = started + SECONDS * 1000;
const heap = await heapReader(inspector);
const memory: { at: number; rssKiB: number; heapBytes: number }[] = [];
const sample = async () => memory.push({ at: (Date.now() - started) / 1000, rssKiB: workerdRssKiB(), heapBytes: await heap.read() });
await sample();
const sampler = setInterval(() => void sample(), 1000);
const clients = await Promise.all(Array.from({ length: CONCURRENCY }, (_, index) => client(index, deadline)));
clearInterval(sampler);
heap.close();
const third = (index: number) => memory.filter((reading) => Math.min(2, Math.floor((reading.at / SECONDS) * 3)) === index);
const lowWater = (readings: typeof memory) => Math.min(...readings.map((reading) => reading.heapBytes));
const heapStart = lowWater(third(0).slice(3)); // after the first seconds of warm-up
const heapEnd = lowWater(third(2));

// Every acknowledged write must be readable; every acknowledged delete must stay deleted.
let lost = 0;
let checked = 0;
for (const { token, activities } of clients) {
  for (const activity of activities) {
    for (const [itemId, expected] of activity.items) {
      const answer = await send(token, "GET", `/me/activities/${activity.id}/historyItems/${itemId}`);
      checked++;
      const ok =
        expected === null
          ? answer.status === 404
          : answer.status === 200 &&
            answer.body.userTimezone === expected.userTimezone &&
            answer.body.startedDateTime === new Date(expected.startedDateTime).toISOString();
      if (!ok) lost++;
    }
  }
}
await worker.dispose();
rmSync(state, { recursive: true, force: true });

latencies.sort((a, b) => a - b);
const quantile = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
const quarter = Math.max(1, Math.floor(memory.length / 4));
const mean = (samples: typeof memory) => samples.reduce((sum, reading) => sum + reading.rssKiB, 0) / samples.length;
const firstQuarter = mean(memory.slice(1, 1 + quarter));
const lastQuarter = mean(memory.slice(-quarter));
const report = {
  seconds: SECONDS,
  concurrency: CONCURRENCY,
  ...counts,
  requestsPerSecond: Math.round(counts.requests / SECONDS),
  p50Ms: Math.round(quantile(0.5) * 10) / 10,
  p99Ms: Math.round(quantile(0.99) * 10) / 10,
  acknowledgedItemsChecked: checked,
  lostOrWrong: lost,
  heapLowWaterMiB: { firstThird: Math.round((heapStart / 2 ** 20) * 10) / 10, lastThird: Math.round((heapEnd / 2 ** 20) * 10) / 10 },
  workerdRssMiB: {
    start: Math.round(memory[0]!.rssKiB / 1024),
    firstQuarterMean: Math.round(firstQuarter / 1024),
    lastQuarterMean: Math.round(lastQuarter / 1024),
    max: Math.round(Math.max(...memory.map((sample) => sample.rssKiB)) / 1024),
  },
};
console.log(JSON.stringify(report, null, 2));
const failures = [
  counts.status5xx > 0 && `${counts.status5xx} responses were 5xx`,
  counts.networkErrors > 0 && `${counts.networkErrors} requests failed to connect`,
  lost > 0 && `${lost} acknowledged writes were not readable as written`,
  heapEnd > heapStart * HEAP_GROWTH_ALLOWED &&
    `the heap's low-water mark grew from ${report.heapLowWaterMiB.firstThird} to ${report.heapLowWaterMiB.lastThird} MiB`,
].filter(Boolean);
if (failures.length) {
  console.error(`Soak failed: ${failures.join("; ")}.`);
  process.exit(1);
}
console.log("Soak passed: no 5xx, every acknowledged write readable, memory flat.");
