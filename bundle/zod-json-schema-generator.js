// zod's JSONSchemaGenerator (core/json-schema-generator.js) for the Worker bundle (wrangler.toml
// [alias]; zod's core imports it as "./json-schema-generator.js"), which z.core keeps alive and the
// Worker never uses (bundle/zod-to-json-schema.js says why).

/** Stands in for the generator, which must never run in the Worker. */
export class JSONSchemaGenerator {
  constructor() {
    throw new Error("zod's JSON Schema conversion is left out of the Worker bundle (see bundle/zod-to-json-schema.js).");
  }
}
