// The admin routes from a test: a user of an app with data, the export read line by line, and an
// erasure driven to its end.
import { evictAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { Caller } from "../../src/auth/verify-token";
import { FeedObject } from "../../src/objects/FeedObject";
import { type Answer, appActivityPath, call, freshAppActivityId, ORIGIN } from "./api";
import { activityBody } from "./builders";
import { NO_STORE, withoutContext } from "./graph";
import { userStub } from "./objects";
import { DEV_CALLER, mintAdminToken, mintToken } from "./tokens";

/** One user of one app, and a token for it. */
export interface AppUser {
  caller: Caller;
  token: string;
}

/** A user of `app` (a fresh user unless given, in the development tenant unless given), with a token for it. */
export async function appUser(app: string, user: string = crypto.randomUUID(), tenant = DEV_CALLER.tenantId): Promise<AppUser> {
  return { caller: { tenantId: tenant, userId: user, appId: app }, token: await mintToken({ tenant, user, app }) };
}

/** PUTs a fresh activity with `items` history items (deep-inserted, 100 per request) and returns its id. */
export async function seedActivity(who: AppUser, items = 0): Promise<string> {
  const path = appActivityPath(freshAppActivityId());
  const historyItem = (n: number) => ({
    startedDateTime: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
    userTimezone: `session ${n}`,
  });
  const batch = (from: number) => Array.from({ length: Math.min(items - from, 100) }, (_, n) => historyItem(from + n));
  let answer = await call("PUT", path, { token: who.token, body: activityBody({ historyItems: batch(0) }) });
  expect(answer.status).toBe(201);
  for (let done = 100; done < items; done += 100) {
    answer = await call("PUT", path, { token: who.token, body: activityBody({ historyItems: batch(done) }) });
    expect(answer.status).toBe(200);
  }
  return answer.body.id;
}

/** The path of the export of `user`. */
export const exportPath = (user: string) => `/admin/users/${encodeURIComponent(user)}/activities`;

/**
 * The export of `user` (by the development tenant's administrator unless `token` says otherwise),
 * as its lines exactly as sent, each without its newline; checked complete.
 */
export async function exportLines(user: string, token?: string): Promise<string[]> {
  const response = await exports.default.fetch(
    new Request(`${ORIGIN}${exportPath(user)}`, { headers: { Authorization: `Bearer ${token ?? (await mintAdminToken())}` } }),
  );
  const text = new TextDecoder().decode(await response.arrayBuffer());
  expect({
    status: response.status,
    contentType: response.headers.get("content-type"),
    cacheControl: response.headers.get("cache-control"),
    contentTypeOptions: response.headers.get("x-content-type-options"),
  }).toEqual({ status: 200, contentType: "application/x-ndjson", ...NO_STORE });
  if (text === "") return [];
  // A complete export ends with a newline.
  expect(text.at(-1)).toBe("\n");
  return text.slice(0, -1).split("\n");
}

/** The export of `user` (by the development tenant's administrator unless `token` says otherwise), as its lines, each parsed. */
export async function exportOf(user: string, token?: string): Promise<Record<string, unknown>[]> {
  return (await exportLines(user, token)).map((line) => JSON.parse(line));
}

/** Imports `body` (NDJSON: lines, each then given its newline, or the text as is) for `user`, as the development tenant's administrator. */
export async function importInto(user: string, body: string[] | BodyInit, token?: string): Promise<Answer> {
  return call("POST", exportPath(user), {
    token: token ?? (await mintAdminToken()),
    raw: Array.isArray(body) ? body.map((line) => `${line}\n`).join("") : body,
    headers: { "Content-Type": "application/x-ndjson" },
  });
}

/** Erases everything of `user` as their tenant's administrator, and runs the erasure to its end; returns the operation. */
export async function eraseUser(user: Pick<Caller, "tenantId" | "userId">): Promise<Answer> {
  const requested = await call("DELETE", `/admin/users/${user.userId}`, { token: await mintAdminToken({ tenant: user.tenantId }) });
  expect(requested.status).toBe(202);
  const done = await runErasure(user, requested.headers.get("Location")!);
  expect(done.body.status).toBe("succeeded");
  return done;
}

/** What the user's own routes return for an activity: GET with $expand=historyItems, without @odata.context. */
export async function ownView(who: AppUser, id: string): Promise<Record<string, unknown>> {
  const answer = await call("GET", `/v1.0/me/activities/${id}?$expand=historyItems`, { token: who.token });
  expect(answer.status).toBe(200);
  return withoutContext(answer.body);
}

/** The operation at an erasure's Location, as its tenant's administrator reads it. */
export const operationAt = async (location: string, tenant = DEV_CALLER.tenantId): Promise<Answer> =>
  call("GET", new URL(location).pathname, { token: await mintAdminToken({ tenant }) });

/**
 * Runs the user's registry alarm until the erasure at `location` reports succeeded (at most `runs`
 * times), evicting every object between runs; returns the operation.
 */
export async function runErasure(user: Pick<Caller, "tenantId" | "userId">, location: string, runs = 20): Promise<Answer> {
  for (let run = 0; run < runs; run++) {
    const operation = await operationAt(location, user.tenantId);
    if (operation.body?.status !== "running") return operation;
    await evictAllDurableObjects();
    await runDurableObjectAlarm(userStub(user));
  }
  throw new Error(`the erasure of ${user.userId} did not finish within ${runs} alarm runs`);
}

/** Holds every erasure job at its first step (each feed's beginErasure) until the returned function is called; restore mocks after. */
export function holdErasureAtFirstStep(): () => void {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const begin = FeedObject.prototype.beginErasure;
  vi.spyOn(FeedObject.prototype, "beginErasure").mockImplementation(async function (this: FeedObject, beforeMs: number) {
    await released;
    return begin.call(this, beforeMs);
  });
  return release;
}
