// A card wears the activity's backgroundColor, with whichever text colour reads best on it.

export type Foreground = "light" | "dark";

/** The timeline's own card colour, for activities that give none. */
export const NEUTRAL_CARD = "#2b2b2b";

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** WCAG relative luminance of a #rgb or #rrggbb colour. */
function luminance(hex: string): number {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)];
  const [r, g, b] = digits.map((pair) => {
    const channel = parseInt(pair, 16) / 255;
    return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The card's background (the activity's if it is a hex colour, else the neutral one) and the text colour with the better contrast. */
export function cardColours(backgroundColor: string | null): { background: string; foreground: Foreground } {
  const background = backgroundColor && HEX.test(backgroundColor) ? backgroundColor : NEUTRAL_CARD;
  const l = luminance(background);
  // Contrast with white text against contrast with near-black (#1b1b1b, luminance about 0.011).
  const withLight = 1.05 / (l + 0.05);
  const withDark = (l + 0.05) / (0.011 + 0.05);
  return { background, foreground: withLight >= withDark ? "light" : "dark" };
}
