// The browser the page tests drive keeps a browser's protections on: a Content-Security-Policy is
// enforced, another origin's response stays unreadable, and closing one page leaves the others running.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchBrowser } from "./browser";

let browser: Browser;
let page: Server;
let other: Server;
const origin = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

/** A local HTTP server that answers every request with one response. */
function serve(headers: Record<string, string>, body: string): Promise<Server> {
  const server = createServer((_request, response) => response.writeHead(200, headers).end(body));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

beforeAll(async () => {
  page = await serve(
    { "content-type": "text/html", "content-security-policy": "script-src 'self'" },
    "<script>window.inlineScriptRan = true</script><p>page</p>",
  );
  other = await serve({ "content-type": "application/json" }, '{"secret":true}');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  page?.close();
  other?.close();
});

it("enforces the page's Content-Security-Policy", async () => {
  const tab = await browser.newPage();
  await tab.goto(origin(page));
  expect(await tab.evaluate(() => ("inlineScriptRan" in window ? "ran" : "blocked"))).toBe("blocked");
  await tab.close();
});

it("keeps another origin's response unreadable without CORS", async () => {
  const tab = await browser.newPage();
  await tab.goto(origin(page));
  const read = await tab.evaluate(
    (url) =>
      fetch(url).then(
        (response) => response.text(),
        (error: Error) => error.name,
      ),
    origin(other),
  );
  expect(read).toBe("TypeError");
  await tab.close();
});

it("keeps a page running when another one closes", async () => {
  const [first, second] = await Promise.all([browser.newPage(), browser.newPage()]);
  await Promise.all([first.goto(origin(page)), second.goto(origin(page))]);
  await first.close();
  expect(await second.evaluate(() => document.body.textContent)).toBe("page");
  await second.close();
});
