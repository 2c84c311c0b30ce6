// The report's sections on the measured loads: the paired series (writes, reads, growth,
// subscriptions), delivery and push latency, idle-socket memory and the expiry sweep.
import type { ContinuityResult } from "./continuity.ts";
import type { PairedSeries } from "./paired.ts";
import { num, pairedTable, pairsLine, pct, ratio, table } from "./report-format.ts";
import type { Results } from "./results.ts";
import type { SubscriptionsResult } from "./subscriptions.ts";

/** How the paired figures are read, once, above the first paired table. */
export function pairedMethod(results: Results): string[] {
  const paired = results.settings.paired as { pairs: number; warmupSeconds: number; durationSeconds: number };
  return [
    `Every ratio here comes from paired rounds: a series runs its workload (A) and its reference (B) back to back, A then B, then B then A, and so on, ${paired.pairs} pairs (each run a ${paired.warmupSeconds} s warm-up, then ${paired.durationSeconds} s measured, at ${String(results.settings.connections)} connections); the series run interleaved, pair 1 of every series, then pair 2, …. Each pair gives a ratio A ÷ B; a figure is the median of its pairs' ratios, with their interquartile range in brackets. An A/A series runs the reference against itself on the same schedule: its spread is this run's noise band. CPU is workerd's, from /proc (utime + stime, in ticks of ${results.machine.clockTicksPerSecond} per second: \`getconf CLK_TCK\`), read right before and right after each measured run, divided by the requests it completed: the runtime process that runs the Worker and its objects; "with dev proxy" adds wrangler's proxy in front of it, which a deployment does not have. Each side's own figures are its medians over the pairs.`,
    "",
  ];
}

export function writesSection(writes: PairedSeries[]): string[] {
  if (!writes.length) return [];
  return [
    "## Writes",
    "",
    "The service (A) against the baseline + feed push (B, bench/baseline: the same read-then-upsert of `history_item` in the same Durable Object binding, then one RPC to a second object that upserts one row before answering; no framework, validation, auth or stream: the floor). PATCH and PUT activity, which have no twin there, are judged against its PUT replace.",
    "",
    pairedTable(writes),
    "",
    ...writes.map((one) => `- ${pairsLine(one)}`),
    "",
  ];
}

export function readsSection(reads: PairedSeries[]): string[] {
  if (!reads.length) return [];
  return [
    "## Reads",
    "",
    "GET history item and GET activity against the bare GET (bench/baseline: one RPC, one SELECT of the item). The feed, recent and delta pages against the bare page (bench/baseline: one RPC to a feed object that reads the 10 newest of the service's own stored activity texts in one statement; the Worker joins them with an unsigned cursor). The delta pages are read from a feed of their own (a first round's nextLink pages, picked at random, and a deltaLink round listing the activities replaced after it), with `Prefer: odata.maxpagesize=10`.",
    "",
    pairedTable(reads),
    "",
    ...reads.map((one) => `- ${pairsLine(one)}`),
    "",
  ];
}

export function growthSection(results: Results): string[] {
  if (!results.growth.length) return [];
  const growth = results.settings.growth as { pairs: number; warmupSeconds: number; durationSeconds: number };
  return [
    "## Growth",
    "",
    `Each series: the request at the largest size (A) against the same request at the smallest (B), on the service with bench doors, in ${growth.pairs} paired rounds of ${growth.warmupSeconds} s + ${growth.durationSeconds} s; p50 is judged. Items are seeded through the object's own putActivity() deep insert (1,000 items per call), feeds and stream changes through FeedObject.apply(). The delta rows take a deltaLink (\`$deltatoken=latest\`) on a feed and apply activities after it: in one, that many after a feed of one (the round's first page, maxpagesize 10, of that many changes); in the other, 10 after a feed of that many (a round of 10 changes, in a stream that holds that many before them).`,
    "",
    table(
      ["series", "sizes (A, B)", "A: p50 / p99 ms", "B: p50 / p99 ms", "p50 ÷", "p99 ÷", "req/s ÷"],
      results.growth.map((one) => [
        one.label,
        `${one.sizes.map((size) => size.toLocaleString("en")).join(", ")} ${one.unit}`,
        `${num(one.medianA.p50)} / ${num(one.medianA.p99)}`,
        `${num(one.medianB.p50)} / ${num(one.medianB.p99)}`,
        `${ratio(one.ratio.p50.median)} (${ratio(one.ratio.p50.q1)}–${ratio(one.ratio.p50.q3)})`,
        ratio(one.ratio.p99.median),
        ratio(one.ratio.rps.median),
      ]),
    ),
    "",
  ];
}

