import { callObject } from "../graph/call-object";
import { userObject } from "../objects/addresses";
import type { UserKey } from "../objects/records";
import { APPS_PER_PAGE } from "../objects/UserObject";

/**
 * The apps the user has a feed with, from their registry, in app id order, read a page at a time:
 * the first page is `first` when the caller already read it (so a store that cannot be reached
 * fails before anything else), else it is read here.
 */
export async function* registeredApps(env: Env, user: UserKey, first?: string[]): AsyncGenerator<string> {
  let apps = first ?? (await callObject(userObject(env, user), (registry) => registry.apps(null)));
  for (;;) {
    yield* apps;
    if (apps.length < APPS_PER_PAGE) return;
    const after = apps.at(-1)!;
    apps = await callObject(userObject(env, user), (registry) => registry.apps(after));
  }
}
