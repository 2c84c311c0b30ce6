import { z } from "@hono/zod-openapi";
import { formatDateTime } from "../graph/dates";
import type { ErasureRecord } from "../objects/UserObject";

/** An erasure of one user's data, shaped like Graph's longRunningOperation (id, status, dates, statusDetail) plus what it erased. */
export const erasureOperationSchema = z
  .object({
    id: z.string().openapi({ format: "uuid" }),
    status: z.enum(["running", "succeeded"]),
    createdDateTime: z
      .string()
      .openapi({ description: "When the erasure was requested: everything of the user written before it is erased." }),
    lastActionDateTime: z.string().openapi({ description: "When the job last made progress, or finished." }),
    statusDetail: z
      .string()
      .nullable()
      .openapi({ description: "Why the job is waiting to retry, after a step failed; null while all is well." }),
    erased: z
      .object({
        apps: z.number().int().openapi({ description: "Apps whose data was erased (one feed each)." }),
        activities: z.number().int().openapi({ description: "Live activities erased." }),
        historyItems: z.number().int().openapi({ description: "Live history items erased with them." }),
      })
      .openapi({ description: "What the job has erased so far." }),
  })
  .openapi("userErasureOperation");

export type ErasureOperationResource = z.infer<typeof erasureOperationSchema>;

/** The wire form of an erasure. */
export function toErasureOperationResource(erasure: ErasureRecord): ErasureOperationResource {
  return {
    id: erasure.id,
    status: erasure.status,
    createdDateTime: formatDateTime(erasure.requestedMs),
    lastActionDateTime: formatDateTime(erasure.lastActionMs),
    statusDetail: erasure.detail,
    erased: erasure.erased,
  };
}
