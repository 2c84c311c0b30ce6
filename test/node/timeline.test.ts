// The timeline page (/timeline/) in headless Chromium against the service as `npm run dev` runs it:
// a user's activities as cards grouped by day, paging, deletes checked against the API, hostile
// content kept inert under the page's Content-Security-Policy, error states, and axe-core.
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchBrowser } from "./browser";
import { mintToken } from "./token";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http:; connect-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'; object-src 'none'; require-trusted-types-for 'script'; " +
  "trusted-types adaptivecards#markdownPassthroughPolicy adaptivecards#restoreContentsPolicy adaptivecards#deprecatedExportedFunctionPolicy";

// The browser's clock and zone: Friday 27 November 2026, 15:00 in New York (UTC-5).
const NOW = Date.parse("2026-11-27T20:00:00Z");
const TIME_ZONE = "America/New_York";

/** Small app icons, served from another origin as an app's own CDN would serve them. */
const ICONS: Record<string, string> = {
  "contoso.svg": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#ffffff"/><path d="M8 7h11a5 5 0 0 1 5 5v13H13a5 5 0 0 1-5-5z" fill="#0f6cbd"/><path d="M12 12h8M12 16h8M12 20h5" stroke="#ffffff" stroke-width="2"/></svg>`,
  "fabrikam.svg": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#ffffff"/><path d="M9 5h10l6 6v16H9z" fill="#185abd"/><path d="M19 5v6h6" fill="#9fc3f0"/><path d="M12 16h10M12 20h10M12 24h6" stroke="#ffffff" stroke-width="2"/></svg>`,
  "northwind.svg": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#1b1b1b"/><circle cx="11" cy="23" r="4" fill="#ffb900"/><circle cx="22" cy="20" r="4" fill="#ffb900"/><path d="M14 23V8l12-3v15" stroke="#ffb900" stroke-width="2.5" fill="none"/></svg>`,
  "lake.svg": `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="8" fill="#9fd6ff"/><path d="M0 40l18-20 12 12 8-8 26 22v18H0z" fill="#2f6f4f"/><rect y="46" width="64" height="18" fill="#3a86c8"/><circle cx="48" cy="16" r="6" fill="#ffd76a"/></svg>`,
};

let browser: Browser;
let icons: Server;
let service: string;
let iconOrigin: string;

/** An activity as an app would PUT it, with its sessions (deep insert). */
interface Seed {
  id: string;
  body: Record<string, unknown>;
}

/** PUTs each activity for the token's user, in order (the feed lists the last written first). */
async function seed(token: string, activities: Record<string, unknown>[]): Promise<Seed[]> {
  const seeded: Seed[] = [];
  for (const body of activities) {
    const response = await api(token, "PUT", `/v1.0/me/activities/${encodeURIComponent(`/timeline-test/${crypto.randomUUID()}`)}`, body);
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    seeded.push({ id: response.body.id, body });
  }
  return seeded;
}

