import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { jsonContent } from "../schemas/common";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { callObject } from "../graph/call-object";
import { invalidDeltaToken, syncStateNotFound } from "../graph/errors";
import { activitiesPath, collectionText, odataContext, selectProperties } from "../graph/odata";
import { validationHook } from "../graph/validation";
import { limits } from "../limits";
import { feedObject } from "../objects/addresses";
import type { DeltaChange } from "../objects/feed-stream";
import { type ActivityResource, activitySchema, activitySelectable } from "../schemas/activity";
import { errorResponses } from "../schemas/error";
import { historyItemSelectable } from "../schemas/history-item";
import { deltatokenOption, expandOption, queryOptions, selectOption, skiptokenOption } from "../schemas/query";
import { expandPage } from "./expand";

// GET /activities/delta: Graph's delta query over the caller's feed (ours: Graph offers none for
// activities). The feed's change stream does the work; this route shapes Graph's answer.

/** The first request's shaping options, which the tokens carry: repeated on a link, they are ignored. */
const shapeOptions = queryOptions({ $select: selectOption(activitySelectable), $expand: expandOption(historyItemSelectable) });

const deltaQuery = queryOptions({
  ...shapeOptions.shape,
  $skiptoken: skiptokenOption,
  $deltatoken: deltatokenOption,
});

/** A removed activity, as Graph's delta writes one. */
const removedSchema = z.object({ id: z.string(), "@removed": z.object({ reason: z.literal("deleted") }) });

const deltaSchema = z
  .object({
    "@odata.context": z.string(),
    value: z.array(z.union([activitySchema, removedSchema])),
    "@odata.nextLink": z.string().optional(),
    "@odata.deltaLink": z.string().optional(),
  })
  .openapi("userActivityDeltaCollection");

const DELTA_PATHS = ["/activities/delta", "/activities/delta()", "/activities/microsoft.graph.delta()"];

const deltaOperations = DELTA_PATHS.map((path, index) =>
  createRoute({
    method: "get",
    path,
    hide: index > 0,
    tags: ["continuity"],
    summary: "Track changes to the caller's activities (delta query)",
    description:
      "A first round lists every live activity, a page at a time (@odata.nextLink), and ends with @odata.deltaLink; " +
      "a GET on that link lists every activity changed since, deleted or expired ones as {id, @removed}. " +
      "Page size: Prefer: odata.maxpagesize=N. Not in Graph's reference for activities (ours).",
    request: {
      query: deltaQuery,
      headers: z.object({
        Prefer: z.string().optional().openapi({ description: "odata.maxpagesize=N: at most N activities a page." }),
      }),
    },
    responses: {
      200: { description: "One page of the round.", content: jsonContent(deltaSchema) },
      ...errorResponses(400, 410, 429),
    },
  }),
);

/** The page size a `Prefer` header asks for (odata.maxpagesize), or null. */
function maxPageSize(prefer: string | undefined): number | null {
  for (const preference of (prefer ?? "").split(",")) {
    const match = /^\s*odata\.maxpagesize\s*=\s*"?(\d{1,9})"?\s*$/i.exec(preference);
    if (match && Number(match[1]) > 0) return Number(match[1]);
  }
  return null;
}

/** The link that continues with `option` = `token`: the request's own path, with nothing else (the token carries the options). */
function link(c: Context<AppEnv>, option: "$skiptoken" | "$deltatoken", token: string): string {
  const url = new URL(c.req.url);
  return `${url.origin}${url.pathname}?${option}=${encodeURIComponent(token)}`;
}

const removed = (id: string) => ({ id, "@removed": { reason: "deleted" as const } });

