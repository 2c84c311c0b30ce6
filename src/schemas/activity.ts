import { z } from "@hono/zod-openapi";
import { formatDateTime, parseDateTime } from "../graph/dates";
import { DEFAULT_LIFETIME_MS, limits } from "../limits";
import type { ActivityRecord } from "../objects/records";
import type { BodyIssue } from "../objects/records";
import {
  activityIdSchema,
  bodyIssues,
  CONTROL_CHARACTER,
  dateTimeSchema,
  expected,
  graphObject,
  ignoredSchema,
  jsonObjectSchema,
  jsonSchema,
  modifiedNotBeforeCreated,
  notBeforeCreated,
  originSchema,
  readOnlyMembers,
  statusSchema,
  textSchema,
  urlSchema,
} from "./common";
import { historyItemCreateSchema, historyItemImportSchema, historyItemSchema } from "./history-item";
import { mergePatch } from "./merge";
import type { Selectable } from "./query";

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

/** An appActivityId in a body: 1 to limits.appActivityIdChars characters, no control characters. */
const appActivityIdSchema = z
  .string(expected("a string"))
  .min(1, `expected 1 to ${limits.appActivityIdChars} characters`)
  .max(limits.appActivityIdChars, `expected 1 to ${limits.appActivityIdChars} characters`)
  .refine((text) => !CONTROL_CHARACTER.test(text), "expected no control characters");

/** The members of an activity's body, PUT's and POST's alike but for appActivityId. */
const activityMembers = {
  ...readOnlyMembers,
  id: ignoredSchema,
  expirationDateTime: ignoredSchema,
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
};

/** The body of PUT /me/activities/{appActivityId}. */
export const activityBodySchema = z
  .strictObject(
    {
      ...activityMembers,
      appActivityId: z.string(expected("a string")).optional().openapi({
        description: "If present, must equal the appActivityId in the URL (decoded).",
      }),
    },
    graphObject(ACTIVITY_TYPE),
  )
  .openapi("userActivityPut");

/** The body of POST /me/activities: the PUT's, with the appActivityId that the PUT's URL would carry. */
export const activityCreateSchema = z
  .strictObject(
    {
      ...activityMembers,
      appActivityId: appActivityIdSchema.openapi({
        description: "The app's own id for the activity; the server id is derived from it.",
        example: "/article?12345",
      }),
    },
    graphObject(ACTIVITY_TYPE),
  )
  .openapi("userActivityCreate");

type ActivityBody = z.infer<typeof activityBodySchema>;

/**
 * The body of PATCH /me/activities/{id} as the OpenAPI document shows it: any of the PUT's
 * properties but historyItems; visualElements and its attribution merge member by member, and
 * null removes an optional property. Documentation only: the activity's object validates the
 * merged result with activityBodySchema, the PUT's own rules.
 */
export const activityPatchSchema = activityBodySchema
  .omit({ historyItems: true })
  .partial()
  .extend({ visualElements: visualInfoSchema.partial().optional() })
  .openapi("userActivityPatch");

/** The typed complex values of an activity, which a PATCH merges member by member; the rest it replaces. */
const MEMBERWISE = ["visualElements", "visualElements.attribution"];

/** An activity's content after a PATCH, with the appActivityId the patch named; or what breaks a PUT rule. */
type MergedActivity =
  { kind: "merged"; content: ActivityContent; appActivityId: string | undefined } | { kind: "invalid"; issues: BodyIssue[] };

/**
 * An activity's client properties after a PATCH: the patch merged into them, then held to every
 * rule a PUT must pass (activityBodySchema), so a PATCH stores nothing a PUT would refuse.
 */
export function patchActivityContent(stored: ActivityContent, patch: unknown): MergedActivity {
  if (patch !== null && typeof patch === "object" && "historyItems" in patch) {
    return {
      kind: "invalid",
      issues: [{ code: "custom", path: ["historyItems"], message: "cannot be changed by a PATCH of the activity; use its historyItems" }],
    };
  }
  const parsed = activityBodySchema.safeParse(mergePatch(stored, patch, MEMBERWISE));
  if (!parsed.success) return { kind: "invalid", issues: bodyIssues(parsed.error.issues) };
  return { kind: "merged", content: toActivityContent(parsed.data), appActivityId: parsed.data.appActivityId };
}

/** The client-owned properties of an activity, stored and returned as one JSON document. */
export interface ActivityContent {
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
    attribution: {
      iconUrl: string | null;
      alternateText: string | null;
      alternativeText: string | null;
      addImageQuery: boolean | null;
    } | null;
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

/**
 * A line of an export, as an import reads it: the activity with every property the service
 * returns, the server's own included, the app whose data it is, and all its history items.
 */
export const activityImportLineSchema = z
  .strictObject(
    {
      ...activityMembers,
      appId: z
        .string(expected("a string"))
        .min(1, `expected an app id of 1 to ${limits.identityClaimChars} characters`)
        .max(limits.identityClaimChars, `expected an app id of 1 to ${limits.identityClaimChars} characters`),
      id: z.string(expected("a string")).pipe(activityIdSchema),
      appActivityId: appActivityIdSchema,
      status: statusSchema,
      createdDateTime: dateTimeSchema,
      lastModifiedDateTime: dateTimeSchema,
      expirationDateTime: dateTimeSchema,
      historyItems: z.array(historyItemImportSchema, expected("an array of activityHistoryItem")),
    },
    graphObject(ACTIVITY_TYPE),
  )
  .refine(modifiedNotBeforeCreated, notBeforeCreated)
  // The service sets an activity's expiry from its last write; a later one was not written here.
  .refine((line) => parseDateTime(line.expirationDateTime)! <= parseDateTime(line.lastModifiedDateTime)! + DEFAULT_LIFETIME_MS, {
    message: `expected at most ${DEFAULT_LIFETIME_MS / 86_400_000} days after lastModifiedDateTime, as the service sets it`,
    path: ["expirationDateTime"],
  });

export type ActivityImportLine = z.infer<typeof activityImportLineSchema>;

/** The activity an import restores: its client properties as a PUT stores them, with its own times, status and expiry. */
export function toRestoredActivity(line: ActivityImportLine): ActivityRecord {
  return {
    id: line.id,
    appActivityId: line.appActivityId,
    content: JSON.stringify(toActivityContent(line)),
    status: line.status,
    createdMs: parseDateTime(line.createdDateTime)!,
    lastModifiedMs: parseDateTime(line.lastModifiedDateTime)!,
    expirationMs: parseDateTime(line.expirationDateTime)!,
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

/** What $select may name on an activity: its properties, not the @odata annotations or the historyItems navigation. */
export const activitySelectable: Selectable = {
  typeName: ACTIVITY_TYPE,
  properties: Object.keys(activitySchema.shape).filter((name) => !name.startsWith("@odata.") && name !== "historyItems"),
};

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
