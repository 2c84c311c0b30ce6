import { z } from "@hono/zod-openapi";
import { limits } from "../limits";

// The answer to an import of a user's data (POST /admin/users/{oid}/activities).

const countsSchema = (records: string) =>
  z
    .object({
      imported: z
        .number()
        .int()
        .openapi({ description: `${records} written as the export had them.` }),
      skipped: z
        .number()
        .int()
        .openapi({ description: `${records} left as they were: one with the same id was already here, modified as late or later.` }),
      expired: z
        .number()
        .int()
        .openapi({ description: `${records} not written: already expired.` }),
    })
    .openapi({ description: `What became of the ${records.toLowerCase()} of the lines read.` });

/** What an import did: lines read, activities and history items imported, skipped or expired, and the lines refused. */
export const importSummarySchema = z
  .object({
    linesRead: z
      .number()
      .int()
      .openapi({ description: "Lines in the body (a last line without its newline counts; blank lines count, and are ignored)." }),
    activities: countsSchema("Activities"),
    historyItems: countsSchema("History items"),
    failedLines: z.number().int().openapi({ description: "Lines refused: nothing of them was written. 0 when the import is complete." }),
    errors: z
      .array(
        z.object({
          line: z.number().int().openapi({ description: "The line's number, from 1." }),
          code: z
            .string()
            .openapi({ description: "Graph's error code, as a request with that line as its body would answer.", example: "BadRequest" }),
          message: z.string().openapi({ example: "Invalid value for 'visualElements.displayText': expected a non-empty string." }),
        }),
      )
      .openapi({ description: `The first ${limits.importErrorsShown} lines refused, by line number, and why.` }),
  })
  .openapi("userActivityImportResult");
