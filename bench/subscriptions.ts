// The subscriptions phase (issue 22's figures, issue 23's continuity targets): Graph change
// notifications delivered to a real receiver in the bench's process (bench/receiver.ts), each
// subscription made through the real route (POST /v1.0/subscriptions, its validation handshake
// answered by the receiver). Delivery latency from a write's acknowledgement to the receiver, with
// 1 and 50 subscriptions on a feed; then, in paired rounds against writes to a feed with none,
// writes to a feed with 1 subscription, with 50, with 50 and 100 open live sockets, and with one
// subscriber that never answers.
import { type Client, clientFor, historyItemBody, putActivity, subscribe } from "./api.ts";
import { type Bench, ITEM_BODY } from "./context.ts";
import { type FanOutLatency, timeFanOut } from "./fan-out.ts";
import { closeSockets, openSockets, tokenOf } from "./live.ts";
import { type PairedSeries, runPaired, type SeriesSpec, type Side } from "./paired.ts";
import { type Receiver, startReceiver } from "./receiver.ts";
import { newIdentity } from "./tokens.ts";

/** How soon the receivers heard of each of a run of sequential writes to one feed. */
export interface DeliveryLatency extends FanOutLatency {
  subscriptions: number;
}

export interface SubscriptionsResult {
  delivery: DeliveryLatency[];
  /** Writes to a feed with subscriptions (sockets, a dead subscriber) ÷ writes to a feed with none; and the A/A row. */
  throughput: PairedSeries[];
  /** What the receiver saw over the phase: notification POSTs taken, POSTs to the dead path held, handshakes answered. */
  receiver: Receiver["counts"];
}

/** How long a subscription may take to hear of a write before it counts as missed. */
const DELIVERY_TIMEOUT_MS = 5000;

let receiver: Promise<Receiver> | undefined;

/** The bench's one webhook receiver, started on first use. */
export function sharedReceiver(): Promise<Receiver> {
  receiver ??= startReceiver();
  return receiver;
}

/** Closes the receiver, if one was started. */
export async function closeReceiver(): Promise<void> {
  if (receiver) await (await receiver).close();
}

