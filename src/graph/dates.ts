// ISO 8601 with seconds, up to 7 fractional digits (.NET's DateTimeOffset) and a required offset.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i;
const YEAR_1_MS = -62135596800000; // 0001-01-01T00:00:00Z
const YEAR_10000_MS = 253402300800000; // 10000-01-01T00:00:00Z

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

/** An instant to the 100 ns tick: epoch milliseconds (rounded down) and the ticks past them (0 to 9999). */
interface Instant {
  ms: number;
  ticksPastMs: number;
}

/**
 * Parses a Graph DateTimeOffset (`2016-12-31T23:58:54.0663658+03:00`) exactly, all 7 fractional
 * digits kept; undefined when the text is not one.
 */
export function parseInstant(text: string): Instant | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = (m[7] ?? "").padEnd(7, "0");
  const millis = Number(fraction.slice(0, 3));
  let offsetMinutes = 0;
  if (!m[8]) {
    const minutes = Number(m[10]) * 60 + Number(m[11]);
    if (Number(m[11]) > 59 || minutes > 14 * 60) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * minutes;
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // unlike Date.UTC, keeps years below 100 as written
  date.setUTCHours(hour, minute, second, millis);
  const ms = date.getTime() - offsetMinutes * 60_000;
  return ms >= YEAR_1_MS && ms < YEAR_10000_MS ? { ms, ticksPastMs: Number(fraction.slice(3)) } : undefined;
}

/** Parses a Graph DateTimeOffset to epoch milliseconds, truncating below the millisecond; undefined when the text is not one. */
export function parseDateTime(text: string): number | undefined {
  return parseInstant(text)?.ms;
}

/** Formats epoch milliseconds as Graph returns dates: UTC, millisecond precision, `Z`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
