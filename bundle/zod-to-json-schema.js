// zod's JSON Schema converter (core/to-json-schema.js) for the Worker bundle (wrangler.toml [alias];
// zod imports it as "./to-json-schema.js" and "../core/to-json-schema.js"). The Worker never turns a
// schema into JSON Schema: the OpenAPI documents are generated ahead of time (npm run openapi). Its
// code (about 3 KiB gzip) stays out, where @hono/zod-openapi's extendZodWithOpenApi(z) would keep it
// alive through every schema's toJSONSchema() and z.core; a call says why it fails.

/** Refuses: JSON Schema conversion is not in the Worker. */
function leftOut() {
  throw new Error("zod's JSON Schema conversion is left out of the Worker bundle (see bundle/zod-to-json-schema.js).");
}

/** A schema's toJSONSchema() and its Standard Schema jsonSchema methods, built as zod builds them, refusing when called. */
const refusingMethod = () => leftOut;

export {
  leftOut as extractDefs,
  leftOut as finalize,
  leftOut as handleUnrepresentable,
  leftOut as initializeContext,
  leftOut as process,
  leftOut as processSchema,
  refusingMethod as createStandardJSONSchemaMethod,
  refusingMethod as createToJSONSchemaMethod,
};
