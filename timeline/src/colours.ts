// A card wears the activity's backgroundColor, and every text on it is given a colour computed
// from that background's relative luminance so that it reads at WCAG AA (4.5:1) whatever the
// colour: pure white or black always reach at least 4.58:1, and every other text colour is moved
// toward whichever of them the background takes until it reaches 4.5:1 too.

type Rgb = readonly [number, number, number];

export type Theme = "dark" | "light";

/** WCAG AA for normal text; the card's texts are all normal size. */
const AA = 4.5;

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const NEAR_BLACK: Rgb = [0x1b, 0x1b, 0x1b];

/** The timeline's own card colour, per theme, for activities that give none. */
const NEUTRAL_CARD: Record<Theme, string> = { dark: "#2b2b2b", light: "#e8edf3" };

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** How far a subtle text starts toward its background before it is pulled back to AA. */
const SUBTLE = 0.35;

/** Where the named text colours start, before they are moved to AA: lighter tints for dark backgrounds, darker for light ones. */
const NAMED = {
  onDark: { accent: [0x99, 0xeb, 0xff], good: [0x9f, 0xd8, 0x9f], warning: [0xff, 0xe0, 0x7a], attention: [0xff, 0xb3, 0xb8] },
  onLight: { accent: [0x00, 0x5f, 0xb8], good: [0x0e, 0x70, 0x0e], warning: [0x83, 0x48, 0x00], attention: [0xb1, 0x0e, 0x1c] },
} as const satisfies Record<string, Record<string, Rgb>>;

/** Tints a card's containers take from their style (Adaptive Cards' accent, good, attention, warning). */
const STYLE_TINTS = {
  accent: [0x00, 0x78, 0xd4],
  good: [0x10, 0x7c, 0x10],
  attention: [0xc4, 0x2b, 0x1c],
  warning: [0xff, 0xb9, 0x00],
} as const;

function parseHex(hex: string): Rgb {
  const digits = hex.length === 4 ? [...hex.slice(1)].map((d) => d + d) : [hex.slice(1, 3), hex.slice(3, 5), hex.slice(5, 7)];
  return digits.map((pair) => parseInt(pair, 16)) as unknown as Rgb;
}

const toHex = (rgb: Rgb) => `#${rgb.map((channel) => channel.toString(16).padStart(2, "0")).join("")}`;

/** Each 8-bit sRGB channel value, linearised as WCAG's relative luminance has it. */
const LINEAR = Array.from({ length: 256 }, (_, value) => {
  const channel = value / 255;
  return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
});

/** WCAG relative luminance. */
const luminance = ([r, g, b]: Rgb) => 0.2126 * LINEAR[r]! + 0.7152 * LINEAR[g]! + 0.0722 * LINEAR[b]!;

/** The WCAG contrast ratio of two opaque colours. */
function contrast(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** `from` moved `t` of the way to `to`, channel by channel, in whole 8-bit steps (what is painted). */
const mix = (from: Rgb, to: Rgb, t: number): Rgb =>
  from.map((channel, i) => Math.round(channel + (to[i]! - channel) * t)) as unknown as Rgb;

/** The colour nearest `wanted` on the way to `fallback` that reads at AA on every background; `fallback` must. */
function readable(wanted: Rgb, fallback: Rgb, backgrounds: Rgb[]): Rgb {
  const STEPS = 32;
  for (let step = 0; step < STEPS; step += 1) {
    const colour = mix(wanted, fallback, step / STEPS);
    if (backgrounds.every((background) => contrast(colour, background) >= AA)) return colour;
  }
  return fallback;
}

/** A text colour and its subtle variant, and the highlight behind highlighted runs (Adaptive Cards' TextColorDefinition). */
export interface Ink {
  default: string;
  subtle: string;
  highlightColors: { default: string; subtle: string };
}

export type InkName = "default" | "dark" | "light" | "accent" | "good" | "warning" | "attention";

/** White or black, whichever contrasts more with the background: one of them always reaches 4.58:1 or better. */
const extremeFor = (background: Rgb): Rgb => (contrast(WHITE, background) >= contrast(BLACK, background) ? WHITE : BLACK);

/** The background moved `t` of the way away from its text's extreme, which only raises that text's contrast. */
const awayFromText = (background: Rgb, t: number) => mix(background, extremeFor(background) === WHITE ? BLACK : WHITE, t);

/** Every named text colour for this background, each at AA on it and on its highlight. */
function inks(background: Rgb): Record<InkName, Ink> {
  const extreme = extremeFor(background);
  const highlight = awayFromText(background, 0.35);
  const on = [background, highlight];
  const ink = (wanted: Rgb): Ink => {
    const main = readable(wanted, extreme, on);
    const subtle = readable(mix(main, background, SUBTLE), main, on);
    return { default: toHex(main), subtle: toHex(subtle), highlightColors: { default: toHex(highlight), subtle: toHex(highlight) } };
  };
  const named = extreme === WHITE ? NAMED.onDark : NAMED.onLight;
  return {
    default: ink(extreme === WHITE ? WHITE : NEAR_BLACK),
    dark: ink(NEAR_BLACK),
    light: ink(WHITE),
    accent: ink(named.accent),
    good: ink(named.good),
    warning: ink(named.warning),
    attention: ink(named.attention),
  };
}

/** A surface of the card: its background and the text colours that read on it. */
export interface Surface {
  background: string;
  foregroundColors: Record<InkName, Ink>;
}

export type ContainerStyle = "default" | "emphasis" | "accent" | "good" | "attention" | "warning";

/** The colours of one activity's card: its face, and each container style an Adaptive Card may use inside it. */
export interface CardColours {
  background: string;
  text: string;
  subtle: string;
  styles: Record<ContainerStyle, Surface>;
}

const surface = (background: Rgb): Surface => ({ background: toHex(background), foregroundColors: inks(background) });

/** The card's background (the activity's when it is a hex colour, else the theme's neutral one) and its text colours. */
export function cardColours(backgroundColor: string | null, theme: Theme): CardColours {
  const background = parseHex(backgroundColor && HEX.test(backgroundColor) ? backgroundColor : NEUTRAL_CARD[theme]);
  const face = surface(background);
  // Emphasis sets a container off from the face, away from the text where there is room (not on white or black).
  const away = awayFromText(background, 0.2);
  const emphasis = contrast(away, background) >= 1.05 ? away : mix(background, extremeFor(background), 0.12);
  return {
    background: face.background,
    text: face.foregroundColors.default.default,
    subtle: face.foregroundColors.default.subtle,
    styles: {
      default: face,
      // Each style's text is computed for its own background.
      emphasis: surface(emphasis),
      accent: surface(mix(background, STYLE_TINTS.accent, 0.25)),
      good: surface(mix(background, STYLE_TINTS.good, 0.25)),
      attention: surface(mix(background, STYLE_TINTS.attention, 0.25)),
      warning: surface(mix(background, STYLE_TINTS.warning, 0.25)),
    },
  };
}
