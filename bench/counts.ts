// The counts and plans phases, through the bench doors' instrumented objects: storage operations
// and rows read and written per request of each kind (deterministic: what Cloudflare bills), the
// baseline's rows for the same requests, and EXPLAIN QUERY PLAN of every statement the objects ran.
import { benchDoor, type Client, clientFor, historyItemBody, putActivity, subscribe } from "./api.ts";
import { activityBody } from "./api.ts";
import { type Bench, ITEM_BODY, ITEM_PATCH_BODY, round } from "./context.ts";
import type { QueryPlan } from "./results.ts";
import { sharedReceiver } from "./subscriptions.ts";
import { newIdentity } from "./tokens.ts";
import { deltaPage, pathOf } from "./workloads.ts";

/** The request kinds whose counts the cost table reads (bench/report-cost.ts). */
export const COUNTED = {
  itemWrites: ["PUT history item (create)", "PUT history item (replace)", "POST history item", "PATCH history item"],
  activityWrite: "PUT activity (replace)",
  feedPage: "GET feed page",
  deltaRound: "delta: a deltaLink round (1 change)",
  notified: "PUT history item (replace), 1 subscription, delivered",
  floor: "PUT history item (replace), baseline + feed push",
} as const;

/** How long the counts wait after a subscribed feed's last write: its alarm clears delivered changes 10 s after one is logged. */
const NOTIFICATION_ALARM_WAIT_MS = 12_000;

type Case = { label: string; request: (i: number) => [string, RequestInit] };

/** Sends each case's requests and reads the counts after each case, per request. */
async function countCases(bench: Bench, client: Client, cases: Case[], requests: number): Promise<Record<string, Record<string, number>>> {
  const perRequest: Record<string, Record<string, number>> = {};
  await benchDoor(bench.doors.origin, "counts", {});
  for (const { label, request } of cases) {
    for (let i = 0; i < requests; i++) {
      const [path, init] = request(i);
      const response = await fetch(`${bench.doors.origin}${path}`, {
        ...init,
        headers: { ...client.headers, ...(init.headers as Record<string, string>) },
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`counts: ${label}: ${response.status}`);
    }
    perRequest[label] = await countsPer(bench, requests);
  }
  return perRequest;
}

/** The counts since the last reading, divided by `requests`. */
async function countsPer(bench: Bench, requests: number): Promise<Record<string, number>> {
  const counts = await benchDoor<Record<string, number>>(bench.doors.origin, "counts", {});
  return Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, round(value / requests)]));
}

/** Storage operations per request of each kind, counted by the bench doors' instrumented objects. */
export async function runCounts(bench: Bench): Promise<void> {
  const { doors, note, settings } = bench;
  const requests = settings.countRequests;
  note(`counts: storage operations per request (${requests} requests each, bench doors)`);
  const client = await clientFor(newIdentity());
  const ids = Array.from({ length: requests }, () => crypto.randomUUID());
  const activity = await putActivity(
    doors.origin,
    client,
    "/bench/counts",
    ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
  );
  const itemPath = (itemId: string) => `/v1.0/me/activities/${activity}/historyItems/${itemId}`;
  const deltaHeaders = { prefer: `odata.maxpagesize=${settings.workloads.pageSize}` };
  // A deltaLink from before the writes below: its round lists the activity they changed.
  const latest = await deltaPage(`${doors.origin}/v1.0/me/activities/delta?$deltatoken=latest`, { ...client.headers, ...deltaHeaders });
  const deltaLink = pathOf(latest["@odata.deltaLink"]!);
  const cases: Case[] = [
    { label: "PUT history item (create)", request: () => [itemPath(crypto.randomUUID()), { method: "PUT", body: ITEM_BODY }] },
    { label: "PUT history item (replace)", request: (i) => [itemPath(ids[i]!), { method: "PUT", body: ITEM_BODY }] },
    { label: "POST history item", request: () => [`/v1.0/me/activities/${activity}/historyItems`, { method: "POST", body: ITEM_BODY }] },
    { label: "PATCH history item", request: (i) => [itemPath(ids[i]!), { method: "PATCH", body: ITEM_PATCH_BODY }] },
    {
      label: COUNTED.activityWrite,
      request: () => [`/v1.0/me/activities/${encodeURIComponent("/bench/counts")}`, { method: "PUT", body: activityBody() }],
    },
    { label: "GET history item", request: (i) => [itemPath(ids[i]!), { method: "GET" }] },
    { label: "GET activity", request: () => [`/v1.0/me/activities/${activity}`, { method: "GET" }] },
    { label: COUNTED.feedPage, request: () => ["/v1.0/me/activities?$top=10", { method: "GET" }] },
    { label: "GET recent page", request: () => ["/v1.0/me/activities/recent?$top=10", { method: "GET" }] },
    { label: "delta: a round's first page", request: () => ["/v1.0/me/activities/delta", { method: "GET", headers: deltaHeaders }] },
    { label: COUNTED.deltaRound, request: () => [deltaLink, { method: "GET", headers: deltaHeaders }] },
  ];
  bench.results.counts = { ...(await countCases(bench, client, cases, requests)), ...(await countNotified(bench, requests)) };
  bench.results.baselineRows = await baselineRows(bench, client, ids.map(itemPath));
}

/**
 * A write to a feed with one subscription, each delivered before the next write, and the feed's
 * alarm that clears the delivered changes: what a delivered notification adds to a write.
 */
