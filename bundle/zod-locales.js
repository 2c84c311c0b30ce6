// zod's error messages in English only, for the Worker bundle (wrangler.toml [alias]). zod gathers
// every language it ships (about 40 KiB gzip) under `z.locales` and `z.core.locales`, and
// @hono/zod-openapi's extendZodWithOpenApi(z) keeps the whole `z` namespace, and so all of them,
// alive; the service answers in English, which zod's schemas load on their own.
export { default as en } from "zod/v4/locales/en.js";
