// The timeline page: asks for a bearer token, shows the caller's recent activities a page at a
// time, grouped by day and filtered by the search box, in the browser's light or dark theme, keeps
// them current as they change elsewhere, and deletes activities and sessions after a confirmation.
// The data lives in feed.ts, the live connection in live.ts.
import type { Activity, Failure, HistoryItem } from "./api";
import { activityCard, type CardActions } from "./card";
import type { Theme } from "./colours";
import { confirmDelete } from "./confirm";
import { dayLabel, groupByDay } from "./days";
import { el } from "./dom";
import { describeFailure } from "./failure";
import { Feed } from "./feed";
import { Live, type LiveState, type RoundResult } from "./live";
import { matches, searchWords } from "./search";

const TOKEN_KEY = "timeline.token";

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const signIn = byId<HTMLElement>("sign-in");
const tokenForm = byId<HTMLFormElement>("token-form");
const tokenInput = byId<HTMLInputElement>("token");
const tokenProblem = byId<HTMLElement>("token-problem");
const changeToken = byId<HTMLButtonElement>("change-token");
const liveLine = byId<HTMLElement>("live");
const search = byId<HTMLElement>("search");
const searchInput = byId<HTMLInputElement>("search-input");
const statusLine = byId<HTMLElement>("status");
const problem = byId<HTMLElement>("problem");
const timeline = byId<HTMLElement>("timeline");
const empty = byId<HTMLElement>("empty");
const noMatch = byId<HTMLElement>("no-match");
const loadMore = byId<HTMLButtonElement>("load-more");

let token = sessionStorage.getItem(TOKEN_KEY);
/** Rendered cards, kept while their activity is unchanged so a new page does not re-render the rest. */
const cards = new Map<string, { day: string; element: HTMLElement }>();
const feed = new Feed((changed) => {
  for (const id of changed) cards.delete(id);
  render();
});

const lightScheme = matchMedia("(prefers-color-scheme: light)");
const theme = (): Theme => (lightScheme.matches ? "light" : "dark");
// Cards carry colours computed for the theme (the neutral card colour differs), so a new theme makes them again.
lightScheme.addEventListener("change", () => {
  cards.clear();
  render();
});

const setStatus = (text: string) => {
  statusLine.textContent = text;
};

const LIVE_TEXT: Record<LiveState, string> = {
  off: "",
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  expired: "Not live: the token expired",
};

/** Shows where the live connection stands; an expired token asks for a new one, keeping what the page shows. */
function showLive(state: LiveState) {
  liveLine.textContent = LIVE_TEXT[state];
  liveLine.dataset.state = state;
  liveLine.hidden = state === "off";
  if (state === "expired") showSignIn("The token expired, so the timeline stopped updating. Paste a new one to catch up.");
}

/** Runs a delta round for the live connection, and decides what its failure means. */
async function catchUp(asked: string): Promise<RoundResult> {
  const outcome = await feed.catchUp(asked);
  if (token !== asked) return "stop";
  if (outcome.kind === "ok") {
    if (outcome.body > 0) setStatus(summary());
    return "done";
  }
  if (outcome.kind === "refused" && outcome.status === 401) {
    showFailure(outcome, "update the timeline", start);
    return "stop";
  }
  // Gone (410: past the horizon, or before an erasure) or not this feed's (400: a token for another user or app): start over.
  if (outcome.kind === "refused" && (outcome.status === 410 || outcome.status === 400)) {
    start();
    return "stop";
  }
  return "retry";
}

const live = new Live({ round: catchUp, stateChanged: showLive });

const count = (n: number) => (n === 1 ? "1 activity" : `${n} activities`);

function clearProblem() {
  problem.hidden = true;
  problem.replaceChildren();
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
  token = null;
  live.stop();
  searchInput.value = "";
  feed.reset();
  clearProblem();
  showSignIn(message);
  changeToken.hidden = true;
  search.hidden = true;
  setStatus("");
  tokenInput.focus();
}

/** Shows the token form, saying why when there is a reason. */
function showSignIn(message?: string) {
  tokenProblem.textContent = message ?? "";
  tokenProblem.hidden = !message;
  signIn.hidden = false;
}

/** The activities the search box lets through, in no particular order. */
const shownActivities = () => [...feed.activities.values()].filter((activity) => matches(activity, searchWords(searchInput.value)));

