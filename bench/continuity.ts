// The continuity phase of `npm run bench` (issue 21's figures; no targets yet): what a delta round
// costs beside a feed page of the same size, how soon a live socket hears of a write after the
// writer saw it acknowledged (1 and 100 sockets on the feed), and the memory an idle socket holds
// in workerd, before and after the feed's object hibernates (the last two in bench/live.ts).
import { clientFor, putActivity } from "./api.ts";
import { idleSocketMemory, type IdleSocketMemory, pushLatency, type PushLatency } from "./live.ts";
import type { LoadResult, LoadSpec } from "./load.ts";
import { newIdentity } from "./tokens.ts";
import type { RunningWorker } from "./workers.ts";

export interface ContinuitySettings {
  /** Activities in the feed whose pages and delta rounds are measured. */
  feedActivities: number;
  /** Activities a page: the feed page's $top, the delta pages' Prefer: odata.maxpagesize. */
  pageSize: number;
  /** Activities changed between the first round and the deltaLink round that is measured. */
  deltaChanges: number;
  rounds: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Sequential writes whose socket messages are timed (after a few untimed ones). */
  pushWrites: number;
  /** Sockets open on the feed, one push run each. */
  pushSockets: readonly number[];
  /** Idle sockets opened on one feed for the memory figure. */
  idleSockets: number;
  /** How long the idle sockets are left alone, for the feed's object to hibernate. */
  hibernationWaitSeconds: number;
}

/** One kind of page request under load, beside the feed page of the same size. */
export interface ContinuityPageRow {
  key: "feed-page" | "delta-first" | "delta-next" | "delta-changes";
  label: string;
  /** The round with the most req/s, with every round's req/s. */
  result: LoadResult;
  vsFeedPage: { rps: number; p50: number; p99: number };
}

export interface ContinuityResult {
  feedActivities: number;
  pageSize: number;
  deltaChanges: number;
  /** How the pages were run: rounds, each a warm-up (the first round's; 1 s after) and a measured run, in seconds. */
  runs: { rounds: number; warmupSeconds: number; durationSeconds: number };
  pages: ContinuityPageRow[];
  push: PushLatency[];
  memory: IdleSocketMemory;
}

/** A load run on a Worker with the bench's defaults (bench/run.ts). */
export type Load = (
  worker: RunningWorker,
  spec: Omit<LoadSpec, "origin" | "connections" | "warmupSeconds" | "durationSeconds"> & Partial<LoadSpec>,
) => Promise<LoadResult>;

/** The whole phase: pages and rounds under load, then push latency, then idle-socket memory on fresh Workers. */
export async function measureContinuity(
  service: RunningWorker,
  settings: ContinuitySettings,
  load: Load,
  note: (message: string) => void,
): Promise<ContinuityResult> {
  const pages = await deltaBesideFeedPage(service, settings, load, note);
  const push: PushLatency[] = [];
  for (const sockets of settings.pushSockets) {
    note(`continuity: push latency, ${sockets} socket(s) on the feed, ${settings.pushWrites} sequential writes`);
    push.push(await pushLatency(service.origin, sockets, settings.pushWrites));
  }
  const memory = await idleSocketMemory(settings.idleSockets, settings.hibernationWaitSeconds, note);
  const { feedActivities, pageSize, deltaChanges, rounds, warmupSeconds, durationSeconds } = settings;
  return { feedActivities, pageSize, deltaChanges, runs: { rounds, warmupSeconds, durationSeconds }, pages, push, memory };
}

/**
 * A feed of `feedActivities` activities (PUT through the API), then, in alternating rounds: its
 * first page, a delta round's first request, the round's nextLink pages, and a deltaLink round
 * holding `deltaChanges` changes, all `pageSize` activities a page.
 */
