// Live sockets under the bench (the continuity phase, bench/continuity.ts): how soon sockets hear of
// a write, and how much memory idle sockets hold in workerd. The clients are Node's own WebSocket.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { benchDoor, clientFor, historyItemBody, putActivity } from "./api.ts";
import { newIdentity } from "./tokens.ts";
import { startWorker } from "./workers.ts";

/** Latencies in ms: p50, p99 and the largest. */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

/** How soon the sockets on one feed heard of each of a run of sequential writes. */
export interface PushLatency {
  sockets: number;
  writes: number;
  /** Writes sent first, whose receipts are not timed. */
  warmupWrites: number;
  /** Messages timed (sockets × writes, less those missed). */
  receipts: number;
  /** A socket that heard nothing of a write within PUSH_TIMEOUT_MS. */
  missed: number;
  /** From the writer's receipt of the write's whole response to a socket's receipt of the message; negative when the message came first. */
  fromAck: Spread & { min: number };
  /** Receipts that came before the write's response did. */
  beforeAck: number;
  /** For each write, to the last of its sockets' receipts. */
  lastSocketFromAck: Spread;
  /** From sending the write to a socket's receipt. */
  fromSend: Spread;
  /** The write itself, sent to acknowledged. */
  write: Spread;
}

/** One Worker's workerd memory with idle sockets open on one feed (VmRSS of the process serving it, in KiB). */
export interface IdleSocketRun {
  worker: "service" | "baseline";
  openSeconds: number;
  rssKiB: { before: number; open: number; idle: number | null; awake: number | null };
  perSocketKiB: { open: number; idle: number | null };
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

/** Writes sent before the timed ones of a push run, whose receipts are not counted. */
const PUSH_WARMUP_WRITES = 10;
/** How long a socket may take to hear of a write before it counts as missed. */
const PUSH_TIMEOUT_MS = 2000;
/** Sockets opened at once. */
const OPEN_BATCH = 50;
/** Sockets opened before the first memory reading. */
const WARM_SOCKETS = 10;

const ITEM_BODY = JSON.stringify(historyItemBody());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number) => Math.round(value * 1000) / 1000;
const tokenOf = (headers: Record<string, string>) => headers.authorization!.replace(/^Bearer /, "");

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
  const fromAck: number[] = [];
  const fromSend: number[] = [];
  const lastSocket: number[] = [];
  const write: number[] = [];
  let missed = 0;
  try {
    for (let w = 0; w < PUSH_WARMUP_WRITES + writes; w++) {
      const heard = listener.expect(PUSH_TIMEOUT_MS);
      const sent = performance.now();
      const response = await fetch(itemUrl, { method: "PUT", headers: client.headers, body: ITEM_BODY });
      await response.arrayBuffer();
      const acknowledged = performance.now();
      if (response.status !== 200) throw new Error(`continuity: PUT history item: ${response.status}`);
      const receipts = await heard;
      if (w === 0) checkMessage(listener.first(), activityId);
      if (w < PUSH_WARMUP_WRITES) continue;
      missed += sockets - receipts.length;
      write.push(acknowledged - sent);
      for (const at of receipts) {
        fromAck.push(at - acknowledged);
        fromSend.push(at - sent);
      }
      if (receipts.length) lastSocket.push(Math.max(...receipts) - acknowledged);
    }
  } finally {
    await closeSockets(open);
  }
  return {
    sockets,
    writes,
    warmupWrites: PUSH_WARMUP_WRITES,
    receipts: fromAck.length,
    missed,
    fromAck: { ...spread(fromAck), min: round(Math.min(...fromAck)) },
    beforeAck: fromAck.filter((latency) => latency < 0).length,
    lastSocketFromAck: spread(lastSocket),
    fromSend: spread(fromSend),
    write: spread(write),
  };
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
async function openSockets(origin: string, token: string | null, count: number): Promise<WebSocket[]> {
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
async function closeSockets(sockets: WebSocket[]): Promise<void> {
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
 * workerd's RSS with `sockets` idle sockets on one feed: first on a fresh bare baseline (its object
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
    const pid = listenerOf(Number(new URL(worker.origin).port));
    const client = kind === "service" ? await clientFor(newIdentity()) : null;
    // The feed exists before the first reading.
    if (client) await putActivity(worker.origin, client, "/bench/continuity/idle");
    const token = client ? tokenOf(client.headers) : null;
    all.push(...(await openSockets(worker.origin, token, WARM_SOCKETS)));
    await sleep(2000);
    const before = residentKiB(pid);
    note(`continuity: idle sockets: opening ${count.toLocaleString("en")} on one feed of the ${kind}`);
    const started = performance.now();
    all.push(...(await openSockets(worker.origin, token, count)));
    const openSeconds = round((performance.now() - started) / 1000);
    await sleep(2000);
    const open = residentKiB(pid);
    const perSocket = (kib: number) => round((kib - before) / count);
    if (!client) {
      const rssKiB = { before, open, idle: null, awake: null };
      return {
        worker: kind,
        openSeconds,
        rssKiB,
        perSocketKiB: { open: perSocket(open), idle: null },
        feedConstructions: null,
        heardAfterWake: null,
      };
    }
    const constructions = async () => (await benchDoor<{ constructions: number }>(worker.origin, "feed-constructions", {})).constructions;
    const beforeWait = await constructions();
    note(`continuity: idle sockets: waiting ${waitSeconds} s for the feed to hibernate`);
    await sleep(waitSeconds * 1000);
    const idle = residentKiB(pid);
    // One write wakes the feed: each socket, still open, should hear of it.
    const heard = listen(all).expect(10_000);
    await putActivity(worker.origin, client, "/bench/continuity/idle");
    const heardAfterWake = (await heard).length;
    const afterWake = await constructions();
    await sleep(1000);
    return {
      worker: kind,
      openSeconds,
      rssKiB: { before, open, idle, awake: residentKiB(pid) },
      perSocketKiB: { open: perSocket(open), idle: perSocket(idle) },
      feedConstructions: { beforeWait, afterWake },
      heardAfterWake,
    };
  } finally {
    await closeSockets(all);
    await worker.dispose();
  }
}

/**
 * The process of ours listening on 127.0.0.1:`port`: the workerd that runs a Worker (wrangler runs
 * another beside it, for its inspector, which a request to the Worker's origin does not pass through).
 */
function listenerOf(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  // /proc/net/tcp: "sl local_address rem_address st … inode"; st 0A is LISTEN.
  const sockets = new Set(
    readFileSync("/proc/net/tcp", "utf8")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1] === local && fields[3] === "0A")
      .map((fields) => `socket:[${fields[9]}]`),
  );
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== process.pid) continue;
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (sockets.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) return Number(entry);
      }
    } catch {
      // Gone since the directory was read.
    }
  }
  throw new Error(`continuity: no process of ours listens on 127.0.0.1:${port}`);
}

/** VmRSS of `pid`, in KiB. */
function residentKiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN);
}

/** p50, p99 (nearest rank) and the largest, rounded to µs. */
function spread(values: number[]): Spread {
  const sorted = Float64Array.from(values).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! : NaN);
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted.at(-1) ?? NaN) };
}