/** One call to the service's API, as the test's own check on what the page did. */
async function api(token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${service}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const session = (started: string, minutes: number) => ({
  id: crypto.randomUUID(),
  startedDateTime: started,
  lastActiveDateTime: new Date(Date.parse(started) + minutes * 60_000).toISOString(),
});

/** A tab in New York's time zone at NOW (in the dark theme unless asked), recording what it requests (WebSockets apart), what scripts it lets slip and what CSP blocks. */
async function openTab(
  options: { bypassCSP?: boolean; colorScheme?: "dark" | "light" } = {},
): Promise<{ context: BrowserContext; page: Page; requests: string[]; sockets: string[]; popups: Page[] }> {
  const context = await browser.newContext({
    timezoneId: TIME_ZONE,
    locale: "en-US",
    viewport: { width: 1280, height: 900 },
    bypassCSP: options.bypassCSP ?? false,
    colorScheme: options.colorScheme ?? "dark",
  });
  const page = await context.newPage();
  await page.clock.setFixedTime(NOW);
  await page.addInitScript(() => {
    (window as any).__violations = [];
    document.addEventListener("securitypolicyviolation", (event) =>
      (window as any).__violations.push(`${event.effectiveDirective} ${event.blockedURI}`),
    );
  });
  const requests: string[] = [];
  const sockets: string[] = [];
  const popups: Page[] = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("websocket", (socket) => sockets.push(socket.url()));
  context.on("page", (popup) => popups.push(popup));
  return { context, page, requests, sockets, popups };
}

/** What the page requests of the service once signed in: a deltaLink from now, the first page, then a round once the live socket opens. */
const SIGN_IN_REQUESTS = [
  "/timeline/",
  "/timeline/timeline.css",
  "/timeline/timeline.js",
  "/v1.0/me/activities/delta?$expand=historyItems&$deltatoken=latest",
  "/v1.0/me/activities/recent?$expand=historyItems",
  expect.stringMatching(/^\/v1\.0\/me\/activities\/delta\?\$deltatoken=[^&]+$/),
];

/** Waits until the page has loaded and is live: its socket open, and the round that follows the opening answered. */
async function waitUntilLive(page: Page) {
  await page.waitForLoadState("networkidle");
  await page.locator("#live[data-state=live]").waitFor();
}

/** Opens /timeline/ and signs in with the token through the page's own form. */
async function signIn(page: Page, token: string) {
  const response = await page.goto(`${service}/timeline/`);
  expect(response?.status()).toBe(200);
  await page.getByLabel("Bearer token").fill(token);
  await page.getByRole("button", { name: "Show timeline" }).click();
}

/** The timeline as a reader sees it: each day's heading and, per card, its visible parts. */
function readTimeline(page: Page) {
  return page.locator("#timeline").evaluate((timeline) =>
    Array.from(timeline.querySelectorAll("section.day")).map((day) => ({
      day: day.querySelector(".day-title")!.firstChild!.textContent,
      count: day.querySelector(".day-count")!.textContent,
      cards: Array.from(day.querySelectorAll("article.activity")).map((card) => ({
        app: card.querySelector(".activity-app-name")!.textContent,
        icon: card.querySelector<HTMLImageElement>(".activity-icon")?.src ?? null,
        title: card.querySelector(".activity-title")?.textContent ?? null,
        description: card.querySelector(".activity-description")?.textContent ?? null,
        adaptiveCard: card.querySelector(".ac-adaptiveCard") !== null,
        background: getComputedStyle(card.querySelector(".activity-face")!).backgroundColor,
        sessions: Array.from(card.querySelectorAll(".session")).map((row) => [
          row.querySelector("time")!.textContent,
          row.querySelector(".session-duration")!.textContent,
        ]),
        open:
          card.querySelector<HTMLAnchorElement>(".activity-actions a")?.href ??
          card.querySelector(".activity-no-link")?.textContent ??
          null,
      })),
    })),
  );
}

/** axe-core's findings on the page as it stands: the serious and critical ones, or every one. */
async function axeFindings(page: Page, impacts: "serious" | "all" = "serious") {
  // Evaluated through the DevTools protocol, not as a <script> the page's policy would refuse.
  await page.evaluate(readFileSync(new URL("../../node_modules/axe-core/axe.min.js", import.meta.url), "utf8"));
  const results = await page.evaluate(() => (window as any).axe.run(document));
  return results.violations
    .filter((violation: any) => impacts === "all" || violation.impact === "serious" || violation.impact === "critical")
    .map((violation: any) => ({
      id: violation.id,
      impact: violation.impact,
      nodes: violation.nodes.map((node: any) => `${node.target.join(" ")}: ${node.failureSummary}`),
    }));
}

beforeAll(async () => {
  service = inject("serviceUrl");
  icons = createServer((request, response) => {
    const icon = ICONS[(request.url ?? "").slice(1)];
    if (icon) response.writeHead(200, { "content-type": "image/svg+xml", "cache-control": "max-age=3600" }).end(icon);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => icons.listen(0, "127.0.0.1", resolve));
  iconOrigin = `http://127.0.0.1:${(icons.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  icons?.close();
});

describe("a user's activities across three days", () => {
  let token: string;
  let tab: Awaited<ReturnType<typeof openTab>>;
  let seeded: Seed[];

  beforeAll(async () => {
    token = await mintToken({ user: crypto.randomUUID() });
    seeded = await seed(token, [
      {
        activitySourceHost: "https://music.northwind.example",
        appDisplayName: "Northwind Music",
        activationUrl: "northwind-music://playlist/evening",
        visualElements: {
          displayText: "Evening focus playlist",
          description: "32 tracks · 2 h 10 min",
          backgroundColor: "#ffb900",
          attribution: { iconUrl: `${iconOrigin}/northwind.svg`, alternateText: "Northwind Music" },
        },
        // 22:30 on Tuesday in New York is already Wednesday in UTC: the page groups by the browser's day.
        historyItems: [session("2026-11-25T03:30:00Z", 25)],
      },
      {
        activitySourceHost: "https://docs.fabrikam.example",
        appDisplayName: "Fabrikam Docs",
        activationUrl: "ms-word:ofe|u|https://docs.fabrikam.example/q4-report.docx",
        fallbackUrl: "https://docs.fabrikam.example/view/q4-report",
        visualElements: {
          displayText: "Q4 planning report.docx",
          description: "Edited with Mona Kane and Lee Gu",
          backgroundColor: "#185abd",
          attribution: { iconUrl: `${iconOrigin}/fabrikam.svg`, alternateText: "Fabrikam Docs" },
        },
        historyItems: [session("2026-11-26T13:45:00Z", 12), session("2026-11-26T21:00:00Z", 65)],
      },
      {
        activitySourceHost: "https://www.contoso.example",
        appDisplayName: "Contoso Tasks",
        activationUrl: "https://tasks.contoso.example/lists/groceries",
        visualElements: { displayText: "Groceries for the weekend", description: "4 of 9 done" },
        historyItems: [{ id: crypto.randomUUID(), startedDateTime: "2026-11-26T15:10:00Z", activeDurationSeconds: 40 }],
      },
      {
        activitySourceHost: "https://www.contoso.example",
        appDisplayName: "Contoso Reader",
        activationUrl: "https://www.contoso.example/articles/mountain-lakes",
        visualElements: {
          displayText: "The quiet lakes of the high mountains",
          description: "A long read on alpine lakes and the people who keep them clean.",
          backgroundColor: "#0f6cbd",
          attribution: { iconUrl: `${iconOrigin}/contoso.svg`, alternateText: "Contoso Reader" },
          content: {
            $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
            type: "AdaptiveCard",
            version: "1.5",
            body: [
              // As in Graph's own example, the card repeats the activity's title: Windows showed the card instead of the text.
              { type: "TextBlock", text: "The quiet lakes of the high mountains", style: "heading", size: "medium", wrap: true },
              {
                type: "ColumnSet",
                columns: [
                  {
                    type: "Column",
                    width: "auto",
                    items: [{ type: "Image", url: `${iconOrigin}/lake.svg`, size: "medium", altText: "A mountain lake at dawn" }],
                  },
                  {
                    type: "Column",
                    width: "stretch",
                    verticalContentAlignment: "center",
                    items: [
                      { type: "TextBlock", text: "Chapter 3 of 12", weight: "bolder", size: "medium", wrap: true },
                      { type: "TextBlock", text: "18 minutes left", isSubtle: true, spacing: "none", wrap: true },
                    ],
                  },
                ],
              },
              {
                type: "FactSet",
                facts: [
                  { title: "Author", value: "Ana Bowman" },
                  { title: "Progress", value: "25%" },
                ],
              },
            ],
            actions: [
              { type: "Action.OpenUrl", title: "Continue reading", url: "https://www.contoso.example/articles/mountain-lakes?chapter=3" },
            ],
          },
        },
        historyItems: [session("2026-11-27T14:10:00Z", 20), session("2026-11-27T18:05:00Z", 35)],
      },
      {
        activitySourceHost: "https://www.contoso.example",
        appDisplayName: "Contoso Tasks",
        activationUrl: "https://tasks.contoso.example/lists/release",
        visualElements: { displayText: "Release checklist", description: "Ship the timeline page", backgroundColor: "#107c10" },
        historyItems: [session("2026-11-27T16:30:00Z", 45)],
      },
    ]);
    tab = await openTab();
    await signIn(tab.page, token);
    await tab.page
      .locator("article.activity")
      .nth(seeded.length - 1)
      .waitFor();
    await tab.page.locator(".ac-adaptiveCard").waitFor();
    await waitUntilLive(tab.page);
  });

  afterAll(async () => {
    await tab?.context.close();
  });

  it("is served with its Content-Security-Policy, and the policy blocks nothing the page does", async () => {
    const response = await tab.page.request.get(`${service}/timeline/`);
    expect({
      status: response.status(),
      csp: response.headers()["content-security-policy"],
      nosniff: response.headers()["x-content-type-options"],
    }).toEqual({
      status: 200,
      csp: CSP,
      nosniff: "nosniff",
    });
    expect(await tab.page.evaluate(() => (window as any).__violations)).toEqual([]);
  });

  it("shows each activity as a card under the local day of its latest session, newest first", async () => {
    expect(await readTimeline(tab.page)).toEqual([
      {
        day: "Today",
        count: "2 activities",
        cards: [
          {
            app: "Contoso Reader",
            icon: `${iconOrigin}/contoso.svg`,
            // The Adaptive Card instead of the generated face: the title shows once, in the card.
            title: null,
            description: null,
            adaptiveCard: true,
            background: "rgb(15, 108, 189)",
            sessions: [
              ["1:05 PM", "35 min"],
              ["9:10 AM", "20 min"],
            ],
            open: "https://www.contoso.example/articles/mountain-lakes",
          },
          {
            app: "Contoso Tasks",
            icon: null,
            title: "Release checklist",
            description: "Ship the timeline page",
            adaptiveCard: false,
            background: "rgb(16, 124, 16)",
            sessions: [["11:30 AM", "45 min"]],
            open: "https://tasks.contoso.example/lists/release",
          },
        ],
      },
      {
        day: "Yesterday",
        count: "2 activities",
        cards: [
          {
            app: "Fabrikam Docs",
            icon: `${iconOrigin}/fabrikam.svg`,
            title: "Q4 planning report.docx",
            description: "Edited with Mona Kane and Lee Gu",
            adaptiveCard: false,
            background: "rgb(24, 90, 189)",
            sessions: [
              ["4:00 PM", "1 h 5 min"],
              ["8:45 AM", "12 min"],
            ],
            // ms-word: is for the desktop app; the page opens the http(s) fallbackUrl.
            open: "https://docs.fabrikam.example/view/q4-report",
          },
          {
            app: "Contoso Tasks",
            icon: null,
            title: "Groceries for the weekend",
            description: "4 of 9 done",
            // No backgroundColor: the timeline's own card colour.
            adaptiveCard: false,
            background: "rgb(43, 43, 43)",
            sessions: [["10:10 AM", "40 s"]],
            open: "https://tasks.contoso.example/lists/groceries",
          },
        ],
      },
      {
        day: "Tuesday, November 24",
        count: "1 activity",
        cards: [
          {
            app: "Northwind Music",
            icon: `${iconOrigin}/northwind.svg`,
            title: "Evening focus playlist",
            description: "32 tracks · 2 h 10 min",
            adaptiveCard: false,
            background: "rgb(255, 185, 0)",
            sessions: [["10:30 PM", "25 min"]],
            open: "No web address to open",
          },
        ],
      },
    ]);
    expect(await tab.page.locator("#load-more").isHidden()).toBe(true);
    expect(await tab.page.locator("#status").textContent()).toBe("5 activities shown.");
  });

  it("renders the Adaptive Card with Microsoft's renderer, its image from the app's own origin", async () => {
    const card = tab.page.locator("article.activity", { hasText: "The quiet lakes" }).locator(".ac-adaptiveCard");
    expect(
      await card.evaluate((root) => ({
        text: Array.from(root.querySelectorAll(".ac-textBlock"))
          .filter((block) => !block.closest(".ac-factset"))
          .map((block) => block.textContent),
        facts: Array.from(root.querySelectorAll(".ac-factset tr")).map((row) =>
          Array.from(row.querySelectorAll(".ac-textBlock")).map((cell) => cell.textContent),
        ),
        image: Array.from(root.querySelectorAll("img")).map((image) => ({
          src: image.src,
          alt: image.alt,
          loaded: image.naturalWidth > 0,
        })),
        actions: Array.from(root.querySelectorAll("button")).map((button) => button.textContent),
      })),
    ).toEqual({
      text: ["The quiet lakes of the high mountains", "Chapter 3 of 12", "18 minutes left"],
      facts: [
        ["Author", "Ana Bowman"],
        ["Progress", "25%"],
      ],
      image: [{ src: `${iconOrigin}/lake.svg`, alt: "A mountain lake at dawn", loaded: true }],
      actions: ["Continue reading"],
    });
    expect(
      await tab.page.locator(".activity-icon").evaluateAll((images) => images.map((image) => (image as HTMLImageElement).naturalWidth > 0)),
    ).toEqual([true, true, true]);
  });

  it("requests nothing from any other origin than the activities' own icons and images", async () => {
    const elsewhere = [...new Set(tab.requests.filter((url) => !url.startsWith(`${service}/`)))].sort();
    expect(elsewhere).toEqual([
      `${iconOrigin}/contoso.svg`,
      `${iconOrigin}/fabrikam.svg`,
      `${iconOrigin}/lake.svg`,
      `${iconOrigin}/northwind.svg`,
    ]);
    const own = tab.requests.filter((url) => url.startsWith(`${service}/`)).map((url) => url.slice(service.length));
    expect(own).toEqual(SIGN_IN_REQUESTS);
    expect(tab.sockets).toEqual([`${service.replace(/^http/, "ws")}/v1.0/me/activities/live`]);
  });

  it("has no accessibility finding at all (axe-core), and looks like Windows Timeline (screenshots, dark and light)", async () => {
    await mkdir(new URL("../../docs/images/", import.meta.url), { recursive: true });
    await tab.page.mouse.move(0, 0);
    for (const [colorScheme, file] of [
      ["light", "timeline-light.png"],
      ["dark", "timeline.png"],
    ] as const) {
      await tab.page.emulateMedia({ colorScheme });
      expect(await tab.page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe(colorScheme);
      expect(await axeFindings(tab.page, "all")).toEqual([]);
      await tab.page.screenshot({ path: new URL(`../../docs/images/${file}`, import.meta.url).pathname, fullPage: true });
    }
  });
});

describe("faces, colours, themes, markdown and search", () => {
  const COLOURS = ["default", "dark", "light", "accent", "good", "warning", "attention"];
  const STYLES = ["default", "emphasis", "accent", "good", "attention", "warning"];
  const MARKDOWN = "**Bold** then _italic_, [a link](https://www.contoso.example/md) and [not a link](javascript:alert(1))";
  const NOT_MARKDOWN = "snake_case_name, 2 * 3 * 4, ***three***, window.__a and b.__c, **unclosed";
  /** A card that uses every text colour, subtle and highlighted, in every container style, with markdown, facts and an action. */
  const richCard = (title: string) => ({
    type: "AdaptiveCard",
    version: "1.5",
    body: [
      { type: "TextBlock", text: title, style: "heading", wrap: true },
      { type: "TextBlock", text: MARKDOWN, wrap: true },
      { type: "TextBlock", text: NOT_MARKDOWN, wrap: true },
      ...STYLES.map((style) => ({
        type: "Container",
        style,
        items: [
          { type: "TextBlock", text: `In ${style}:`, weight: "bolder" },
          {
            type: "RichTextBlock",
            inlines: COLOURS.flatMap((color) => [
              { type: "TextRun", text: `${color} `, color },
              { type: "TextRun", text: `subtle `, color, isSubtle: true },
              { type: "TextRun", text: `highlighted `, color, highlight: true },
              { type: "TextRun", text: `both `, color, isSubtle: true, highlight: true },
            ]),
          },
        ],
      })),
      { type: "FactSet", facts: [{ title: "Progress", value: "25%" }] },
    ],
    actions: [{ type: "Action.OpenUrl", title: "Open in Contoso", url: "https://www.contoso.example/cards" }],
  });
  const activity = (displayText: string, backgroundColor: string | undefined, content?: unknown) => ({
    activitySourceHost: "https://www.contoso.example",
    appDisplayName: "Contoso Notes",
    activationUrl: `https://www.contoso.example/notes/${encodeURIComponent(displayText)}`,
    visualElements: { displayText, description: `The description of ${displayText}`, backgroundColor, content },
    historyItems: [session("2026-11-27T15:00:00Z", 10)],
  });
  let token: string;
  let tab: Awaited<ReturnType<typeof openTab>>;

  /** Each card's accessible name (its title, shown or not), in order. */
  const names = () =>
    tab.page
      .locator("article.activity")
      .evaluateAll((articles) =>
        articles.map(
          (article) => article.getAttribute("aria-label") ?? document.getElementById(article.getAttribute("aria-labelledby")!)!.textContent,
        ),
      );

  beforeAll(async () => {
    token = await mintToken({ user: crypto.randomUUID() });
    await seed(token, [
      activity("Graph's red face", "#ff0000"),
      activity("Graph's red card", "#ff0000", richCard("Graph's red card")),
      activity("Purple face", "#8e44ad"),
      activity("Purple card", "#8e44ad", richCard("Purple card")),
      activity("Plain face", undefined),
      activity("Plain card", undefined, richCard("Plain card")),
      { ...activity("Notes from the café", "#ffb900"), appDisplayName: "Fabrikam Journal" },
      // A card with nothing in it cannot stand for the activity: the generated face does.
      activity("Empty card", "#0f6cbd", { type: "AdaptiveCard", version: "1.5", body: [] }),
    ]);
    tab = await openTab();
    await signIn(tab.page, token);
    await tab.page.locator("article.activity").nth(7).waitFor();
    await tab.page.waitForLoadState("networkidle");
  });

  afterAll(async () => {
    await tab?.context.close();
  });

  it.each([["dark"], ["light"]] as const)(
    "reads at WCAG AA on any colour (Graph's #ff0000, a purple, none) in the %s theme: axe-core finds nothing at all",
    async (colorScheme) => {
      await tab.page.emulateMedia({ colorScheme });
      const plain = tab.page.locator("article.activity", { hasText: "The description of Plain face" }).locator(".activity-face");
      // The page follows the system's theme as it changes, cards included.
      await expect
        .poll(() => plain.evaluate((face) => getComputedStyle(face).backgroundColor))
        .toBe(colorScheme === "dark" ? "rgb(43, 43, 43)" : "rgb(232, 237, 243)");
      expect(await tab.page.evaluate(() => getComputedStyle(document.documentElement).colorScheme)).toBe(colorScheme);
      expect(await axeFindings(tab.page, "all")).toEqual([]);
    },
  );

  it("shows an activity's Adaptive Card instead of its generated face, so its title shows once; a card with nothing to show falls back", async () => {
    await tab.page.emulateMedia({ colorScheme: "dark" });
    const card = tab.page.getByRole("article", { name: "Graph's red card" });
    expect(
      await card.evaluate((article: HTMLElement) => ({
        titles: article.innerText.split("Graph's red card").length - 1,
        generated: article.querySelector(".activity-title, .activity-description") !== null,
        heading: Array.from(article.querySelectorAll("[role=heading]")).map((heading) => [
          heading.getAttribute("aria-level"),
          heading.textContent,
        ]),
      })),
    ).toEqual({ titles: 1, generated: false, heading: [["3", "Graph's red card"]] });
    expect(await tab.page.getByText("Graph's red card", { exact: true }).count()).toBe(1);

    const empty = tab.page.getByRole("article", { name: "Empty card" });
    expect(
      await empty.evaluate((article) => ({
        title: article.querySelector("h3")?.textContent,
        description: article.querySelector(".activity-description")?.textContent,
        note: article.querySelector(".card-note")?.textContent,
        card: article.querySelector(".ac-adaptiveCard") !== null,
      })),
    ).toEqual({
      title: "Empty card",
      description: "The description of Empty card",
      note: "The Adaptive Card has nothing to show.",
      card: false,
    });
  });

  it("renders the card's markdown as bold, italic and http(s) links, built as elements (a javascript: link stays text), under Trusted Types", async () => {
    const card = tab.page.getByRole("article", { name: "Purple card" });
    const nodes = (paragraph: HTMLElement) =>
      Array.from(paragraph.childNodes).map((node) =>
        node instanceof HTMLAnchorElement
          ? [node.tagName, node.textContent, node.getAttribute("href"), node.rel, node.target]
          : node instanceof Element
            ? [node.tagName, node.textContent]
            : ["text", node.textContent],
      );
    // What only looks like markup stays text.
    expect(await card.locator(".ac-textBlock", { hasText: "snake_case" }).locator("p").evaluate(nodes)).toEqual([["text", NOT_MARKDOWN]]);
    expect(await card.locator(".ac-textBlock", { hasText: "not a link" }).locator("p").evaluate(nodes)).toEqual([
      ["STRONG", "Bold"],
      ["text", " then "],
      ["EM", "italic"],
      ["text", ", "],
      ["A", "a link", "https://www.contoso.example/md", "noopener noreferrer", "_blank"],
      ["text", " and [not a link](javascript:alert(1))"],
    ]);
    // Nothing the page did (the renderer's markup included) was refused by the policy, Trusted Types among it.
    expect(await tab.page.evaluate(() => (window as any).__violations)).toEqual([]);
  });

  it("filters the loaded activities as the user types in the search box, by text, description or app name", async () => {
    const all = await names();
    expect(all).toHaveLength(8);
    // The first stop of the keyboard, labelled for what it does.
    await tab.page.locator("#page-title").focus();
    await tab.page.keyboard.press("Tab");
    const box = tab.page.getByRole("searchbox", { name: "Search activities" });
    expect(await box.evaluate((input) => input === document.activeElement)).toBe(true);

    const status = tab.page.locator("#status");
    await tab.page.keyboard.type("purple");
    expect({ names: await names(), status: await status.textContent() }).toEqual({
      names: ["Purple card", "Purple face"],
      status: "2 of 8 activities match “purple”.",
    });
    // Every word, in any order, case and accents aside; the description and app name count too.
    await box.fill("CAFE fabrikam");
    expect({ names: await names(), status: await status.textContent() }).toEqual({
      names: ["Notes from the café"],
      status: "1 of 8 activities matches “CAFE fabrikam”.",
    });
    await box.fill("description red card");
    expect(await names()).toEqual(["Graph's red card"]);
    await box.fill("nothing like this");
    expect({
      names: await names(),
      noMatch: await tab.page.locator("#no-match").textContent(),
      status: await status.textContent(),
    }).toEqual({
      names: [],
      noMatch: "No activity loaded so far matches “nothing like this”.",
      status: "0 of 8 activities match “nothing like this”.",
    });
    // Escape empties it, and every card is back.
    await tab.page.keyboard.press("Escape");
    expect({
      value: await box.inputValue(),
      names: await names(),
      noMatch: await tab.page.locator("#no-match").isHidden(),
      status: await status.textContent(),
    }).toEqual({ value: "", names: all, noMatch: true, status: "8 activities shown." });
  });
});