async function deltaBesideFeedPage(
  service: RunningWorker,
  settings: ContinuitySettings,
  load: Load,
  note: (message: string) => void,
): Promise<ContinuityPageRow[]> {
  const { feedActivities, pageSize, deltaChanges } = settings;
  const origin = service.origin;
  const client = await clientFor(newIdentity());
  note(`continuity: seeding one feed with ${feedActivities.toLocaleString("en")} activities (PUT activity, 4 at a time)`);
  const appActivityId = (i: number) => `/bench/continuity/${i}`;
  await Promise.all(
    [0, 1, 2, 3].map(async (lane) => {
      for (let i = lane; i < feedActivities; i += 4) await putActivity(origin, client, appActivityId(i));
    }),
  );

  const deltaHeaders = { ...client.headers, prefer: `odata.maxpagesize=${pageSize}` };
  const nextPaths: string[] = [];
  let listed = 0;
  let url = `${origin}/v1.0/me/activities/delta`;
  let deltaLink: string | undefined;
  while (deltaLink === undefined) {
    const page = await deltaPage(url, deltaHeaders);
    listed += page.value.length;
    const next = page["@odata.nextLink"];
    if (next) nextPaths.push(pathOf(next));
    deltaLink = page["@odata.deltaLink"];
    if (next) url = next;
    else if (!deltaLink) throw new Error("continuity: a delta page with neither link");
  }
  if (listed !== feedActivities) throw new Error(`continuity: the first round listed ${listed} of ${feedActivities} activities`);

  // Replacing activities spread over the feed changes them; the deltaLink round then lists those.
  for (let i = 0; i < deltaChanges; i++) await putActivity(origin, client, appActivityId(Math.floor((i * feedActivities) / deltaChanges)));
  const changed = await deltaPage(deltaLink, deltaHeaders);
  if (changed.value.length !== deltaChanges || !changed["@odata.deltaLink"]) {
    throw new Error(`continuity: the deltaLink round listed ${changed.value.length} changes (expected ${deltaChanges}, on one page)`);
  }

  const rows: { key: ContinuityPageRow["key"]; label: string; paths: string[]; headers: Record<string, string> }[] = [
    {
      key: "feed-page",
      label: `GET feed page ($top=${pageSize})`,
      paths: [`/v1.0/me/activities?$top=${pageSize}`],
      headers: client.headers,
    },
    { key: "delta-first", label: "delta: a round's first request", paths: ["/v1.0/me/activities/delta"], headers: deltaHeaders },
    {
      key: "delta-next",
      label: `delta: first-round pages through their nextLink (${nextPaths.length} pages)`,
      paths: nextPaths,
      headers: deltaHeaders,
    },
    {
      key: "delta-changes",
      label: `delta: a deltaLink round of ${deltaChanges} changes`,
      paths: [pathOf(deltaLink)],
      headers: deltaHeaders,
    },
  ];
  // Alternating rounds, each request keeping its least disturbed one (most req/s), as the workloads do.
  const runs = new Map<string, LoadResult[]>(rows.map((row) => [row.key, []]));
  for (let pass = 1; pass <= settings.rounds; pass++) {
    note(`continuity: round ${pass} of ${settings.rounds}: the feed page, then delta pages (${pageSize} a page)`);
    for (const row of rows) {
      runs.get(row.key)!.push(
        await load(service, {
          method: "GET",
          paths: row.paths,
          headers: row.headers,
          warmupSeconds: pass === 1 ? settings.warmupSeconds : 1,
          durationSeconds: settings.durationSeconds,
        }),
      );
    }
  }
  const best = (key: string): LoadResult => {
    const all = runs.get(key)!;
    return { ...all.reduce((a, b) => (b.rps > a.rps ? b : a)), roundsRps: all.map((run) => run.rps) };
  };
  const feedPage = best("feed-page");
  return rows.map((row) => {
    const result = best(row.key);
    return {
      key: row.key,
      label: row.label,
      result,
      vsFeedPage: { rps: result.rps / feedPage.rps, p50: result.p50 / feedPage.p50, p99: result.p99 / feedPage.p99 },
    };
  });
}

interface DeltaPageBody {
  value: unknown[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

async function deltaPage(url: string, headers: Record<string, string>): Promise<DeltaPageBody> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`continuity: GET ${url}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as DeltaPageBody;
}

/** A link's path and query: the load generator adds the origin. */
const pathOf = (link: string) => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};
