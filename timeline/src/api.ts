// The page's calls to the service: Graph's user-activity API on this same origin, with the
// user's bearer token. Every answer becomes an Outcome, so no failure leaves the page blank.
import { ownOriginUrl } from "./urls";

export interface HistoryItem {
  id: string;
  startedDateTime: string;
  lastActiveDateTime: string | null;
  activeDurationSeconds: number | null;
  /** What orders the recent feed: an activity sorts by its newest item's. */
  lastModifiedDateTime: string;
}

export interface Activity {
  id: string;
  appActivityId: string;
  activitySourceHost: string;
  activationUrl: string;
  fallbackUrl: string | null;
  appDisplayName: string | null;
  visualElements: {
    displayText: string;
    description: string | null;
    backgroundColor: string | null;
    content: unknown;
    attribution: { iconUrl: string | null; alternateText: string | null; alternativeText: string | null } | null;
  };
  historyItems?: HistoryItem[];
}

export interface FeedPage {
  value: Activity[];
  "@odata.nextLink"?: string;
}

/** An activity deleted or expired, as a delta round lists it. */
export interface Removed {
  id: string;
  "@removed": { reason: "deleted" };
}

/** One page of a delta round: the last one carries the deltaLink, the others a nextLink. */
export interface DeltaPage {
  value: (Activity | Removed)[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
}

/** What the service refused, in its own words (Graph's error envelope), or that no usable answer came. */
export type Failure =
  | { kind: "refused"; status: number; code: string; message: string; requestId: string | null; retryAfterSeconds: number | null }
  | { kind: "unanswered"; message: string };

export type Outcome<T> = { kind: "ok"; body: T } | Failure;

/** The first page of the recent feed, each activity with its sessions. */
export const FIRST_PAGE = "/v1.0/me/activities/recent?$expand=historyItems";

/** A deltaLink from now, for activities with their sessions (the links carry the $expand). */
export const DELTA_FROM_NOW = "/v1.0/me/activities/delta?$expand=historyItems&$deltatoken=latest";

/** The WebSocket that tells of each change of the feed. */
export const LIVE_PATH = "/v1.0/me/activities/live";

export const activityPath = (activityId: string) => `/v1.0/me/activities/${encodeURIComponent(activityId)}`;

export const sessionPath = (activityId: string, sessionId: string) =>
  `${activityPath(activityId)}/historyItems/${encodeURIComponent(sessionId)}`;

/** Retry-After in whole seconds: a number of seconds or an HTTP date. */
function retryAfterSeconds(header: string | null): number | null {
  if (header === null) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

async function refusal(response: Response): Promise<Failure> {
  let code = response.statusText || "error";
  let message = "";
  try {
    const body = await response.json();
    if (typeof body?.error?.code === "string") code = body.error.code;
    if (typeof body?.error?.message === "string") message = body.error.message;
  } catch {
    // Not Graph's envelope (a proxy's page, an empty body): the status alone says what happened.
  }
  return {
    kind: "refused",
    status: response.status,
    code,
    message,
    requestId: response.headers.get("request-id"),
    retryAfterSeconds: retryAfterSeconds(response.headers.get("Retry-After")),
  };
}

/** Sends one request on this origin with the bearer token; JSON bodies come back parsed. */
export async function send<T>(token: string, method: "GET" | "DELETE", url: string): Promise<Outcome<T>> {
  const target = ownOriginUrl(url);
  if (!target)
    return { kind: "unanswered", message: `The service linked to another origin (${url}); the page follows links on its own origin only.` };
  let response: Response;
  try {
    response = await fetch(target, { method, headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
  } catch (error) {
    return { kind: "unanswered", message: error instanceof Error ? error.message : String(error) };
  }
  if (!response.ok) return refusal(response);
  if (response.status === 204) return { kind: "ok", body: undefined as T };
  try {
    return { kind: "ok", body: (await response.json()) as T };
  } catch {
    return { kind: "unanswered", message: `The service answered ${response.status} with a body that is not JSON.` };
  }
}
