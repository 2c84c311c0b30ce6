import { z } from "@hono/zod-openapi";
import { parseInstant } from "../graph/dates";
import { quoted } from "../graph/errors";
import { limits } from "../limits";
import { ALL_TIME, type DateRange } from "../objects/records";

// Query options as schemas: each parses its text into what the handler uses, states any problem as a
// whole sentence naming the option, and documents itself. Names arrive canonical (lowercase, with
// their `$`): src/graph/query-names.ts rewrites them before validation. An option documents an
// example in its description, never as `example`: documentation tools fill an input with that, and
// a first try would send options its reader never chose.

type Context = z.core.$RefinementCtx;

/** Adds one problem, worded as a whole sentence, and gives zod's "no value". */
function refuse(ctx: Context, message: string): never {
  ctx.addIssue({ code: "custom", message });
  return z.NEVER;
}

/** The text of an option given at most once, at most limits.queryOptionChars long, so that no option's parse grows without bound. */
const optionText = (name: string) =>
  z
    .string({ error: `The query option '${name}' may be given only once.` })
    .max(limits.queryOptionChars, {
      error: (issue) =>
        `The query option '${name}' is longer than ${limits.queryOptionChars} characters (it has ${(issue.input as string).length}).`,
    })
    .optional();

/** How the OpenAPI document shows an option given as text: a string, at most limits.queryOptionChars long. */
const TEXT_OPTION = { type: "string", maxLength: limits.queryOptionChars } as const;

/**
 * A route's query options: exactly these, each validated by its own schema; any other option is
 * refused, naming it and the ones the route takes.
 */
export function queryOptions<Shape extends z.ZodRawShape>(shape: Shape) {
  const names = Object.keys(shape);
  const hint = names.length ? `supported here: ${names.join(", ")}` : "this request takes none";
  return z.strictObject(shape, { error: (issue) => (issue.code === "unrecognized_keys" ? hint : undefined) });
}

const OPERATORS = new Set(["lt", "le", "gt", "ge"]);
const BOUND = /^'?([^'\s]+)'?$/;

/**
 * `$filter`'s grammar: conditions on lastModifiedDateTime with lt, le, gt or ge, joined by `and`
 * (`lastModifiedDateTime ge 2018-01-01T00:00:00Z and lastModifiedDateTime lt 2018-02-01T00:00:00Z`),
 * as inclusive millisecond bounds. Read word by word, so its time is linear in the text's length
 * (splitting on a pattern like `\s+and\s+` backtracks over every run of spaces: quadratic).
 */
function filterRange(text: string, ctx: Context): DateRange {
  const words = text.split(/\s+/).filter((word) => word !== "");
  const unsupported = () =>
    refuse(
      ctx,
      `Invalid $filter ${quoted(text)}: only conditions like 'lastModifiedDateTime ge 2018-01-01T00:00:00Z' (lt, le, gt, ge) joined by 'and' are supported.`,
    );
  let { from, to } = ALL_TIME;
  // Each condition is three words (property, operator, bound); an `and` between two conditions joins them.
  for (let at = 0; ; at += 4) {
    const [property, operatorWord, boundWord, joiner] = words.slice(at, at + 4);
    const operator = operatorWord?.toLowerCase() ?? "";
    const match = boundWord === undefined ? null : BOUND.exec(boundWord);
    if (property?.toLowerCase() !== "lastmodifieddatetime" || !OPERATORS.has(operator) || !match) return unsupported();
    const bound = parseInstant(match[1]!);
    if (bound === undefined)
      return refuse(ctx, `Invalid $filter ${quoted(text)}: ${quoted(match[1]!)} is not an ISO 8601 date and time with an offset.`);
    const { ms } = bound;
    // Stored times are whole milliseconds, so a bound past ms (01.4081) lies strictly between ms and ms + 1:
    // below it is ms and earlier, at or above it is ms + 1 and later.
    const pastMs = bound.ticksPastMs > 0;
    if (operator === "gt") from = Math.max(from, ms + 1);
    if (operator === "ge") from = Math.max(from, pastMs ? ms + 1 : ms);
    if (operator === "lt") to = Math.min(to, pastMs ? ms : ms - 1);
    if (operator === "le") to = Math.min(to, ms);
    if (joiner === undefined) return { from, to };
    if (joiner.toLowerCase() !== "and") return unsupported();
  }
}

/** The properties a $select may name, in their canonical spelling. */
export interface Selectable {
  typeName: string;
  properties: readonly string[];
}

/** The properties to return; null for every property (no $select, or `*`). */
export type Selection = string[] | null;

/** `$select`'s grammar: property names separated by commas, matched ignoring case, or `*`. */
function selection(text: string, selectable: Selectable, ctx: Context, option = "$select"): Selection {
  const names = text.split(",").map((name) => name.trim());
  if (names.includes("*")) return null;
  const chosen: string[] = [];
  for (const name of names) {
    if (!name) return refuse(ctx, `Invalid ${option} ${quoted(text)}: expected property names separated by commas.`);
    const property = selectable.properties.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (!property) {
      return refuse(
        ctx,
        `Invalid ${option}: ${quoted(name)} is not a selectable property of ${selectable.typeName} (selectable: ${selectable.properties.join(", ")}).`,
      );
    }
    if (!chosen.includes(property)) chosen.push(property);
  }
  return chosen;
}

