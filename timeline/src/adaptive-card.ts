// visualElements.content rendered by Microsoft's Adaptive Cards renderer, held to the page's
// rules: card text becomes DOM nodes (our own markdown subset, never the card's text as markup),
// its colours read at WCAG AA on the activity's background, and the only thing a card's action
// or link may do is open an http(s) URL in a new tab.
import { AdaptiveCard, GlobalSettings, HostConfig, OpenUrlAction, type Action } from "adaptivecards";
import type { CardColours, ContainerStyle } from "./colours";
import { markdownNodes } from "./markdown";
import { webUrl } from "./urls";

AdaptiveCard.onProcessMarkdown = (text, result) => {
  const nodes = document.createElement("div");
  nodes.append(...markdownNodes(text));
  // The renderer takes markup (through its own Trusted Types policy): this is the browser's
  // serialisation of nodes built from text, so every character of the card's text comes back escaped.
  result.outputHtml = nodes.innerHTML;
  result.didProcess = true;
};
// Markdown links are http(s) (markdown.ts) and open as links do; any other anchor never navigates.
AdaptiveCard.onAnchorClicked = (_element, anchor) => !webUrl(anchor.getAttribute("href"));
// The card's root is not a tab stop of its own (the renderer's default, which it advises turning off).
GlobalSettings.setTabIndexAtCardRoot = false;

/** The renderer's configuration for a card on these colours: every text colour is one that reads on its container. */
function hostConfigFor(colours: CardColours): HostConfig {
  const containerStyles = Object.fromEntries(
    Object.entries(colours.styles).map(([name, surface]) => [
      name,
      { backgroundColor: surface.background, foregroundColors: surface.foregroundColors },
    ]),
  ) as Record<ContainerStyle, unknown>;
  const config = new HostConfig({
    supportsInteractivity: true,
    fontFamily: "'Segoe UI Variable Text', 'Segoe UI', system-ui, sans-serif",
    // padding is for containers with a style of their own; the card's root sits flush in the timeline card (timeline.css).
    spacing: { small: 4, default: 8, medium: 16, large: 24, extraLarge: 32, padding: 12 },
    separator: { lineThickness: 1, lineColor: colours.subtle },
    fontSizes: { small: 12, default: 14, medium: 16, large: 20, extraLarge: 26 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    imageSizes: { small: 32, medium: 64, large: 120 },
    containerStyles,
    // A heading in the card is the activity's heading, under the day's.
    textBlock: { headingLevel: 3 },
    actions: {
      maxActions: 5,
      spacing: "default",
      buttonSpacing: 8,
      showCard: { actionMode: "inline", inlineTopMargin: 8 },
      actionsOrientation: "horizontal",
      actionAlignment: "left",
    },
  });
  // Set after construction: the constructor reads a false here as "use the default" (true).
  config.media.allowInlinePlayback = false;
  return config;
}

/** Host configurations by card background: one per colour the timeline shows. */
const hostConfigs = new Map<string, HostConfig>();

function hostConfig(colours: CardColours): HostConfig {
  let config = hostConfigs.get(colours.background);
  if (!config) hostConfigs.set(colours.background, (config = hostConfigFor(colours)));
  return config;
}

/** What a card's action may do: open an http(s) URL in a new tab, with no way back to this page. Nothing else. */
function executeAction(action: Action) {
  if (!(action instanceof OpenUrlAction)) return;
  const url = webUrl(action.url);
  if (url) window.open(url, "_blank", "noopener,noreferrer");
}

/** Anchors the renderer made (a text run's selectAction) keep an href only when it is http(s). */
function disarmLinks(root: HTMLElement | undefined) {
  for (const anchor of root?.querySelectorAll("a") ?? []) {
    const url = webUrl(anchor.getAttribute("href"));
    if (url) anchor.rel = "noopener noreferrer";
    else anchor.removeAttribute("href");
  }
}

const isCard = (content: unknown): content is Record<string, unknown> =>
  typeof content === "object" && content !== null && (content as { type?: unknown }).type === "AdaptiveCard";

/** The activity's Adaptive Card, or why the generated face is shown instead (none when there is no card at all). */
export type RenderedCard = { kind: "card"; element: HTMLElement } | { kind: "none" } | { kind: "unshown"; reason: string };

/** Renders the activity's Adaptive Card on its colours. */
export function renderAdaptiveCard(content: unknown, colours: CardColours): RenderedCard {
  if (content === null || content === undefined) return { kind: "none" };
  if (!isCard(content)) return { kind: "unshown", reason: "visualElements.content is not an Adaptive Card." };
  try {
    const card = new AdaptiveCard();
    card.hostConfig = hostConfig(colours);
    card.onExecuteAction = executeAction;
    // A ShowCard's card is rendered when it is first shown, after the rest was disarmed.
    card.onInlineCardExpanded = (action) => disarmLinks(action.card.renderedElement);
    card.parse(content);
    const rendered = card.getItemCount() + card.getActionCount() > 0 ? card.render() : undefined;
    if (!rendered) return { kind: "unshown", reason: "The Adaptive Card has nothing to show." };
    disarmLinks(rendered);
    return { kind: "card", element: rendered };
  } catch (error) {
    return {
      kind: "unshown",
      reason: `The Adaptive Card could not be rendered: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
