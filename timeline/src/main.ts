// The timeline page: asks for a bearer token, shows the caller's recent activities a page at a
// time, grouped by day, and deletes activities and sessions after a confirmation.
import { activityPath, FIRST_PAGE, send, sessionPath, type Activity, type Failure, type FeedPage, type HistoryItem } from "./api";
import { activityCard, type CardActions } from "./card";
import { confirmDelete } from "./confirm";
import { dayLabel, groupByDay } from "./days";
import { el } from "./dom";

const TOKEN_KEY = "timeline.token";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const signIn = byId<HTMLElement>("sign-in");
const tokenForm = byId<HTMLFormElement>("token-form");
const tokenInput = byId<HTMLInputElement>("token");
const tokenProblem = byId<HTMLElement>("token-problem");
const changeToken = byId<HTMLButtonElement>("change-token");
const statusLine = byId<HTMLElement>("status");
const problem = byId<HTMLElement>("problem");
const timeline = byId<HTMLElement>("timeline");
const empty = byId<HTMLElement>("empty");
const loadMore = byId<HTMLButtonElement>("load-more");

/** What the page holds: the token, every activity loaded so far (by id), and where the next page is. */
const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  activities: new Map<string, Activity>(),
  next: FIRST_PAGE as string | null,
  pagesLoaded: 0,
  loading: false,
};
/** Rendered cards, kept while their activity is unchanged so a new page does not re-render the rest. */
const cards = new Map<string, { day: string; element: HTMLElement }>();

const setStatus = (text: string) => {
  statusLine.textContent = text;
};

function clearProblem() {
  problem.hidden = true;
  problem.replaceChildren();
}

/** The failure in words: what happened, the service's code and message, and its request-id. */
function describeFailure(failure: Failure, doing: string): { title: string; detail: string } {
  if (failure.kind === "unanswered") return { title: `Could not ${doing}: no usable answer from the service`, detail: failure.message };
  const said = `${failure.status} ${failure.code}${failure.message ? `: ${failure.message}` : ""}`;
  const id = failure.requestId ? ` (request-id ${failure.requestId})` : "";
  if (failure.status === 429) {
    const wait =
      failure.retryAfterSeconds === null
        ? "a while"
        : failure.retryAfterSeconds === 1
          ? "1 second"
          : `${failure.retryAfterSeconds} seconds`;
    return {
      title: `Could not ${doing}: too many requests`,
      detail: `The service asks to wait ${wait} before trying again (Retry-After). ${said}${id}`,
    };
  }
  if (failure.status === 403) return { title: `Could not ${doing}: the token is not allowed to`, detail: `${said}${id}` };
  if (failure.status === 404) return { title: `Could not ${doing}: not found`, detail: `${said}${id}` };
  if (failure.status >= 500) return { title: `Could not ${doing}: the service failed`, detail: `${said}${id}` };
  return { title: `Could not ${doing}`, detail: `${said}${id}` };
}

/** Shows a failure with a way to try again; a 401 asks for a new token instead. */
function showFailure(failure: Failure, doing: string, retry: () => void) {
  if (failure.kind === "refused" && failure.status === 401) {
    askForToken(`The service refused the token (401 ${failure.code}${failure.message ? `: ${failure.message}` : ""}). Paste a new one.`);
    return;
  }
  const { title, detail } = describeFailure(failure, doing);
  const again = el("button", "button primary", "Try again");
  again.type = "button";
  again.addEventListener("click", () => {
    clearProblem();
    retry();
  });
  problem.replaceChildren(el("h2", "problem-title", title), el("p", "problem-detail", detail), again);
  problem.hidden = false;
  setStatus("");
}

/** Forgets the token and what it showed, and asks for a token (saying why, when there is a reason). */
function askForToken(message?: string) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.token = null;
  state.activities.clear();
  cards.clear();
  render();
  clearProblem();
  tokenProblem.textContent = message ?? "";
  tokenProblem.hidden = !message;
  signIn.hidden = false;
  changeToken.hidden = true;
  setStatus("");
  tokenInput.focus();
}

/** Every loaded activity, grouped by day, newest first; cards are built once per activity and day. */
function render() {
  const days = groupByDay(state.activities.values());
  const sections = days.map((day) => {
    const label = dayLabel(day.key);
    const headingId = `day-${day.key}`;
    const heading = el(
      "h2",
      "day-title",
      label,
      el("span", "day-count", day.activities.length === 1 ? "1 activity" : `${day.activities.length} activities`),
    );
    heading.id = headingId;
    const grid = el(
      "div",
      "cards",
      ...day.activities.map((activity) => {
        let card = cards.get(activity.id);
        if (!card || card.day !== day.key) {
          card = { day: day.key, element: activityCard(activity, day.key, cardActions) };
          cards.set(activity.id, card);
        }
        return card.element;
      }),
    );
    const section = el("section", "day", heading, grid);
    section.setAttribute("aria-labelledby", headingId);
    section.dataset.day = day.key;
    return section;
  });
  timeline.replaceChildren(...sections);
  const signedIn = state.token !== null;
  empty.hidden = !signedIn || state.activities.size > 0 || state.next !== null;
  loadMore.hidden = !signedIn || state.next === null || state.pagesLoaded === 0;
}