/** Every loaded activity the search lets through, grouped by day, newest first; cards are built once per activity and day. */
function render() {
  const shown = shownActivities();
  const sections = groupByDay(shown).map((day) => {
    const headingId = `day-${day.key}`;
    const heading = el("h2", "day-title", dayLabel(day.key), el("span", "day-count", count(day.activities.length)));
    heading.id = headingId;
    const grid = el(
      "div",
      "cards",
      ...day.activities.map((activity) => {
        let card = cards.get(activity.id);
        if (!card || card.day !== day.key) {
          card = { day: day.key, element: activityCard(activity, day.key, theme(), cardActions) };
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
  const signedIn = token !== null;
  const query = searchInput.value.trim();
  empty.hidden = !signedIn || feed.activities.size > 0 || feed.next !== null;
  noMatch.hidden = !signedIn || feed.activities.size === 0 || shown.length > 0;
  noMatch.textContent = `No activity loaded so far matches “${query}”.${feed.next ? " Load more to search further." : ""}`;
  loadMore.hidden = !signedIn || feed.next === null || feed.pagesLoaded === 0;
}

/** What the page shows, in words: how many activities, how many match the search, and whether more can be loaded. */
function summary(): string {
  const total = feed.activities.size;
  const more = feed.next ? "; more to load." : ".";
  const query = searchInput.value.trim();
  if (!query) return `${count(total)} shown${more}`;
  const shown = shownActivities().length;
  return `${shown} of ${count(total)} ${shown === 1 ? "matches" : "match"} “${query}”${more}`;
}

async function loadNextPage() {
  if (!token || !feed.next || feed.loading) return;
  const hadFocus = document.activeElement === loadMore;
  // aria-disabled rather than disabled: a disabled button would drop the keyboard focus.
  loadMore.setAttribute("aria-disabled", "true");
  setStatus("Loading activities…");
  const asked = token;
  const outcome = await feed.loadNextPage(asked);
  loadMore.removeAttribute("aria-disabled");
  // The user changed the token while this page was on its way: it belongs to the old one.
  if (token !== asked || !outcome) return;
  if (outcome.kind !== "ok") return showFailure(outcome, "load the timeline", loadNextPage);
  // Live from the first page on: the first round replays what changed while it loaded.
  if (live.state === "off") live.follow(asked);
  // The last page hides Load more: keep the keyboard user's place at the first card it brought.
  const first = outcome.body.map((activity) => cards.get(activity.id)?.element).find((card) => card?.isConnected);
  if (hadFocus && loadMore.hidden && first) first.querySelector<HTMLElement>("a[href], button")?.focus();
  setStatus(summary());
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
  if (!token) return askForToken();
  setStatus("Deleting…");
  const outcome = await feed.deleteActivity(token, activity);
  if (outcome.kind !== "ok") return showFailure(outcome, "delete the activity", () => void removeActivity(activity));
  const name = activity.visualElements.displayText;
  setStatus(outcome.body === "deleted" ? `Deleted “${name}”.` : `“${name}” was already deleted.`);
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
  if (!token) return askForToken();
  setStatus("Deleting…");
  const outcome = await feed.deleteSession(token, activity, session);
  if (outcome.kind !== "ok") return showFailure(outcome, "delete the session", () => void removeSession(activity, session));
  setStatus(outcome.body === "deleted" ? "Deleted the session." : "The session was already deleted.");
  focusAfterRemoval(activity.id);
}

const cardActions: CardActions = {
  deleteActivity: (activity) => void deleteActivity(activity),
  deleteSession: (activity, session, label) => void deleteSession(activity, session, label),
};

/** Shows the timeline from its first page, with the token in hand. */
function start() {
  live.stop();
  signIn.hidden = true;
  changeToken.hidden = false;
  search.hidden = false;
  clearProblem();
  feed.reset();
  void loadNextPage();
}

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const pasted = tokenInput.value.trim().replace(/^Bearer\s+/i, "");
  if (!pasted) {
    tokenProblem.textContent = "Paste a token first.";
    tokenProblem.hidden = false;
    tokenInput.focus();
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, pasted);
  token = pasted;
  tokenInput.value = "";
  if (live.state !== "expired") return start();
  // A new token after the old one expired: keep what the page shows and catch up through the deltaLink
  // (a token for another user or app gets a 400 for it, and the page starts over).
  signIn.hidden = true;
  live.follow(pasted);
});
changeToken.addEventListener("click", () => askForToken());
loadMore.addEventListener("click", () => void loadNextPage());
searchInput.addEventListener("input", () => {
  render();
  setStatus(summary());
});
// Escape empties the box (as a search field does natively in some browsers, in all of them here).
searchInput.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !searchInput.value) return;
  event.preventDefault();
  searchInput.value = "";
  render();
  setStatus(summary());
});

// Whatever goes wrong in the page's own code is shown, never a blank page.
const showCrash = (reason: unknown) =>
  showFailure({ kind: "unanswered", message: reason instanceof Error ? reason.message : String(reason) }, "show the timeline", start);
window.addEventListener("error", (event) => showCrash(event.error ?? event.message));
window.addEventListener("unhandledrejection", (event) => showCrash(event.reason));

if (token) start();
else askForToken();