/** `$top`: the page size, a whole number from 1 to `max`; `fallback` when absent. */
export const topOption = (fallback: number, max: number) =>
  optionText("$top")
    .transform((text, ctx) => {
      if (text === undefined) return fallback;
      const top = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
      return top >= 1 && top <= max ? top : refuse(ctx, `Invalid $top ${quoted(text)}: expected a whole number from 1 to ${max}.`);
    })
    .openapi({ type: "integer", description: `Page size, 1 to ${max}; default ${fallback}.` });

/** `$filter` on lastModifiedDateTime, as inclusive bounds; all time when absent. */
export const filterOption = optionText("$filter")
  .transform((text, ctx) => (text === undefined ? ALL_TIME : filterRange(text, ctx)))
  .openapi({
    ...TEXT_OPTION,
    description:
      "Conditions on lastModifiedDateTime with lt, le, gt, ge, joined by and, such as `lastModifiedDateTime ge 2018-01-01T00:00:00Z`.",
  });

/** `$skiptoken`: the cursor from an @odata.nextLink, opaque; null when absent. */
export const skiptokenOption = optionText("$skiptoken")
  .transform((text) => text ?? null)
  .openapi({ ...TEXT_OPTION, description: "The cursor from @odata.nextLink; opaque." });

/** `$deltatoken`: the token from @odata.deltaLink, or `latest` for a deltaLink from now with no data. */
export const deltatokenOption = optionText("$deltatoken")
  .transform((text) => text ?? null)
  .openapi({ type: "string", description: "The token from @odata.deltaLink (opaque), or 'latest': no data, and a deltaLink from now." });

/** `$select`: which properties to return (id and the @odata annotations always come back). */
export const selectOption = (selectable: Selectable) =>
  optionText("$select")
    .transform((text, ctx): Selection => (text === undefined ? null : selection(text, selectable, ctx)))
    .openapi({
      ...TEXT_OPTION,
      description: `Properties to return, separated by commas, such as \`${selectable.properties.slice(1, 3).join(",")}\`; id and the @odata annotations always come back. One of: ${selectable.properties.join(", ")}.`,
    });

/** `$count=true`: add @odata.count, the number of entries across every page. */
export const countOption = optionText("$count")
  .transform((text, ctx) => {
    if (text === undefined || /^false$/i.test(text)) return false;
    return /^true$/i.test(text) || refuse(ctx, `Invalid $count ${quoted(text)}: expected true or false.`);
  })
  .openapi({ type: "boolean", description: "true adds @odata.count: how many entries match, across every page." });

/** `$orderby`: only the order the list already has, most recently modified first. */
export const orderbyOption = optionText("$orderby")
  .transform((text, ctx) => {
    if (text === undefined || /^\s*lastModifiedDateTime\s+desc\s*$/i.test(text)) return undefined;
    return refuse(ctx, `Invalid $orderby ${quoted(text)}: only 'lastModifiedDateTime desc', the order the list already has, is supported.`);
  })
  .openapi({ ...TEXT_OPTION, description: "Only `lastModifiedDateTime desc`, the list's own order." });

/** Which history items an `$expand=historyItems` includes, and which of their properties. */
export interface Expansion {
  range: DateRange;
  select: Selection;
}

const EXPAND = /^historyItems(?:\((.*)\))?$/i;

/**
 * `$expand`: `historyItems`, optionally with its own options separated by `;`:
 * `historyItems($filter=lastModifiedDateTime ge 2018-01-01T00:00:00Z;$select=startedDateTime)`.
 * Nested option names are matched ignoring case, and their `$` may be left out: inside the
 * parentheses nothing else can be meant. null when absent.
 */
export const expandOption = (items: Selectable) =>
  optionText("$expand")
    .transform((text, ctx): Expansion | null => {
      if (text === undefined) return null;
      const match = EXPAND.exec(text.trim());
      if (!match)
        return refuse(
          ctx,
          `Invalid $expand ${quoted(text)}: only 'historyItems', optionally with '($filter=...)' or '($select=...)', is supported.`,
        );
      const expansion: Expansion = { range: ALL_TIME, select: null };
      for (const nested of (match[1] ?? "").split(";").filter((part) => part.trim())) {
        const equals = nested.indexOf("=");
        const name = `$${nested.slice(0, equals).trim().replace(/^\$/, "").toLowerCase()}`;
        const value = nested.slice(equals + 1);
        if (equals < 0 || (name !== "$filter" && name !== "$select")) {
          return refuse(ctx, `Invalid $expand ${quoted(text)}: inside historyItems(...) only $filter and $select are supported.`);
        }
        if (name === "$filter") expansion.range = filterRange(value, ctx);
        else expansion.select = selection(value, items, ctx, "$select in $expand");
      }
      return expansion;
    })
    .openapi({
      ...TEXT_OPTION,
      description:
        "historyItems, optionally with ($filter=lastModifiedDateTime ge ...) and ($select=...), separated by ';': include the activity's live history items. " +
        "Such as `historyItems($select=startedDateTime,activeDurationSeconds)`.",
    });
