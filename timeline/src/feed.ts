// The page's data, in one place: every activity loaded so far, where the next page of the recent
// feed is, and the calls that change them (a page arrives, an activity or a session is deleted).
// Every change goes through put or drop, which tell the page which activities to show again.
import { activityPath, FIRST_PAGE, send, sessionPath, type Activity, type HistoryItem, type Outcome, type FeedPage } from "./api";

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

  /** `changed` hears the ids of activities added, replaced or removed, so their cards are made again. */
  constructor(private readonly changed: (ids: string[]) => void) {}

  /** Forgets everything, back to before the first page. */
  reset() {
    const ids = [...this.activities.keys()];
    this.activities.clear();
    this.next = FIRST_PAGE;
    this.pagesLoaded = 0;
    this.changed(ids);
  }

  /** Adds or replaces activities. */
  put(activities: Activity[]) {
    for (const activity of activities) this.activities.set(activity.id, activity);
    this.changed(activities.map((activity) => activity.id));
  }

  /** Removes an activity. */
  drop(activityId: string) {
    this.activities.delete(activityId);
    this.changed([activityId]);
  }

  /** Loads the next page with this token; null when there is none or one is on its way. */
  async loadNextPage(token: string): Promise<Outcome<Activity[]> | null> {
    if (!this.next || this.loading) return null;
    this.loading = true;
    const outcome = await send<FeedPage>(token, "GET", this.next);
    this.loading = false;
    if (outcome.kind !== "ok") return outcome;
    this.next = outcome.body["@odata.nextLink"] ?? null;
    this.pagesLoaded += 1;
    this.put(outcome.body.value);
    return { kind: "ok", body: outcome.body.value };
  }

  /** Deletes an activity from the service, and from the page once it is gone. */
  async deleteActivity(token: string, activity: Activity): Promise<Deleted> {
    const outcome = gone(await send<void>(token, "DELETE", activityPath(activity.id)));
    if (outcome.kind === "ok") this.drop(activity.id);
    return outcome;
  }

  /** Deletes a session; the activity leaves the page with its last one (the recent feed lists only activities with sessions). */
  async deleteSession(token: string, activity: Activity, session: HistoryItem): Promise<Deleted> {
    const outcome = gone(await send<void>(token, "DELETE", sessionPath(activity.id, session.id)));
    if (outcome.kind !== "ok") return outcome;
    const current = this.activities.get(activity.id) ?? activity;
    const remaining = (current.historyItems ?? []).filter((item) => item.id !== session.id);
    if (remaining.length) this.put([{ ...current, historyItems: remaining }]);
    else this.drop(activity.id);
    return outcome;
  }
}

/** A 404 on a delete means the item is already gone, which is what was asked. */
function gone(outcome: Outcome<void>): Deleted {
  if (outcome.kind === "ok") return { kind: "ok", body: "deleted" };
  if (outcome.kind === "refused" && outcome.status === 404) return { kind: "ok", body: "already-gone" };
  return outcome;
}