/** A feed of its own: `activities` activities of `items` history items each; returns the items' paths. */
async function feedWithItems(origin: string, client: Client, activities: number, items: number): Promise<string[]> {
  const paths: string[] = [];
  for (let i = 0; i < activities; i++) {
    const ids = Array.from({ length: items }, () => crypto.randomUUID());
    const id = await putActivity(
      origin,
      client,
      `/bench/subscriptions/${i}`,
      ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
    );
    paths.push(...ids.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`));
  }
  return paths;
}

/** `count` subscriptions on the caller's feed, each to its own path under `prefix` on the receiver; their ids. */
async function subscribeMany(origin: string, client: Client, hooks: Receiver, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++)
    ids.push(await subscribe(origin, client, `${hooks.origin}/${prefix}/${client.identity.userId}/${n}`, `bench-${n}`));
  return ids;
}

/**
 * `subscriptions` subscriptions on a fresh feed, then sequential replaces of one history item:
 * each write is sent once every subscription heard of the one before (or DELIVERY_TIMEOUT_MS
 * passed), and every delivery is timed.
 */
async function deliveryLatency(bench: Bench, hooks: Receiver, subscriptions: number, writes: number): Promise<DeliveryLatency> {
  const origin = bench.service.origin;
  const client = await clientFor(newIdentity());
  const itemId = crypto.randomUUID();
  const activityId = await putActivity(origin, client, "/bench/subscriptions/latency", [{ id: itemId, ...historyItemBody() }]);
  const ids = new Set(await subscribeMany(origin, client, hooks, "hook", subscriptions));
  const itemUrl = `${origin}/v1.0/me/activities/${activityId}/historyItems/${itemId}`;
  let unexpected = 0;
  // Each subscription's first notification of the write, timed as the receiver took it.
  const listen = () =>
    new Promise<number[]>((resolve) => {
      const receipts = new Map<string, number>();
      const finish = () => {
        clearTimeout(timer);
        resolve([...receipts.values()]);
      };
      const timer = setTimeout(finish, DELIVERY_TIMEOUT_MS);
      hooks.onReceipt = (receipt) => {
        for (const notification of receipt.body.value) {
          if (!ids.has(notification.subscriptionId) || notification.resourceData?.id !== activityId) continue;
          if (notification.changeType !== "updated") unexpected++;
          if (!receipts.has(notification.subscriptionId)) receipts.set(notification.subscriptionId, receipt.at);
        }
        if (receipts.size === ids.size) finish();
      };
    });
  try {
    const latency = await timeFanOut({ what: "subscriptions", itemUrl, headers: client.headers, followers: ids.size, writes }, listen);
    if (unexpected) throw new Error(`subscriptions: ${unexpected} notification(s) of a replace were not an "updated"`);
    return { subscriptions, ...latency };
  } finally {
    hooks.onReceipt = null;
  }
}

/** The whole phase: delivery latency, then writes with subscriptions against writes with none, in paired rounds. */
export async function runSubscriptions(bench: Bench): Promise<void> {
  const { service, settings, note } = bench;
  const hooks = await sharedReceiver();
  const delivery: DeliveryLatency[] = [];
  for (const count of settings.subscriptions.fanOut) {
    note(`subscriptions: delivery latency, ${count} subscription(s) on a feed, ${settings.subscriptions.deliveryWrites} sequential writes`);
    delivery.push(await deliveryLatency(bench, hooks, count, settings.subscriptions.deliveryWrites));
  }

  const { activities, itemsPerActivity } = settings.workloads;
  const [one, many] = [settings.subscriptions.fanOut[0]!, settings.subscriptions.fanOut.at(-1)!];
  const feed = async (label: string, subscriptions: number, prefix = "hook") => {
    const client = await clientFor(newIdentity());
    note(`subscriptions: a feed of ${activities} activities, ${subscriptions} subscription(s) (${label})`);
    const paths = await feedWithItems(service.origin, client, activities, itemsPerActivity);
    await subscribeMany(service.origin, client, hooks, prefix, subscriptions);
    return { client, paths };
  };
  const none = await feed("none", 0);
  const single = await feed("one", one);
  const fanned = await feed("many", many);
  const withSockets = await feed("many, with sockets", many);
  const dead = await feed("a subscriber that never answers", 1, "dead");
  note(`subscriptions: opening ${settings.subscriptions.sockets} live sockets on one feed`);
  const sockets = await openSockets(service.origin, tokenOf(withSockets.client.headers), settings.subscriptions.sockets);
  try {
    const writes = (name: string, target: { client: Client; paths: string[] }): Side => ({
      name,
      worker: service,
      spec: { method: "PUT", paths: target.paths, body: ITEM_BODY, headers: target.client.headers },
    });
    // Deliveries that a run set off end before the next run starts (a held POST to the dead path is not waited for).
    const settle = () => hooks.quiet(250, 10_000);
    const versusNone = (key: string, label: string, a: Side): SeriesSpec => ({ key, label, a, b: writes("no subscription", none), settle });
    const series: SeriesSpec[] = [
      versusNone("subscriptions-1", `${one} subscription`, writes(`${one} subscription`, single)),
      versusNone("subscriptions-50", `${many} subscriptions`, writes(`${many} subscriptions`, fanned)),
      versusNone(
        "subscriptions-50-sockets",
        `${many} subscriptions and ${sockets.length} open live sockets`,
        writes(`${many} subscriptions, ${sockets.length} sockets`, withSockets),
      ),
      versusNone("subscriptions-dead", "one subscriber that never answers", writes("a subscriber that never answers", dead)),
      versusNone("aa-subscriptions", "A/A: writes to a feed with no subscription ÷ themselves", writes("no subscription", none)),
    ];
    note(`subscriptions: ${series.length} series of PUT history item (replace) in ${settings.paired.pairs} paired rounds`);
    const throughput = await runPaired(series, settings.paired, bench.load, note);
    bench.results.subscriptions = { delivery, throughput, receiver: { ...hooks.counts } };
  } finally {
    await closeSockets(sockets);
  }
}