describe("opening", () => {
  // In a tab of its own: after a popup, headless Chromium repaints the tab it left, which is slow in software rendering
  // (three of them can outlast the default timeout on a busy machine).
  it("follows the http(s) activationUrl, a card's http(s) Action.OpenUrl and its markdown link, each in a new tab with no way back", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    await seed(token, [
      {
        activitySourceHost: "https://www.contoso.example",
        activationUrl: "https://www.contoso.example/articles/open-me",
        visualElements: {
          displayText: "Open me",
          content: {
            type: "AdaptiveCard",
            version: "1.5",
            body: [{ type: "TextBlock", text: "Or [read the summary](https://www.contoso.example/articles/open-me/summary).", wrap: true }],
            actions: [{ type: "Action.OpenUrl", title: "Continue reading", url: "https://www.contoso.example/articles/open-me?chapter=3" }],
          },
        },
        historyItems: [session("2026-11-27T12:00:00Z", 5)],
      },
    ]);
    const tab = await openTab();
    await tab.context.route("https://www.contoso.example/**", (route) =>
      route.fulfill({ contentType: "text/html", body: "<title>Contoso</title>" }),
    );
    await signIn(tab.page, token);
    const opened: { url: string; opener: unknown }[] = [];
    // The renderer gives Action.OpenUrl the role of a link.
    for (const control of [
      tab.page.getByRole("link", { name: "Open Open me" }),
      tab.page.getByRole("link", { name: "Continue reading" }),
      tab.page.getByRole("link", { name: "read the summary" }),
    ]) {
      const popup = tab.context.waitForEvent("page");
      await control.click();
      const page = await popup;
      await page.waitForLoadState();
      opened.push({ url: page.url(), opener: await page.evaluate(() => window.opener) });
      await page.close();
    }
    expect(opened).toEqual([
      { url: "https://www.contoso.example/articles/open-me", opener: null },
      { url: "https://www.contoso.example/articles/open-me?chapter=3", opener: null },
      { url: "https://www.contoso.example/articles/open-me/summary", opener: null },
    ]);
    expect(tab.page.url()).toBe(`${service}/timeline/`);
    await tab.context.close();
  }, 120_000);
});