async function countNotified(bench: Bench, requests: number): Promise<Record<string, Record<string, number>>> {
  const { doors, note } = bench;
  const receiver = await sharedReceiver();
  const client = await clientFor(newIdentity());
  const itemId = crypto.randomUUID();
  const activity = await putActivity(doors.origin, client, "/bench/counts/notified", [{ id: itemId, ...historyItemBody() }]);
  await subscribe(doors.origin, client, `${receiver.origin}/counts/${client.identity.userId}`, "bench-counts");
  note(
    `counts: ${requests} writes to a feed with one subscription, each delivered, then its alarm (${NOTIFICATION_ALARM_WAIT_MS / 1000} s)`,
  );
  await benchDoor(doors.origin, "counts", {});
  for (let i = 0; i < requests; i++) {
    const delivered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("counts: a notification did not arrive within 5 s")), 5000);
      receiver.onReceipt = (receipt) => {
        if (!receipt.body.value.some((notification) => notification.resourceData?.id === activity)) return;
        clearTimeout(timer);
        resolve();
      };
    });
    const response = await fetch(`${doors.origin}/v1.0/me/activities/${activity}/historyItems/${itemId}`, {
      method: "PUT",
      headers: client.headers,
      body: ITEM_BODY,
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`counts: a subscribed feed's write: ${response.status}`);
    await delivered;
  }
  receiver.onReceipt = null;
  await new Promise((resolve) => setTimeout(resolve, NOTIFICATION_ALARM_WAIT_MS));
  return { [COUNTED.notified]: await countsPer(bench, requests) };
}

/** The baseline's billed rows for the same writes and reads, for the cost comparison. */
async function baselineRows(bench: Bench, client: Client, itemPaths: string[]): Promise<Record<string, { read: number; written: number }>> {
  const origin = bench.baseline.origin;
  const rows = async (label: string, paths: string[], init: RequestInit) => {
    await (await fetch(`${origin}/__bench/rows`)).arrayBuffer();
    for (const path of paths) {
      const response = await fetch(`${origin}${path}`, {
        ...init,
        headers: { ...client.headers, ...(init.headers as Record<string, string>) },
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`counts: baseline ${label}: ${response.status}`);
    }
    const counted = (await (await fetch(`${origin}/__bench/rows`)).json()) as { read: number; written: number };
    return { read: round(counted.read / paths.length), written: round(counted.written / paths.length) };
  };
  const feedPush = { "x-bench-feed": "1" };
  const collection = itemPaths[0]!.slice(0, itemPaths[0]!.lastIndexOf("/"));
  // The first writes create the items in the baseline, the next ones replace them.
  return {
    "PUT history item (create), baseline + feed push": await rows("create", itemPaths, {
      method: "PUT",
      body: ITEM_BODY,
      headers: feedPush,
    }),
    [COUNTED.floor]: await rows("replace", itemPaths, { method: "PUT", body: ITEM_BODY, headers: feedPush }),
    "POST history item, baseline + feed push": await rows(
      "POST",
      itemPaths.map(() => collection),
      { method: "POST", body: ITEM_BODY, headers: feedPush },
    ),
    "PUT history item (replace), bare baseline": await rows("bare replace", itemPaths, { method: "PUT", body: ITEM_BODY }),
    "GET history item, bare baseline": await rows("GET", itemPaths, { method: "GET" }),
    "GET bare page": await rows(
      "page",
      itemPaths.map(() => "/v1.0/me/activities?$top=10"),
      { method: "GET" },
    ),
  };
}

/**
 * EXPLAIN QUERY PLAN of every statement the objects ran during the benchmark: first one request
 * of every route against the bench doors, so that each statement has been seen at least once.
 */
export async function runQueryPlans(bench: Bench): Promise<void> {
  const { doors } = bench;
  bench.note("query plans: every route once, then EXPLAIN QUERY PLAN of every statement seen");
  const client = await clientFor(newIdentity());
  const ids = [crypto.randomUUID(), crypto.randomUUID()];
  const id = await putActivity(
    doors.origin,
    client,
    "/bench/plans",
    ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
  );
  const other = await putActivity(doors.origin, client, "/bench/plans-deleted");
  const item = `/v1.0/me/activities/${id}/historyItems`;
  const requests: [string, RequestInit][] = [
    [`${item}/${crypto.randomUUID()}`, { method: "PUT", body: ITEM_BODY }],
    [`${item}/${ids[0]}`, { method: "PUT", body: ITEM_BODY }],
    [item, { method: "POST", body: ITEM_BODY }],
    [`${item}/${ids[0]}`, { method: "GET" }],
    [`${item}?$top=1`, { method: "GET" }],
    [`/v1.0/me/activities/${id}?$expand=historyItems`, { method: "GET" }],
    ["/v1.0/me/activities?$top=1", { method: "GET" }],
    ["/v1.0/me/activities/recent?$top=1&$expand=historyItems", { method: "GET" }],
    ["/v1.0/me/activities/delta", { method: "GET", headers: { prefer: "odata.maxpagesize=1" } }],
    [`${item}/${ids[1]}`, { method: "DELETE" }],
    [`/v1.0/me/activities/${other}`, { method: "DELETE" }],
  ];
  for (const [path, init] of requests) {
    const response = await fetch(`${doors.origin}${path}`, {
      ...init,
      headers: { ...client.headers, ...(init.headers as Record<string, string>) },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`query plans: ${init.method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    // Follow one nextLink (or deltaLink), so the keyset continuation is planned too.
    const body = JSON.parse(text || "{}") as { "@odata.nextLink"?: string; "@odata.deltaLink"?: string };
    const next = body["@odata.nextLink"] ?? body["@odata.deltaLink"];
    if (next)
      await (
        await fetch(`${doors.origin}${pathOf(next)}`, { headers: { ...client.headers, ...(init.headers as Record<string, string>) } })
      ).arrayBuffer();
  }
  bench.results.plans = await benchDoor<QueryPlan[]>(doors.origin, "query-plans", { caller: client.identity, id });
}
