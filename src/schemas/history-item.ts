import { z } from "@hono/zod-openapi";
import { formatDateTime, parseDateTime } from "../graph/dates";
import { limits } from "../limits";
import type { BodyIssue, HistoryItemRecord, HistoryItemWrite } from "../objects/records";
import type { Selectable } from "./query";
import { mergePatch } from "./merge";
import {
  bodyIssues,
  dateTimeSchema,
  expected,
  graphObject,
  guidSchema,
  ignoredSchema,
  modifiedNotBeforeCreated,
  notBeforeCreated,
  readOnlyMembers,
  statusSchema,
  textSchema,
} from "./common";

const HISTORY_ITEM_TYPE = "microsoft.graph.activityHistoryItem";

const INT32_MAX = 2_147_483_647;

// The examples are Graph's own (its "Create or replace a historyItem" reference): a 20-second session.
const clientMembers = {
  ...readOnlyMembers,
  expirationDateTime: dateTimeSchema.nullish().openapi({
    description: "When the item is deleted; null or absent: 30 days after it was created.",
    // null, not a date: any fixed date would one day be past, and an item that expires as it is written is no example.
    example: null,
  }),
  startedDateTime: dateTimeSchema,
  lastActiveDateTime: dateTimeSchema.nullish().openapi({ example: "2015-02-11T20:54:24.3457274+00:00" }),
  activeDurationSeconds: z
    .number(expected(`an integer from 0 to ${INT32_MAX}`))
    .int(`expected an integer from 0 to ${INT32_MAX}`)
    .min(0, `expected an integer from 0 to ${INT32_MAX}`)
    .max(INT32_MAX, `expected an integer from 0 to ${INT32_MAX}`)
    .nullish()
    .openapi({ description: "Seconds of active use; null or absent: computed from startedDateTime and lastActiveDateTime.", example: 20 }),
  userTimezone: textSchema(limits.timezoneChars).nullish().openapi({ example: "Africa/Casablanca" }),
};

// The computed activeDurationSeconds must fit its Int32, so a session spans at most that many seconds.
const lastActiveNotBeforeStarted = (body: { startedDateTime: string; lastActiveDateTime?: string | null | undefined }) => {
  if (body.lastActiveDateTime == null) return true;
  const started = parseDateTime(body.startedDateTime);
  const lastActive = parseDateTime(body.lastActiveDateTime);
  if (started === undefined || lastActive === undefined) return true; // reported by the properties' own checks
  return lastActive >= started && (lastActive - started) / 1000 < INT32_MAX + 1;
};

const notBeforeStarted = {
  message: `expected a date and time not before startedDateTime, and at most ${INT32_MAX} seconds after it`,
  path: ["lastActiveDateTime"],
};

/**
 * The body of POST .../historyItems and of a deep-inserted item: `id` is the client's optional GUID (null: none, as absent).
 * Its example has none (as Graph's deep insert), so that sending it twice creates two items, not a 409.
 */
export const historyItemCreateSchema = z
  .strictObject({ ...clientMembers, id: guidSchema.nullish() }, graphObject(HISTORY_ITEM_TYPE))
  .refine(lastActiveNotBeforeStarted, notBeforeStarted)
  .openapi("activityHistoryItemCreate", {
    example: {
      startedDateTime: "2015-02-11T20:54:04.3457274+00:00",
      lastActiveDateTime: "2015-02-11T20:54:24.3457274+00:00",
      userTimezone: "Africa/Casablanca",
    },
  });

/** The body of PUT .../historyItems/{historyItemId}: the URL names the item, so `id` is ignored. */
export const historyItemReplaceSchema = z
  .strictObject({ ...clientMembers, id: ignoredSchema }, graphObject(HISTORY_ITEM_TYPE))
  .refine(lastActiveNotBeforeStarted, notBeforeStarted)
  .openapi("activityHistoryItemReplace");

type HistoryItemBody = z.infer<typeof historyItemReplaceSchema>;

/**
 * The body of PATCH .../historyItems/{historyItemId} as the OpenAPI document shows it: any of the
 * PUT's properties; null removes an optional one. Documentation only: the activity's object
 * validates the merged item with historyItemReplaceSchema, the PUT's own rules.
 */
export const historyItemPatchSchema = z
  .strictObject({ ...clientMembers, startedDateTime: dateTimeSchema.optional(), id: ignoredSchema })
  .openapi("activityHistoryItemPatch");

