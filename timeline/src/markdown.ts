// The Adaptive Cards markdown subset (**bold**, _italic_, [text](https://…)) as DOM nodes built
// from text: a card's text only ever becomes text nodes, <strong>, <em> and <a>, and a link only
// when its URL is http(s). Anything else (a javascript: link, a lone asterisk) stays as written.
import { el } from "./dom";
import { webUrl } from "./urls";

/** Emphasis markers, longest first: `**` and `__` make bold, `*` and `_` italic. */
const MARKERS = [
  ["**", "strong"],
  ["__", "strong"],
  ["*", "em"],
  ["_", "em"],
] as const;

const LINK = /\[([^[\]\n]+)\]\(([^\s()]+)\)/y;
const WORD = /[\p{L}\p{N}]/u;
const SPACE = /\s/;

interface Span {
  node: Node;
  end: number;
}

/** An underscore run opens or closes only at a word's edge (snake_case stays as written). */
const atWordEdge = (text: string, marker: string, index: number) => !marker.startsWith("_") || !WORD.test(text[index] ?? "");

/** The marker at `at` is a whole run of its character: `_` is never half of `__`, nor `**` two thirds of `***`. */
const wholeRun = (text: string, marker: string, at: number) => text[at - 1] !== marker[0] && text[at + marker.length] !== marker[0];

/** Where `marker` may close emphasis in `text`: after a non-space, at a word's edge. It depends on nothing before it. */
function closers(text: string, marker: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(marker, 1); at !== -1; at = text.indexOf(marker, at + 1))
    if (!SPACE.test(text[at - 1]!) && atWordEdge(text, marker, at + marker.length) && wholeRun(text, marker, at)) found.push(at);
  return found;
}

/** The emphasis of one text, opened left to right: each marker's closers are found once, so the work stays linear. */
function emphasisIn(text: string, links: boolean) {
  const pending = new Map<string, { at: number[]; next: number }>();
  return (start: number): Span | undefined => {
    for (const [marker, tag] of MARKERS) {
      if (!text.startsWith(marker, start) || !atWordEdge(text, marker, start - 1) || !wholeRun(text, marker, start)) continue;
      const from = start + marker.length;
      if (from >= text.length || SPACE.test(text[from]!)) continue;
      let found = pending.get(marker);
      if (!found) pending.set(marker, (found = { at: closers(text, marker), next: 0 }));
      // Openers come in order, so a closer too early for this one is too early for every later one.
      while (found.next < found.at.length && found.at[found.next]! <= from) found.next += 1;
      const close = found.at[found.next];
      if (close === undefined) continue;
      return { node: el(tag, undefined, ...inline(text.slice(from, close), links)), end: close + marker.length };
    }
    return undefined;
  };
}

/** `[text](url)` starting at `start`, when the URL is http(s); the link opens in a new tab with no way back. */
function link(text: string, start: number): Span | undefined {
  LINK.lastIndex = start;
  const match = LINK.exec(text);
  const url = match && webUrl(match[2]);
  if (!match || !url) return undefined;
  const anchor = el("a", undefined, ...inline(match[1]!, false));
  anchor.href = url;
  anchor.target = "_blank";
  anchor.rel = "noopener noreferrer";
  return { node: anchor, end: start + match[0].length };
}

/** One line's text as text nodes and the elements its markup makes; `links` is false inside a link. */
function inline(text: string, links: boolean): Node[] {
  const nodes: Node[] = [];
  let plain = "";
  let index = 0;
  const emphasis = emphasisIn(text, links);
  while (index < text.length) {
    const span = (links && text[index] === "[" && link(text, index)) || emphasis(index);
    if (!span) {
      plain += text[index];
      index += 1;
      continue;
    }
    if (plain) nodes.push(document.createTextNode(plain));
    plain = "";
    nodes.push(span.node);
    index = span.end;
  }
  if (plain) nodes.push(document.createTextNode(plain));
  return nodes;
}

/** A card text as paragraphs (a blank line between them) whose lines break where the text does. */
export function markdownNodes(text: string): HTMLElement[] {
  return text
    .split(/\n[ \t]*\n/)
    .filter((paragraph) => paragraph.trim())
    .map((paragraph) =>
      el(
        "p",
        undefined,
        ...paragraph.split("\n").flatMap((line, index) => (index === 0 ? inline(line, true) : [el("br"), ...inline(line, true)])),
      ),
    );
}