export function subscriptionsSection(subscriptions: SubscriptionsResult): string[] {
  const out = ["## Change notifications", ""];
  out.push(
    "A webhook receiver in the bench's process (Node's http server on 127.0.0.1: it answers the validation handshake, then 202 to each notification as its body ends; under `/dead/` it never answers a notification). Every subscription is made through `POST /v1.0/subscriptions` (changeType created,updated,deleted; an hour's lifetime; a clientState), on the service, whose `.dev.vars` allow loopback http.",
    "",
    `Delivery latency: subscriptions on a fresh feed, then sequential PUTs of one history item, each sent once every subscription heard of the one before (the first ${subscriptions.delivery[0]?.warmupWrites ?? 0} untimed). Each delivery is timed, in ms, from the moment the writer had the write's whole response (its acknowledgement): negative when the notification came first (the feed starts the POST as it applies the write, before the write is answered). Also from the write's sending, and, for each write, to the last subscription that heard of it.`,
    "",
    table(
      [
        "subscriptions on the feed",
        "writes",
        "deliveries (missed)",
        "ack → receiver p50 / p99 / max",
        "came before the ack",
        "ack → last subscription p50 / p99",
        "send → receiver p50 / p99",
        "write p50 / p99",
      ],
      subscriptions.delivery.map((run) => [
        String(run.subscriptions),
        String(run.writes),
        `${run.receipts.toLocaleString("en")} (${run.missed})`,
        `**${num(run.fromAck.p50)} / ${num(run.fromAck.p99)}** / ${num(run.fromAck.max)}`,
        pct(run.beforeAck / (run.receipts || 1)),
        `${num(run.lastFromAck.p50)} / ${num(run.lastFromAck.p99)}`,
        `${num(run.fromSend.p50)} / ${num(run.fromSend.p99)}`,
        `${num(run.write.p50)} / ${num(run.write.p99)}`,
      ]),
    ),
    "",
    "Writes with subscriptions: PUT history item (replace) to a feed of 16 activities (A) against the same writes to a feed of its own with no subscription (B), in paired rounds; after every run the bench waits until the receiver has had no notification for 250 ms, so the next run starts with the deliveries done (the CPU of a delivery that ends after its run is not charged to it). The feed with sockets has them open, idle, through the whole phase (each hears of every write).",
    "",
    pairedTable(subscriptions.throughput),
    "",
    `The receiver took ${subscriptions.receiver.taken.toLocaleString("en")} notification POSTs, held ${subscriptions.receiver.held} to the dead path, and answered ${subscriptions.receiver.handshakes} handshakes.`,
    "",
  );
  return out;
}

