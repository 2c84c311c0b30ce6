import { z } from "@hono/zod-openapi";
import { formatDateTime } from "../graph/dates";
import { limits } from "../limits";
import type { ActivityRecord } from "../objects/records";
import { expected, graphObject, ignoredSchema, jsonObjectSchema, jsonSchema, originSchema, readOnlyMembers, statusSchema, textSchema, urlSchema } from "./common";
import { historyItemCreateSchema, historyItemSchema } from "./history-item";

const ACTIVITY_TYPE = "microsoft.graph.userActivity";

const imageInfoSchema = z
  .strictObject(
    {
      "@odata.type": ignoredSchema,
      iconUrl: urlSchema.nullish(),
      alternateText: textSchema().nullish(),
      alternativeText: textSchema().nullish(),
      addImageQuery: z.boolean(expected("true or false")).nullish(),
    },
    graphObject("microsoft.graph.imageInfo"),
  )
  .openapi("imageInfo");

const visualInfoSchema = z
  .strictObject(
    {
      "@odata.type": ignoredSchema,
      displayText: textSchema().min(1, "expected a non-empty string"),
      description: textSchema().nullish(),
      backgroundColor: z
        .string(expected("a hex colour such as #ff0000"))
        .regex(/^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i, "expected a hex colour such as #ff0000")
        .nullish(),
      content: jsonSchema.optional().openapi({ description: "An Adaptive Card (any JSON)." }),
      attribution: imageInfoSchema.nullish(),
    },
    graphObject("microsoft.graph.visualInfo"),
  )
  .openapi("visualInfo");

/** The body of PUT /me/activities/{appActivityId}. */
export const activityBodySchema = z
  .strictObject(
    {
      ...readOnlyMembers,
      id: ignoredSchema,
      expirationDateTime: ignoredSchema,
      appActivityId: z.string(expected("a string")).optional().openapi({
        description: "If present, must equal the appActivityId in the URL (decoded).",
      }),
      activitySourceHost: originSchema,
      activationUrl: urlSchema,
      appDisplayName: textSchema().nullish(),
      fallbackUrl: urlSchema.nullish(),
      contentUrl: urlSchema.nullish(),
      visualElements: visualInfoSchema,
      contentInfo: jsonObjectSchema.nullish().openapi({ description: "Any JSON object (JSON-LD)." }),
      userTimezone: textSchema(limits.timezoneChars).nullish(),
      historyItems: z
        .array(historyItemCreateSchema, expected("an array of activityHistoryItem"))
        .max(limits.historyItemsPerRequest, `expected at most ${limits.historyItemsPerRequest} items`)
        .nullish()
        .openapi({ description: "Deep insert: items with an id are created or replaced, items without one are created." }),
    },
    graphObject(ACTIVITY_TYPE),
  )
  .openapi("userActivityPut");

type ActivityBody = z.infer<typeof activityBodySchema>;

/** The client-owned properties of an activity, stored and returned as one JSON document. */
interface ActivityContent {
  activitySourceHost: string;
  activationUrl: string;
  appDisplayName: string | null;
  fallbackUrl: string | null;
  contentUrl: string | null;
  visualElements: {
    displayText: string;
    description: string | null;
    backgroundColor: string | null;
    content: unknown;
    attribution: { iconUrl: string | null; alternateText: string | null; alternativeText: string | null; addImageQuery: boolean | null } | null;
  };
  contentInfo: Record<string, unknown> | null;
  userTimezone: string | null;
}

/** The client-owned properties, every one present (null when not sent). */
export function toActivityContent(body: ActivityBody): ActivityContent {
  const visual = body.visualElements;
  const attribution = visual.attribution;
  return {
    activitySourceHost: body.activitySourceHost,
    activationUrl: body.activationUrl,
    appDisplayName: body.appDisplayName ?? null,
    fallbackUrl: body.fallbackUrl ?? null,
    contentUrl: body.contentUrl ?? null,
    visualElements: {
      displayText: visual.displayText,
      description: visual.description ?? null,
      backgroundColor: visual.backgroundColor ?? null,
      content: visual.content ?? null,
      attribution: attribution
        ? {
            iconUrl: attribution.iconUrl ?? null,
            alternateText: attribution.alternateText ?? null,
            alternativeText: attribution.alternativeText ?? null,
            addImageQuery: attribution.addImageQuery ?? null,
          }
        : null,
    },
    contentInfo: body.contentInfo ?? null,
    userTimezone: body.userTimezone ?? null,
  };
}

export const activitySchema = z
  .object({
    "@odata.context": z.string().optional(),
    id: z.string(),
    appActivityId: z.string(),
    activitySourceHost: z.string(),
    activationUrl: z.string(),
    appDisplayName: z.string().nullable(),
    fallbackUrl: z.string().nullable(),
    contentUrl: z.string().nullable(),
    visualElements: z.object({
      displayText: z.string(),
      description: z.string().nullable(),
      backgroundColor: z.string().nullable(),
      content: z.unknown(),
      attribution: z
        .object({
          iconUrl: z.string().nullable(),
          alternateText: z.string().nullable(),
          alternativeText: z.string().nullable(),
          addImageQuery: z.boolean().nullable(),
        })
        .nullable(),
    }),
    contentInfo: z.record(z.string(), z.unknown()).nullable(),
    userTimezone: z.string().nullable(),
    createdDateTime: z.string(),
    lastModifiedDateTime: z.string(),
    expirationDateTime: z.string(),
    status: statusSchema,
    historyItems: z.array(historyItemSchema).optional(),
  })
  .openapi("userActivity");

export type ActivityResource = z.infer<typeof activitySchema>;

/** The wire form of a stored activity (without its history items). */
export function toActivityResource(activity: ActivityRecord): ActivityResource {
  return {
    id: activity.id,
    appActivityId: activity.appActivityId,
    ...(JSON.parse(activity.content) as ActivityContent),
    createdDateTime: formatDateTime(activity.createdMs),
    lastModifiedDateTime: formatDateTime(activity.lastModifiedMs),
    expirationDateTime: formatDateTime(activity.expirationMs),
    status: activity.status,
  };
}
