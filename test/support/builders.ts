// Request bodies a test sends, and the resources the service must answer for them.
import { expect } from "vitest";
import { DAY_MS, ISO_MS } from "./api";
import { activityContext, historyItemContext } from "./graph";

/** A minimal valid activity body. */
export const activityBody = (overrides: Record<string, unknown> = {}) => ({
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?12345",
  visualElements: { displayText: "Contoso article" },
  ...overrides,
});

interface ResourceOptions {
  status?: "active" | "updated";
  prefix?: string;
  user?: string;
}

/** What the service answers for an activity PUT with `body`: every property present, null when not sent. */
export function activityResource(
  appActivityId: string,
  body: Record<string, any> = activityBody(),
  { status = "active", prefix, user }: ResourceOptions = {},
) {
  const visual = body.visualElements;
  return {
    "@odata.context": activityContext({ prefix, user }),
    id: expect.stringMatching(/^\d{1,20}$/),
    appActivityId,
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
      attribution: visual.attribution
        ? {
            iconUrl: visual.attribution.iconUrl ?? null,
            alternateText: visual.attribution.alternateText ?? null,
            alternativeText: visual.attribution.alternativeText ?? null,
            addImageQuery: visual.attribution.addImageQuery ?? null,
          }
        : null,
    },
    contentInfo: body.contentInfo ?? null,
    userTimezone: body.userTimezone ?? null,
    createdDateTime: expect.stringMatching(ISO_MS),
    lastModifiedDateTime: expect.stringMatching(ISO_MS),
    expirationDateTime: expect.stringMatching(ISO_MS),
    status,
  };
}

const WRITER_STARTED_MS = Date.parse("2026-03-01T10:00:00.000Z");

/** A history-item body whose fields say which writer `n` sent it: its own start, 20 s of activity, its own time zone. */
export const writerItemBody = (n: number, overrides: Record<string, unknown> = {}) => ({
  startedDateTime: new Date(WRITER_STARTED_MS + n * 60_000).toISOString(),
  lastActiveDateTime: new Date(WRITER_STARTED_MS + n * 60_000 + 20_000).toISOString(),
  userTimezone: `writer ${n}`,
  ...overrides,
});

interface ServerFields {
  status?: "active" | "updated";
  /** createdDateTime as the service reported it. */
  created: string;
  /** lastModifiedDateTime; createdDateTime unless the item was replaced. */
  modified?: string;
  /** expirationDateTime; 30 days after createdDateTime unless the body set it. */
  expiration?: string;
}

/** What the service answers for `writerItemBody(n)` written as item `id`, given the server-owned fields it reported. */
export function writerItemResource(
  activityId: string,
  id: string,
  n: number,
  { status = "active", created, modified = created, expiration }: ServerFields,
) {
  const body = writerItemBody(n);
  return {
    "@odata.context": historyItemContext(activityId),
    id,
    status,
    userTimezone: body.userTimezone,
    createdDateTime: created,
    lastModifiedDateTime: modified,
    startedDateTime: body.startedDateTime,
    lastActiveDateTime: body.lastActiveDateTime,
    expirationDateTime: expiration ?? new Date(Date.parse(created) + 30 * DAY_MS).toISOString(),
    activeDurationSeconds: 20,
  };
}
