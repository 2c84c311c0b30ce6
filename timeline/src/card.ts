// One activity as a Windows Timeline card: the app's icon and name, the activity's text on its
// own colour, its Adaptive Card, and its sessions, each of which can be deleted.
import { renderAdaptiveCard } from "./adaptive-card";
import type { Activity, HistoryItem } from "./api";
import { cardColours } from "./colours";
import { durationLabel, durationSeconds, sessionTime, startLabel } from "./days";
import { el } from "./dom";
import { webUrl } from "./urls";

export interface CardActions {
  deleteActivity(activity: Activity): void;
  deleteSession(activity: Activity, session: HistoryItem, label: string): void;
}

/** Who recorded the activity: the app's name, else its icon's text, else the source host. */
function appName(activity: Activity): string {
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

/** The card for one activity, listed under `day` (its latest session's local day). */
export function activityCard(activity: Activity, day: string, actions: CardActions): HTMLElement {
  const visual = activity.visualElements;
  const { background, foreground } = cardColours(visual.backgroundColor);
  const titleId = `activity-title-${activity.id}`;

  const title = el("h3", "activity-title", visual.displayText);
  title.id = titleId;
  const face = el(
    "div",
    `activity-face on-${foreground}`,
    appHeader(activity),
    title,
    visual.description && el("p", "activity-description", visual.description),
    renderAdaptiveCard(visual.content, foreground),
  );
  face.style.backgroundColor = background;

  const sessions = [...(activity.historyItems ?? [])].sort((a, b) => sessionTime(b) - sessionTime(a));
  const list = el("ul", "sessions", ...sessions.map((session) => sessionRow(activity, session, day, actions)));
  list.setAttribute("aria-label", `Sessions of ${visual.displayText}`);

  const remove = el("button", "button", "Delete");
  remove.type = "button";
  remove.setAttribute("aria-label", `Delete ${visual.displayText}`);
  remove.addEventListener("click", () => actions.deleteActivity(activity));

  const card = el(
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
  card.setAttribute("aria-labelledby", titleId);
  card.dataset.activityId = activity.id;
  return card;
}