describe("paging", () => {
  it("shows the first page, then the next through @odata.nextLink with Load more", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    await seed(
      token,
      Array.from({ length: 12 }, (_, n) => ({
        activitySourceHost: "https://www.contoso.example",
        appDisplayName: "Contoso Reader",
        activationUrl: `https://www.contoso.example/articles/${n}`,
        visualElements: { displayText: `Article ${n + 1}` },
        historyItems: [session(new Date(Date.parse("2026-11-27T12:00:00Z") + n * 60_000).toISOString(), 1)],
      })),
    );
    const tab = await openTab();
    await signIn(tab.page, token);
    const titles = () => tab.page.locator(".activity-title").allTextContents();
    await tab.page.getByRole("button", { name: "Load more" }).waitFor();
    expect(await titles()).toEqual([
      "Article 12",
      "Article 11",
      "Article 10",
      "Article 9",
      "Article 8",
      "Article 7",
      "Article 6",
      "Article 5",
      "Article 4",
      "Article 3",
    ]);
    expect(await tab.page.locator("#status").textContent()).toBe("10 activities shown; more to load.");

    await tab.page.getByRole("button", { name: "Load more" }).click();
    await tab.page.locator("article.activity").nth(11).waitFor();
    expect(await titles()).toEqual(Array.from({ length: 12 }, (_, n) => `Article ${12 - n}`));
    expect(await tab.page.locator("#load-more").isHidden()).toBe(true);
    expect(await tab.page.locator("#status").textContent()).toBe("12 activities shown.");
    const feed = tab.requests.filter((url) => url.includes("/me/activities/recent"));
    expect(feed).toEqual([
      `${service}/v1.0/me/activities/recent?$expand=historyItems`,
      expect.stringMatching(/\/v1\.0\/me\/activities\/recent\?.*\$skiptoken=/),
    ]);
    await tab.context.close();
  });
});

