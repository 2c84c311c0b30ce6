// Builds the static assets that are not committed: Swagger UI's files for /docs, copied from
// node_modules into public/docs/vendor/, and the timeline page for /timeline, bundled from
// timeline/ by esbuild into public/timeline/ (no CDN). Runs on install (`prepare`), before
// `npm run deploy`, and before the Node-side tests start the service.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = new URL("../", import.meta.url);
const path = (relative: string) => fileURLToPath(new URL(relative, root));

const SWAGGER_FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];

function copySwaggerUi() {
  mkdirSync(path("public/docs/vendor/"), { recursive: true });
  for (const file of SWAGGER_FILES) copyFileSync(path(`node_modules/swagger-ui-dist/${file}`), path(`public/docs/vendor/${file}`));
}

async function buildTimeline() {
  const out = path("public/timeline/");
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: { timeline: path("timeline/src/main.ts") },
    outdir: out,
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: "linked",
    // Licence comments of the bundled packages (adaptivecards) go to a file beside the bundle.
    legalComments: "linked",
    logLevel: "warning",
  });
  await build({ entryPoints: [path("timeline/timeline.css")], outdir: out, bundle: true, minify: true, logLevel: "warning" });
  copyFileSync(path("timeline/index.html"), `${out}index.html`);
}

/** Builds every generated asset under public/. */
export async function buildAssets() {
  copySwaggerUi();
  await buildTimeline();
}

/** Vitest global setup for the Node-side suites: the service they start serves what was just built. */
export const setup = buildAssets;

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildAssets();
