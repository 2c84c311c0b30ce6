// visualElements.content rendered by Microsoft's Adaptive Cards renderer, held to the page's
// rules: card text stays text (no markdown turned into HTML), and the only thing a card's
// action may do is open an http(s) URL in a new tab.
import { AdaptiveCard, GlobalSettings, HostConfig, OpenUrlAction, type Action } from "adaptivecards";
import type { Foreground } from "./colours";
import { el } from "./dom";
import { webUrl } from "./urls";

// Markdown would come back as HTML for innerHTML; without a processor the renderer sets innerText.
AdaptiveCard.onProcessMarkdown = (_text, result) => {
  result.didProcess = false;
};
// Anchors in card text never navigate by themselves; their actions go through onExecuteAction.
AdaptiveCard.onAnchorClicked = () => true;
// The card's root is not a tab stop of its own (the renderer's default, which it advises turning off).
GlobalSettings.setTabIndexAtCardRoot = false;

const text = (colour: string, subtle: string) => ({ default: colour, subtle });

/** Colours for the card's text on the activity's own background: light text on dark, dark on light. */
function hostConfigFor(foreground: Foreground): HostConfig {
  const light = foreground === "light";
  const foregroundColors = {
    default: light ? text("#FFFFFF", "#E6FFFFFF") : text("#1B1B1B", "#D91B1B1B"),
    dark: text("#1B1B1B", "#D91B1B1B"),
    light: text("#FFFFFF", "#E6FFFFFF"),
    accent: light ? text("#FFFFFF", "#E6FFFFFF") : text("#003E73", "#D9003E73"),
    good: light ? text("#FFFFFF", "#E6FFFFFF") : text("#0B5A0B", "#D90B5A0B"),
    warning: light ? text("#FFFFFF", "#E6FFFFFF") : text("#6B4500", "#D96B4500"),
    attention: light ? text("#FFFFFF", "#E6FFFFFF") : text("#8A1C00", "#D98A1C00"),
  };
  const style = (backgroundColor: string) => ({ backgroundColor, foregroundColors });
  const config = new HostConfig({
    supportsInteractivity: true,
    fontFamily: "'Segoe UI Variable Text', 'Segoe UI', system-ui, sans-serif",
    // padding is for containers with a style of their own; the card's root sits flush in the timeline card (timeline.css).
    spacing: { small: 4, default: 8, medium: 16, large: 24, extraLarge: 32, padding: 12 },
    separator: { lineThickness: 1, lineColor: light ? "#40FFFFFF" : "#401B1B1B" },
    fontSizes: { small: 12, default: 14, medium: 16, large: 20, extraLarge: 26 },
    fontWeights: { lighter: 300, default: 400, bolder: 600 },
    imageSizes: { small: 32, medium: 64, large: 120 },
    containerStyles: {
      default: style("#00000000"),
      emphasis: style(light ? "#26000000" : "#14000000"),
      accent: style(light ? "#33000000" : "#1A0078D4"),
      good: style("#1A107C10"),
      attention: style("#1AD13438"),
      warning: style("#1AFFB900"),
    },
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

const HOST_CONFIGS: Record<Foreground, HostConfig> = { light: hostConfigFor("light"), dark: hostConfigFor("dark") };

/** What a card's action may do: open an http(s) URL in a new tab, with no way back to this page. Nothing else. */
function executeAction(action: Action) {
  if (!(action instanceof OpenUrlAction)) return;
  const url = webUrl(action.url);
  if (url) window.open(url, "_blank", "noopener,noreferrer");
}

/** Anchors the renderer made for card text with a selectAction keep an href only when it is http(s). */
function disarmLinks(root: HTMLElement) {
  for (const anchor of root.querySelectorAll("a")) {
    const url = webUrl(anchor.getAttribute("href"));
    if (url) anchor.rel = "noopener noreferrer";
    else anchor.removeAttribute("href");
  }
}

const isCard = (content: unknown): content is Record<string, unknown> =>
  typeof content === "object" && content !== null && (content as { type?: unknown }).type === "AdaptiveCard";

/** The activity's Adaptive Card rendered for this background, a note when it cannot be, or nothing when there is no card. */
export function renderAdaptiveCard(content: unknown, foreground: Foreground): HTMLElement | undefined {
  if (content === null || content === undefined) return undefined;
  if (!isCard(content)) return el("p", "card-note", "visualElements.content is not an Adaptive Card.");
  try {
    const card = new AdaptiveCard();
    card.hostConfig = HOST_CONFIGS[foreground];
    card.onExecuteAction = executeAction;
    card.parse(content);
    const rendered = card.render();
    if (!rendered) return el("p", "card-note", "The Adaptive Card has nothing to show.");
    disarmLinks(rendered);
    return rendered;
  } catch (error) {
    return el("p", "card-note", `The Adaptive Card could not be rendered: ${error instanceof Error ? error.message : String(error)}`);
  }
}
