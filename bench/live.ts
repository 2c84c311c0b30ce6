// Live sockets under the bench (the continuity phase, bench/continuity.ts): how soon sockets hear of
// a write, and how much memory idle sockets hold in workerd. The clients are Node's own WebSocket.
import { benchDoor, clientFor, historyItemBody, putActivity } from "./api.ts";
import { round } from "./context.ts";
import { type FanOutLatency, timeFanOut } from "./fan-out.ts";
import { residentKiB } from "./cpu.ts";
import { newIdentity } from "./tokens.ts";
import { startWorker } from "./workers.ts";

/** How soon the sockets on one feed heard of each of a run of sequential writes. */
export interface PushLatency extends FanOutLatency {
  sockets: number;
}

/** VmRSS readings of one workerd process kind, in KiB: before the sockets, with them open, after the wait, after a write woke the feed. */
export interface RssReadings {
  before: number;
  open: number;
  idle: number | null;
  awake: number | null;
}

/**
 * One Worker's workerd memory with idle sockets open on one feed (VmRSS, in KiB): its runtime's,
 * which holds the objects and the sockets' server ends, and its dev proxy's, which forwards each socket.
 */
export interface IdleSocketRun {
  worker: "service" | "baseline";
  openSeconds: number;
  rssKiB: { runtime: RssReadings; proxy: RssReadings };
  perSocketKiB: { runtime: { open: number; idle: number | null }; proxy: { open: number; idle: number | null } };
  /** FeedObject constructions in the isolate (service only): before the wait, and after a write woke the feed. */
  feedConstructions: { beforeWait: number; afterWake: number } | null;
  /** The write after the wait reached this many of the open sockets (service only). */
  heardAfterWake: number | null;
}

/** Idle-socket memory: the service's, and the bare baseline's, whose object only accepts its sockets. */
export interface IdleSocketMemory {
  sockets: number;
  /** Opened (and kept) before the first reading, so first-use costs are not counted per socket. */
  warmSockets: number;
  waitedSeconds: number;
  runs: IdleSocketRun[];
}

/** How long a socket may take to hear of a write before it counts as missed. */
const PUSH_TIMEOUT_MS = 2000;
/** Sockets opened at once. */
const OPEN_BATCH = 50;
/** Sockets opened before the first memory reading. */
const WARM_SOCKETS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The bearer token of a client's headers. */
export const tokenOf = (headers: Record<string, string>) => headers.authorization!.replace(/^Bearer /, "");

/**
 * `sockets` sockets on a fresh feed, then sequential replaces of one history item: each write is
 * sent once every socket heard of the one before (or PUSH_TIMEOUT_MS passed), and every receipt is timed.
 */
export async function pushLatency(origin: string, sockets: number, writes: number): Promise<PushLatency> {
  const client = await clientFor(newIdentity());
  const itemId = crypto.randomUUID();
  const activityId = await putActivity(origin, client, "/bench/continuity/push", [{ id: itemId, ...historyItemBody() }]);
  const open = await openSockets(origin, tokenOf(client.headers), sockets);
  const listener = listen(open);
  const itemUrl = `${origin}/v1.0/me/activities/${activityId}/historyItems/${itemId}`;
  try {
    const run = { what: "continuity", itemUrl, headers: client.headers, followers: sockets, writes };
    const latency = await timeFanOut(run, async (w) => {
      const receipts = await listener.expect(PUSH_TIMEOUT_MS);
      if (w === 0) checkMessage(listener.first(), activityId);
      return receipts;
    });
    return { sockets, ...latency };
  } finally {
    await closeSockets(open);
  }
}

/** Throws unless a live message is the changeNotification of an update to `activityId`. */
function checkMessage(text: string | undefined, activityId: string): void {
  const message = JSON.parse(text ?? "null") as { changeType?: string; resourceData?: { id?: string } } | null;
  if (message?.changeType !== "updated" || message.resourceData?.id !== activityId) {
    throw new Error(`continuity: unexpected live message ${String(text).slice(0, 300)}`);
  }
}

/**
 * Times each socket's first message after each expect(): its promise resolves with the receipt
 * times (performance.now()) once every socket has one, or when `timeoutMs` passes.
 */
function listen(sockets: WebSocket[]) {
  let receipts: number[] = [];
  let heard = new Set<WebSocket>();
  let done: (() => void) | null = null;
  let firstText: string | undefined;
  for (const socket of sockets) {
    socket.addEventListener("message", (event) => {
      const at = performance.now();
      firstText ??= String(event.data);
      if (!done || heard.has(socket)) return;
      heard.add(socket);
      receipts.push(at);
      if (heard.size === sockets.length) done();
    });
  }
  return {
    expect(timeoutMs: number): Promise<number[]> {
      receipts = [];
      heard = new Set();
      return new Promise<number[]>((resolve) => {
        const timer = setTimeout(() => finish(), timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          done = null;
          resolve(receipts);
        };
        done = finish;
      });
    },
    first: () => firstText,
  };
}

