// zod's fromJSONSchema() for the Worker bundle (wrangler.toml [alias]; zod's classic API imports it
// as "./from-json-schema.js"): building a zod schema from a JSON Schema at run time, which the
// service never does. Its converter (about 5 KiB gzip) stays out of the Worker, where
// @hono/zod-openapi's extendZodWithOpenApi(z) would otherwise keep it; a call says why it fails.
export function fromJSONSchema() {
  throw new Error("zod's fromJSONSchema() is left out of the Worker bundle (see bundle/zod-from-json-schema.js).");
}
