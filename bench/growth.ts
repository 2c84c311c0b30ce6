// The growth phase: each request at the largest size against the same request at the smallest, in
// paired rounds (bench/paired.ts), on the service with bench doors: PUT and GET of a history item
// with 10 and 100,000 items in the activity, the feed and recent pages with 10 and 10,000
// activities in the feed, and a deltaLink round's first page with 10 and 10,000 changes since the
// link, and with 10 and 10,000 changes before it in the stream. Seeding goes through the objects' own code behind the bench doors (ActivityObject's
// putActivity, 1,000 items a call; FeedObject.apply), as 100,000 items through HTTP would take minutes.
import { benchDoor, type Client, clientFor, historyItemBody, putActivity } from "./api.ts";
import { type Bench, ITEM_BODY, round } from "./context.ts";
import { runPaired, type SeriesSpec, type Side } from "./paired.ts";
import type { GrowthSeries } from "./results.ts";
import { newIdentity } from "./tokens.ts";
import { deltaPage, pathOf } from "./workloads.ts";

/** Seeds one activity with `size` history items; returns the items' paths. */
async function activityOf(bench: Bench, client: Client, size: number): Promise<string[]> {
  const { doors, note, results } = bench;
  const ids = Array.from({ length: size }, () => crypto.randomUUID());
  note(`growth: seeding one activity with ${size.toLocaleString("en")} history items (bench door, through ActivityObject.putActivity)`);
  const started = performance.now();
  const appActivityId = `/bench/growth/items/${size}`;
  const id = await putActivity(doors.origin, client, appActivityId);
  for (let first = 0; first < size; first += 10_000) {
    await benchDoor(doors.origin, "seed-items", {
      caller: client.identity,
      appActivityId,
      ids: ids.slice(first, first + 10_000),
      item: historyItemBody(),
    });
  }
  results.seeding[`items-${size}`] = { seconds: round((performance.now() - started) / 1000) };
  return ids.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`);
}

/** Seeds `size` activities into a feed, through FeedObject.apply, from index `first` on. */
async function seedFeed(bench: Bench, client: Client, size: number, first = 0): Promise<void> {
  for (let done = 0; done < size; done += 5_000) {
    await benchDoor(bench.doors.origin, "seed-feed", {
      caller: client.identity,
      total: Math.min(5_000, size - done),
      firstIndex: first + done,
    });
  }
}

/** A feed of `size` activities. */
async function feedOf(bench: Bench, size: number): Promise<Client> {
  const client = await clientFor(newIdentity());
  bench.note(`growth: seeding one feed with ${size.toLocaleString("en")} activities (bench door, through FeedObject.apply)`);
  const started = performance.now();
  await seedFeed(bench, client, size);
  bench.results.seeding[`feed-${size}`] = { seconds: round((performance.now() - started) / 1000) };
  return client;
}

/**
 * A feed of `before` activities, a deltaLink taken then ($deltatoken=latest), and `after` more
 * activities applied (each a change in the stream after the link): the link's path.
 */
async function streamOf(bench: Bench, before: number, after: number, pageSize: number): Promise<{ client: Client; path: string }> {
  const client = await clientFor(newIdentity());
  bench.note(
    `growth: a deltaLink after ${before.toLocaleString("en")} changes in one feed's stream, then ${after.toLocaleString("en")} more (bench door, through FeedObject.apply)`,
  );
  const started = performance.now();
  await seedFeed(bench, client, before);
  const headers = { ...client.headers, prefer: `odata.maxpagesize=${pageSize}` };
  const latest = await deltaPage(`${bench.doors.origin}/v1.0/me/activities/delta?$deltatoken=latest`, headers);
  const link = latest["@odata.deltaLink"];
  if (!link || latest.value.length !== 0) throw new Error("growth: $deltatoken=latest answered no empty page with a deltaLink");
  await seedFeed(bench, client, after, before);
  const first = await deltaPage(`${bench.doors.origin}${pathOf(link)}`, headers);
  if (first.value.length !== Math.min(after, pageSize))
    throw new Error(`growth: the deltaLink round's first page listed ${first.value.length} changes`);
  bench.results.seeding[`stream-${before}-then-${after}`] = { seconds: round((performance.now() - started) / 1000) };
  return { client, path: pathOf(link) };
}

