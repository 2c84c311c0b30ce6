import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The access log writes a JSON line per request; keep warnings and errors, drop the rest.
    onConsoleLog: (log) => !log.startsWith('{"level":"info"'),
    // Two test files at once, whatever the machine's cores: most of a file's time is spent waiting on
    // workerd, wrangler's dev servers or Chromium, so two overlap well even on 2 cores.
    maxWorkers: 2,
    projects: [
      {
        // Inside workerd: the Worker, its Durable Objects and their storage, through exports.default.fetch and stubs.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // Tiny limits that test/rate-limit.test.ts swaps in for the deployed ones.
            miniflare: {
              // The site Worker (site/wrangler.toml) as a stand-in with one page, /docs/, and the redirect of /timeline
              // to /timeline/ that its trailing-slash handling answers: the pages themselves are tested in Node.
              workers: [
                {
                  name: "graph-activity-feed-site",
                  modules: true,
                  script: `const PAGES = {
                    "/docs/": () => new Response("<!doctype html><title>docs</title>", { headers: { "content-type": "text/html" } }),
                    "/timeline": () => new Response(null, { status: 307, headers: { location: "/timeline/" } }),
                  };
                  export default { fetch: (request) => PAGES[new URL(request.url).pathname]?.() ?? new Response("Not Found", { status: 404 }) };`,
                },
              ],
              ratelimits: {
                TEST_READ_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 60 } },
                TEST_WRITE_LIMITER: { namespace_id: "9002", simple: { limit: 2, period: 60 } },
              },
            },
          }),
        ],
        // Generous timeouts: the paging and concurrency tests make hundreds of requests on a 2-core machine.
        test: { name: "workers", include: ["test/**/*.test.ts"], exclude: ["test/node/**"], testTimeout: 60_000 },
      },
      {
        // In Node, against the service started by wrangler as `npm run dev` starts it: real clients over HTTP.
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts"],
          environment: "node",
          // The assets built from source, the service serving them, and the packaged Chromium unpacked once
          // before test files run in parallel.
          globalSetup: ["scripts/build-assets.ts", "test/node/service.ts", "test/node/browser.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
