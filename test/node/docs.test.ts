// The /docs page in a real headless Chromium (the one `npm ci` installs): it renders every route
// from the service's own OpenAPI document under its Content-Security-Policy, "Authorize" with a
// development token, then "Try it out" with the bodies Swagger UI generates from the document
// gets a 201, and the token is kept for the page only, never in localStorage.
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DOCUMENTED_OPERATIONS } from "../support/operations";
import { launchBrowser } from "./browser";
import { mintToken } from "./token";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'; object-src 'none'";

/** The policy of the redirects to /docs/ and /timeline/: they load nothing. */
const REDIRECT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let service: string;

describe("the site's pages and redirects", () => {
  beforeAll(() => {
    service = inject("serviceUrl");
  });

  /** What a browser is told about a page: its status, where it redirects, its ids and its protections. */
  const headersOf = async (path: string) => {
    const response = await fetch(`${service}${path}`, { redirect: "manual", headers: { "client-request-id": `site-${path}` } });
    await response.arrayBuffer();
    const csp = response.headers.get("content-security-policy");
    return {
      status: response.status,
      location: response.headers.get("location"),
      requestId: response.headers.get("request-id"),
      clientRequestId: response.headers.get("client-request-id"),
      nosniff: response.headers.get("x-content-type-options"),
      frameAncestors: csp?.split("; ").find((directive) => directive.startsWith("frame-ancestors")),
      csp,
    };
  };

  it("/docs/ carries its own strict policy: no inline script, calls and images only from its origin, never framed", async () => {
    expect(await headersOf("/docs/")).toEqual({
      status: 200,
      location: null,
      requestId: expect.stringMatching(GUID),
      clientRequestId: "site-/docs/",
      nosniff: "nosniff",
      frameAncestors: "frame-ancestors 'none'",
      csp: DOCS_CSP,
    });
  });

  it("/timeline/, and the /docs and /timeline redirects, carry a request-id, nosniff and frame-ancestors 'none'", async () => {
    expect(await headersOf("/timeline/")).toEqual({
      status: 200,
      location: null,
      requestId: expect.stringMatching(GUID),
      clientRequestId: "site-/timeline/",
      nosniff: "nosniff",
      frameAncestors: "frame-ancestors 'none'",
      csp: expect.stringContaining("default-src 'none'; script-src 'self';"),
    });
    for (const path of ["/docs", "/timeline"]) {
      expect(await headersOf(path)).toEqual({
        status: 307,
        location: `${path}/`,
        requestId: expect.stringMatching(GUID),
        clientRequestId: `site-${path}`,
        nosniff: "nosniff",
        frameAncestors: "frame-ancestors 'none'",
        csp: REDIRECT_CSP,
      });
    }
  });
});

