// The admin routes from a test: a user of an app with data, the export read line by line, and an
// erasure driven to its end.
import { evictAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { Caller } from "../../src/auth/verify-token";
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

/** The export of `user` (by the development tenant's administrator unless `token` says otherwise), as its lines, each parsed. */
export async function exportOf(user: string, token?: string): Promise<Record<string, unknown>[]> {
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
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line));
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
