// zod's JSON Schema processors (core/json-schema-processors.js) for the Worker bundle (wrangler.toml
// [alias]; zod imports it as "./json-schema-processors.js" and "../core/json-schema-processors.js"):
// each schema names its processor, which only JSON Schema conversion runs, and the Worker never
// converts (bundle/zod-to-json-schema.js says why). Their code (about 3 KiB gzip) stays out; a call
// says why it fails. aggregateChecks is zod's own: schemas read their bounds and format through it.
export { aggregateChecks } from "../node_modules/zod/v4/core/json-schema-processors.js";

/** Refuses: JSON Schema conversion is not in the Worker. */
function leftOut() {
  throw new Error("zod's JSON Schema conversion is left out of the Worker bundle (see bundle/zod-to-json-schema.js).");
}

/** zod's table of processors by schema type, which only the JSON Schema generator reads. */
export const allProcessors = {};

export {
  leftOut as anyProcessor,
  leftOut as arrayProcessor,
  leftOut as bigintProcessor,
  leftOut as booleanProcessor,
  leftOut as catchProcessor,
  leftOut as customProcessor,
  leftOut as dateProcessor,
  leftOut as defaultProcessor,
  leftOut as enumProcessor,
  leftOut as fileProcessor,
  leftOut as functionProcessor,
  leftOut as intersectionProcessor,
  leftOut as lazyProcessor,
  leftOut as literalProcessor,
  leftOut as mapProcessor,
  leftOut as nanProcessor,
  leftOut as neverProcessor,
  leftOut as nonoptionalProcessor,
  leftOut as nullProcessor,
  leftOut as nullableProcessor,
  leftOut as numberProcessor,
  leftOut as objectProcessor,
  leftOut as optionalProcessor,
  leftOut as pipeProcessor,
  leftOut as prefaultProcessor,
  leftOut as promiseProcessor,
  leftOut as readonlyProcessor,
  leftOut as recordProcessor,
  leftOut as setProcessor,
  leftOut as stringProcessor,
  leftOut as successProcessor,
  leftOut as symbolProcessor,
  leftOut as templateLiteralProcessor,
  leftOut as toJSONSchema,
  leftOut as transformProcessor,
  leftOut as tupleProcessor,
  leftOut as undefinedProcessor,
  leftOut as unionProcessor,
  leftOut as unknownProcessor,
  leftOut as voidProcessor,
};