describe("/docs in Chromium", () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const thirdParty: string[] = [];

  beforeAll(async () => {
    service = inject("serviceUrl");
    browser = await launchBrowser();
    // One context, as a browser profile: a second tab of the page shares its storage.
    context = await browser.newContext();
    page = await context.newPage();
    await page.addInitScript(() => {
      (window as any).__violations = [];
      document.addEventListener("securitypolicyviolation", (event) =>
        (window as any).__violations.push(`${event.effectiveDirective} ${event.blockedURI}`),
      );
    });
    page.on("request", (request) => {
      if (!request.url().startsWith(service) && !request.url().startsWith("data:")) thirdParty.push(request.url());
    });
    await page.goto(`${service}/docs`);
    await page.locator(".opblock").first().waitFor();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** The operation block of this method and path, opened. */
  async function openOperation(method: string, path: string): Promise<Locator> {
    const operation = page.locator(`.opblock-${method}`, { has: page.locator(`[data-path="${path}"]`) });
    await operation.locator(".opblock-summary").click();
    return operation;
  }

  /** Executes an opened operation as it stands and reads the answer Swagger UI shows. */
  async function execute(operation: Locator): Promise<{ status: string; body: any }> {
    await operation.locator(".btn.execute").click();
    const status = operation.locator(".live-responses-table .response .response-col_status").first();
    await status.waitFor();
    const body = (await operation.locator(".live-responses-table .microlight").first().textContent()) ?? "";
    return { status: (await status.textContent())?.trim() ?? "", body: JSON.parse(body) };
  }

  it("renders every route, under its tag, with no request to any other origin and nothing its policy blocks", async () => {
    const operations = await page.locator(".opblock-summary").evaluateAll((summaries) =>
      summaries.map((summary) => {
        const method = summary.querySelector(".opblock-summary-method")?.textContent ?? "";
        const path = summary.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
        return `${method} ${path}`;
      }),
    );
    expect(operations.sort()).toEqual([...DOCUMENTED_OPERATIONS].sort());
    expect(await page.locator(".opblock-tag").evaluateAll((tags) => tags.map((tag) => tag.getAttribute("data-tag")))).toEqual([
      "activities",
      "history items",
      "feed",
      "continuity",
      "batch",
    ]);
    expect(thirdParty).toEqual([]);
    expect(await page.evaluate(() => (window as any).__violations)).toEqual([]);
  });

  it("after Authorize, PUTs an activity and then a history item with the bodies Swagger UI generates, each a 201, and stores no token", async () => {
    const token = await mintToken({ user: crypto.randomUUID() });
    await page.locator(".btn.authorize").first().click();
    await page.locator(".auth-container input").first().fill(token);
    await page.locator(".auth-btn-wrapper .btn.authorize").first().click();
    await page.locator(".btn-done").first().click();

    // Every input as the document fills it: the appActivityId's example, Graph's example activity as the body.
    const activity = await execute(await openOperation("put", "/me/activities/{id}"));
    expect(activity).toEqual({
      status: expect.stringMatching(/^201/),
      body: expect.objectContaining({
        appActivityId: "/article?12345",
        status: "active",
        visualElements: expect.objectContaining({ displayText: "Contoso How-To: How to Tie a Reef Knot", backgroundColor: "#ff0000" }),
        historyItems: [expect.objectContaining({ startedDateTime: "2015-02-11T20:54:04.345Z", userTimezone: "Africa/Casablanca" })],
      }),
    });

    // The item: the document's example id (a GUID, which the pattern now lets through) and generated body; only {id} is the new activity's.
    const item = await openOperation("put", "/me/activities/{id}/historyItems/{historyItemId}");
    await item.locator('tr[data-param-name="id"] input').fill(activity.body.id);
    expect(await item.locator('tr[data-param-name="historyItemId"] input').inputValue()).toBe("9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c");
    expect(await execute(item)).toEqual({
      status: expect.stringMatching(/^201/),
      body: expect.objectContaining({
        id: "9d0b74e4-4b41-43ea-b34d-f9c1bf9f809c",
        status: "active",
        startedDateTime: "2015-02-11T20:54:04.345Z",
        lastActiveDateTime: "2015-02-11T20:54:24.345Z",
        activeDurationSeconds: 20,
      }),
    });

    // The token lives in the page's memory only: nothing in storage or cookies, and another tab of the page has none.
    expect(
      await page.evaluate(
        (sent) => ({
          localStorage: Object.keys(localStorage),
          sessionStorage: Object.values(sessionStorage).filter((value) => value.includes(sent)),
          cookie: document.cookie,
        }),
        token,
      ),
    ).toEqual({ localStorage: [], sessionStorage: [], cookie: "" });
    expect(await page.evaluate(() => (window as any).__violations)).toEqual([]);
    const tab = await context.newPage();
    await tab.goto(`${service}/docs/`);
    await tab.locator(".opblock").first().waitFor();
    expect(await tab.locator(".btn.authorize").first().getAttribute("class")).toContain("unlocked");
    await tab.close();
  });
});
