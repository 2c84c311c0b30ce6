// npm run bench: how fast the service is, against what, and how its cost grows.
//
//   npm run bench                 the full run (about 20 minutes on 2 cores)
//   npm run bench -- --quick      a smoke run: fewer pairs of shorter runs, small sizes (about 9 minutes)
//   npm run bench -- --profile    also profile when every target is met
//   npm run bench -- --only writes,counts   only the named phases (see PHASES; `workloads` is writes and reads)
//
// Starts three Workers the way `npm run dev` does (wrangler's dev server, local Durable Objects,
// .dev.vars over [vars], 127.0.0.1 only): the service (wrangler.toml), the service with bench-only
// doors (bench/service) and the baseline (bench/baseline). Ratio targets are judged from paired
// rounds (bench/paired.ts), CPU per request from /proc (bench/cpu.ts); load comes from autocannon
// in a child process (bench/load.ts). Writes bench/RESULTS.md and bench/results.json, and prints the report;
// with --only, the last run's figures for the other phases are kept in both (bench/merge.ts).
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { measureBundle } from "./bundle.ts";
import { runContinuity } from "./continuity.ts";
import { type Bench, loadWith, settingsFor, TARGETS } from "./context.ts";
import { runCounts, runQueryPlans } from "./counts.ts";
import { CLOCK_TICKS_PER_SECOND } from "./cpu.ts";
import { runExpiry } from "./expiry.ts";
import { runGrowth } from "./growth.ts";
import { stopLoadChild } from "./load.ts";
import { mergeWithLastRun } from "./merge.ts";
import { profilesWanted, runProfiles } from "./profiles.ts";
import { renderReport } from "./report.ts";
import { type Phase, PHASES, type Results } from "./results.ts";
import { measureStartup } from "./startup.ts";
import { closeReceiver, runSubscriptions } from "./subscriptions.ts";
import { verdicts } from "./verdicts.ts";
import { ROOT, startWorker } from "./workers.ts";
import { runReads, runWrites } from "./workloads.ts";

const { values: flags } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    only: { type: "string", multiple: true },
  },
  strict: true,
});
const only = new Set(
  flags.only?.flatMap((value) => value.split(",")).flatMap((name) => (name === "workloads" ? ["writes", "reads"] : [name])) ?? [],
);
for (const phase of only) {
  if (!(PHASES as readonly string[]).includes(phase))
    throw new Error(`--only: unknown phase '${phase}'; phases: workloads, ${PHASES.join(", ")}`);
}
/** Whether a phase runs: every phase by default, only the named ones with --only. */
const runs = (phase: Phase) => only.size === 0 || only.has(phase);

const startedAt = Date.now();
const note = (message: string) => process.stderr.write(`[bench ${((Date.now() - startedAt) / 1000).toFixed(0).padStart(4)}s] ${message}\n`);

process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false"; // no Request.cf lookup: everything stays on 127.0.0.1
process.env.WRANGLER_SEND_METRICS = "false";
process.chdir(ROOT);

function version(file: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}${file}`, "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

function workerdVersion(): string {
  try {
    return execFileSync(`${ROOT}node_modules/.bin/workerd`, ["--version"], { encoding: "utf8" })
      .trim()
      .replace(/^workerd /, "");
  } catch {
    return "unknown";
  }
}

const settings = settingsFor(flags.quick);
const results: Results = {
  date: new Date().toISOString(),
  quick: flags.quick,
  phases: PHASES.filter((phase) => runs(phase)),
  kept: [],
  machine: {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    clockTicksPerSecond: CLOCK_TICKS_PER_SECOND,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
    loadAverageAtEnd: [],
    loadAverageByPhase: {},
  },
  versions: {
    node: process.version,
    workerd: `${workerdVersion()} (npm workerd ${version("node_modules/workerd/package.json")})`,
    wrangler: version("node_modules/wrangler/package.json"),
    autocannon: version("node_modules/autocannon/package.json"),
  },
  settings,
  targets: TARGETS,
  seeding: {},
  writes: [],
  reads: [],
  growth: [],
  expiry: null,
  continuity: null,
  subscriptions: null,
  bundle: null,
  startup: null,
  profiles: [],
  counts: null,
  baselineRows: null,
  plans: null,
  verdicts: [],
  failures: [],
  workerWarnings: {},
  phaseSeconds: {},
  durationSeconds: 0,
};

note("starting the service, the service with bench doors and the baseline");
const service = await startWorker("service", "wrangler.toml");
const doors = await startWorker("service (bench doors)", "wrangler.toml", { entrypoint: "bench/service/index.ts" });
const baseline = await startWorker("baseline", "bench/baseline/wrangler.toml");
const workers = [service, doors, baseline];
const bench: Bench = { quick: flags.quick, settings, results, service, doors, baseline, load: loadWith(settings), note };

/** Runs one phase; a phase that fails is reported, and the others still run. */
async function phase(name: Phase, body: () => Promise<void>): Promise<void> {
  if (!runs(name)) return;
  results.machine.loadAverageByPhase[name] = Math.round(os.loadavg()[0]! * 100) / 100;
  const phaseStarted = Date.now();
  try {
    await body();
  } catch (error) {
    note(`${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
    results.failures.push({ phase: name, error: String(error).slice(0, 2000) });
  }
  results.phaseSeconds[name] = Math.round((Date.now() - phaseStarted) / 1000);
  note(`${name}: ${results.phaseSeconds[name]} s`);
}

try {
  await phase("writes", () => runWrites(bench));
  await phase("reads", () => runReads(bench));
  await phase("growth", () => runGrowth(bench));
  await phase("expiry", () => runExpiry(bench));
  await phase("continuity", () => runContinuity(bench));
  await phase("subscriptions", () => runSubscriptions(bench));
  await phase("bundle", async () => {
    note("measuring the bundle (wrangler deploy --dry-run)");
    results.bundle = await measureBundle();
  });
  await phase("startup", async () => {
    note(`measuring startup (wrangler check startup, ${settings.startupRuns} runs)`);
    results.startup = await measureStartup(settings.startupRuns);
  });
  await phase("counts", () => runCounts(bench));
  await phase("plans", () => runQueryPlans(bench));
  results.verdicts = verdicts(results);
  if (only.has("profile") || flags.profile || (only.size === 0 && profilesWanted(bench))) await phase("profile", () => runProfiles(bench));
} finally {
  for (const worker of workers) {
    results.workerWarnings[worker.name] = worker.logs.warnings;
    await worker.dispose().catch(() => {});
  }
  await closeReceiver();
  stopLoadChild();
}

results.machine.loadAverageAtEnd = os.loadavg().map((value) => Math.round(value * 100) / 100);
results.durationSeconds = Math.round((Date.now() - startedAt) / 1000);
let written = results;
if (only.size) {
  // An --only run refreshes its phases inside the last run's files rather than replacing them.
  const merged = mergeWithLastRun(results, `${ROOT}bench/results.json`);
  if (merged.problem) note(`${merged.problem}: writing this run's phases alone`);
  for (const run of merged.results.kept) note(`keeping ${run.phases.join(", ")} from the run of ${run.date}`);
  written = merged.results;
}
const report = renderReport(written);
writeFileSync(`${ROOT}bench/RESULTS.md`, report);
writeFileSync(`${ROOT}bench/results.json`, `${JSON.stringify(written, null, 2)}\n`);
process.stdout.write(`${report}\n`);
note(`wrote bench/RESULTS.md and bench/results.json in ${results.durationSeconds} s`);
process.exit(results.failures.length ? 1 : 0);
