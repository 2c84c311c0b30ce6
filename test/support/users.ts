// A caller of one's own for the tests of the typed SDKs' surface, and what it writes, on the
// shared support: each test its own user, so that no test shares a feed or an object with another.
import { expect } from "vitest";
import type { Caller } from "../../src/auth/verify-token";
import { type Answer, call, createActivity, freshAppActivityId, appActivityPath, historyItemsPath } from "./api";
import { activityBody } from "./builders";
import { jsonAnswer, seen, withoutContext } from "./graph";
import { storedRows } from "./objects";
import { callerFor, mintToken, type TokenOptions } from "./tokens";

export interface TestUser {
  oid: string;
  as: TokenOptions;
  caller: Caller;
}

/** A fresh user; `claims` adds to the token (a upn, a preferred_username). */
export function freshUser(claims: Record<string, unknown> = {}): TestUser {
  const oid = crypto.randomUUID();
  return { oid, as: { user: oid, claims }, caller: callerFor({ user: oid }) };
}

/** A fresh user with a token and one activity created through the API. */
export async function freshUserWithActivity() {
  const user = crypto.randomUUID();
  const token = await mintToken({ user });
  const id = await createActivity({ token });
  return { user, token, caller: callerFor({ user }), id };
}

/** Asserts a JSON answer whole: status, JSON, the ids in its headers, and this body. */
export function expectJson(answer: Answer, status: number, body: unknown) {
  expect(seen(answer)).toEqual(jsonAnswer(status, body, answer));
}

/** PUTs a fresh activity for the user (`overrides` on a minimal valid body); the resource, without @odata.context. */
export async function putActivity(user: TestUser, overrides: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const answer = await call("PUT", appActivityPath(freshAppActivityId()), { as: user.as, body: activityBody(overrides) });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return withoutContext(answer.body);
}

/**
 * PUTs `n` fresh activities for the user, one after another; their resources (without @odata.context),
 * in the order written: the order a delta round walks them, as each was last changed by its PUT.
 */
export async function createActivities(user: TestUser, n: number): Promise<Record<string, any>[]> {
  const created: Record<string, any>[] = [];
  for (let k = 0; k < n; k++) created.push(await putActivity(user, { visualElements: { displayText: `activity ${k}` } }));
  return created;
}

/** POSTs a history item to the user's activity; the item, without @odata.context. */
export async function postItem(user: TestUser, activityId: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const answer = await call("POST", historyItemsPath(activityId), { as: user.as, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return withoutContext(answer.body);
}

/** Every row the user's activity object holds, to show what a request stored or did not. */
export const rowsOf = (user: TestUser, activityId: string) => storedRows(activityId, user.caller);

/** Lets the clock move on, so that the next write gets a later millisecond. */
export const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