/** One page of a delta round in Graph's shape. */
async function deltaPage(c: Context<AppEnv>, options: z.output<typeof deltaQuery>) {
  const caller = c.get("caller");
  const asked = maxPageSize(c.req.header("Prefer"));
  const top = Math.min(asked ?? limits.deltaPageDefault, limits.deltaPageMax);
  const latest = options.$deltatoken === "latest";
  const token = options.$skiptoken ?? (latest ? null : options.$deltatoken);
  const shape = JSON.stringify({ $select: c.req.query("$select"), $expand: c.req.query("$expand") });
  const page = await callObject(feedObject(c.env, caller), (feed) =>
    feed.delta({ owner: caller, token, latest, shape, top, tokensAfter: options.$expand !== null }),
  );
  if (page.kind === "bad-token") throw invalidDeltaToken();
  const carried = carriedShape(page.shape ?? "{}");
  if (carried === undefined) throw invalidDeltaToken();
  if (page.kind === "gone") throw syncStateNotFound(restartUrl(new URL(c.req.url), carried.sent));

  if (asked !== null) c.header("Preference-Applied", `odata.maxpagesize=${top}`);
  const { $select: select, $expand: expand } = carried.options;
  const context = odataContext(c.req.url, `${activitiesPath(c.get("pathUser"))}/$delta`);
  // The round continues (nextLink), or, ended, the next round starts at its deltaLink.
  const links = (nextCursor: string | null) => ({
    "@odata.nextLink": nextCursor === null ? null : link(c, "$skiptoken", nextCursor),
    // A page cut short by its expansion continues the round, even where the round itself had ended.
    "@odata.deltaLink": nextCursor === null && page.deltaToken !== null ? link(c, "$deltatoken", page.deltaToken) : null,
  });
  if (!expand && !select) {
    // The feed's texts joined into the page as they are, parsed and written again by nobody.
    const members = page.changes.map((change) => ("removed" in change ? JSON.stringify(removed(change.id)) : change.resource));
    // The same answer as c.json's, built from text: the typed router cannot see that (hence the cast).
    return c.body(collectionText({ "@odata.context": context }, members, links(page.nextToken)), 200, {
      "Content-Type": "application/json",
    }) as never;
  }
  const entry = (change: DeltaChange, resource: ActivityResource | null) =>
    resource === null ? removed(change.id) : selectProperties(resource, select);
  const { value, nextCursor } = expand
    ? await expandPage(
        c.env,
        caller,
        page.changes.map((change) => ({ id: "removed" in change ? null : change.id, entry: (expanded) => entry(change, expanded) })),
        expand,
        { cursorsAfter: page.tokensAfter, nextCursor: page.nextToken },
      )
    : {
        value: page.changes.map((change) => entry(change, "removed" in change ? null : (JSON.parse(change.resource) as ActivityResource))),
        nextCursor: page.nextToken,
      };
  const { "@odata.nextLink": next, "@odata.deltaLink": delta } = links(nextCursor);
  const body: z.infer<typeof deltaSchema> = { "@odata.context": context, value };
  if (next !== null) body["@odata.nextLink"] = next;
  else if (delta !== null) body["@odata.deltaLink"] = delta;
  return c.json(body, 200);
}

/**
 * The first request's options a token carries: as sent, and parsed. Undefined when they are not
 * options this route writes, as in a token nobody sealed (the origin token travels unsealed, and a
 * gone token is read before its seal): such a token is a bad one.
 */
function carriedShape(shape: string) {
  let sent: unknown;
  try {
    sent = JSON.parse(shape);
  } catch {
    return undefined;
  }
  const parsed = shapeOptions.safeParse(sent);
  return parsed.success ? { sent: sent as Record<string, string | undefined>, options: parsed.data } : undefined;
}

/** The first request of a round, with the options the stale token carried, for a client to start over. */
function restartUrl(url: URL, sent: Record<string, string | undefined>): string {
  const options = Object.entries(sent).filter(([, value]) => value !== undefined);
  const query = options.map(([name, value]) => `${name}=${encodeURIComponent(value!)}`).join("&");
  return `${url.origin}${url.pathname}${query ? `?${query}` : ""}`;
}

/** GET /activities/delta and its function spellings. */
export const deltaRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
for (const operation of deltaOperations) deltaRoutes.openapi(operation, (c) => deltaPage(c, c.req.valid("query")));
