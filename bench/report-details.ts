// The report's detail sections: the bundle, startup, query plans, storage operations per request,
// the profiles, seeding times and the Workers' warnings.
import { kib, num, pct, table } from "./report-format.ts";
import type { Results } from "./results.ts";

export function bundleSection(results: Results): string[] {
  const { bundle, startup } = results;
  const out: string[] = [];
  if (bundle) {
    out.push(
      "## Bundle",
      "",
      `\`wrangler deploy --dry-run --outdir\`: ${kib(bundle.rawBytes)} raw, **${kib(bundle.gzipBytes)} gzip** (zlib default level; wrangler says: ${bundle.wranglerSays ?? "–"}).`,
      "",
      "Largest inputs (esbuild metafile: bytes in the output; gzip alone: that input's share of the output, cut out through the source map and compressed on its own, so the column adds up to a little more than the whole):",
      "",
      table(
        ["input", "bytes", "share", "gzip alone"],
        bundle.largest.map((entry) => [entry.input, entry.bytes.toLocaleString("en"), pct(entry.share), kib(entry.gzipBytes)]),
      ),
      "",
      "Largest files:",
      "",
      table(
        ["file", "bytes"],
        bundle.largestFiles.map((entry) => [entry.input, entry.bytes.toLocaleString("en")]),
      ),
      "",
    );
  }
  if (startup) {
    out.push(
      "## Startup",
      "",
      `\`wrangler check startup\` (the bundle as deployed, its startup profiled in a local workerd), ${startup.runs.length} runs: active CPU ${startup.runs.map((run) => `${num(run.activeMs)} ms (${num(run.garbageCollectionMs)} ms GC)`).join(", ")}; median **${num(startup.activeMs.median)} ms**. Wrangler's bundle line: ${startup.bundle ?? "–"}.`,
      "",
    );
  }
  return out;
}

export function plansSection(results: Results): string[] {
  if (!results.plans) return [];
  const growing = results.plans.filter((plan) => plan.grows);
  return [
    "## Query plans",
    "",
    `EXPLAIN QUERY PLAN of every statement the objects ran (each route once, plus everything the benchmark did through the bench doors; schema statements left out), with the bindings of its first use. SEARCH is an index lookup (a range when the plan shows one); SCAN … USING INDEX under a LIMIT walks an index in order and stops early; USE TEMP B-TREE FOR ORDER BY means every matching row is read and sorted before the LIMIT applies. ${
      growing.length
        ? `**${growing.length} statement(s) cost more as history_item or feed_entry grows**: ${growing.map((plan) => `\`${plan.statement.slice(0, 70)}…\` (${plan.grows})`).join("; ")}.`
        : "No statement's cost grows with history_item or feed_entry."
    }`,
    "",
    table(
      ["object", "statement", "plan"],
      results.plans.map((plan) => [
        plan.object,
        `\`${plan.statement}\``,
        plan.plan.join("; ") + (plan.grows ? ` **(${plan.grows})**` : ""),
      ]),
    ),
    "",
  ];
}

export function countsSection(results: Results): string[] {
  const counts = results.counts;
  if (!counts) return [];
  const kinds = Object.keys(counts);
  const operations = [...new Set(kinds.flatMap((kind) => Object.keys(counts[kind]!)))].sort();
  return [
    "## Storage operations per request",
    "",
    "Counted by the bench doors' instrumented objects over sequential requests. The baseline makes 2 statements per write (one SELECT, one INSERT OR REPLACE) and 1 per read, and its feed push 1 more; no alarm call. The subscribed write's column includes its delivery and the feed alarm that clears the delivered changes afterwards.",
    "",
    table(
      ["operation", ...kinds],
      [
        ...operations.map((operation) => [`\`${operation}\``, ...kinds.map((kind) => num(counts[kind]![operation] ?? 0))]),
        [
          "**SQL statements in all**",
          ...kinds.map((kind) =>
            num(
              Object.entries(counts[kind]!)
                .filter(([operation]) => operation.includes(" sql: "))
                .reduce((sum, [, value]) => sum + value, 0),
            ),
          ),
        ],
      ],
    ),
    "",
  ];
}

export function profilesSection(results: Results): string[] {
  if (!results.profiles.length) return [];
  const out = [
    "## Profile",
    "",
    "CPU profiles of each Worker's isolate (the Worker and its Durable Objects run in one isolate under `wrangler dev`), sampled every 250 µs through the DevTools protocol while the same load runs against it. Self time is grouped by where the code lives (through the bundle's source map); `runtime (native, workerd)` is time in workerd's C++ (SQLite, RPC, I/O) and in built-ins. The samples are wall-clock: with other work on the machine, a descheduled thread still counts, so compare shares and the service/baseline ratio rather than absolute ms.",
    "",
  ];
  for (const profile of results.profiles) {
    const summary = profile.summary;
    out.push(
      `### ${profile.target}: ${profile.workload}`,
      "",
      `${profile.requests} requests in ${num(summary.sampledMs / 1000)} s sampled; isolate idle ${pct(summary.idleShare)}; **${num(profile.busyMsPerRequest)} ms of isolate time per request**.`,
      "",
      table(
        ["area", "self ms", "share of busy time"],
        summary.areas.slice(0, 14).map((area) => [area.area, num(area.selfMs), pct(area.selfShare)]),
      ),
      "",
      table(
        ["function (source)", "area", "self ms", "share"],
        summary.top.slice(0, 18).map((frame) => [`\`${frame.frame}\``, frame.area, num(frame.selfMs), pct(frame.selfShare)]),
      ),
      "",
    );
    const inclusive = Object.entries(summary.inclusive).filter(([, share]) => share > 0);
    if (!inclusive.length) continue;
    out.push(
      "Each function or source (any code of a file or directory): inclusive, anywhere on the stack (a middleware's figure then includes what it awaits synchronously), and innermost, each busy sample counted once, for the innermost of these on its stack; as a share of busy time and as ms per request.",
      "",
      table(
        ["function or source", "inclusive", "ms per request", "innermost", "ms per request"],
        inclusive
          .sort((a, b) => (summary.innermost?.[b[0]] ?? 0) - (summary.innermost?.[a[0]] ?? 0))
          .map(([entry, share]) => {
            const own = summary.innermost?.[entry] ?? 0;
            return [`\`${entry}\``, pct(share), num(share * profile.busyMsPerRequest), pct(own), num(own * profile.busyMsPerRequest)];
          }),
      ),
      "",
    );
  }
  return out;
}

export function trailerSections(results: Results): string[] {
  const out: string[] = [];
  if (Object.keys(results.seeding).length) {
    out.push(
      "## Seeding",
      "",
      table(
        ["what", "seconds"],
        Object.entries(results.seeding).map(([what, figures]) => [what, num(figures.seconds)]),
      ),
      "",
    );
  }
  const warnings = Object.entries(results.workerWarnings).filter(([, lines]) => lines.length);
  if (warnings.length) {
    out.push("## Warnings the Workers logged", "");
    for (const [name, lines] of warnings) out.push(`- ${name}: ${lines.length} (first: \`${lines[0]!.replace(/`/g, "'").slice(0, 300)}\`)`);
    out.push("");
  }
  return out;
}
