// Time on the timeline: an activity belongs to the day (in the browser's time zone) of its
// latest session, as Windows Timeline placed it.
import type { Activity, HistoryItem } from "./api";

/** When a session was last active: its lastActiveDateTime, else its start. */
export const sessionTime = (item: HistoryItem) => Date.parse(item.lastActiveDateTime ?? item.startedDateTime);

/** The time of the activity's latest session (NaN when it has none). */
export function latestSessionTime(activity: Activity): number {
  const times = (activity.historyItems ?? []).map(sessionTime);
  return times.length ? Math.max(...times) : Number.NaN;
}

/** A local calendar day as a sortable key, such as 2026-11-27. */
export function dayKey(time: number): string {
  const date = new Date(time);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export interface Day {
  key: string;
  activities: Activity[];
}

/** Activities grouped by the local day of their latest session, newest day and newest activity first. */
export function groupByDay(activities: Iterable<Activity>): Day[] {
  const days = new Map<string, Activity[]>();
  for (const activity of activities) {
    const time = latestSessionTime(activity);
    if (Number.isNaN(time)) continue;
    const key = dayKey(time);
    days.set(key, [...(days.get(key) ?? []), activity]);
  }
  return [...days]
    .sort(([a], [b]) => b.localeCompare(a))
    .map(([key, list]) => ({ key, activities: list.sort((a, b) => latestSessionTime(b) - latestSessionTime(a)) }));
}

const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const dayWithYearFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric", year: "numeric" });

/** "Today", "Yesterday", or the weekday and date (with the year when it is not this year's). */
export function dayLabel(key: string, now = Date.now()): string {
  const [year, month, day] = key.split("-").map(Number) as [number, number, number];
  const date = new Date(year, month - 1, day);
  const today = new Date(now);
  if (key === dayKey(now)) return "Today";
  if (key === dayKey(new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1).getTime())) return "Yesterday";
  return (year === today.getFullYear() ? dayFormat : dayWithYearFormat).format(date);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

/** A session's start: the time alone on the day it is listed under, else with its date. */
export const startLabel = (time: number, listedDay: string) => (dayKey(time) === listedDay ? timeFormat : dateTimeFormat).format(time);

/** How long a session was active: activeDurationSeconds, else from its start to its last activity. */
export function durationSeconds(item: HistoryItem): number | null {
  if (item.activeDurationSeconds !== null) return item.activeDurationSeconds;
  if (item.lastActiveDateTime === null) return null;
  return Math.max(0, Math.round((Date.parse(item.lastActiveDateTime) - Date.parse(item.startedDateTime)) / 1000));
}

/** A duration as people say it: "45 s", "12 min", "2 h 5 min". */
export function durationLabel(seconds: number | null): string {
  if (seconds === null) return "duration not recorded";
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}