/**
 * Opens `count` sockets on `origin`'s live route, OPEN_BATCH at a time: with the token as a
 * subprotocol, as a browser sends it, or with none (the baseline takes no token).
 */
export async function openSockets(origin: string, token: string | null, count: number): Promise<WebSocket[]> {
  const url = `${origin.replace(/^http/, "ws")}/v1.0/me/activities/live`;
  const openOne = () =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = token === null ? new WebSocket(url) : new WebSocket(url, ["graph-activities", `bearer.${token}`]);
      socket.addEventListener("open", () => resolve(socket), { once: true });
      socket.addEventListener("error", () => reject(new Error(`continuity: a live socket did not open (${url})`)), { once: true });
    });
  const sockets: WebSocket[] = [];
  while (sockets.length < count) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, count - sockets.length) }, openOne))));
  }
  return sockets;
}

/** Closes the sockets and waits (up to 5 s) for the closing handshakes. */
export async function closeSockets(sockets: WebSocket[]): Promise<void> {
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.readyState === WebSocket.CLOSED) return resolve();
          const timer = setTimeout(resolve, 5000);
          socket.addEventListener("close", () => (clearTimeout(timer), resolve()), { once: true });
          socket.close(1000);
        }),
    ),
  );
}

/**
 * workerd's RSS (runtime and dev proxy) with `sockets` idle sockets on one feed: first on a fresh bare baseline (its object
 * accepts them and nothing else), then on a fresh service with bench doors, whose sockets also sit
 * idle for `waitSeconds` for the feed to hibernate before one write wakes it. Fresh Workers, so that
 * each one's workerd holds nothing else.
 */
export async function idleSocketMemory(sockets: number, waitSeconds: number, note: (message: string) => void): Promise<IdleSocketMemory> {
  const runs: IdleSocketRun[] = [];
  for (const worker of ["baseline", "service"] as const) runs.push(await idleSocketsOn(worker, sockets, waitSeconds, note));
  return { sockets, warmSockets: WARM_SOCKETS, waitedSeconds: waitSeconds, runs };
}

async function idleSocketsOn(
  kind: IdleSocketRun["worker"],
  count: number,
  waitSeconds: number,
  note: (message: string) => void,
): Promise<IdleSocketRun> {
  note(`continuity: idle sockets: starting a fresh ${kind} to read its workerd's memory`);
  const worker =
    kind === "service"
      ? await startWorker("service (bench doors, idle sockets)", "wrangler.toml", { entrypoint: "bench/service/index.ts" })
      : await startWorker("baseline (idle sockets)", "bench/baseline/wrangler.toml");
  const all: WebSocket[] = [];
  try {
    const rss = () => residentKiB(worker.processes);
    const client = kind === "service" ? await clientFor(newIdentity()) : null;
    // The feed exists before the first reading.
    if (client) await putActivity(worker.origin, client, "/bench/continuity/idle");
    const token = client ? tokenOf(client.headers) : null;
    all.push(...(await openSockets(worker.origin, token, WARM_SOCKETS)));
    await sleep(2000);
    const before = rss();
    note(`continuity: idle sockets: opening ${count.toLocaleString("en")} on one feed of the ${kind}`);
    const started = performance.now();
    all.push(...(await openSockets(worker.origin, token, count)));
    const openSeconds = round((performance.now() - started) / 1000);
    await sleep(2000);
    const open = rss();
    const readings = (idle: ReturnType<typeof rss> | null, awake: ReturnType<typeof rss> | null) => {
      const of = (part: "runtime" | "proxy"): RssReadings => ({
        before: before[part],
        open: open[part],
        idle: idle?.[part] ?? null,
        awake: awake?.[part] ?? null,
      });
      const perSocket = (part: "runtime" | "proxy") => ({
        open: round((open[part] - before[part]) / count),
        idle: idle ? round((idle[part] - before[part]) / count) : null,
      });
      return {
        rssKiB: { runtime: of("runtime"), proxy: of("proxy") },
        perSocketKiB: { runtime: perSocket("runtime"), proxy: perSocket("proxy") },
      };
    };
    if (!client) return { worker: kind, openSeconds, ...readings(null, null), feedConstructions: null, heardAfterWake: null };
    const constructions = async () => (await benchDoor<{ constructions: number }>(worker.origin, "feed-constructions", {})).constructions;
    const beforeWait = await constructions();
    note(`continuity: idle sockets: waiting ${waitSeconds} s for the feed to hibernate`);
    await sleep(waitSeconds * 1000);
    const idle = rss();
    // One write wakes the feed: each socket, still open, should hear of it.
    const heard = listen(all).expect(10_000);
    await putActivity(worker.origin, client, "/bench/continuity/idle");
    const heardAfterWake = (await heard).length;
    const afterWake = await constructions();
    await sleep(1000);
    return {
      worker: kind,
      openSeconds,
      ...readings(idle, rss()),
      feedConstructions: { beforeWait, afterWake },
      heardAfterWake,
    };
  } finally {
    await closeSockets(all);
    await worker.dispose();
  }
}
