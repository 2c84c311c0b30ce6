// The writes and reads phases: each workload of issue 23 against its reference, in paired rounds
// (bench/paired.ts). Item writes and PUT activity against the baseline + feed push (the floor: the
// least any implementation of the spec does before acknowledging a write); GET history item and
// GET activity against the bare GET; the feed, recent and delta pages against the bare page (one
// RPC, one statement over the ten newest stored texts, joined). Each phase has its A/A rows.
import { activityBody, type Client, clientFor, historyItemBody, putActivity } from "./api.ts";
import { type Bench, ITEM_BODY, ITEM_PATCH_BODY } from "./context.ts";
import { runPaired, type SeriesSpec, type Side } from "./paired.ts";
import { newIdentity } from "./tokens.ts";

/** What the workloads run on: seeded once, shared by the writes and the reads. */
interface Fixture {
  client: Client;
  activityIds: string[];
  itemPaths: string[];
  /** The delta pages' feed (its own user): a round's nextLink paths, and a deltaLink listing some changes. */
  delta: { client: Client; nextPaths: string[]; deltaLinkPath: string };
}

let fixture: Promise<Fixture> | undefined;

/** The workloads' fixture, seeded on first use. */
function fixtureOf(bench: Bench): Promise<Fixture> {
  fixture ??= seed(bench);
  return fixture;
}

async function seed(bench: Bench): Promise<Fixture> {
  const { service, baseline, note } = bench;
  const { activities, itemsPerActivity } = bench.settings.workloads;
  note(`seeding ${activities} activities with ${itemsPerActivity} history items each`);
  const client = await clientFor(newIdentity());
  const activityIds: string[] = [];
  const itemPaths: string[] = [];
  for (let i = 0; i < activities; i++) {
    const ids = Array.from({ length: itemsPerActivity }, () => crypto.randomUUID());
    const id = await putActivity(
      service.origin,
      client,
      `/bench/workload/${i}`,
      ids.map((itemId) => ({ id: itemId, ...historyItemBody() })),
    );
    activityIds.push(id);
    itemPaths.push(...ids.map((itemId) => `/v1.0/me/activities/${id}/historyItems/${itemId}`));
  }
  // The baseline holds the same items, so that its replaces replace and its reads find.
  await inLanes(itemPaths, async (path) => {
    const response = await fetch(`${baseline.origin}${path}`, { method: "PUT", headers: client.headers, body: ITEM_BODY });
    await response.arrayBuffer();
  });
  // The bare page lists the very texts the service's feed stores (the service's own page of them).
  const listed = (await (await fetch(`${service.origin}/v1.0/me/activities?$top=${activities}`, { headers: client.headers })).json()) as {
    value: { id: string; lastModifiedDateTime: string }[];
  };
  const seeded = await fetch(`${baseline.origin}/__bench/feed`, {
    method: "POST",
    body: JSON.stringify(
      listed.value.map((activity) => ({
        activityId: activity.id,
        lastModifiedMs: Date.parse(activity.lastModifiedDateTime),
        resource: JSON.stringify(activity),
      })),
    ),
  });
  if (seeded.status !== 204) throw new Error(`seeding the bare page: ${seeded.status}`);
  return { client, activityIds, itemPaths, delta: await seedDeltaFeed(bench) };
}

/** Runs `task` over `values`, four at a time. */
async function inLanes<T>(values: T[], task: (value: T) => Promise<void>): Promise<void> {
  await Promise.all(
    [0, 1, 2, 3].map(async (lane) => {
      for (let i = lane; i < values.length; i += 4) await task(values[i]!);
    }),
  );
}

/**
 * A feed of `deltaFeedActivities` activities (PUT through the API), a first delta round through it
 * (its nextLink paths kept), then `deltaChanges` activities replaced: its deltaLink lists them.
 */
async function seedDeltaFeed(bench: Bench): Promise<Fixture["delta"]> {
  const { deltaFeedActivities: total, pageSize, deltaChanges } = bench.settings.workloads;
  const origin = bench.service.origin;
  const client = await clientFor(newIdentity());
  bench.note(`seeding the delta pages' feed with ${total} activities (PUT activity, 4 at a time)`);
  const appActivityId = (i: number) => `/bench/delta/${i}`;
  await inLanes(
    Array.from({ length: total }, (_, i) => i),
    async (i) => void (await putActivity(origin, client, appActivityId(i))),
  );
  const headers = { ...client.headers, prefer: `odata.maxpagesize=${pageSize}` };
  const nextPaths: string[] = [];
  let listed = 0;
  let url = `${origin}/v1.0/me/activities/delta`;
  let deltaLink: string | undefined;
  while (deltaLink === undefined) {
    const page = await deltaPage(url, headers);
    listed += page.value.length;
    const next = page["@odata.nextLink"];
    deltaLink = page["@odata.deltaLink"];
    if (next) nextPaths.push(pathOf((url = next)));
    else if (!deltaLink) throw new Error("delta: a page with neither link");
  }
  if (listed !== total) throw new Error(`delta: the first round listed ${listed} of ${total} activities`);
  // Replacing activities spread over the feed changes them; the deltaLink round then lists those.
  for (let i = 0; i < deltaChanges; i++) await putActivity(origin, client, appActivityId(Math.floor((i * total) / deltaChanges)));
  const changed = await deltaPage(deltaLink, headers);
  if (changed.value.length !== deltaChanges || !changed["@odata.deltaLink"]) {
    throw new Error(`delta: the deltaLink round listed ${changed.value.length} changes (expected ${deltaChanges}, on one page)`);
  }
  return { client, nextPaths, deltaLinkPath: pathOf(deltaLink) };
}

