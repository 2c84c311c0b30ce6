import { z } from "@hono/zod-openapi";
import { utf8 } from "../graph/encoding";
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
      iconUrl: urlSchema.nullish().openapi({ example: "https://www.contoso.com/icon" }),
      alternateText: textSchema().nullish().openapi({ example: "Contoso, Ltd." }),
      alternativeText: textSchema().nullish().openapi({ example: "Contoso, Ltd." }),
      addImageQuery: z.boolean(expected("true or false")).nullish().openapi({ example: false }),
    },
    graphObject("microsoft.graph.imageInfo"),
  )
  .openapi("imageInfo");

const visualInfoSchema = z
  .strictObject(
    {
      "@odata.type": ignoredSchema,
      displayText: textSchema().min(1, "expected a non-empty string").openapi({ example: "Contoso How-To: How to Tie a Reef Knot" }),
      description: textSchema()
        .nullish()
        .openapi({ example: "How to Tie a Reef Knot. A step-by-step visual guide to the art of nautical knot-tying." }),
      backgroundColor: z
        .string(expected("a hex colour such as #ff0000"))
        // Both cases spelled out: a flag cannot be written into the OpenAPI document's pattern.
        .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "expected a hex colour such as #ff0000")
        .nullish()
        .openapi({ example: "#ff0000" }),
      content: jsonSchema.optional().openapi({
        description: "An Adaptive Card (any JSON).",
        example: {
          $schema: "https://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          body: [{ type: "TextBlock", text: "Contoso MainPage" }],
        },
      }),
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

/** The appActivityId of Graph's own examples, and the page it names. */
export const EXAMPLE_APP_ACTIVITY_ID = "/article?12345";
const EXAMPLE_URL = "https://www.contoso.com/article?id=12345";

/**
 * The members of an activity's body, PUT's and POST's alike but for appActivityId. The examples
 * are Graph's own (its "Create or replace an activity" reference), so a body made of them is one
 * the service accepts.
 */
const activityMembers = {
  ...readOnlyMembers,
  id: ignoredSchema,
  expirationDateTime: ignoredSchema,
  activitySourceHost: originSchema.openapi({ example: "https://www.contoso.com" }),
  activationUrl: urlSchema.openapi({ example: EXAMPLE_URL }),
  appDisplayName: textSchema().nullish().openapi({ example: "Contoso, Ltd." }),
  fallbackUrl: urlSchema.nullish().openapi({ example: EXAMPLE_URL }),
  contentUrl: urlSchema.nullish().openapi({ example: EXAMPLE_URL }),
  visualElements: visualInfoSchema,
  contentInfo: jsonObjectSchema.nullish().openapi({
    description: "Any JSON object (JSON-LD).",
    example: { "@context": "https://schema.org", "@type": "Article", author: "Jennifer Booth", name: "How to Tie a Reef Knot" },
  }),
  userTimezone: textSchema(limits.timezoneChars).nullish().openapi({ example: "Africa/Casablanca" }),
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
      appActivityId: z.string(expected("a string")).nullish().openapi({
        description: "If present and not null, must equal the appActivityId in the URL (decoded).",
        example: EXAMPLE_APP_ACTIVITY_ID,
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
        example: EXAMPLE_APP_ACTIVITY_ID,
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
  .extend({
    visualElements: visualInfoSchema.partial().optional(),
    // Read-only here, so that a generated body does not name an appActivityId the activity may not have.
    appActivityId: z.string().optional().openapi({
      readOnly: true,
      description: "The activity's own appActivityId, which a PATCH cannot change: if present, must equal it.",
    }),
  })
  .openapi("userActivityPatch");

/** The typed complex values of an activity, which a PATCH merges member by member; the rest it replaces. */
const MEMBERWISE = ["visualElements", "visualElements.attribution"];

/**
 * An activity's content after a PATCH, with the appActivityId the patch named; or what breaks a PUT
 * rule; or its size as a GET would answer it, when that is more than a PUT may send back.
 */
type MergedActivity =
  | { kind: "merged"; content: ActivityContent; appActivityId: string | undefined }
  | { kind: "invalid"; issues: BodyIssue[] }
  | { kind: "too-large"; bytes: number };

/**
 * An activity's client properties after a PATCH: the patch merged into them, then held to every
 * rule a PUT must pass (activityBodySchema), so a PATCH stores nothing a PUT would refuse, and to
 * the body limit as a GET would answer the result (sentBackBytes), so it can always be sent back.
 */
export function patchActivityContent(stored: ActivityContent, patch: unknown, appActivityId: string): MergedActivity {
  if (patch !== null && typeof patch === "object" && "historyItems" in patch) {
    return {
      kind: "invalid",
      issues: [{ code: "custom", path: ["historyItems"], message: "cannot be changed by a PATCH of the activity; use its historyItems" }],
    };
  }
  const parsed = activityBodySchema.safeParse(mergePatch(stored, patch, MEMBERWISE));
  if (!parsed.success) return { kind: "invalid", issues: bodyIssues(parsed.error.issues) };
  const content = toActivityContent(parsed.data);
  const bytes = sentBackBytes(appActivityId, JSON.stringify(content));
  if (bytes > limits.bodyBytes) return { kind: "too-large", bytes };
  return { kind: "merged", content, appActivityId: parsed.data.appActivityId ?? undefined };
}

/**
 * Room for a GET's @odata.context, which names the origin and the user as the request did: under
 * 700 bytes for a 253-character host and a 128-character user name with every character percent-encoded.
 */
const CONTEXT_BYTES = 1024;

/** The server fields of an activity at their longest: the largest 64-bit id, fixed-width dates, `updated`. */
const LONGEST_SERVER_FIELDS = {
  id: "18446744073709551615",
  createdDateTime: formatDateTime(0),
  lastModifiedDateTime: formatDateTime(0),
  expirationDateTime: formatDateTime(0),
  status: "updated",
};

/**
 * The bytes of the activity as a GET answers it (client properties `content`, as stored), which is
 * what a client sends back when it PUTs what it read: the largest its server fields can be, and
 * CONTEXT_BYTES for @odata.context. An activity is stored only when this is within the body limit.
 */
export function sentBackBytes(appActivityId: string, content: string): number {
  const serverFields = JSON.stringify({ appActivityId, ...LONGEST_SERVER_FIELDS });
  // One object of both objects' members: one pair of braces fewer, one comma more.
  return utf8(serverFields).byteLength + utf8(content).byteLength - 1 + CONTEXT_BYTES;
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
