// The page's data, in one place: every activity loaded so far, where the next page of the recent
// feed is, where the next delta round starts, and the calls that change them (a page arrives, a
// round brings what changed elsewhere, an activity or a session is deleted). Every change goes
// through apply, which tells the page which activities to show again.
import {
  activityPath,
  DELTA_FROM_NOW,
  FIRST_PAGE,
  send,
  sessionPath,
  type Activity,
  type DeltaPage,
  type FeedPage,
  type HistoryItem,
  type Outcome,
  type Removed,
} from "./api";

/** Whether a delete removed the item now, or it was already gone (a 404), or failed. */
export type Deleted = Outcome<"deleted" | "already-gone">;

/** Every activity the page has loaded for one token, kept in step with what the page does to them. */
export class Feed {
  /** Loaded activities by id. */
  readonly activities = new Map<string, Activity>();
  /** The next page's URL, or null after the last one. */
  next: string | null = FIRST_PAGE;
  pagesLoaded = 0;
  loading = false;
  /** Where the next delta round starts; null until the first page is asked for. */
  private deltaLink: string | null = null;
  /**
   * The recent feed's order key (see recentKey) of the last activity the pages brought. A changed
   * activity the page has not loaded shows only when it sorts before this: the next page brings the rest.
   */
  private frontier = Number.POSITIVE_INFINITY;
  /** Pages, rounds and deletes apply their answers one at a time, so an older answer never lands over a newer one. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Counts resets: an answer to a call made before the last one is dropped. */
  private generation = 0;

  /** `changed` hears the ids of activities added, replaced or removed, so their cards are made again. */
  constructor(private readonly changed: (ids: string[]) => void) {}

  /** Forgets everything, back to before the first page. */
  reset() {
    const ids = [...this.activities.keys()];
    this.generation += 1;
    this.activities.clear();
    this.next = FIRST_PAGE;
    this.pagesLoaded = 0;
    this.loading = false;
    this.deltaLink = null;
    this.frontier = Number.POSITIVE_INFINITY;
    this.changed(ids);
  }

  /**
   * Loads the next page with this token; null when there is none, one is on its way, or the feed was
   * reset meanwhile. The first page is preceded by a deltaLink from now, so the first round replays
   * whatever changed while the page loaded.
   */
  async loadNextPage(token: string): Promise<Outcome<Activity[]> | null> {
    const url = this.next;
    if (!url || this.loading) return null;
    this.loading = true;
    const generation = this.generation;
    const outcome = await this.exclusive(async (): Promise<Outcome<Activity[]> | null> => {
      if (this.deltaLink === null) {
        const start = await send<DeltaPage>(token, "GET", DELTA_FROM_NOW);
        if (generation !== this.generation) return null;
        if (start.kind !== "ok") return start;
        const deltaLink = start.body["@odata.deltaLink"];
        if (!deltaLink) return { kind: "unanswered", message: "The service's delta answer had no @odata.deltaLink." };
        this.deltaLink = deltaLink;
      }
      const page = await send<FeedPage>(token, "GET", url);
      if (generation !== this.generation) return null;
      if (page.kind !== "ok") return page;
      this.next = page.body["@odata.nextLink"] ?? null;
      this.pagesLoaded += 1;
      const keys = page.body.value.map(recentKey);
      this.frontier = this.next === null ? Number.NEGATIVE_INFINITY : Math.min(this.frontier, ...keys);
      // Shown again whatever it brought: where the pages end (Load more) changed too.
      this.changed(this.apply(page.body.value, true));
      return { kind: "ok", body: page.body.value };
    });
    if (generation === this.generation) this.loading = false;
    return outcome;
  }

  /**
   * Runs one delta round from the deltaLink with this token and applies what it lists: the number of
   * activities shown differently. Nothing to do before the first page, or after a reset meanwhile.
   */
  catchUp(token: string): Promise<Outcome<number>> {
    const generation = this.generation;
    return this.exclusive(async (): Promise<Outcome<number>> => {
      let shown = 0;
      for (let url = generation === this.generation ? this.deltaLink : null; url !== null;) {
        const page = await send<DeltaPage>(token, "GET", url);
        if (generation !== this.generation) break;
        if (page.kind !== "ok") return page;
        const ids = this.apply(page.body.value, false);
        if (ids.length) this.changed(ids);
        shown += ids.length;
        const { "@odata.nextLink": next, "@odata.deltaLink": deltaLink } = page.body;
        if (deltaLink) {
          this.deltaLink = deltaLink;
          break;
        }
        if (!next) return { kind: "unanswered", message: "A delta page had neither @odata.nextLink nor @odata.deltaLink." };
        url = next;
      }
      return { kind: "ok", body: shown };
    });
  }

  /** Deletes an activity from the service, and from the page once it is gone. */
  async deleteActivity(token: string, activity: Activity): Promise<Deleted> {
    const outcome = gone(await send<void>(token, "DELETE", activityPath(activity.id)));
    if (outcome.kind === "ok") await this.exclusive(async () => this.changed(this.apply([removed(activity.id)], false)));
    return outcome;
  }

  /** Deletes a session; the activity leaves the page with its last one (the recent feed lists only activities with sessions). */
  async deleteSession(token: string, activity: Activity, session: HistoryItem): Promise<Deleted> {
    const outcome = gone(await send<void>(token, "DELETE", sessionPath(activity.id, session.id)));
    if (outcome.kind !== "ok") return outcome;
    await this.exclusive(async () => {
      const current = this.activities.get(activity.id);
      if (current)
        this.changed(this.apply([{ ...current, historyItems: current.historyItems?.filter((item) => item.id !== session.id) }], false));
    });
    return outcome;
  }

  /**
   * Takes activities in their latest state: a removed one, or one left without sessions (which the
   * recent feed does not list), leaves the page; one the page holds is replaced when it differs; one
   * it does not hold comes in from a page, or from a round when it sorts before the frontier. The
   * ids of the activities to show again.
   */
  private apply(entries: (Activity | Removed)[], fromPage: boolean): string[] {
    const ids: string[] = [];
    for (const entry of entries) {
      const held = this.activities.get(entry.id);
      if ("@removed" in entry || !entry.historyItems?.length) {
        if (held && this.activities.delete(entry.id)) ids.push(entry.id);
      } else if (held ? JSON.stringify(held) !== JSON.stringify(entry) : fromPage || recentKey(entry) >= this.frontier) {
        this.activities.set(entry.id, entry);
        ids.push(entry.id);
      }
    }
    return ids;
  }

  /** Runs `work` after every earlier call's, even a failed one. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** The recent feed's order: an activity's newest item's lastModifiedDateTime, as epoch ms. */
function recentKey(activity: Activity): number {
  return Math.max(...(activity.historyItems ?? []).map((item) => Date.parse(item.lastModifiedDateTime)));
}

const removed = (id: string): Removed => ({ id, "@removed": { reason: "deleted" } });

/** A 404 on a delete means the item is already gone, which is what was asked. */
function gone(outcome: Outcome<void>): Deleted {
  if (outcome.kind === "ok") return { kind: "ok", body: "deleted" };
  if (outcome.kind === "refused" && outcome.status === 404) return { kind: "ok", body: "already-gone" };
  return outcome;
}