describe("deleting", () => {
  it("deletes a session and an activity after a confirmation, by keyboard, and the API agrees", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const [kept, deleted] = await seed(token, [
      {
        activitySourceHost: "https://www.contoso.example",
        activationUrl: "https://www.contoso.example/articles/kept",
        visualElements: { displayText: "Kept article" },
        historyItems: [session("2026-11-27T14:00:00Z", 10), session("2026-11-27T16:00:00Z", 5)],
      },
      {
        activitySourceHost: "https://www.contoso.example",
        activationUrl: "https://www.contoso.example/articles/deleted",
        visualElements: { displayText: "Deleted article" },
        historyItems: [session("2026-11-27T15:00:00Z", 10)],
      },
    ]);
    const [earlierSession, laterSession] = kept!.body.historyItems as { id: string }[];
    const tab = await openTab();
    await signIn(tab.page, token);
    const dialog = tab.page.getByRole("dialog");
    await tab.page.locator("article.activity").nth(1).waitFor();

    // Cancelling (Escape) deletes nothing.
    await tab.page.getByRole("button", { name: "Delete the session of 11:00 AM, 5 min" }).focus();
    await tab.page.keyboard.press("Enter");
    await dialog.waitFor();
    expect({
      title: await dialog.getByRole("heading").textContent(),
      focused: await tab.page.evaluate(() => document.activeElement?.textContent),
    }).toEqual({
      title: "Delete this session?",
      focused: "Cancel",
    });
    expect(await axeFindings(tab.page)).toEqual([]);
    await tab.page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect((await api(token, "GET", `/v1.0/me/activities/${kept!.id}/historyItems`)).body.value).toHaveLength(2);

    // Tab to the destructive button and confirm.
    await tab.page.getByRole("button", { name: "Delete the session of 11:00 AM, 5 min" }).focus();
    await tab.page.keyboard.press("Enter");
    await dialog.waitFor();
    await tab.page.keyboard.press("Tab");
    expect(await tab.page.evaluate(() => document.activeElement?.textContent)).toBe("Delete session");
    await tab.page.keyboard.press("Enter");
    await tab.page.locator(`[data-session-id="${laterSession!.id}"]`).waitFor({ state: "detached" });
    expect(await tab.page.locator("#status").textContent()).toBe("Deleted the session.");
    const items = await api(token, "GET", `/v1.0/me/activities/${kept!.id}/historyItems`);
    expect(items.body.value.map((item: { id: string }) => item.id)).toEqual([earlierSession!.id]);
    // The activity's latest session is now the 9:00 one, so it moves below the 10:00 one.
    expect(await tab.page.locator(".activity-title").allTextContents()).toEqual(["Deleted article", "Kept article"]);

    await tab.page.getByRole("button", { name: "Delete Deleted article" }).focus();
    await tab.page.keyboard.press("Enter");
    expect(await dialog.locator("p").textContent()).toBe(
      "The activity and its session are deleted from the service. This cannot be undone.",
    );
    await dialog.getByRole("button", { name: "Delete activity" }).click();
    await tab.page.locator(`[data-activity-id="${deleted!.id}"]`).waitFor({ state: "detached" });
    expect(await tab.page.locator("#status").textContent()).toBe("Deleted “Deleted article”.");
    expect((await api(token, "GET", `/v1.0/me/activities/${deleted!.id}`)).status).toBe(404);
    expect(await tab.page.locator(".activity-title").allTextContents()).toEqual(["Kept article"]);
    await tab.context.close();
  });
});