/** The write the object performs for a validated body (dates as epoch ms, duration computed when absent). */
export function toHistoryItemWrite(id: string, body: HistoryItemBody): HistoryItemWrite {
  const startedMs = parseDateTime(body.startedDateTime)!;
  const lastActiveMs = body.lastActiveDateTime == null ? null : parseDateTime(body.lastActiveDateTime)!;
  const computedSeconds = lastActiveMs === null ? null : Math.floor((lastActiveMs - startedMs) / 1000);
  return {
    id: id.toLowerCase(),
    startedMs,
    lastActiveMs,
    activeDurationSeconds: body.activeDurationSeconds ?? computedSeconds,
    activeDurationComputed: body.activeDurationSeconds == null && computedSeconds !== null,
    expirationMs: body.expirationDateTime == null ? null : parseDateTime(body.expirationDateTime)!,
    userTimezone: body.userTimezone ?? null,
  };
}

/** A history item after a PATCH: the write that stores it, or what breaks a PUT rule. */
type MergedHistoryItem = { kind: "merged"; write: HistoryItemWrite } | { kind: "invalid"; issues: BodyIssue[] };

/**
 * A history item after a PATCH: the patch merged into what the client has set (a computed
 * activeDurationSeconds is left out, so it is computed again from the merged times), then held to
 * every rule a PUT must pass (historyItemReplaceSchema). The expiry stays unless the patch sets it.
 */
export function patchHistoryItem(stored: HistoryItemRecord, patch: unknown): MergedHistoryItem {
  const client: Record<string, unknown> = {
    startedDateTime: formatDateTime(stored.startedMs),
    lastActiveDateTime: stored.lastActiveMs === null ? null : formatDateTime(stored.lastActiveMs),
    activeDurationSeconds: stored.activeDurationComputed ? null : stored.activeDurationSeconds,
    expirationDateTime: formatDateTime(stored.expirationMs),
    userTimezone: stored.userTimezone,
  };
  const parsed = historyItemReplaceSchema.safeParse(mergePatch(client, patch, []));
  if (!parsed.success) return { kind: "invalid", issues: bodyIssues(parsed.error.issues) };
  return { kind: "merged", write: toHistoryItemWrite(stored.id, parsed.data) };
}

/** A history item in an export line, as an import reads it: every property the service returns, the server's own included. */
export const historyItemImportSchema = z
  .strictObject(
    {
      ...clientMembers,
      id: guidSchema,
      status: statusSchema,
      createdDateTime: dateTimeSchema,
      lastModifiedDateTime: dateTimeSchema,
      expirationDateTime: dateTimeSchema,
    },
    graphObject(HISTORY_ITEM_TYPE),
  )
  .refine(lastActiveNotBeforeStarted, notBeforeStarted)
  .refine(modifiedNotBeforeCreated, notBeforeCreated);

/**
 * The item an import restores, with its own times, status and expiry. The export does not say
 * whether its activeDurationSeconds was computed: one equal to what the times give counts as
 * computed, so that a PATCH that moves the times computes it again.
 */
export function toRestoredHistoryItem(item: z.infer<typeof historyItemImportSchema>): HistoryItemRecord {
  const computed = toHistoryItemWrite(item.id, { ...item, activeDurationSeconds: null });
  const asComputed = item.activeDurationSeconds == null || item.activeDurationSeconds === computed.activeDurationSeconds;
  return {
    ...(asComputed ? computed : toHistoryItemWrite(item.id, item)),
    status: item.status,
    createdMs: parseDateTime(item.createdDateTime)!,
    lastModifiedMs: parseDateTime(item.lastModifiedDateTime)!,
    expirationMs: parseDateTime(item.expirationDateTime)!,
  };
}

export const historyItemSchema = z
  .object({
    "@odata.context": z.string().optional(),
    id: z.string(),
    status: statusSchema,
    userTimezone: z.string().nullable(),
    createdDateTime: z.string(),
    lastModifiedDateTime: z.string(),
    startedDateTime: z.string(),
    lastActiveDateTime: z.string().nullable(),
    expirationDateTime: z.string(),
    activeDurationSeconds: z.number().int().nullable(),
  })
  .openapi("activityHistoryItem");

export type HistoryItemResource = z.infer<typeof historyItemSchema>;

/** What $select may name on a history item: its properties, not the @odata annotations. */
export const historyItemSelectable: Selectable = {
  typeName: HISTORY_ITEM_TYPE,
  properties: Object.keys(historyItemSchema.shape).filter((name) => !name.startsWith("@odata.")),
};

/** The wire form of a stored item. */
export function toHistoryItemResource(item: HistoryItemRecord): HistoryItemResource {
  return {
    id: item.id,
    status: item.status,
    userTimezone: item.userTimezone,
    createdDateTime: formatDateTime(item.createdMs),
    lastModifiedDateTime: formatDateTime(item.lastModifiedMs),
    startedDateTime: formatDateTime(item.startedMs),
    lastActiveDateTime: item.lastActiveMs === null ? null : formatDateTime(item.lastActiveMs),
    expirationDateTime: formatDateTime(item.expirationMs),
    activeDurationSeconds: item.activeDurationSeconds,
  };
}