async function loadNextPage() {
  if (!state.token || !state.next || state.loading) return;
  state.loading = true;
  // aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
  loadMore.setAttribute("aria-disabled", "true");
  setStatus("Loading activities…");
  const token = state.token;
  const outcome = await send<FeedPage>(token, "GET", state.next);
  state.loading = false;
  loadMore.removeAttribute("aria-disabled");
  // The user changed the token while this page was on its way: it belongs to the old one.
  if (state.token !== token) return;
  if (outcome.kind !== "ok") return showFailure(outcome, "load the timeline", loadNextPage);
  for (const activity of outcome.body.value) {
    state.activities.set(activity.id, activity);
    cards.delete(activity.id);
  }
  state.next = outcome.body["@odata.nextLink"] ?? null;
  state.pagesLoaded += 1;
  const hadFocus = document.activeElement === loadMore;
  render();
  // The last page hides Load more: keep the keyboard user's place at the first card it brought.
  const first = outcome.body.value[0];
  if (hadFocus && loadMore.hidden && first) cards.get(first.id)?.element.querySelector<HTMLElement>("a[href], button")?.focus();
  const shown = state.activities.size === 1 ? "1 activity" : `${state.activities.size} activities`;
  setStatus(state.next ? `${shown} shown; more to load.` : `${shown} shown.`);
}

/** Moves focus somewhere sensible once a card or session is gone: the next card, else the page's heading. */
function focusAfterRemoval(activityId: string) {
  const element = cards.get(activityId)?.element;
  const target = element?.isConnected
    ? element.querySelector<HTMLElement>(".sessions button, .activity-actions .button")
    : document.querySelector<HTMLElement>(".activity .activity-actions .button");
  (target ?? byId<HTMLElement>("page-title")).focus();
}

async function deleteActivity(activity: Activity) {
  const name = activity.visualElements.displayText;
  const sessions = activity.historyItems?.length ?? 0;
  const ok = await confirmDelete(
    `Delete “${name}”?`,
    `The activity and its ${sessions === 1 ? "session" : `${sessions} sessions`} are deleted from the service. This cannot be undone.`,
    "Delete activity",
  );
  if (ok) await removeActivity(activity);
}

async function removeActivity(activity: Activity) {
  if (!state.token) return askForToken();
  setStatus("Deleting…");
  const outcome = await send<void>(state.token, "DELETE", activityPath(activity.id));
  const gone = outcome.kind === "ok" || (outcome.kind === "refused" && outcome.status === 404);
  if (!gone) return showFailure(outcome, "delete the activity", () => void removeActivity(activity));
  state.activities.delete(activity.id);
  cards.delete(activity.id);
  render();
  setStatus(
    outcome.kind === "ok"
      ? `Deleted “${activity.visualElements.displayText}”.`
      : `“${activity.visualElements.displayText}” was already deleted.`,
  );
  focusAfterRemoval(activity.id);
}

async function deleteSession(activity: Activity, session: HistoryItem, label: string) {
  const last = (activity.historyItems?.length ?? 0) <= 1;
  const ok = await confirmDelete(
    "Delete this session?",
    `The session of ${label} in “${activity.visualElements.displayText}” is deleted from the service.${last ? " It is the activity's only session, so the activity leaves the timeline." : ""} This cannot be undone.`,
    "Delete session",
  );
  if (ok) await removeSession(activity, session);
}

async function removeSession(activity: Activity, session: HistoryItem) {
  if (!state.token) return askForToken();
  setStatus("Deleting…");
  const outcome = await send<void>(state.token, "DELETE", sessionPath(activity.id, session.id));
  const gone = outcome.kind === "ok" || (outcome.kind === "refused" && outcome.status === 404);
  if (!gone) return showFailure(outcome, "delete the session", () => void removeSession(activity, session));
  const remaining = (activity.historyItems ?? []).filter((item) => item.id !== session.id);
  // The recent feed lists only activities that have sessions.
  if (remaining.length) state.activities.set(activity.id, { ...activity, historyItems: remaining });
  else state.activities.delete(activity.id);
  cards.delete(activity.id);
  render();
  setStatus(outcome.kind === "ok" ? "Deleted the session." : "The session was already deleted.");
  focusAfterRemoval(activity.id);
}

const cardActions: CardActions = {
  deleteActivity: (activity) => void deleteActivity(activity),
  deleteSession: (activity, session, label) => void deleteSession(activity, session, label),
};

/** Shows the timeline from its first page, with the token in hand. */
function start() {
  signIn.hidden = true;
  changeToken.hidden = false;
  clearProblem();
  state.activities.clear();
  cards.clear();
  state.next = FIRST_PAGE;
  state.pagesLoaded = 0;
  render();
  void loadNextPage();
}

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim().replace(/^Bearer\s+/i, "");
  if (!token) {
    tokenProblem.textContent = "Paste a token first.";
    tokenProblem.hidden = false;
    tokenInput.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  state.token = token;
  tokenInput.value = "";
  start();
});
changeToken.addEventListener("click", () => askForToken());
loadMore.addEventListener("click", () => void loadNextPage());

// Whatever goes wrong in the page's own code is shown, never a blank page.
const showCrash = (reason: unknown) =>
  showFailure({ kind: "unanswered", message: reason instanceof Error ? reason.message : String(reason) }, "show the timeline", start);
window.addEventListener("error", (event) => showCrash(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => showCrash(event.reason));

if (state.token) start();
else askForToken();
