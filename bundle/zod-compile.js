// zod's ahead-of-time compiler as it behaves in a Worker, for the Worker bundle (wrangler.toml
// [alias]; zod's core imports it as "./compile.js"). Workers do not allow code generation from
// strings (`new Function`), so there zod's compile() always falls back to handing the schema back
// on its runtime parser. This module does just that, without the code generator (about 8 KiB
// gzip), which @hono/zod-openapi's extendZodWithOpenApi(z) would otherwise keep in the bundle.
import { ZodCompileUnsupportedError } from "../node_modules/zod/v4/core/compile.js";

export { INVALID, withParser, ZodCompileAsyncError, ZodCompileUnsupportedError } from "../node_modules/zod/v4/core/compile.js";

/** zod's internal code generator (compileFn, which zod's core re-exports) where no code can be generated: the refusal it gives in a Worker. */
export function compileFn() {
  throw new ZodCompileUnsupportedError(
    "this schema (generated code failed to evaluate: code generation from strings is disallowed in Workers)",
  );
}

/** zod's compile() where no code can be generated: the schema itself; with `strict`, the refusal. */
export function compile(schema, options) {
  if (options?.strict) compileFn(schema, options);
  return schema;
}
