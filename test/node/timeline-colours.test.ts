// The timeline's promise about colour, checked for every colour rather than a few: each text
// colour a card is given (on its face and in each container style an Adaptive Card may use, plain,
// subtle and highlighted) reads at WCAG AA, 4.5:1, on what it sits on, in both themes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cardColours, type Theme } from "../../timeline/src/colours";

/** WCAG 2's relative luminance of a #rrggbb colour, written here apart from the page's own (and remembered: colours repeat). */
const luminances = new Map<string, number>();
function luminance(hex: string): number {
  let known = luminances.get(hex);
  if (known === undefined) {
    const [r, g, b] = [1, 3, 5].map((at) => {
      const c = parseInt(hex.slice(at, at + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    luminances.set(hex, (known = 0.2126 * r + 0.7152 * g + 0.0722 * b));
  }
  return known;
}

/** WCAG 2's contrast ratio of two #rrggbb colours. */
function ratio(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

/** Every text on a card of this colour that falls short of 4.5:1, as "where: text on background". */
function shortfalls(backgroundColor: string | null, theme: Theme): string[] {
  const colours = cardColours(backgroundColor, theme);
  const pairs: [string, string, string][] = [
    ["face text", colours.text, colours.background],
    ["face subtle", colours.subtle, colours.background],
  ];
  for (const [style, surface] of Object.entries(colours.styles))
    for (const [name, ink] of Object.entries(surface.foregroundColors))
      for (const variant of ["default", "subtle"] as const) {
        pairs.push([`${style} ${name} ${variant}`, ink[variant], surface.background]);
        pairs.push([`${style} ${name} ${variant} highlighted`, ink[variant], ink.highlightColors[variant]]);
      }
  return pairs.filter(([, text, on]) => ratio(text, on) < 4.5).map(([where, text, on]) => `${where}: ${text} on ${on}`);
}

const THEMES: Theme[] = ["dark", "light"];
const hex = (n: number, digits: number) => n.toString(16).padStart(digits, "0");

describe("card colours", () => {
  it("give Graph's #ff0000 and a purple text that reads at AA, on the activity's own colour", () => {
    expect(THEMES.map((theme) => ["#ff0000", "#8e44ad"].map((colour) => cardColours(colour, theme)))).toEqual(
      THEMES.map(() => [
        // Red is lighter than it looks: dark text (4.3:1 with the former #1b1b1b, 4.0:1 with white), darkened to AA.
        expect.objectContaining({ background: "#ff0000", text: "#161616", subtle: "#161616" }),
        expect.objectContaining({ background: "#8e44ad", text: "#ffffff", subtle: "#ebdff1" }),
      ]),
    );
    expect([ratio("#161616", "#ff0000"), ratio("#ffffff", "#8e44ad"), ratio("#ebdff1", "#8e44ad")].map((r) => r.toFixed(2))).toEqual([
      "4.53",
      "5.87",
      "4.57",
    ]);
  });

  it("read at AA on every #rgb colour, and on none (the theme's own colour) in both themes", () => {
    // The theme only chooses the colour of a card that has none; an activity's own colour is the same in both.
    const colours = Array.from({ length: 4096 }, (_, n) => `#${hex(n, 3)}`);
    expect([...THEMES.flatMap((theme) => shortfalls(null, theme)), ...colours.flatMap((colour) => shortfalls(colour, "dark"))]).toEqual([]);
  });

  it("read at AA on any #rrggbb colour", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), fc.constantFrom(...THEMES), (n, theme) => {
        expect(shortfalls(`#${hex(n, 6)}`, theme)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
