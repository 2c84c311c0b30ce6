// Copies Swagger UI's files from node_modules into public/docs/vendor/, so the /docs page is
// served from the Worker's own static assets (no CDN). Runs on install (the `prepare` script).
import { copyFileSync, mkdirSync } from "node:fs";

const FILES = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE", "NOTICE"];
const from = new URL("../node_modules/swagger-ui-dist/", import.meta.url);
const to = new URL("../public/docs/vendor/", import.meta.url);

mkdirSync(to, { recursive: true });
for (const file of FILES) copyFileSync(new URL(file, from), new URL(file, to));
