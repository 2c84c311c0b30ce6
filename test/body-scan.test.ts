// The body guard looks for unstorable values (an overflowing number, a lone surrogate) only in a
// body whose text could hold one; these properties check that its shortcut refuses exactly the
// bodies that hold one, wherever the literal sits.
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { call, createActivity, historyItemsPath } from "./support/api";
import { mintToken } from "./support/tokens";

const RUNS = 150;
let token: string;
let items: string;
beforeAll(async () => {
  token = await mintToken({ user: crypto.randomUUID(), ttl: 3600 });
  items = historyItemsPath(await createActivity({ token }));
});

/** POSTs a history item whose activeDurationSeconds is written as `literal`. */
const postWith = (literal: string) =>
  call("POST", items, { token, raw: `{"startedDateTime":"2015-02-11T20:54:04Z","activeDurationSeconds":${literal}}` });

/** A JSON number literal: digits, an optional fraction and an optional exponent of any size. */
const numberLiteral = fc
  .tuple(
    fc.stringMatching(/^[1-9]\d{0,340}$/),
    fc.option(fc.stringMatching(/^\d{1,20}$/), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom("e", "E", "e+", "E-", "e-"), fc.stringMatching(/^\d{1,4}$/)), { nil: undefined }),
  )
  .map(([whole, fraction, exponent]) => `${whole}${fraction === undefined ? "" : `.${fraction}`}${exponent ? exponent.join("") : ""}`);

it("refuses a number as out of range exactly when it overflows a double", async () => {
  await fc.assert(
    fc.asyncProperty(numberLiteral, async (literal) => {
      const answer = await postWith(literal);
      const outOfRange = answer.body?.error?.message === "Invalid value for 'activeDurationSeconds': the number is out of range.";
      expect({ literal, outOfRange, status: outOfRange ? answer.status : 400 }).toEqual({
        literal,
        outOfRange: !Number.isFinite(Number(literal)),
        status: 400,
      });
    }),
    { numRuns: RUNS },
  );
});

/** A \u escape of a code unit, lowercase or uppercase hex. */
const escape = (unit: number, upper: boolean) => `\\u${unit.toString(16).padStart(4, "0")[upper ? "toUpperCase" : "toLowerCase"]()}`;

it("refuses text as not Unicode exactly when an escape leaves a surrogate unpaired", async () => {
  const unit = fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0x20, max: 0xd7ff }), fc.constant(0x41));
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(unit, fc.boolean()), { minLength: 1, maxLength: 4 }), async (units) => {
      const text = String.fromCharCode(...units.map(([code]) => code));
      const answer = await call("POST", items, {
        token,
        raw: `{"startedDateTime":"2015-02-11T20:54:04Z","userTimezone":"${units.map(([code, upper]) => escape(code, upper)).join("")}"}`,
      });
      const refused =
        answer.body?.error?.message === "Invalid value for 'userTimezone': the text has an unpaired surrogate, so it is not Unicode.";
      expect({ units: units.map(([code]) => code), refused }).toEqual({
        units: units.map(([code]) => code),
        refused: /\p{Cs}/u.test(text),
      });
    }),
    { numRuns: RUNS },
  );
});

/** A JSON number as clients write it: sign, whole part, fraction and exponent, each of any length, negative zeros too. */
const anyNumber = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("", "-"),
      fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9]\d{0,24}$/)),
      fc.option(fc.stringMatching(/^\d{1,24}$/), { nil: undefined }),
      fc.option(fc.tuple(fc.constantFrom("e", "E", "e+", "e-", "E-"), fc.stringMatching(/^\d{1,3}$/)), { nil: undefined }),
    )
    .map(
      ([sign, whole, fraction, exponent]) =>
        `${sign}${whole}${fraction === undefined ? "" : `.${fraction}`}${exponent ? exponent.join("") : ""}`,
    ),
  fc.constantFrom(
    "-0",
    "-0.0",
    "-0e5",
    "0e-400",
    "1e-400",
    "4.9e-324",
    "2e-324",
    "1.7976931348623157e308",
    "9007199254740993",
    "0.1",
    "1.0",
  ),
);

/** A decimal literal's exact value: its sign, and its digits times a power of ten. */
function exactly(literal: string) {
  const [, sign, whole, fraction = "", exponent = "0"] = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(literal)!;
  return { negative: sign === "-", digits: BigInt(whole + fraction), power: BigInt(exponent) - BigInt(fraction.length) };
}

/** Whether two decimal literals denote the same number, sign of zero included (compared as exact fractions). */
function sameNumber(a: string, b: string): boolean {
  const [x, y] = [exactly(a), exactly(b)];
  const power = x.power < y.power ? x.power : y.power;
  return x.negative === y.negative && x.digits * 10n ** (x.power - power) === y.digits * 10n ** (y.power - power);
}

it("takes a number in free JSON exactly when it comes back with the value and sign sent, and refuses it naming it otherwise", async () => {
  const path = `/v1.0/me/activities/${encodeURIComponent(`/body-scan?${crypto.randomUUID()}`)}`;
  const body = (literal: string) =>
    `{"activitySourceHost":"https://contoso.com","activationUrl":"https://contoso.com/a","visualElements":{"displayText":"d"},"contentInfo":{"n":${literal}}}`;
  expect((await call("PUT", path, { token, raw: body("1") })).status).toBe(201);
  await fc.assert(
    fc.asyncProperty(anyNumber, async (literal) => {
      const read = Number(literal);
      const kept = Number.isFinite(read) && sameNumber(literal, String(read));
      const answer = await call("PUT", path, { token, raw: body(literal) });
      const back = answer.status === 200 ? String(answer.body.contentInfo.n) : undefined;
      expect({
        literal,
        status: answer.status,
        sameBack: back === undefined || sameNumber(literal, back),
        message: answer.body?.error?.message,
      }).toEqual({
        literal,
        status: kept ? 200 : 400,
        sameBack: true,
        message: kept
          ? undefined
          : Number.isFinite(read)
            ? `Invalid value for 'contentInfo.n': the number ${literal} cannot be stored exactly: it would come back as ${String(read)}.`
            : "Invalid value for 'contentInfo.n': the number is out of range.",
      });
    }),
    { numRuns: RUNS },
  );
});
