// Proves that each of wrangler.toml's [alias] substitutions still replaces what it was written for
// (npm run check, after the dry-run deploy that writes the bundle's metafile). The aliases name
// zod's internal paths, which a zod release may move: then the alias would stop applying (the code
// it kept out is back in the bundle) or apply to another module. For each alias this checks:
// - the bundle still imports its specifier, and only from the packages it was written for;
// - from each importing file, the specifier still resolves (as the bundler resolves it) to a file
//   that exists;
// - the substitute exports nothing that file does not, and, where the importer re-exports the
//   whole module (`export *`), every name that file exports, so nothing disappears from zod's API.
import * as esbuild from "esbuild";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { unstable_readConfig } from "wrangler";

const ROOT = resolve(import.meta.dirname, "..");
/** Where `wrangler deploy --dry-run --outdir .wrangler/dry-run --metafile` leaves esbuild's metafile. */
const METAFILE = resolve(ROOT, ".wrangler/dry-run/bundle-meta.json");

/** The packages whose files may import each aliased specifier: an importer anywhere else would get the substitute by mistake. */
const IMPORTERS: Record<string, string> = {
  "../locales/index.js": "zod",
  "./compile.js": "zod",
  "./from-json-schema.js": "zod",
  "./to-json-schema.js": "zod",
  "../core/to-json-schema.js": "zod",
  "./json-schema-processors.js": "zod",
  "../core/json-schema-processors.js": "zod",
  "./json-schema-generator.js": "zod",
  "@asteasolutions/zod-to-openapi": "@hono/zod-openapi",
};

interface Metafile {
  inputs: Record<string, { imports: { path: string; original?: string }[] }>;
}

/** How an importer takes the module: all of it re-exported, as a namespace, or these names. */
type Usage = { kind: "export-all" } | { kind: "namespace" } | { kind: "names"; names: string[] };

const packageOf = (file: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? "(the project)";

/** Resolves `specifier` from `importer` as wrangler's bundler does (esbuild, Workers conditions), without the alias. */
async function resolveFrom(specifier: string, importer: string): Promise<string | undefined> {
  let resolved: string | undefined;
  await esbuild.build({
    write: false,
    logLevel: "silent",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["browser", "module", "main"],
    plugins: [
      {
        name: "resolve-once",
        setup(build) {
          build.onStart(async () => {
            const result = await build.resolve(specifier, { kind: "import-statement", resolveDir: dirname(importer) });
            resolved = result.errors.length === 0 ? result.path : undefined;
          });
        },
      },
    ],
  });
  return resolved;
}

/** Every way `source` imports or re-exports `specifier`. */
function usagesIn(source: string, specifier: string): Usage[] {
  const quoted = specifier.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  const statement = new RegExp(`\\b(import|export)\\s*([^;]*?)\\s*from\\s*["']${quoted}["']`, "g");
  return [...source.matchAll(statement)].map(([, keyword, clause]): Usage => {
    const what = clause!.trim();
    if (keyword === "export" && what === "*") return { kind: "export-all" };
    if (/^\*\s*as\s/.test(what)) return { kind: "namespace" };
    const braces = /\{([^}]*)\}/.exec(what)?.[1] ?? "";
    const names = braces
      .split(",")
      .map((part) =>
        part
          .trim()
          .split(/\s+as\s+/)[0]!
          .replace(/^type\s+/, ""),
      )
      .filter(Boolean);
    const defaultImport = /^([A-Za-z_$][\w$]*)\s*(,|$)/.exec(what);
    return { kind: "names", names: defaultImport ? ["default", ...names] : names };
  });
}

const failures: string[] = [];

/** The names `file` exports, loading it as Node does; undefined, with the failure noted, when it does not load. */
async function exportsOf(file: string, where: string): Promise<string[] | undefined> {
  try {
    return Object.keys(await import(pathToFileURL(file).href)).sort();
  } catch (error) {
    failures.push(`${where}: ${relative(ROOT, file)} does not load: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

const { alias = {} } = unstable_readConfig({ config: resolve(ROOT, "wrangler.toml") });
if (!existsSync(METAFILE)) throw new Error(`${relative(ROOT, METAFILE)} is missing: run the dry-run deploy with --metafile first.`);
const metafile = JSON.parse(readFileSync(METAFILE, "utf8")) as Metafile;

for (const [specifier, target] of Object.entries(alias)) {
  const substitute = resolve(ROOT, target);
  const name = `${specifier} → ${target}`;
  const importers = Object.entries(metafile.inputs)
    .filter(([, input]) => input.imports.some((entry) => entry.original === specifier && resolve(ROOT, entry.path) === substitute))
    .map(([file]) => file);
  if (importers.length === 0) {
    failures.push(`${name}: nothing in the bundle imports '${specifier}' any more, so the alias keeps nothing out.`);
    continue;
  }
  const substituteExports = await exportsOf(substitute, name);
  if (!substituteExports) continue;
  for (const importer of importers) {
    const where = `${name}, imported by ${importer}`;
    const before = failures.length;
    if (packageOf(importer) !== IMPORTERS[specifier]) {
      failures.push(`${where}: only ${IMPORTERS[specifier] ?? "(no package)"} should import it; this file gets the substitute too.`);
      continue;
    }
    const replaced = await resolveFrom(specifier, resolve(ROOT, importer));
    if (!replaced || !existsSync(replaced)) {
      failures.push(`${where}: '${specifier}' no longer resolves to a file there; the alias replaces nothing.`);
      continue;
    }
    const replacedExports = await exportsOf(replaced, where);
    if (!replacedExports) continue;
    const invented = substituteExports.filter((exported) => !replacedExports.includes(exported));
    if (invented.length > 0) failures.push(`${where}: ${relative(ROOT, replaced)} does not export ${invented.join(", ")}.`);
    const usages = usagesIn(readFileSync(resolve(ROOT, importer), "utf8"), specifier);
    if (usages.length === 0) failures.push(`${where}: no import or export statement of it found in the file.`);
    for (const usage of usages) {
      const needed = usage.kind === "export-all" ? replacedExports : usage.kind === "names" ? usage.names : [];
      const missing = needed.filter((exported) => !substituteExports.includes(exported));
      if (missing.length > 0) failures.push(`${where} (${usage.kind}): the substitute lacks ${missing.join(", ")}.`);
    }
    if (failures.length === before) {
      const how = usages.map((usage) => (usage.kind === "names" ? `{ ${usage.names.join(", ")} }` : usage.kind)).join(", ");
      console.log(`${name}: replaces ${relative(ROOT, replaced)} for ${importer} (${how}); exports ${substituteExports.join(", ")}`);
    }
  }
}

if (failures.length > 0) {
  console.error(`wrangler.toml [alias] no longer matches the bundled packages:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