/** The growth phase: every series at its largest size ÷ its smallest, p50 judged. */
export async function runGrowth(bench: Bench): Promise<void> {
  const { doors, settings } = bench;
  const growth = settings.growth;
  const pageSize = settings.workloads.pageSize;
  const client = await clientFor(newIdentity());
  const [smallItems, largeItems] = [growth.itemCounts[0]!, growth.itemCounts.at(-1)!];
  const [smallFeed, largeFeed] = [growth.activityCounts[0]!, growth.activityCounts.at(-1)!];
  const [fewChanges, manyChanges] = [growth.changeCounts[0]!, growth.changeCounts.at(-1)!];
  const items = [await activityOf(bench, client, smallItems), await activityOf(bench, client, largeItems)];
  const feeds = [await feedOf(bench, smallFeed), await feedOf(bench, largeFeed)];
  const { deltaChanges } = settings.workloads;
  // Changes since the link: its round has that many to list, a page at a time.
  const pending = [await streamOf(bench, 1, fewChanges, pageSize), await streamOf(bench, 1, manyChanges, pageSize)];
  // Changes before the link: its round lists the few after it, in a stream that holds many.
  const history = [await streamOf(bench, fewChanges, deltaChanges, pageSize), await streamOf(bench, manyChanges, deltaChanges, pageSize)];

  const side = (name: string, spec: Side["spec"]): Side => ({ name, worker: doors, spec });
  const at = (size: number, unit: string) => `${size.toLocaleString("en")} ${unit}`;
  const itemSeries = (key: string, label: string, method: "PUT" | "GET"): SeriesSpec => ({
    key,
    label,
    a: side(at(largeItems, "items"), {
      method,
      paths: items[1]!,
      headers: client.headers,
      ...(method === "PUT" ? { body: ITEM_BODY } : {}),
    }),
    b: side(at(smallItems, "items"), {
      method,
      paths: items[0]!,
      headers: client.headers,
      ...(method === "PUT" ? { body: ITEM_BODY } : {}),
    }),
  });
  const pageSeries = (key: string, label: string, path: string): SeriesSpec => ({
    key,
    label,
    a: side(at(largeFeed, "activities"), { method: "GET", paths: [path], headers: feeds[1]!.headers }),
    b: side(at(smallFeed, "activities"), { method: "GET", paths: [path], headers: feeds[0]!.headers }),
  });
  const deltaHeaders = (one: Client) => ({ ...one.headers, prefer: `odata.maxpagesize=${pageSize}` });
  const deltaSeries = (key: string, label: string, unit: string, links: { client: Client; path: string }[]): SeriesSpec => ({
    key,
    label,
    a: side(at(manyChanges, unit), { method: "GET", paths: [links[1]!.path], headers: deltaHeaders(links[1]!.client) }),
    b: side(at(fewChanges, unit), { method: "GET", paths: [links[0]!.path], headers: deltaHeaders(links[0]!.client) }),
  });
  const series: SeriesSpec[] = [
    itemSeries("growth-put-item", "PUT history item (replace)", "PUT"),
    itemSeries("growth-get-item", "GET history item", "GET"),
    pageSeries("growth-feed-page", `GET feed page ($top=${pageSize})`, `/v1.0/me/activities?$top=${pageSize}`),
    pageSeries("growth-recent-page", `GET recent page ($top=${pageSize})`, `/v1.0/me/activities/recent?$top=${pageSize}`),
    deltaSeries(
      "growth-delta-pending",
      `delta: a deltaLink round's first page (maxpagesize ${pageSize})`,
      "changes since the link",
      pending,
    ),
    {
      key: "aa-growth",
      label: "A/A: GET history item at the smallest size ÷ itself",
      a: side(at(smallItems, "items"), { method: "GET", paths: items[0]!, headers: client.headers }),
      b: side(at(smallItems, "items"), { method: "GET", paths: items[0]!, headers: client.headers }),
    },
    deltaSeries("growth-delta-history", `delta: a deltaLink round of ${deltaChanges} changes`, "earlier changes in the stream", history),
  ];
  bench.note(`growth: ${series.length} series in ${growth.pairs} paired rounds (largest ÷ smallest)`);
  const paired = await runPaired(series, growth, bench.load, bench.note);
  const units: Record<string, [string, [number, number]]> = {
    "growth-put-item": ["items in the activity", [largeItems, smallItems]],
    "growth-get-item": ["items in the activity", [largeItems, smallItems]],
    "growth-feed-page": ["activities in the feed", [largeFeed, smallFeed]],
    "growth-recent-page": ["activities in the feed", [largeFeed, smallFeed]],
    "growth-delta-pending": ["changes since the link", [manyChanges, fewChanges]],
    "growth-delta-history": ["earlier changes in the stream", [manyChanges, fewChanges]],
    "aa-growth": ["items in the activity", [smallItems, smallItems]],
  };
  bench.results.growth = paired.map((one): GrowthSeries => ({ ...one, unit: units[one.key]![0], sizes: units[one.key]![1] }));
}
