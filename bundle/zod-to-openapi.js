// @asteasolutions/zod-to-openapi as the Worker bundle has it (wrangler.toml [alias]): the route
// registry and the schemas' .openapi() metadata that @hono/zod-openapi's OpenAPIHono builds on, but
// not the document generator (about 8 KiB gzip). The document is generated ahead of time from the
// same routes (npm run openapi) and served as a static asset, public/openapi.json; in the Worker,
// only OpenAPIHono's getOpenAPIDocument methods name the generator, and nothing calls them.
export { extendZodWithOpenApi, getOpenApiMetadata, OpenAPIRegistry } from "@asteasolutions/zod-to-openapi/dist/index.mjs";

/** Stands in for the generator classes, which must never run in the Worker. */
class GeneratedAheadOfTime {
  constructor() {
    throw new Error("The OpenAPI document is generated ahead of time (npm run openapi → public/openapi.json), not in the Worker.");
  }
}

export { GeneratedAheadOfTime as OpenApiGeneratorV3, GeneratedAheadOfTime as OpenApiGeneratorV31 };
