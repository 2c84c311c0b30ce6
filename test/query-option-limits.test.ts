// Query options are bounded: each at most limits.queryOptionChars long (a longer one is refused before
// it is read), $filter read word by word in time linear in its length however its whitespace runs,
// and an error quotes at most limits.quotedChars characters of what was sent.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { limits } from "../src/limits";
import { ALL_TIME } from "../src/objects/records";
import { filterOption } from "../src/schemas/query";
import { call } from "./support/api";
import { batch, errorAnswer, expectBatchAnswer } from "./support/batch";
import { activitiesContext, expectGraphError } from "./support/graph";
import { expectJson, freshUser, putActivity } from "./support/users";

const CAP = limits.queryOptionChars;
const UNSUPPORTED = "only conditions like 'lastModifiedDateTime ge 2018-01-01T00:00:00Z' (lt, le, gt, ge) joined by 'and' are supported.";
const query = (name: string, value: string) => `${name}=${encodeURIComponent(value)}`;
const tooLong = (name: string, value: string) => `The query option '${name}' is longer than ${CAP} characters (it has ${value.length}).`;

describe("a query option", () => {
  it(`longer than ${CAP} characters answers 400 naming it, whichever it is, and quotes none of it`, async () => {
    const user = freshUser();
    // The first took 2.9 s before, and its 400 quoted all of it.
    const options: [string, string][] = [
      ["$filter", `a${" ".repeat(45_000)}b`],
      ...["$select", "$expand", "$orderby", "$skiptoken", "$top", "$count"].map((name): [string, string] => [name, "x".repeat(CAP + 1)]),
    ];
    for (const [name, value] of options) {
      const answer = await call("GET", `/v1.0/me/activities?${query(name, value)}`, { as: user.as });
      expectGraphError(answer, 400, "invalidRequest", tooLong(name, value));
    }
  });

  it(`of exactly ${CAP} characters is read: a $filter padded with whitespace, and one that is not one, quoted short`, async () => {
    const user = freshUser();
    const activity = await putActivity(user);
    const words = ["lastModifiedDateTime", "ge", "2018-01-01T00:00:00Z", "and", "lastModifiedDateTime", "lt", "2118-01-01T00:00:00Z"];
    const gap = " \t\n".repeat(CAP).slice(0, Math.floor((CAP - words.join("").length) / (words.length - 1)));
    const padded = words.join(gap).padEnd(CAP, "\u00a0");
    expect(padded.length).toBe(CAP);
    expectJson(await call("GET", `/v1.0/me/activities?${query("$filter", padded)}`, { as: user.as }), 200, {
      "@odata.context": activitiesContext({ user: user.oid }),
      value: [activity],
    });
    const pathological = `a${" ".repeat(CAP - 2)}b`;
    const refused = await call("GET", `/v1.0/me/activities?${query("$filter", pathological)}`, { as: user.as });
    expectGraphError(refused, 400, "invalidRequest", `Invalid $filter 'a${" ".repeat(99)}…' (${CAP} characters): ${UNSUPPORTED}`);
  });

  it("in a batch request's url is held to the same limit: that request answers 400, the batch 200", async () => {
    // Spaces inside it: the URL parser drops those at the end of a url.
    const value = `a${" ".repeat(CAP)}b`;
    const sent = await batch([{ id: "long", method: "GET", url: `/me/activities?$filter=${value}` }]);
    expectBatchAnswer(sent, [errorAnswer(sent.body.responses[0], "long", 400, "invalidRequest", tooLong("$filter", value))]);
  });
});

describe("$filter, read word by word", () => {
  const WHITESPACE = [" ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\ufeff"];
  /** A run of whitespace, now and then long enough to fill most of an option. */
  const whitespace = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.constantFrom(...WHITESPACE), { minLength: 1, maxLength: 8 }) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...WHITESPACE), { minLength: 1, maxLength: CAP - 200, size: "max" }) },
  );
  const condition = fc.record({
    property: fc.constantFrom("lastModifiedDateTime", "LASTMODIFIEDDATETIME", "lastmodifieddatetime"),
    operator: fc.constantFrom("lt", "le", "gt", "ge", "GE", "Lt"),
    ms: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
    quoted: fc.boolean(),
  });
  type Condition = typeof condition extends fc.Arbitrary<infer T> ? T : never;

  /** The words of a filter of 1 to 4 conditions joined by `and` in any case. */
  const filterWords = fc.array(fc.tuple(condition, fc.constantFrom("and", "AND", "And")), { minLength: 1, maxLength: 4 }).map((pairs) => ({
    conditions: pairs.map(([c]) => c),
    words: pairs.flatMap(([c, and], n) => [
      ...(n > 0 ? [and] : []),
      c.property,
      c.operator,
      c.quoted ? `'${new Date(c.ms).toISOString()}'` : new Date(c.ms).toISOString(),
    ]),
  }));

  /** Words joined by runs of whitespace (and some before and after), at most CAP characters in all. */
  const spaced = (words: readonly string[]) =>
    fc
      .array(whitespace, { minLength: words.length + 1, maxLength: words.length + 1 })
      .map((runs) => runs.map((run) => run.join("")))
      .map((runs) => `${runs[0]!.slice(0, 2)}${words.map((word, n) => `${word}${runs[n + 1]}`).join("")}`)
      .filter((text) => text.length <= CAP);

  /** The inclusive bounds the conditions mean, in milliseconds. */
  const range = (conditions: Condition[]) =>
    conditions.reduce(
      ({ from, to }, { operator, ms }) => {
        const op = operator.toLowerCase();
        return {
          from: op === "gt" ? Math.max(from, ms + 1) : op === "ge" ? Math.max(from, ms) : from,
          to: op === "lt" ? Math.min(to, ms - 1) : op === "le" ? Math.min(to, ms) : to,
        };
      },
      { ...ALL_TIME },
    );

  it("reads conditions joined by and as the bounds they mean, whatever whitespace separates the words, up to the cap", () => {
    fc.assert(
      fc.property(
        filterWords.chain(({ conditions, words }) => spaced(words).map((text) => ({ conditions, text }))),
        ({ conditions, text }) => {
          expect(filterOption.safeParse(text)).toEqual({ success: true, data: range(conditions) });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a filter with a word missing, an and too many, or another joiner, naming it briefly", () => {
    const broken = filterWords.chain(({ words }) =>
      fc
        .oneof(
          fc.nat().map((at) => words.filter((_, n) => n !== at % words.length)),
          fc.constant([...words, "and"]),
          fc.constant(["and", ...words]),
          fc.constant([...words, "or", ...words]),
          fc.constant([...words, "and", "and", ...words]),
        )
        .chain(spaced),
    );
    fc.assert(
      fc.property(broken, (text) => {
        const result = filterOption.safeParse(text);
        const messages = result.success ? [] : result.error.issues.map((issue) => issue.message);
        const shown =
          text.length <= limits.quotedChars ? `'${text}'` : `'${text.slice(0, limits.quotedChars)}…' (${text.length} characters)`;
        const prefix = `Invalid $filter ${shown}: `;
        // Either no condition can be read at all, or a word stands where a date and time must.
        const why = [UNSUPPORTED, expect.stringMatching(/^'[^']*' is not an ISO 8601 date and time with an offset\.$/)];
        expect(messages.map((message) => [message.slice(0, prefix.length), message.slice(prefix.length)])).toEqual([
          [prefix, expect.toBeOneOf(why)],
        ]);
      }),
      { numRuns: 300 },
    );
  });
});