interface DeltaPageBody {
  value: unknown[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

export async function deltaPage(url: string, headers: Record<string, string>): Promise<DeltaPageBody> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as DeltaPageBody;
}

/** A link's path and query: the load generator adds the origin. */
export const pathOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

/** The writes phase: PUT create, PUT replace, POST, PATCH and PUT activity against the baseline + feed push. */
export async function runWrites(bench: Bench): Promise<void> {
  const { client, activityIds, itemPaths } = await fixtureOf(bench);
  const { service, baseline, settings } = bench;
  const headers = client.headers;
  const floorHeaders = { ...headers, "x-bench-feed": "1" };
  const createPaths = activityIds.map((id) => `/v1.0/me/activities/${id}/historyItems/{guid}`);
  const collections = activityIds.map((id) => `/v1.0/me/activities/${id}/historyItems`);
  // PUT activity names an activity by its appActivityId.
  const activityPutPaths = activityIds.map((_, i) => `/v1.0/me/activities/${encodeURIComponent(`/bench/workload/${i}`)}`);
  const floor = (spec: Omit<Side["spec"], "headers">): Side => ({
    name: "baseline + feed push",
    worker: baseline,
    spec: { ...spec, headers: floorHeaders },
  });
  const onService = (spec: Omit<Side["spec"], "headers">): Side => ({ name: "service", worker: service, spec: { ...spec, headers } });
  const replace = { method: "PUT" as const, paths: itemPaths, body: ITEM_BODY };
  const series: SeriesSpec[] = [
    {
      key: "put-item-create",
      label: "PUT history item (create)",
      a: onService({ method: "PUT", paths: createPaths, body: ITEM_BODY }),
      b: floor({ method: "PUT", paths: createPaths, body: ITEM_BODY }),
    },
    { key: "put-item-replace", label: "PUT history item (replace)", a: onService(replace), b: floor(replace) },
    {
      key: "post-item",
      label: "POST history item",
      a: onService({ method: "POST", paths: collections, body: ITEM_BODY }),
      b: floor({ method: "POST", paths: collections, body: ITEM_BODY }),
    },
    // PATCH and PUT activity have no twin in the baseline: they are judged against its PUT replace.
    {
      key: "patch-item",
      label: "PATCH history item",
      a: onService({ method: "PATCH", paths: itemPaths, body: ITEM_PATCH_BODY }),
      b: floor(replace),
    },
    {
      key: "put-activity",
      label: "PUT activity (replace)",
      a: onService({ method: "PUT", paths: activityPutPaths, body: activityBody() }),
      b: floor(replace),
    },
    {
      key: "aa-write",
      label: "A/A: baseline + feed push PUT replace ÷ itself",
      a: floor(replace),
      b: floor(replace),
    },
  ];
  bench.note(`writes: ${series.length} series in ${settings.paired.pairs} paired rounds`);
  bench.results.writes = await runPaired(series, settings.paired, bench.load, bench.note);
}

/** The reads phase: GET history item and GET activity against the bare GET; the feed, recent and delta pages against the bare page. */
export async function runReads(bench: Bench): Promise<void> {
  const { client, activityIds, itemPaths, delta } = await fixtureOf(bench);
  const { service, baseline, settings } = bench;
  const { pageSize } = settings.workloads;
  const headers = client.headers;
  const deltaHeaders = { ...delta.client.headers, prefer: `odata.maxpagesize=${pageSize}` };
  const bareGet: Side = { name: "bare GET", worker: baseline, spec: { method: "GET", paths: itemPaths, headers } };
  const barePage: Side = {
    name: "bare page",
    worker: baseline,
    spec: { method: "GET", paths: [`/v1.0/me/activities?$top=${pageSize}`], headers },
  };
  const get = (paths: string[], pageHeaders = headers): Side => ({
    name: "service",
    worker: service,
    spec: { method: "GET", paths, headers: pageHeaders },
  });
  const series: SeriesSpec[] = [
    { key: "get-item", label: "GET history item", a: get(itemPaths), b: bareGet },
    { key: "get-activity", label: "GET activity", a: get(activityIds.map((id) => `/v1.0/me/activities/${id}`)), b: bareGet },
    { key: "aa-get", label: "A/A: bare GET ÷ itself", a: bareGet, b: bareGet },
    { key: "list-feed", label: `GET feed page ($top=${pageSize})`, a: get([`/v1.0/me/activities?$top=${pageSize}`]), b: barePage },
    {
      key: "list-recent",
      label: `GET recent page ($top=${pageSize})`,
      a: get([`/v1.0/me/activities/recent?$top=${pageSize}`]),
      b: barePage,
    },
    {
      key: "delta-first",
      label: `delta: a round's first page (maxpagesize ${pageSize})`,
      a: get(["/v1.0/me/activities/delta"], deltaHeaders),
      b: barePage,
    },
    {
      key: "delta-next",
      label: `delta: a round's pages through their nextLink (${delta.nextPaths.length} pages)`,
      a: get(delta.nextPaths, deltaHeaders),
      b: barePage,
    },
    {
      key: "delta-changes",
      label: `delta: a deltaLink round of ${settings.workloads.deltaChanges} changes`,
      a: get([delta.deltaLinkPath], deltaHeaders),
      b: barePage,
    },
    { key: "aa-page", label: "A/A: bare page ÷ itself", a: barePage, b: barePage },
  ];
  bench.note(`reads: ${series.length} series in ${settings.paired.pairs} paired rounds`);
  bench.results.reads = await runPaired(series, settings.paired, bench.load, bench.note);
}
