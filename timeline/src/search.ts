// The search box over the loaded activities, as Windows Timeline had: an activity matches when
// every word typed appears in its text, its description or its app's name, ignoring case and accents.
import type { Activity } from "./api";
import { appName } from "./card";

/** Text folded for comparison: lower case, accents dropped (é matches e). */
const fold = (text: string) => text.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();

/** The words of a query, folded; none for a blank query, which every activity matches. */
export function searchWords(query: string): string[] {
  return fold(query).split(/\s+/).filter(Boolean);
}

/** Whether the activity's display text, description or app name holds every word. */
export function matches(activity: Activity, words: string[]): boolean {
  if (!words.length) return true;
  const { displayText, description } = activity.visualElements;
  const text = fold([displayText, description ?? "", appName(activity)].join("\n"));
  return words.every((word) => text.includes(word));
}