export function continuitySection(continuity: ContinuityResult): string[] {
  const out = ["## Live sockets", ""];
  out.push(
    `Push latency: sockets open on a fresh feed of the service (Node's WebSocket, the token as a subprotocol), then sequential PUTs of one history item, each sent once every socket heard of the one before (the first ${continuity.push[0]?.warmupWrites ?? 0} untimed). Each socket's receipt of each message is timed, in ms, from the moment the writer had the write's whole response (its acknowledgement): negative when the message came first, as the feed sends it while it applies the write. Also from the write's sending, and, for each write, to the last socket that heard of it.`,
    "",
    table(
      [
        "sockets on the feed",
        "writes",
        "receipts (missed)",
        "ack → message p50 / p99 / max",
        "came before the ack",
        "ack → last socket p50 / p99",
        "send → message p50 / p99 / max",
        "write p50 / p99",
      ],
      continuity.push.map((run) => [
        String(run.sockets),
        String(run.writes),
        `${run.receipts.toLocaleString("en")} (${run.missed})`,
        `${num(run.fromAck.p50)} / ${num(run.fromAck.p99)} / ${num(run.fromAck.max)}`,
        pct(run.beforeAck / (run.receipts || 1)),
        `${num(run.lastFromAck.p50)} / ${num(run.lastFromAck.p99)}`,
        `${num(run.fromSend.p50)} / ${num(run.fromSend.p99)} / ${num(run.fromSend.max)}`,
        `${num(run.write.p50)} / ${num(run.write.p99)}`,
      ]),
    ),
    "",
  );
  const { memory } = continuity;
  const mib = (kib: number | null) => (kib === null ? "–" : `${(kib / 1024).toFixed(1)} MiB`);
  const kibOf = (kib: number | null) => (kib === null ? "–" : `${num(kib)} KiB`);
  const service = memory.runs.find((run) => run.worker === "service");
  const constructions = service?.feedConstructions;
  out.push(
    `Memory per idle socket: VmRSS from /proc of each Worker's two workerd processes, started fresh for this: the runtime (the Worker, its objects, the sockets' server ends) and wrangler's dev proxy (which forwards each socket; a deployment has none): the service (with bench doors, which count the feed object's constructions) and the bare baseline, whose object accepts each socket with hibernation and does nothing else. ${memory.warmSockets} sockets are opened first and kept, then ${memory.sockets.toLocaleString("en")} more on the same feed. The service's then sit idle for ${memory.waitedSeconds} s (under \`wrangler dev\` an idle object is evicted after about 10 s; a hibernatable socket stays open without it), and one write wakes the feed.${
      constructions
        ? ` The feed object ${constructions.afterWake > constructions.beforeWait ? "did hibernate" : "did **not** hibernate"}: FeedObject constructions ${constructions.beforeWait} before the wait, ${constructions.afterWake} after the write; ${service!.heardAfterWake!.toLocaleString("en")} of ${(memory.sockets + memory.warmSockets).toLocaleString("en")} sockets heard of that write.`
        : ""
    }`,
    "",
    table(
      [
        "Worker",
        "process",
        "RSS before",
        `with ${memory.sockets.toLocaleString("en")} more open (opened in)`,
        "**per socket, open**",
        `after ${memory.waitedSeconds} s idle`,
        "**per socket, after the wait**",
        "after a write woke the feed",
      ],
      memory.runs.flatMap((run) =>
        (["runtime", "proxy"] as const).map((part) => [
          run.worker,
          part === "runtime" ? "runtime" : "dev proxy",
          mib(run.rssKiB[part].before),
          `${mib(run.rssKiB[part].open)} (${num(run.openSeconds)} s)`,
          `**${kibOf(run.perSocketKiB[part].open)}**`,
          mib(run.rssKiB[part].idle),
          run.perSocketKiB[part].idle === null ? "–" : `**${kibOf(run.perSocketKiB[part].idle)}**`,
          mib(run.rssKiB[part].awake),
        ]),
      ),
    ),
    "",
  );
  return out;
}

export function expirySection(results: Results): string[] {
  const expiry = results.expiry;
  if (!expiry) return [];
  return [
    "## Expiry",
    "",
    `One activity holds ${expiry.liveItems} live items and ${expiry.expiringItems.toLocaleString("en")} items that all expire at the same instant T. Writes (PUT replace of the live items, ${String(results.settings.connections)} connections) run from ${expiry.preWindowSeconds} s before T until after the sweep; the alarm runs are timed inside the object.`,
    "",
    table(
      ["measure", "value"],
      [
        ...(expiry.seedingOverran ? [["**warning**", "seeding ended less than 2 s before T: the window of writes before T is short"]] : []),
        [
          "rows before → after",
          `${expiry.rowsBefore.toLocaleString("en")} → ${expiry.rowsAfter.toLocaleString("en")}${expiry.completed ? "" : " (**sweep not finished**)"}`,
        ],
        ["hard-delete time (T → last expired row deleted)", `${num(expiry.hardDeleteMs)} ms`],
        ["alarm start lag after T", `${num(expiry.alarmStartLagMs)} ms`],
        [
          "sweep (first alarm start → last alarm end)",
          `${num(expiry.sweepMs)} ms in ${expiry.alarmRuns} alarm runs, the longest ${num(expiry.longestAlarmRunMs)} ms`,
        ],
        [
          "writes before T: p50 / p99",
          `${num(expiry.writesBefore.p50)} / ${num(expiry.writesBefore.p99)} ms (${expiry.writesBefore.count} writes)`,
        ],
        [
          "writes in flight during the sweep: p50 / p99",
          `${num(expiry.writesDuring.p50)} / ${num(expiry.writesDuring.p99)} ms (${expiry.writesDuring.count} writes)`,
        ],
        ["p99 during ÷ p99 before", ratio(expiry.p99Ratio)],
        ["errors", String(expiry.errors)],
      ],
    ),
    "",
  ];
}
