import { ALL_TIME, type DateRange } from "../objects/records";
import { parseInstant } from "./dates";
import { invalidRequest } from "./errors";

const CONDITION = /^lastModifiedDateTime\s+(lt|le|gt|ge)\s+'?([^'\s]+)'?$/i;

/**
 * Parses `$filter`: conditions on lastModifiedDateTime with lt, le, gt or ge, joined by `and`
 * (`lastModifiedDateTime ge 2018-01-01T00:00:00Z and lastModifiedDateTime lt 2018-02-01T00:00:00Z`),
 * into inclusive millisecond bounds.
 */
export function parseFilter(text: string): DateRange {
  let { from, to } = ALL_TIME;
  for (const condition of text.trim().split(/\s+and\s+/i)) {
    const match = CONDITION.exec(condition.trim());
    if (!match) {
      throw invalidRequest(
        `Invalid $filter '${text}': only conditions like 'lastModifiedDateTime ge 2018-01-01T00:00:00Z' (lt, le, gt, ge) joined by 'and' are supported.`,
      );
    }
    const bound = parseInstant(match[2]!);
    if (bound === undefined) throw invalidRequest(`Invalid $filter '${text}': '${match[2]}' is not an ISO 8601 date and time with an offset.`);
    const { ms } = bound;
    // Stored times are whole milliseconds, so a bound past ms (01.4081) lies strictly between ms and ms + 1:
    // below it is ms and earlier, at or above it is ms + 1 and later.
    const pastMs = bound.ticksPastMs > 0;
    const operator = match[1]!.toLowerCase();
    if (operator === "gt") from = Math.max(from, ms + 1);
    if (operator === "ge") from = Math.max(from, pastMs ? ms + 1 : ms);
    if (operator === "lt") to = Math.min(to, pastMs ? ms : ms - 1);
    if (operator === "le") to = Math.min(to, ms);
  }
  return { from, to };
}

const EXPAND = /^historyItems(?:\(\s*\$filter\s*=\s*(.*)\))?$/;

/** Parses `$expand`: `historyItems`, optionally with its own `($filter=...)`; the range of items to include. */
export function parseExpand(text: string): DateRange {
  const match = EXPAND.exec(text.trim());
  if (!match) throw invalidRequest(`Invalid $expand '${text}': only 'historyItems', optionally with '($filter=...)', is supported.`);
  return match[1] === undefined ? ALL_TIME : parseFilter(match[1]);
}

/** Parses `$top`, the page size: a whole number from 1 to `max`, `fallback` when absent. */
export function parseTop(text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const top = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(top >= 1 && top <= max)) throw invalidRequest(`Invalid $top '${text}': expected a whole number from 1 to ${max}.`);
  return top;
}
