// The /docs page in a real headless Chromium (the one `npm ci` installs): it renders every route
// from the service's own OpenAPI document, and "Try it out" with a minted token gets a 201.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { DOCUMENTED_OPERATIONS } from "../support/operations";
import { launchBrowser } from "./browser";
import { mintToken } from "./token";

let browser: Browser;
let page: Page;
const thirdParty: string[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  const origin = inject("serviceUrl");
  page.on("request", (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith("data:")) thirdParty.push(request.url());
  });
  await page.goto(`${origin}/docs`);
  await page.locator(".opblock").first().waitFor();
});

afterAll(async () => {
  await browser?.close();
});

it("renders every route, with no request to any other origin", async () => {
  const operations = await page.locator(".opblock-summary").evaluateAll((summaries) =>
    summaries.map((summary) => {
      const method = summary.querySelector(".opblock-summary-method")?.textContent ?? "";
      const path = summary.querySelector(".opblock-summary-path")?.getAttribute("data-path") ?? "";
      return `${method} ${path}`;
    }),
  );
  expect(operations.sort()).toEqual([...DOCUMENTED_OPERATIONS].sort());
  expect(thirdParty).toEqual([]);
});

it("tries PUT /me/activities/{id} with a bearer token from Authorize and shows 201", async () => {
  await page.locator(".btn.authorize").first().click();
  await page
    .locator(".auth-container input")
    .first()
    .fill(await mintToken({ user: crypto.randomUUID() }));
  await page.locator(".auth-btn-wrapper .btn.authorize").first().click();
  await page.locator(".btn-done").first().click();

  const operation = page.locator(".opblock-put", { has: page.locator('[data-path="/me/activities/{id}"]') });
  await operation.locator(".opblock-summary").click();
  await operation.locator('tr[data-param-name="id"] input').fill(encodeURIComponent(`/docs-test?${crypto.randomUUID()}`));
  await operation.locator("textarea.body-param__text").fill(
    JSON.stringify({
      activitySourceHost: "https://www.contoso.com",
      activationUrl: "https://www.contoso.com/article?12345",
      visualElements: { displayText: "Tried from /docs" },
    }),
  );
  await operation.locator(".btn.execute").click();
  const status = operation.locator(".live-responses-table .response .response-col_status").first();
  await status.waitFor();
  expect((await status.textContent())?.trim()).toMatch(/^201/);
  expect(await operation.locator(".live-responses-table .microlight").first().textContent()).toContain('"status": "active"');
});
