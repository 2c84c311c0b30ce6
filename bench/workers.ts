// Starts Workers the way `npm run dev` does: wrangler's own dev server (unstable_startWorker),
// local Durable Objects, .dev.vars overlaid on [vars], listening on 127.0.0.1 only.
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_startWorker } from "wrangler";
import { splitProcesses, workerdChildren, type WorkerProcesses } from "./cpu.ts";

export interface RunningWorker {
  name: string;
  origin: string;
  /** The DevTools endpoint of the Worker's isolate, when started with one. */
  inspector: URL | undefined;
  /** Its wrangler dev session's workerd processes (its runtime and its dev proxy), for their CPU time and memory. */
  processes: WorkerProcesses;
  /** Log lines the Worker wrote: how many, and the first warnings and errors. */
  logs: { lines: number; warnings: string[] };
  dispose(): Promise<void>;
}

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * Where the Workers started here register, apart from any other wrangler session's: the service's
 * SITE binding (the static pages' Worker, not started here: the benchmark asks for no page) resolves through it.
 */
const registry = mkdtempSync(join(tmpdir(), "bench-registry-"));

/** A loopback port that nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts one Worker from a wrangler config (relative to the project root), optionally with another
 * entry point. Its log lines are counted and dropped, as a terminal would only slow things down;
 * warnings and errors are kept. Workers are started one at a time: the workerd processes that
 * appear meanwhile are this one's.
 */
export async function startWorker(
  name: string,
  config: string,
  options: { entrypoint?: string; inspector?: boolean } = {},
): Promise<RunningWorker> {
  const logs = { lines: 0, warnings: [] as string[] };
  const before = workerdChildren();
  const worker = await unstable_startWorker({
    config: `${ROOT}${config}`,
    ...(options.entrypoint ? { entrypoint: `${ROOT}${options.entrypoint}` } : {}),
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      // Without an explicit port, a second Worker's inspector waits for the first one's port forever.
      inspector: options.inspector ? { hostname: "127.0.0.1", port: await freePort() } : false,
      persist: false,
      watch: false,
      logLevel: "error",
      registry,
      structuredLogsHandler: (log: { level: string; message: string }) => {
        logs.lines++;
        if ((log.level === "warn" || log.level === "error") && logs.warnings.length < 20) logs.warnings.push(log.message.slice(0, 400));
      },
    },
  });
  await worker.ready;
  const origin = (await worker.url).origin;
  const inspector = options.inspector ? await worker.inspectorUrl : undefined;
  // The proxy is ready first; the runtime starts behind it, up once a request has been answered.
  await (await fetch(`${origin}/__bench/ready`, { method: "POST" })).arrayBuffer();
  const started = new Set([...workerdChildren()].filter((pid) => !before.has(pid)));
  const processes = splitProcesses(started, Number(new URL(origin).port));
  return { name, origin, inspector, processes, logs, dispose: () => worker.dispose() };
}
