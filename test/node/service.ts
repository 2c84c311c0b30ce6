// Vitest global setup for the Node-side suites: starts the service the way `npm run dev` does
// (wrangler's own dev server, local Durable Objects, the development key set), once per run.
import { unstable_startWorker } from "wrangler";
import type {} from "vitest";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    serviceUrl: string;
  }
}

export default async function startService(project: TestProject) {
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: false, watch: false, logLevel: "error" },
  });
  await worker.ready;
  project.provide("serviceUrl", (await worker.url).origin);
  return async () => worker.dispose();
}