describe("hostile activities", () => {
  const pwn = (where: string) => `window.__pwned=${JSON.stringify(where)}`;
  const hostileCard = {
    type: "AdaptiveCard",
    version: "1.5",
    body: [
      { type: "TextBlock", text: `<img src=x onerror='${pwn("card text")}'>`, wrap: true },
      {
        type: "TextBlock",
        text: `[Read more](javascript:${pwn("markdown link")}) **bold** <script>${pwn("card script")}</script>`,
        wrap: true,
      },
      // Markdown link syntax around a javascript: URL: it stays text, never a link.
      { type: "TextBlock", text: `[Run it](javascript:${pwn("markdown-link")})`, wrap: true },
      {
        type: "RichTextBlock",
        inlines: [
          {
            type: "TextRun",
            text: "A run that opens javascript:",
            selectAction: { type: "Action.OpenUrl", url: `javascript:${pwn("text run")}` },
          },
        ],
      },
      { type: "Image", url: `javascript:${pwn("image url")}`, altText: "An image at a javascript: URL" },
      {
        type: "Image",
        url: `data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='${pwn("data image")}'/>`,
        altText: "An image at a data: URL",
        selectAction: { type: "Action.OpenUrl", url: `data:text/html,<script>${pwn("data page")}</script>` },
      },
      {
        type: "Container",
        backgroundImage: `javascript:${pwn("background")}`,
        selectAction: { type: "Action.OpenUrl", url: ` JavaScript:${pwn("container")}` },
        items: [{ type: "TextBlock", text: "A container that opens javascript:" }],
      },
    ],
    actions: [
      { type: "Action.OpenUrl", title: "javascript: action", url: `javascript:${pwn("action")}` },
      { type: "Action.OpenUrl", title: "data: action", url: `data:text/html,<script>${pwn("data action")}</script>` },
      { type: "Action.OpenUrl", title: "vbscript: action", url: "vbscript:msgbox(1)" },
      { type: "Action.Submit", title: "Submit", data: { html: `<script>${pwn("submit")}</script>` } },
      {
        type: "Action.ShowCard",
        title: "Show more",
        card: {
          type: "AdaptiveCard",
          body: [
            { type: "TextBlock", text: `<svg onload='${pwn("shown card")}'></svg>` },
            // Rendered only when shown, after the rest of the card was disarmed.
            {
              type: "RichTextBlock",
              inlines: [
                {
                  type: "TextRun",
                  text: "A shown run that opens javascript:",
                  selectAction: { type: "Action.OpenUrl", url: `javascript:${pwn("shown text run")}` },
                },
              ],
            },
          ],
          actions: [{ type: "Action.OpenUrl", title: "Nested javascript: action", url: `javascript:${pwn("nested action")}` }],
        },
      },
    ],
  };
  const hostile = {
    activitySourceHost: "https://evil.example",
    appDisplayName: `<a href="javascript:${pwn("appDisplayName")}">Evil app</a>`,
    activationUrl: "evil-app://open?<script>",
    visualElements: {
      displayText: `<img src=x onerror='${pwn("displayText")}'><script>${pwn("displayText script")}</script>`,
      description: `</p><iframe src="javascript:${pwn("description")}"></iframe><svg onload='${pwn("description svg")}'>`,
      backgroundColor: "#5c2d91",
      content: hostileCard,
    },
    historyItems: [session("2026-11-27T17:00:00Z", 5)],
  };

  it("are refused by the service when a URL property is javascript:", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const refused = await api(token, "PUT", `/v1.0/me/activities/${encodeURIComponent("/evil")}`, {
      ...hostile,
      activationUrl: `javascript:${pwn("activationUrl")}`,
    });
    expect({ status: refused.status, code: refused.body.error.code, message: refused.body.error.message }).toEqual({
      status: 400,
      code: "BadRequest",
      message: "Invalid value for 'activationUrl': expected a URL whose scheme is not javascript:, vbscript: or data:.",
    });
  });

  // With the policy off too, so the page's own handling is shown to hold without it.
  it.each([
    ["under the page's policy", false],
    ["even with the policy switched off", true],
  ])("show their text as text, and no script runs and nothing navigates whatever the user clicks, %s", async (_name, bypassCSP) => {
    const token = await mintToken({ user: crypto.randomUUID() });
    // The same text on the generated face too: the card stands in for it on the activity that has one.
    await seed(token, [{ ...hostile, visualElements: { ...hostile.visualElements, content: undefined } }, hostile]);
    const tab = await openTab({ bypassCSP });
    const dialogs: string[] = [];
    tab.page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await signIn(tab.page, token);
    const card = tab.page.locator("article.activity").filter({ has: tab.page.locator(".ac-adaptiveCard") });
    const face = tab.page.locator("article.activity").filter({ hasNot: tab.page.locator(".ac-adaptiveCard") });
    await card.waitFor();
    await face.waitFor();
    await waitUntilLive(tab.page);
    let navigations = 0;
    tab.page.on("framenavigated", (frame) => {
      if (frame === tab.page.mainFrame()) navigations += 1;
    });

    // Every control in the card, clicked (Show more reveals the last), then each visible one pressed with Enter.
    const controls = card.locator(".activity-face").locator("button, a, [role=button], [role=link], .ac-selectable");
    await card.getByRole("button", { name: "Show more" }).waitFor();
    for (let index = 0; index < (await controls.count()); index += 1) await controls.nth(index).click({ timeout: 2000 });
    const names = await controls.evaluateAll((elements) =>
      elements.map(
        (element) =>
          `${element.getAttribute("role") ?? element.tagName.toLowerCase()}: ${element.getAttribute("aria-label") ?? element.getAttribute("alt") ?? element.textContent}`,
      ),
    );
    for (const control of await controls.all()) {
      if (!(await control.isVisible())) continue;
      await control.focus();
      await tab.page.keyboard.press("Enter");
    }
    await tab.page.waitForTimeout(300);

    expect({
      pwned: await tab.page.evaluate(() => (window as any).__pwned ?? null),
      dialogs,
      popups: tab.popups.map((popup) => popup.url()),
      navigations,
      url: tab.page.url(),
      controls: names,
    }).toEqual({
      pwned: null,
      dialogs: [],
      popups: [],
      navigations: 0,
      url: `${service}/timeline/`,
      // Under the policy the data: image never loads, so the renderer drops it and its action.
      controls: [
        "link: A run that opens javascript:",
        ...(bypassCSP ? ["link: An image at a data: URL"] : []),
        "link: A container that opens javascript:",
        "link: javascript: action",
        "link: data: action",
        "link: vbscript: action",
        "button: Submit",
        "button: Show more",
        "link: A shown run that opens javascript:",
        "link: Nested javascript: action",
      ],
    });

    const shown = (article: HTMLElement) => ({
      app: article.querySelector(".activity-app-name")!.textContent,
      name: article.getAttribute("aria-label"),
      title: article.querySelector(".activity-title")?.textContent,
      description: article.querySelector(".activity-description")?.textContent,
      cardText: Array.from(article.querySelectorAll(".ac-textBlock")).map((block) => block.textContent),
      strong: Array.from(article.querySelectorAll("strong")).map((element) => element.textContent),
      elements: Array.from(article.querySelectorAll("script, iframe, svg, object, embed")).length,
      links: Array.from(article.querySelectorAll("a[href]")).map((anchor) => anchor.getAttribute("href")),
      open: article.querySelector(".activity-no-link")?.textContent,
    });
    expect({ face: await face.evaluate(shown), card: await card.evaluate(shown) }).toEqual({
      face: {
        app: hostile.appDisplayName,
        name: null,
        title: hostile.visualElements.displayText,
        description: hostile.visualElements.description,
        cardText: [],
        strong: [],
        elements: 0,
        links: [],
        open: "No web address to open",
      },
      card: {
        app: hostile.appDisplayName,
        // Named by its text (an attribute, never markup), which the card shows in its stead.
        name: hostile.visualElements.displayText,
        title: undefined,
        description: undefined,
        cardText: [
          hostileCard.body[0]!.text,
          // Markdown: the bold is bold; the javascript: link is text as written.
          hostileCard.body[1]!.text!.replace("**bold**", "bold"),
          hostileCard.body[2]!.text,
          "A container that opens javascript:",
          hostileCard.actions[4]!.card!.body[0]!.text,
        ],
        strong: ["bold"],
        elements: 0,
        links: [],
        open: "No web address to open",
      },
    });
    // The one request the hostile markup could make on this origin (<img src=x>) was never made.
    expect(tab.requests.filter((url) => url.startsWith(service)).map((url) => url.slice(service.length))).toEqual(SIGN_IN_REQUESTS);
    await tab.context.close();
  });
});

