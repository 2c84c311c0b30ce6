import type { z } from "@hono/zod-openapi";
import { utf8 } from "../graph/encoding";
import { CLOCK_TOLERANCE_SECONDS, type Caller } from "../auth/verify-token";
import { callObject } from "../graph/call-object";
import { parseDateTime } from "../graph/dates";
import { badRequest, conflict, GraphError, quoted, toGraphError } from "../graph/errors";
import { decodeUtf8, parseStorableJson } from "../graph/json-body";
import { streamLines } from "../graph/stream-lines";
import { describeIssues } from "../graph/validation";
import { limits } from "../limits";
import { activityIdFor, activityObject } from "../objects/addresses";
import type { ActivityRestore, RestoreOutcome } from "../objects/activity-results";
import type { BodyIssue, UserKey } from "../objects/records";
import { type ActivityImportLine, activityImportLineSchema, toRestoredActivity } from "../schemas/activity";
import { bodyIssues } from "../schemas/common";
import { toRestoredHistoryItem } from "../schemas/history-item";
import type { importSummarySchema } from "../schemas/user-import";

// The import of one user's data: the export's NDJSON, read as it streams in, a line at a time, each
// line restored by its activity's own object. The Worker holds a few lines at once, however long
// the body, and a line that cannot be imported is reported with its number while the rest go on.

/** Lines being restored at once; together they hold at most limits.importLineBytes (one line always goes). */
const LINES_IN_FLIGHT = 16;

type ImportSummary = z.infer<typeof importSummarySchema>;
type LineError = ImportSummary["errors"][number];

/** Imports the lines of `body` for `user` (each line names its app); what was imported, skipped, expired or refused. */
export async function userImport(
  env: Env,
  user: UserKey,
  body: ReadableStream<Uint8Array> | null,
  requestId: string,
): Promise<ImportSummary> {
  const summary: ImportSummary = {
    linesRead: 0,
    activities: { imported: 0, skipped: 0, expired: 0 },
    historyItems: { imported: 0, skipped: 0, expired: 0 },
    failedLines: 0,
    errors: [],
  };
  const fail = (line: number, error: GraphError) => {
    summary.failedLines++;
    keepFirst(summary.errors, { line, code: error.code, message: error.message }, limits.importErrorsShown);
  };
  if (!body) return summary;
  const inFlight = new Set<Promise<void>>();
  let bytesInFlight = 0;
  for await (const { number, bytes } of streamLines(body, limits.importLineBytes)) {
    summary.linesRead = number;
    if (bytes === null) {
      fail(number, lineTooLong());
      continue;
    }
    while (inFlight.size >= LINES_IN_FLIGHT || (inFlight.size > 0 && bytesInFlight + bytes.length > limits.importLineBytes)) {
      await Promise.race(inFlight);
    }
    bytesInFlight += bytes.length;
    const task = importLine(env, user, bytes)
      .then((result) => {
        if (!result) return;
        summary.activities[result.activity]++;
        for (const outcome of OUTCOMES) summary.historyItems[outcome] += result.historyItems[outcome];
      })
      .catch((error: unknown) => fail(number, toGraphError(error, requestId)))
      .finally(() => {
        bytesInFlight -= bytes.length;
        inFlight.delete(task);
      });
    inFlight.add(task);
  }
  await Promise.all(inFlight);
  return summary;
}

const OUTCOMES: RestoreOutcome[] = ["imported", "skipped", "expired"];

const lineTooLong = () =>
  new GraphError(
    413,
    "requestTooLarge",
    `The line is longer than ${limits.importLineBytes} bytes, the most one line may hold; it was not read.`,
  );

/** One line restored by its activity's object: what became of it, or null for a blank line; throws the GraphError that refuses it. */
async function importLine(env: Env, user: UserKey, bytes: Uint8Array) {
  const text = decodeUtf8(bytes, "line");
  if (text.trim() === "") return null;
  const parsed = activityImportLineSchema.safeParse(parseStorableJson(text, "line"));
  if (!parsed.success) throw badRequest(describeIssues(bodyIssues(parsed.error.issues), "line"));
  const line = parsed.data;
  const future = futureTimeIssues(line, Date.now() + CLOCK_TOLERANCE_SECONDS * 1000);
  if (future.length > 0) throw badRequest(describeIssues(future, "line"));
  const owner: Caller = { ...user, appId: line.appId };
  const id = await activityIdFor(owner, line.appActivityId);
  if (line.id !== id) {
    throw badRequest(
      `Invalid value for 'id': expected '${id}', the id of appActivityId '${line.appActivityId}' of app '${line.appId}' for this user; an activity keeps its id only for the same tenant, user and app.`,
    );
  }
  const restore: ActivityRestore = {
    owner,
    activity: toRestoredActivity(line),
    historyItems: line.historyItems.map(toRestoredHistoryItem),
  };
  if (utf8(restore.activity.content).length > limits.bodyBytes) {
    throw new GraphError(413, "requestTooLarge", `The activity is larger than ${limits.bodyBytes} bytes, the most a PUT may store.`);
  }
  const itemIds = new Set<string>();
  for (const item of restore.historyItems) {
    if (itemIds.has(item.id)) throw badRequest(`The history item id '${item.id}' appears more than once in historyItems.`);
    itemIds.add(item.id);
  }
  const result = await callObject(activityObject(env, owner, id), (activity) => activity.restoreActivity(restore));
  if (result.kind === "conflict") throw conflict(`The activity id '${id}' is already used by another appActivityId.`);
  return result;
}

/**
 * The creation and modification times of `line` and its items later than `latestMs`: no export holds
 * a write made after it, and a time to come would win over every later import of the record.
 */
function futureTimeIssues(line: ActivityImportLine, latestMs: number): BodyIssue[] {
  const records = [{ path: [], record: line }, ...line.historyItems.map((record, n) => ({ path: ["historyItems", n], record }))];
  return records.flatMap(({ path, record }) =>
    (["createdDateTime", "lastModifiedDateTime"] as const)
      .filter((key) => parseDateTime(record[key])! > latestMs)
      .map((key) => ({
        code: "custom",
        path: [...path, key],
        message: `expected a date and time not after this import (by the service's clock, with ${CLOCK_TOLERANCE_SECONDS} seconds of skew allowed), not ${quoted(record[key])}`,
      })),
  );
}

/** Adds `error` to `errors`, kept in line order and cut to the first `max`. */
function keepFirst(errors: LineError[], error: LineError, max: number): void {
  const at = errors.findIndex((kept) => kept.line > error.line);
  errors.splice(at < 0 ? errors.length : at, 0, error);
  if (errors.length > max) errors.pop();
}
