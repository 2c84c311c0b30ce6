// The startup phase: `wrangler check startup`, which bundles the Worker as `wrangler deploy` would
// and profiles its startup in a local workerd, run a few times (one run on this shared machine is
// noise). Its "Active" time is the CPU the isolate spent starting (parsing, the module's top level,
// garbage collection included).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spreadOf, type Spread } from "./paired.ts";
import { ROOT } from "./workers.ts";

export interface StartupRun {
  activeMs: number;
  garbageCollectionMs: number;
}

export interface StartupCpu {
  runs: StartupRun[];
  /** Active ms over the runs: median and quartiles, and the least. */
  activeMs: Spread & { min: number };
  /** What wrangler printed of the bundle ("Bundle: … / gzip: …"). */
  bundle: string | null;
}

/** One `wrangler check startup`, its output. */
function checkStartup(outfile: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "check", "startup", "--outfile", outfile],
      { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`wrangler check startup failed: ${stderr || stdout}`)) : resolve(`${stdout}\n${stderr}`),
    ),
  );
}

/** Runs `wrangler check startup` `runs` times. */
export async function measureStartup(runs: number): Promise<StartupCpu> {
  const dir = mkdtempSync(join(tmpdir(), "bench-startup-"));
  try {
    const measured: StartupRun[] = [];
    let bundle: string | null = null;
    for (let run = 0; run < runs; run++) {
      const output = await checkStartup(join(dir, `startup-${run}.cpuprofile`));
      // "Active: 65.3 ms (including 10.3 ms garbage collection)"
      const active = /Active:\s*([\d.]+) ms(?: \(including ([\d.]+) ms garbage collection\))?/.exec(output);
      if (!active) throw new Error(`wrangler check startup: no "Active:" line in ${output.slice(0, 600)}`);
      measured.push({ activeMs: Number(active[1]), garbageCollectionMs: Number(active[2] ?? 0) });
      bundle ??= /Bundle: [^\n]+/.exec(output)?.[0] ?? null;
    }
    const active = measured.map((run) => run.activeMs);
    return { runs: measured, activeMs: { ...spreadOf(active), min: Math.min(...active) }, bundle };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
