// One activity as a Windows Timeline card: the app's icon and name over the activity's Adaptive
// Card, or, when it has none (or it cannot be shown), over a face generated from its text, all on
// its own colour; then its sessions, each of which can be deleted.
import { renderAdaptiveCard, type RenderedCard } from "./adaptive-card";
import type { Activity, HistoryItem } from "./api";
import { cardColours, type Theme } from "./colours";
import { durationLabel, durationSeconds, sessionTime, startLabel } from "./days";
import { el } from "./dom";
import { webUrl } from "./urls";

export interface CardActions {
  deleteActivity(activity: Activity): void;
  deleteSession(activity: Activity, session: HistoryItem, label: string): void;
}

/** Who recorded the activity: the app's name, else its icon's text, else the source host. */
export function appName(activity: Activity): string {
  const attribution = activity.visualElements.attribution;
  return (
    activity.appDisplayName ||
    attribution?.alternateText ||
    attribution?.alternativeText ||
    URL.parse(activity.activitySourceHost)?.host ||
    activity.activitySourceHost
  );
}

function appHeader(activity: Activity): HTMLElement {
  const header = el("div", "activity-app");
  const iconUrl = webUrl(activity.visualElements.attribution?.iconUrl);
  if (iconUrl) {
    const icon = el("img", "activity-icon");
    // The app's name is written beside it, so the icon itself is decoration.
    icon.alt = "";
    icon.width = 20;
    icon.height = 20;
    icon.referrerPolicy = "no-referrer";
    icon.src = iconUrl;
    header.append(icon);
  }
  header.append(el("span", "activity-app-name", appName(activity)));
  return header;
}

function sessionRow(activity: Activity, session: HistoryItem, day: string, actions: CardActions): HTMLElement {
  const started = Date.parse(session.startedDateTime);
  const start = el("time", "session-start", startLabel(started, day));
  start.dateTime = session.startedDateTime;
  const label = `${startLabel(started, day)}, ${durationLabel(durationSeconds(session))}`;
  const remove = el("button", "icon-button", "×");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete the session of ${label}`);
  remove.title = "Delete this session";
  remove.addEventListener("click", () => actions.deleteSession(activity, session, label));
  const row = el(
    "li",
    "session",
    el("span", "session-text", start, el("span", "session-duration", durationLabel(durationSeconds(session)))),
    remove,
  );
  row.dataset.sessionId = session.id;
  return row;
}

/** Open: the activationUrl when it is http(s), else the fallbackUrl when that is. */
function openLink(activity: Activity): HTMLElement {
  const url = webUrl(activity.activationUrl) ?? webUrl(activity.fallbackUrl);
  if (!url) return el("span", "activity-no-link", "No web address to open");
  const link = el("a", "button primary", "Open");
  link.href = url;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  link.setAttribute("aria-label", `Open ${activity.visualElements.displayText}`);
  return link;
}

/** Graph's simple card, the fallback for an activity without an Adaptive Card: its title and description. */
function generatedFace(activity: Activity, titleId: string, card: RenderedCard): HTMLElement[] {
  const visual = activity.visualElements;
  const title = el("h3", "activity-title", visual.displayText);
  title.id = titleId;
  return [
    title,
    ...(visual.description ? [el("p", "activity-description", visual.description)] : []),
    // Said for the app's developer, who is who reads this page: their card is why the face looks plain.
    ...(card.kind === "unshown" ? [el("p", "card-note", card.reason)] : []),
  ];
}

/** The card for one activity, listed under `day` (its latest session's local day), in the page's theme. */
export function activityCard(activity: Activity, day: string, theme: Theme, actions: CardActions): HTMLElement {
  const visual = activity.visualElements;
  const colours = cardColours(visual.backgroundColor, theme);
  const titleId = `activity-title-${activity.id}`;
  // As Windows did: the Adaptive Card instead of the generated face, which shows only when there is no card to show.
  const card = renderAdaptiveCard(visual.content, colours);
  const face = el(
    "div",
    "activity-face",
    appHeader(activity),
    ...(card.kind === "card" ? [card.element] : generatedFace(activity, titleId, card)),
  );
  face.style.setProperty("--face-background", colours.background);
  face.style.setProperty("--face-text", colours.text);
  face.style.setProperty("--face-subtle", colours.subtle);

  const sessions = [...(activity.historyItems ?? [])].sort((a, b) => sessionTime(b) - sessionTime(a));
  const list = el("ul", "sessions", ...sessions.map((session) => sessionRow(activity, session, day, actions)));
  list.setAttribute("aria-label", `Sessions of ${visual.displayText}`);

  const remove = el("button", "button", "Delete");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete ${visual.displayText}`);
  remove.addEventListener("click", () => actions.deleteActivity(activity));

  const article = el(
    "article",
    "activity",
    face,
    el(
      "div",
      "activity-details",
      el("p", "sessions-heading", sessions.length === 1 ? "1 session" : `${sessions.length} sessions`),
      list,
      el("div", "activity-actions", openLink(activity), remove),
    ),
  );
  // The card shows the title its own way, so the article is named by the activity's text without showing it twice.
  if (card.kind === "card") article.setAttribute("aria-label", visual.displayText);
  else article.setAttribute("aria-labelledby", titleId);
  article.dataset.activityId = activity.id;
  return article;
}