describe("when the service says no", () => {
  it("asks for a token again after a 401, then shows the timeline with a good one", async () => {
    const tab = await openTab();
    await signIn(tab.page, "not-a-token");
    const problem = tab.page.locator("#token-problem");
    await problem.waitFor();
    expect({
      problem: await problem.textContent(),
      focused: await tab.page.evaluate(() => document.activeElement?.id),
      stored: await tab.page.evaluate(() => sessionStorage.getItem("timeline.token")),
    }).toEqual({
      problem: expect.stringMatching(/^The service refused the token \(401 InvalidAuthenticationToken: .+\)\. Paste a new one\.$/),
      focused: "token",
      stored: null,
    });
    expect(await axeFindings(tab.page)).toEqual([]);

    // A fresh user has no activities: the empty state, and the token kept for the tab's session.
    const token = await mintToken({ user: crypto.randomUUID() });
    await tab.page.getByLabel("Bearer token").fill(`Bearer ${token}`);
    await tab.page.getByRole("button", { name: "Show timeline" }).click();
    await tab.page.getByRole("heading", { name: "No activities yet" }).waitFor();
    expect(await tab.page.evaluate(() => sessionStorage.getItem("timeline.token"))).toBe(token);
    await tab.page.reload();
    await tab.page.getByRole("heading", { name: "No activities yet" }).waitFor();
    expect(await tab.page.locator("#sign-in").isHidden()).toBe(true);
    await tab.context.close();
  });

  it.each([
    [
      "429 with its Retry-After",
      {
        status: 429,
        headers: { "Retry-After": "30", "request-id": "r-429" },
        code: "TooManyRequests",
        message: "Too many requests; retry after 30 seconds.",
      },
      "Could not load the timeline: too many requests",
      "The service asks to wait 30 seconds before trying again (Retry-After). 429 TooManyRequests: Too many requests; retry after 30 seconds. (request-id r-429)",
    ],
    [
      "404",
      {
        status: 404,
        headers: { "request-id": "r-404" },
        code: "itemNotFound",
        message: "No resource exists at '/v1.0/me/activities/recent'.",
      },
      "Could not load the timeline: not found",
      "404 itemNotFound: No resource exists at '/v1.0/me/activities/recent'. (request-id r-404)",
    ],
    [
      "500",
      {
        status: 500,
        headers: { "request-id": "r-500" },
        code: "generalException",
        message: "An internal error occurred; quote the request-id if you report it.",
      },
      "Could not load the timeline: the service failed",
      "500 generalException: An internal error occurred; quote the request-id if you report it. (request-id r-500)",
    ],
    [
      "503 from something in front of the service, not in Graph's envelope",
      { status: 503, headers: {}, body: "<h1>Service Unavailable</h1>" },
      "Could not load the timeline: the service failed",
      "503 Service Unavailable",
    ],
    ["a request that fails outright", null, "Could not load the timeline: no usable answer from the service", "Failed to fetch"],
  ])("shows %s, and Try again loads the timeline", async (_name, answer, title, detail) => {
    const token = await mintToken({ user: crypto.randomUUID() });
    await seed(token, [
      {
        activitySourceHost: "https://www.contoso.example",
        activationUrl: "https://www.contoso.example/articles/1",
        visualElements: { displayText: "After the failure" },
        historyItems: [session("2026-11-27T12:00:00Z", 5)],
      },
    ]);
    const tab = await openTab();
    await tab.page.route("**/me/activities/recent?*", (route) => {
      if (!answer) return route.abort("connectionrefused");
      const body =
        "body" in answer ? answer.body : JSON.stringify({ error: { code: answer.code, message: answer.message, innerError: {} } });
      return route.fulfill({
        status: answer.status,
        headers: answer.headers,
        contentType: "body" in answer ? "text/html" : "application/json",
        body,
      });
    });
    await signIn(tab.page, token);
    const problem = tab.page.getByRole("alert").filter({ has: tab.page.getByRole("heading") });
    await problem.waitFor();
    expect({ title: await problem.getByRole("heading").textContent(), detail: await problem.locator("p").textContent() }).toEqual({
      title,
      detail,
    });

    await tab.page.unroute("**/me/activities/recent?*");
    await problem.getByRole("button", { name: "Try again" }).click();
    await tab.page.getByRole("heading", { name: "After the failure" }).waitFor();
    expect(await problem.isHidden()).toBe(true);
    await tab.context.close();
  });
});

