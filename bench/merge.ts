// An --only run refreshes its phases inside the last run's results (bench/results.json) instead of
// replacing them: each phase's figures are swapped whole, everything else is kept and says whose it is.
import { readFileSync } from "node:fs";
import { PHASES, type Phase, type Results, type RunInfo } from "./results.ts";
import { verdicts } from "./verdicts.ts";

/** The fields of Results each phase fills; a phase not run keeps the last run's. */
const OWNED: Record<Phase, readonly (keyof Results)[]> = {
  writes: ["writes"],
  reads: ["reads"],
  growth: ["growth"],
  expiry: ["expiry"],
  continuity: ["continuity"],
  subscriptions: ["subscriptions"],
  bundle: ["bundle"],
  startup: ["startup"],
  counts: ["counts", "baselineRows"],
  plans: ["plans"],
  profile: ["profiles"],
};

/** What a results.json written before `kept` existed looks like (every other field the same). */
type LastResults = Omit<Results, "kept"> & { kept?: RunInfo[] };

/** Why `last` cannot be merged with `current` (another shape, or other settings), or null when it can. */
function incompatibility(current: Results, last: unknown): string | null {
  if (typeof last !== "object" || last === null || Array.isArray(last)) return "it is not a JSON object";
  const fields = last as Record<string, unknown>;
  for (const [key, value] of Object.entries(current)) {
    if (key === "kept") continue;
    if (!(key in fields)) return `it has no '${key}'`;
    const other = fields[key];
    // null stands for a phase that did not run, on either side.
    if (value !== null && other !== null && (typeof other !== typeof value || Array.isArray(other) !== Array.isArray(value)))
      return `its '${key}' is not a ${Array.isArray(value) ? "list" : typeof value}`;
  }
  const phases = fields.phases as unknown[];
  if (!phases.every((phase) => (PHASES as readonly unknown[]).includes(phase))) return "its 'phases' names phases this bench does not have";
  if (JSON.stringify(fields.settings) !== JSON.stringify(current.settings))
    return `it was measured with other settings (${fields.quick ? "a --quick run" : "a full run"}; this is ${current.quick ? "a --quick run" : "a full run"})`;
  return null;
}

/** A run's circumstances, narrowed to the phases it still speaks for. */
function keptRun(run: RunInfo, ran: ReadonlySet<string>): RunInfo {
  const own = (record: Record<string, number>) => Object.fromEntries(Object.entries(record).filter(([phase]) => !ran.has(phase)));
  const { date, quick, phases, machine, versions, phaseSeconds, durationSeconds } = run;
  return {
    date,
    quick,
    phases: phases.filter((phase) => !ran.has(phase)),
    machine: { ...machine, loadAverageByPhase: own(machine.loadAverageByPhase) },
    versions,
    phaseSeconds: own(phaseSeconds),
    durationSeconds,
  };
}

function keep<K extends keyof Results>(into: Results, from: LastResults, key: K): void {
  into[key] = (from as Results)[key];
}

/** This --only run's results with every phase it did not run kept from the results at `path`; `problem` says why nothing was kept. */
export function mergeWithLastRun(current: Results, path: string): { results: Results; problem: string | null } {
  let last: unknown;
  try {
    last = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return { results: current, problem: `${path} could not be read (${error instanceof Error ? error.message : String(error)})` };
  }
  const problem = incompatibility(current, last);
  if (problem) return { results: current, problem: `${path} cannot be merged with this run: ${problem}` };
  const earlier = last as LastResults;
  const ran = new Set(current.phases);
  const workerWarnings = { ...earlier.workerWarnings };
  for (const [name, lines] of Object.entries(current.workerWarnings))
    workerWarnings[name] = [...new Set([...(workerWarnings[name] ?? []), ...lines])];
  const merged: Results = {
    ...current,
    kept: [earlier, ...(earlier.kept ?? [])].map((run) => keptRun(run, ran)).filter((run) => run.phases.length > 0),
    seeding: { ...earlier.seeding, ...current.seeding },
    failures: [...earlier.failures.filter((failure) => !ran.has(failure.phase)), ...current.failures],
    workerWarnings,
  };
  for (const phase of PHASES) if (!ran.has(phase)) for (const key of OWNED[phase]) keep(merged, earlier, key);
  // Judged again over the merged figures: a target drawing on two phases (dollars: writes and counts) sees both.
  merged.verdicts = verdicts(merged);
  return { results: merged, problem: null };
}