describe("live updates", () => {
  const note = (displayText: string, ...historyItems: ReturnType<typeof session>[]) => ({
    activitySourceHost: "https://www.contoso.example",
    appDisplayName: "Contoso Notes",
    activationUrl: `https://www.contoso.example/notes/${encodeURIComponent(displayText)}`,
    visualElements: { displayText },
    historyItems,
  });
  /** Each day's heading and its cards' titles, in order. */
  const days = (page: Page) =>
    page
      .locator("#timeline")
      .evaluate((timeline) =>
        Array.from(timeline.querySelectorAll("section.day")).map((day) => [
          day.querySelector(".day-title")!.firstChild!.textContent,
          ...Array.from(day.querySelectorAll(".activity-title")).map((title) => title.textContent),
        ]),
      );
  /** Within 2 s of now, as the page must show a change made elsewhere. */
  const SOON = { timeout: 2000, interval: 50 };
  /** Tags a card's element, so a later look tells whether the page made it again. */
  const tag = (page: Page, id: string) => page.locator(`[data-activity-id="${id}"]`).evaluate((card) => ((card as any).__tag = true));
  const tagged = (page: Page, id: string) => page.locator(`[data-activity-id="${id}"]`).evaluate((card) => (card as any).__tag === true);
  /** Counts the navigations of the tab's own page from now on: a reload would be one. */
  function navigations(page: Page) {
    const seen = { count: 0 };
    page.on("framenavigated", (frame) => {
      if (frame === page.mainFrame()) seen.count += 1;
    });
    return seen;
  }

  it("shows another client's new activity, new session and deletion within 2 s, without a reload, making only their cards again", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    const [kept, tuesday, doomed] = await seed(token, [
      note("Kept note", session("2026-11-27T14:00:00Z", 10)),
      note("Tuesday's note", session("2026-11-24T15:00:00Z", 10)),
      note("Doomed note", session("2026-11-26T15:00:00Z", 10)),
    ]);
    const tab = await openTab();
    await signIn(tab.page, token);
    await waitUntilLive(tab.page);
    const reloads = navigations(tab.page);
    expect({ days: await days(tab.page), live: await tab.page.locator("#live").textContent() }).toEqual({
      days: [
        ["Today", "Kept note"],
        ["Yesterday", "Doomed note"],
        ["Tuesday, November 24", "Tuesday's note"],
      ],
      live: "Live",
    });
    await tag(tab.page, kept!.id);
    await tag(tab.page, tuesday!.id);

    await seed(token, [note("Created elsewhere", session("2026-11-27T19:00:00Z", 5))]);
    await expect
      .poll(() => days(tab.page), SOON)
      .toEqual([
        ["Today", "Created elsewhere", "Kept note"],
        ["Yesterday", "Doomed note"],
        ["Tuesday, November 24", "Tuesday's note"],
      ]);

    // A new session today: the activity moves to today, with both sessions.
    const added = await api(token, "POST", `/v1.0/me/activities/${tuesday!.id}/historyItems`, session("2026-11-27T18:00:00Z", 30));
    expect(added.status).toBe(201);
    await expect
      .poll(() => days(tab.page), SOON)
      .toEqual([
        ["Today", "Created elsewhere", "Tuesday's note", "Kept note"],
        ["Yesterday", "Doomed note"],
      ]);
    expect(await tab.page.locator(`[data-activity-id="${tuesday!.id}"] .session time`).allTextContents()).toEqual([
      "1:00 PM",
      "Nov 24, 10:00 AM",
    ]);

    expect((await api(token, "DELETE", `/v1.0/me/activities/${doomed!.id}`)).status).toBe(204);
    await expect.poll(() => days(tab.page), SOON).toEqual([["Today", "Created elsewhere", "Tuesday's note", "Kept note"]]);

    expect({
      keptCardKept: await tagged(tab.page, kept!.id),
      tuesdayCardMadeAgain: !(await tagged(tab.page, tuesday!.id)),
      reloads: reloads.count,
      status: await tab.page.locator("#status").textContent(),
      violations: await tab.page.evaluate(() => (window as any).__violations),
    }).toEqual({ keptCardKept: true, tuesdayCardMadeAgain: true, reloads: 0, status: "3 activities shown.", violations: [] });
    expect(await axeFindings(tab.page, "all")).toEqual([]);
    await tab.context.close();
  });

  it("keeps the search applied to what arrives, and makes one delta round at a time for a burst of changes", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    await seed(token, [note("Report from before", session("2026-11-27T14:00:00Z", 10))]);
    const tab = await openTab();
    const told: string[] = [];
    tab.page.on("websocket", (socket) => socket.on("framereceived", (frame) => told.push(String(frame.payload))));
    await signIn(tab.page, token);
    await waitUntilLive(tab.page);
    await tab.page.getByLabel("Search activities").fill("report");

    // The first round waits until the service has told of every write: the messages that arrive meanwhile make one more round.
    const rounds: string[] = [];
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    await tab.page.route("**/me/activities/delta?*", async (route) => {
      rounds.push(route.request().url());
      await released;
      await route.continue();
    });
    const burst = await Promise.all(
      ["Report one", "Report two", "Budget three", "Report four", "Budget five"].map((title, index) =>
        seed(token, [note(title, session(`2026-11-27T1${5 + index}:00:00Z`, 5))]).then(([created]) => created!.id),
      ),
    );
    const toldOf = () => new Set(told.map((message) => JSON.parse(message).resourceData?.id));
    await expect.poll(() => burst.every((id) => toldOf().has(id))).toBe(true);
    release();
    await expect.poll(() => tab.page.locator("#status").textContent(), SOON).toBe("4 of 6 activities match “report”.");
    await tab.page.waitForLoadState("networkidle");
    expect({ days: await days(tab.page), rounds: rounds.length }).toEqual({
      days: [["Today", "Report four", "Report two", "Report one", "Report from before"]],
      rounds: 2,
    });
    await tab.page.getByLabel("Search activities").fill("");
    expect(await days(tab.page)).toEqual([
      ["Today", "Budget five", "Report four", "Budget three", "Report two", "Report one", "Report from before"],
    ]);
    await tab.context.close();
  });

  it("when the token expires (the socket closes with 1008), keeps the cards, asks for a new token, and with it catches up through its deltaLink", async () => {
    const user = crypto.randomUUID();
    const token = await mintToken({ user });
    const [before] = await seed(token, [note("Before the expiry", session("2026-11-27T14:00:00Z", 10))]);
    const tab = await openTab();
    // Expired 54 s ago: within the 60 s of clock skew the service allows, so good for 6 s more; then the service closes the socket.
    await signIn(tab.page, await mintToken({ user, ttl: -54 }));
    await waitUntilLive(tab.page);
    const reloads = navigations(tab.page);
    await tag(tab.page, before!.id);
    await tab.page.locator("#live[data-state=expired]").waitFor({ timeout: 15_000 });
    expect({
      live: await tab.page.locator("#live").textContent(),
      problem: await tab.page.locator("#token-problem").textContent(),
      signIn: await tab.page.locator("#sign-in").isVisible(),
      days: await days(tab.page),
    }).toEqual({
      live: "Not live: the token expired",
      problem: "The token expired, so the timeline stopped updating. Paste a new one to catch up.",
      signIn: true,
      days: [["Today", "Before the expiry"]],
    });
    expect(await axeFindings(tab.page)).toEqual([]);

    await seed(token, [note("While the token was expired", session("2026-11-27T16:00:00Z", 10))]);
    await tab.page.getByLabel("Bearer token").fill(token);
    await tab.page.getByRole("button", { name: "Show timeline" }).click();
    await expect.poll(() => days(tab.page), SOON).toEqual([["Today", "While the token was expired", "Before the expiry"]]);
    await waitUntilLive(tab.page);
    // Caught up through the deltaLink: the first page was read once, and the card already shown was not made again.
    expect({
      requests: tab.requests.filter((url) => url.startsWith(service)).map((url) => url.slice(service.length)),
      cardKept: await tagged(tab.page, before!.id),
      reloads: reloads.count,
      signIn: await tab.page.locator("#sign-in").isVisible(),
      stored: await tab.page.evaluate(() => sessionStorage.getItem("timeline.token")),
    }).toEqual({
      requests: [...SIGN_IN_REQUESTS, expect.stringMatching(/^\/v1\.0\/me\/activities\/delta\?\$deltatoken=[^&]+$/)],
      cardKept: true,
      reloads: 0,
      signIn: false,
      stored: token,
    });
    await tab.context.close();
  });

  it("starts over from a fresh first page when its deltaLink is gone (410 after an administrator's erasure of the user's data)", async () => {
    const user = crypto.randomUUID();
    const token = await mintToken({ user });
    await seed(token, [note("Erased with the user's data", session("2026-11-27T14:00:00Z", 10))]);
    const tab = await openTab();
    await signIn(tab.page, token);
    await waitUntilLive(tab.page);
    const reloads = navigations(tab.page);
    const rounds: number[] = [];
    tab.page.on("response", (response) => {
      if (/\/delta\?\$deltatoken=(?!latest)/.test(response.url())) rounds.push(response.status());
    });

    const admin = await mintToken({ appOnly: true });
    const erasure = await api(admin, "DELETE", `/admin/users/${user}`);
    expect(erasure.status).toBe(202);
    const operation = `/admin/users/${user}/operations/${erasure.body.id}`;
    await expect.poll(async () => (await api(admin, "GET", operation)).body.status, { timeout: 30_000, interval: 200 }).toBe("succeeded");
    // The next change makes a round, which the erasure has made 410: the page loads afresh.
    await seed(token, [note("Written after the erasure", session("2026-11-27T16:00:00Z", 10))]);
    await expect.poll(() => days(tab.page), SOON).toEqual([["Today", "Written after the erasure"]]);
    await waitUntilLive(tab.page);
    const own = tab.requests.filter((url) => url.startsWith(service)).map((url) => url.slice(service.length));
    const round = expect.stringMatching(/^\/v1\.0\/me\/activities\/delta\?\$deltatoken=[^&]+$/);
    expect({ requests: own.slice(SIGN_IN_REQUESTS.length), rounds, reloads: reloads.count, sockets: tab.sockets.length }).toEqual({
      requests: [round, ...SIGN_IN_REQUESTS.slice(3)],
      rounds: [410, 200],
      reloads: 0,
      sockets: 2,
    });
    await tab.context.close();
  });

  it("after a drop (a deploy closes every socket) reconnects with backoff, 1 s then 2 s, and catches up on what changed meanwhile", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    await seed(token, [note("Before the drop", session("2026-11-27T14:00:00Z", 10))]);
    const tab = await openTab();
    // The page's sockets pass through the test, which can end them as a proxy or a deploy would.
    const attempts: { at: number; route: WebSocketRoute }[] = [];
    await tab.page.routeWebSocket(/\/v1\.0\/me\/activities\/live$/, async (route) => {
      attempts.push({ at: Date.now(), route });
      // The first try after the drop is refused before it opens, as while a deploy is still rolling out.
      if (attempts.length === 2) return route.close({ code: 1011, reason: "Still deploying." });
      if (attempts.length === 3) await seed(token, [note("During the drop", session("2026-11-27T16:00:00Z", 10))]);
      route.connectToServer();
    });
    await signIn(tab.page, token);
    await waitUntilLive(tab.page);
    const reloads = navigations(tab.page);

    const dropped = Date.now();
    await attempts[0]!.route.close({ code: 1001, reason: "Deploying." });
    await tab.page.locator("#live[data-state=reconnecting]").waitFor();
    expect(await tab.page.locator("#live").textContent()).toBe("Reconnecting…");
    await expect.poll(() => attempts.length, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => days(tab.page), SOON).toEqual([["Today", "During the drop", "Before the drop"]]);
    await waitUntilLive(tab.page);
    // Each delay is drawn from the upper half of its range: 0.5 to 1 s, then 1 to 2 s (with the test's own latency on top).
    const delays = { first: attempts[1]!.at - dropped, second: attempts[2]!.at - attempts[1]!.at, attempts: attempts.length };
    expect(
      { first: delays.first >= 500 && delays.first < 3000, second: delays.second >= 1000 && delays.second < 4000, reloads: reloads.count },
      JSON.stringify(delays),
    ).toEqual({ first: true, second: true, reloads: 0 });
    await tab.context.close();
  });
});
