import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Answer, call, DAY_MS, GUID } from "./support/api";
import { activityResource } from "./support/builders";
import {
  activitiesContext,
  activityContext,
  expectGraphError,
  historyItemContext,
  historyItemsContext,
  madeBetween,
  withoutContext,
} from "./support/graph";
import { activityStub, feedStub, HOLDS_NOTHING, storageOf } from "./support/objects";
import { callerFor, mintToken } from "./support/tokens";

// Each run is a fresh user of the development tenant and app, so that it starts from an empty feed.
const LIFETIME_MS = 30 * DAY_MS;
const INT32_MAX = 2_147_483_647;

/** A small pool, so that commands collide: the same activity, the same item, again and again. */
const APP_ACTIVITY_IDS = ["/article?12345", "level 2 — ünïcødé ✓", "100%/?#&="];
const ITEM_IDS = ["5c9b04c6-decf-44fb-bf15-34ccb10fa1f7", "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"];
/** An activity id that no PUT returned: what a client uses for an activity it never created. */
const neverCreatedId = (index: number) => String(1000 + index);

// ---------------------------------------------------------------------------------------------
// The bodies the client controls.

type ActivityBody = Record<string, any>;
type ItemBody = Record<string, any>;

/** Absent, null or a value: the spec treats the first two alike for an optional property. */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), arb);

const text = (maxLength: number) => fc.string({ unit: "grapheme", maxLength });

const activityBodyArb: fc.Arbitrary<ActivityBody> = fc.record({
  activitySourceHost: fc.constantFrom("https://www.contoso.com", "http://localhost:8787"),
  activationUrl: fc.constantFrom("https://www.contoso.com/article?12345", "contoso-app://open/doc/1"),
  appDisplayName: optional(text(20)),
  fallbackUrl: optional(fc.constant("https://www.contoso.com/fallback")),
  contentUrl: optional(fc.webUrl()),
  visualElements: fc.record({
    displayText: text(20).filter((value) => value.length > 0),
    description: optional(text(20)),
    backgroundColor: optional(fc.constantFrom("#ff0000", "#0F0")),
    content: optional(fc.jsonValue({ maxDepth: 2 })),
    attribution: optional(
      fc.record({
        iconUrl: optional(fc.constant("https://www.contoso.com/icon.png")),
        alternateText: optional(text(10)),
        // Graph's imageInfo has both spellings.
        alternativeText: optional(text(10)),
        addImageQuery: optional(fc.boolean()),
      }),
    ),
  }),
  contentInfo: optional(fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 })),
  userTimezone: optional(text(16)),
});

const FROM_MS = Date.parse("2020-01-01T00:00:00Z");
const FAR_FUTURE_MS = Date.parse("2090-01-01T00:00:00Z");

const itemBodyArb: fc.Arbitrary<ItemBody> = fc
  .record({
    started: fc.integer({ min: FROM_MS, max: FROM_MS + 3650 * DAY_MS }),
    lastActiveAfterMs: optional(fc.integer({ min: 0, max: 10_000_000 })),
    activeDurationSeconds: optional(fc.integer({ min: 0, max: INT32_MAX })),
    // Always in the future: an item that is born expired is not what this model is about.
    expiresAfterDays: optional(fc.integer({ min: 0, max: 3650 })),
    userTimezone: optional(text(16)),
  })
  .map(({ started, lastActiveAfterMs, activeDurationSeconds, expiresAfterDays, userTimezone }) => ({
    startedDateTime: new Date(started).toISOString(),
    lastActiveDateTime: lastActiveAfterMs == null ? lastActiveAfterMs : new Date(started + lastActiveAfterMs).toISOString(),
    activeDurationSeconds,
    expirationDateTime: expiresAfterDays == null ? expiresAfterDays : new Date(FAR_FUTURE_MS + expiresAfterDays * DAY_MS).toISOString(),
    userTimezone,
  }));

/** A value as it is after a trip through JSON (undefined members vanish, -0 is 0). */
const asJson = (value: unknown): any => JSON.parse(JSON.stringify(value) ?? "null");

// ---------------------------------------------------------------------------------------------
// The model.

interface ItemState {
  body: ItemBody;
  status: "active" | "updated";
  created: string;
  lastModified: string;
}

interface ActivityState {
  body: ActivityBody;
  status: "active" | "updated";
  created: string;
  /** The lastModifiedDateTime of the last PUT of the activity. */
  lastModified: string;
  /** By lowercase id. */
  items: Map<string, ItemState>;
}

interface Model {
  activities: Map<number, ActivityState>;
  /** The server id each appActivityId got from its first PUT (the same for ever after). */
  serverIds: Map<number, string>;
}

interface Real {
  user: string;
  token: string;
}

const activityIdOf = (model: Model, index: number) => model.serverIds.get(index) ?? neverCreatedId(index);
const activityPath = (index: number) => `/v1.0/me/activities/${encodeURIComponent(APP_ACTIVITY_IDS[index]!)}`;
const itemsPath = (model: Model, index: number) => `/v1.0/me/activities/${activityIdOf(model, index)}/historyItems`;
const itemEntityContext = (real: Real, model: Model, index: number) => historyItemContext(activityIdOf(model, index), { user: real.user });

const iso = (ms: number) => new Date(ms).toISOString();

/** The item as the service must show it. */
function expectedItem(id: string, state: ItemState) {
  const body = state.body;
  const startedMs = Date.parse(body.startedDateTime);
  const lastActiveMs = body.lastActiveDateTime == null ? null : Date.parse(body.lastActiveDateTime);
  return {
    id,
    status: state.status,
    userTimezone: body.userTimezone ?? null,
    createdDateTime: state.created,
    lastModifiedDateTime: state.lastModified,
    startedDateTime: iso(startedMs),
    lastActiveDateTime: lastActiveMs === null ? null : iso(lastActiveMs),
    expirationDateTime:
      body.expirationDateTime == null ? iso(Date.parse(state.created) + LIFETIME_MS) : iso(Date.parse(body.expirationDateTime)),
    activeDurationSeconds: body.activeDurationSeconds ?? (lastActiveMs === null ? null : Math.floor((lastActiveMs - startedMs) / 1000)),
  };
}

/** The activity as the service must show it; its lastModifiedDateTime is checked apart (see expectActivityTimes). */
function expectedActivity(model: Model, index: number, state: ActivityState) {
  return {
    ...withoutContext(activityResource(APP_ACTIVITY_IDS[index]!, asJson(state.body), { status: state.status })),
    id: model.serverIds.get(index),
    createdDateTime: state.created,
  };
}

/**
 * lastModifiedDateTime is set by every PUT of the activity (whether a history item write also
 * counts as one the spec leaves open: at least the last PUT's), and expiry is 30 days after it.
 */
function expectActivityTimes(resource: any, state: ActivityState) {
  expect(Date.parse(resource.lastModifiedDateTime)).toBeGreaterThanOrEqual(Date.parse(state.lastModified));
  expect(Date.parse(resource.expirationDateTime) - Date.parse(resource.lastModifiedDateTime)).toBe(LIFETIME_MS);
}

/** Compares collections whatever their order (the order is checked apart). */
const byId = <T extends { id: string }>(items: T[]) => [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

function expectNewestFirst(resources: { lastModifiedDateTime: string }[]) {
  const times = resources.map((resource) => Date.parse(resource.lastModifiedDateTime));
  expect(times).toEqual([...times].sort((a, b) => b - a));
}

/** A server time taken while the request was in flight. */
const expectDuring = (text: string, window: Window) => expect(text).toEqual(madeBetween(window.before, window.after));

/** Whether `actual` equals `expected` (asymmetric matchers allowed). */
function matches(actual: unknown, expected: unknown): boolean {
  try {
    expect(actual).toEqual(expected);
    return true;
  } catch {
    return false;
  }
}

/** Graph's error envelope with this status and code; the message is the route tests' concern. */
const expectError = (answer: Answer, status: number, code: string) => expectGraphError(answer, status, code, /\S/);

// ---------------------------------------------------------------------------------------------
// Commands. Each sends one request, then checks the answer against the model and updates it;
// the two halves are apart so that several can be sent at once and checked after.

interface Window {
  before: number;
  after: number;
}

/** Which item a command names: one of the pool (in either case), or the nth the model has. */
type ItemTarget = { pool: number; upperCase: boolean } | { existing: number };

/** The id to put in the URL and the model's (lowercase) key. */
function resolveItem(model: Model, activity: number, target: ItemTarget): { url: string; key: string } {
  if ("pool" in target) {
    const id = ITEM_IDS[target.pool]!;
    return { url: target.upperCase ? id.toUpperCase() : id, key: id };
  }
  const ids = [...(model.activities.get(activity)?.items.keys() ?? [])].sort();
  const id = ids.length ? ids[target.existing % ids.length]! : ITEM_IDS[target.existing % ITEM_IDS.length]!;
  return { url: id, key: id };
}

/** What a command touches, for running several at once only where the outcome does not depend on their order. */
interface Footprint {
  activity: number;
  item?: string;
  /** Reads or writes the whole activity. */
  exclusive: boolean;
}

const clash = (a: Footprint, b: Footprint) =>
  a.activity === b.activity && (a.exclusive || b.exclusive || (a.item !== undefined && a.item === b.item));

/** A step with its targets resolved against the model as it was before the request. */
interface Bound {
  footprint: Footprint;
  send(real: Real): Promise<Answer>;
  /** Checks the answer against the model, then brings the model up to date. */
  verify(model: Model, real: Real, answer: Answer, window: Window): void;
}

const send = (real: Real, method: string, path: string, body?: unknown) =>
  call(method, path, { token: real.token, ...(body === undefined ? {} : { body }) });

/** One request; as a fast-check command it runs alone, and Concurrently runs several at once. */
abstract class Step implements fc.AsyncCommand<Model, Real> {
  abstract bind(model: Model): Bound;
  abstract toString(): string;
  check() {
    return true;
  }
  async run(model: Model, real: Real) {
    const bound = this.bind(model);
    const before = Date.now();
    const answer = await bound.send(real);
    bound.verify(model, real, answer, { before, after: Date.now() });
  }
}

class PutActivity extends Step {
  constructor(
    readonly activity: number,
    readonly body: ActivityBody,
    /** Deep-inserted items, each naming a different pool item. */
    readonly items: { pool: number; upperCase: boolean; body: ItemBody }[] | null,
  ) {
    super();
  }
  bind(): Bound {
    const historyItems = this.items?.map((item) => ({
      ...item.body,
      id: item.upperCase ? ITEM_IDS[item.pool]!.toUpperCase() : ITEM_IDS[item.pool],
    }));
    return {
      footprint: { activity: this.activity, exclusive: true },
      send: (real) => send(real, "PUT", activityPath(this.activity), { ...this.body, ...(historyItems ? { historyItems } : {}) }),
      verify: (model, real, answer, window) => {
        const previous = model.activities.get(this.activity);
        expect(answer.status, JSON.stringify(answer.body)).toBe(previous ? 200 : 201);
        if (!model.serverIds.has(this.activity)) {
          expect(answer.body.id).toMatch(/^\d{1,20}$/);
          model.serverIds.set(this.activity, answer.body.id);
        }
        expectDuring(answer.body.lastModifiedDateTime, window);
        if (!previous) expect(answer.body.createdDateTime).toBe(answer.body.lastModifiedDateTime);
        const state: ActivityState = {
          body: this.body,
          status: previous ? "updated" : "active",
          created: previous?.created ?? answer.body.createdDateTime,
          lastModified: answer.body.lastModifiedDateTime,
          items: previous?.items ?? new Map(),
        };
        expect(answer.body).toEqual({
          "@odata.context": activityContext({ user: real.user }),
          ...expectedActivity(model, this.activity, state),
          ...(this.items ? { historyItems: expect.any(Array) } : {}),
        });
        expectActivityTimes(answer.body, state);
        if (this.items) {
          // The deep-inserted items as written: exactly these ids, in lowercase, each created or replaced.
          const answered = new Map<string, { createdDateTime: string; lastModifiedDateTime: string }>(
            answer.body.historyItems.map((item: { id: string; createdDateTime: string; lastModifiedDateTime: string }) => [item.id, item]),
          );
          expect([...answered.keys()].sort()).toEqual(this.items.map((item) => ITEM_IDS[item.pool]!).sort());
          const written = this.items.map((item) => {
            const key = ITEM_IDS[item.pool]!;
            const before = state.items.get(key);
            const { createdDateTime, lastModifiedDateTime } = answered.get(key)!;
            expectDuring(lastModifiedDateTime, window);
            const itemState: ItemState = {
              body: item.body,
              status: before ? "updated" : "active",
              created: before?.created ?? createdDateTime,
              lastModified: lastModifiedDateTime,
            };
            return [key, itemState] as const;
          });
          expect(byId(answer.body.historyItems)).toEqual(byId(written.map(([key, itemState]) => expectedItem(key, itemState))));
          for (const [key, itemState] of written) state.items.set(key, itemState);
        }
        model.activities.set(this.activity, state);
      },
    };
  }
  toString() {
    return `PutActivity(${this.activity}, ${JSON.stringify(this.body)}${this.items ? `, items ${JSON.stringify(this.items)}` : ""})`;
  }
}

class DeleteActivity extends Step {
  constructor(readonly activity: number) {
    super();
  }
  bind(model: Model): Bound {
    const path = `/v1.0/me/activities/${activityIdOf(model, this.activity)}`;
    return {
      footprint: { activity: this.activity, exclusive: true },
      send: (real) => send(real, "DELETE", path),
      verify: (model, _real, answer) => {
        if (!model.activities.has(this.activity)) return expectError(answer, 404, "itemNotFound");
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 204, body: null });
        model.activities.delete(this.activity);
      },
    };
  }
  toString() {
    return `DeleteActivity(${this.activity})`;
  }
}

class GetActivity extends Step {
  constructor(
    readonly activity: number,
    readonly expand: boolean,
  ) {
    super();
  }
  bind(model: Model): Bound {
    const path = `/v1.0/me/activities/${activityIdOf(model, this.activity)}${this.expand ? "?$expand=historyItems" : ""}`;
    return {
      footprint: { activity: this.activity, exclusive: true },
      send: (real) => send(real, "GET", path),
      verify: (model, real, answer) => {
        const state = model.activities.get(this.activity);
        if (!state) return expectError(answer, 404, "itemNotFound");
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({
          "@odata.context": activityContext({ user: real.user }),
          ...expectedActivity(model, this.activity, state),
          ...(this.expand ? { historyItems: expect.any(Array) } : {}),
        });
        expectActivityTimes(answer.body, state);
        if (this.expand) expect(byId(answer.body.historyItems)).toEqual(byId([...state.items].map(([id, item]) => expectedItem(id, item))));
      },
    };
  }
  toString() {
    return `GetActivity(${this.activity}${this.expand ? ", $expand" : ""})`;
  }
}

class PostItem extends Step {
  constructor(
    readonly activity: number,
    /** null: the service makes the id. */
    readonly target: ItemTarget | null,
    readonly body: ItemBody,
  ) {
    super();
  }
  bind(model: Model): Bound {
    const item = this.target ? resolveItem(model, this.activity, this.target) : null;
    const path = itemsPath(model, this.activity);
    return {
      footprint: { activity: this.activity, ...(item ? { item: item.key } : {}), exclusive: false },
      send: (real) => send(real, "POST", path, { ...this.body, ...(item ? { id: item.url } : {}) }),
      verify: (model, real, answer, window) => {
        const state = model.activities.get(this.activity);
        if (!state) return expectError(answer, 404, "itemNotFound");
        if (item && state.items.has(item.key)) return expectError(answer, 409, "conflict");
        expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        const key: string = item?.key ?? answer.body.id;
        expect(key).toMatch(GUID);
        expect(state.items.has(key)).toBe(false);
        expectDuring(answer.body.createdDateTime, window);
        const created = answer.body.createdDateTime;
        const written: ItemState = { body: this.body, status: "active", created, lastModified: created };
        expect(answer.body).toEqual({ "@odata.context": itemEntityContext(real, model, this.activity), ...expectedItem(key, written) });
        state.items.set(key, written);
      },
    };
  }
  toString() {
    return `PostItem(${this.activity}, ${JSON.stringify(this.target)}, ${JSON.stringify(this.body)})`;
  }
}

class PutItem extends Step {
  constructor(
    readonly activity: number,
    readonly target: ItemTarget,
    readonly body: ItemBody,
  ) {
    super();
  }
  bind(model: Model): Bound {
    const { url, key } = resolveItem(model, this.activity, this.target);
    const path = `${itemsPath(model, this.activity)}/${url}`;
    return {
      footprint: { activity: this.activity, item: key, exclusive: false },
      send: (real) => send(real, "PUT", path, this.body),
      verify: (model, real, answer, window) => {
        const state = model.activities.get(this.activity);
        if (!state) return expectError(answer, 404, "itemNotFound");
        const previous = state.items.get(key);
        expect(answer.status, JSON.stringify(answer.body)).toBe(previous ? 200 : 201);
        expectDuring(answer.body.lastModifiedDateTime, window);
        const written: ItemState = {
          body: this.body,
          status: previous ? "updated" : "active",
          created: previous?.created ?? answer.body.lastModifiedDateTime,
          lastModified: answer.body.lastModifiedDateTime,
        };
        expect(answer.body).toEqual({ "@odata.context": itemEntityContext(real, model, this.activity), ...expectedItem(key, written) });
        state.items.set(key, written);
      },
    };
  }
  toString() {
    return `PutItem(${this.activity}, ${JSON.stringify(this.target)}, ${JSON.stringify(this.body)})`;
  }
}

class DeleteItem extends Step {
  constructor(
    readonly activity: number,
    readonly target: ItemTarget,
  ) {
    super();
  }
  bind(model: Model): Bound {
    const { url, key } = resolveItem(model, this.activity, this.target);
    const path = `${itemsPath(model, this.activity)}/${url}`;
    return {
      footprint: { activity: this.activity, item: key, exclusive: false },
      send: (real) => send(real, "DELETE", path),
      verify: (model, _real, answer) => {
        const state = model.activities.get(this.activity);
        if (!state?.items.has(key)) return expectError(answer, 404, "itemNotFound");
        expect({ status: answer.status, body: answer.body }).toEqual({ status: 204, body: null });
        state.items.delete(key);
      },
    };
  }
  toString() {
    return `DeleteItem(${this.activity}, ${JSON.stringify(this.target)})`;
  }
}

class GetItem extends Step {
  constructor(
    readonly activity: number,
    readonly target: ItemTarget,
  ) {
    super();
  }
  bind(model: Model): Bound {
    const { url, key } = resolveItem(model, this.activity, this.target);
    const path = `${itemsPath(model, this.activity)}/${url}`;
    return {
      footprint: { activity: this.activity, item: key, exclusive: false },
      send: (real) => send(real, "GET", path),
      verify: (model, real, answer) => {
        const item = model.activities.get(this.activity)?.items.get(key);
        if (!item) return expectError(answer, 404, "itemNotFound");
        expect({ status: answer.status, body: answer.body }).toEqual({
          status: 200,
          body: { "@odata.context": itemEntityContext(real, model, this.activity), ...expectedItem(key, item) },
        });
      },
    };
  }
  toString() {
    return `GetItem(${this.activity}, ${JSON.stringify(this.target)})`;
  }
}

class ListItems extends Step {
  constructor(readonly activity: number) {
    super();
  }
  bind(model: Model): Bound {
    const path = `${itemsPath(model, this.activity)}?$top=1000`;
    return {
      footprint: { activity: this.activity, exclusive: true },
      send: (real) => send(real, "GET", path),
      verify: (model, real, answer) => {
        const state = model.activities.get(this.activity);
        if (!state) return expectError(answer, 404, "itemNotFound");
        expect(answer.status).toBe(200);
        expect(answer.body).toEqual({
          "@odata.context": historyItemsContext(activityIdOf(model, this.activity), { user: real.user }),
          value: expect.any(Array),
        });
        expect(byId(answer.body.value)).toEqual(byId([...state.items].map(([id, item]) => expectedItem(id, item))));
        expectNewestFirst(answer.body.value);
      },
    };
  }
  toString() {
    return `ListItems(${this.activity})`;
  }
}

/** GET /me/activities: exactly the model's live activities, newest first. Reads every activity, so it runs alone. */
class ListActivities implements fc.AsyncCommand<Model, Real> {
  check() {
    return true;
  }
  async run(model: Model, real: Real) {
    const answer = await send(real, "GET", "/v1.0/me/activities?$top=200");
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ "@odata.context": activitiesContext({ user: real.user }), value: expect.any(Array) });
    const expected = [...model.activities].map(([index, state]) => expectedActivity(model, index, state));
    expect(byId(answer.body.value)).toEqual(byId(expected as { id: string }[]));
    for (const resource of answer.body.value) {
      const index = [...model.serverIds].find(([, id]) => id === resource.id)![0];
      expectActivityTimes(resource, model.activities.get(index)!);
    }
    expectNewestFirst(answer.body.value);
  }
  toString() {
    return "ListActivities()";
  }
}

const stubFor = (real: Real, activityId: string) => activityStub(activityId, callerFor({ user: real.user }));
const feedStubFor = (real: Real) => feedStub(callerFor({ user: real.user }));

/** Time passes for one item: its expiration_ms moves to the past (and, when told, the alarm runs). Invisible from then on. */
class ExpireItem implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly activity: number,
    readonly nth: number,
    readonly runAlarm: boolean,
  ) {}
  check(model: Model) {
    return (model.activities.get(this.activity)?.items.size ?? 0) > 0;
  }
  async run(model: Model, real: Real) {
    const { key } = resolveItem(model, this.activity, { existing: this.nth });
    const activityId = activityIdOf(model, this.activity);
    const stub = stubFor(real, activityId);
    const rewritten = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec("UPDATE history_item SET expiration_ms = ? WHERE id = ? RETURNING id", Date.now() - 1, key).toArray(),
    );
    expect(rewritten).toEqual([{ id: key }]);
    if (this.runAlarm) {
      // It may have fired on its own already (a write re-arms it at the earliest expiry): either way the row is gone.
      await runDurableObjectAlarm(stub);
      const left = await runInDurableObject(stub, (_instance, state) =>
        state.storage.sql.exec("SELECT id FROM history_item WHERE id = ?", key).toArray(),
      );
      expect(left).toEqual([]);
    }
    model.activities.get(this.activity)!.items.delete(key);
    expectError(await send(real, "GET", `${itemsPath(model, this.activity)}/${key}`), 404, "itemNotFound");
  }
  toString() {
    return `ExpireItem(${this.activity}, ${this.nth}${this.runAlarm ? ", alarm" : ""})`;
  }
}

/**
 * Time passes for one activity: its expiration_ms, and its feed entry's (which a real expiry
 * reaches at the same instant), move to the past. It and its items are invisible from then on.
 */
class ExpireActivity implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly activity: number,
    readonly runAlarm: boolean,
  ) {}
  check(model: Model) {
    return model.activities.has(this.activity);
  }
  async run(model: Model, real: Real) {
    const activityId = activityIdOf(model, this.activity);
    const stub = stubFor(real, activityId);
    const past = Date.now() - 1;
    const rewritten = await runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec("UPDATE activity SET expiration_ms = ? RETURNING id", past).toArray(),
    );
    expect(rewritten).toEqual([{ id: activityId }]);
    const indexed = await runInDurableObject(feedStubFor(real), (_instance, state) =>
      state.storage.sql
        .exec("UPDATE feed_entry SET expiration_ms = ? WHERE activity_id = ? RETURNING activity_id", past, activityId)
        .toArray(),
    );
    expect(indexed).toEqual([{ activity_id: activityId }]);
    if (this.runAlarm) {
      // Whoever ran the alarm, the activity and its items are gone after it, and with its feed told,
      // the object keeps nothing at all.
      await runDurableObjectAlarm(stub);
      expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
    }
    model.activities.delete(this.activity);
    expectError(await send(real, "GET", `/v1.0/me/activities/${activityId}`), 404, "itemNotFound");
  }
  toString() {
    return `ExpireActivity(${this.activity}${this.runAlarm ? ", alarm" : ""})`;
  }
}

/**
 * 2–4 commands sent at once. Those whose outcome would depend on the order (the same item, or
 * anything alongside a whole-activity command on the same activity) are left out, so each answer
 * can be checked against the model as if it ran alone.
 */
class Concurrently implements fc.AsyncCommand<Model, Real> {
  constructor(readonly steps: Step[]) {}
  check() {
    return true;
  }
  async run(model: Model, real: Real) {
    const chosen: Bound[] = [];
    for (const step of this.steps) {
      const bound = step.bind(model);
      if (!chosen.some((other) => clash(other.footprint, bound.footprint))) chosen.push(bound);
    }
    const before = Date.now();
    const answers = await Promise.all(chosen.map((bound) => bound.send(real)));
    const window = { before, after: Date.now() };
    chosen.forEach((bound, n) => bound.verify(model, real, answers[n]!, window));
  }
  toString() {
    return `Concurrently(${this.steps.join(", ")})`;
  }
}

/**
 * 2–4 PUTs of the same item at once: all 404 without the activity; otherwise every one succeeds,
 * exactly one with 201 if the item did not exist, and the item ends as one of the bodies.
 */
class ConcurrentPutsOfOneItem implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly activity: number,
    readonly target: ItemTarget,
    readonly bodies: ItemBody[],
  ) {}
  check() {
    return true;
  }
  async run(model: Model, real: Real) {
    const { url, key } = resolveItem(model, this.activity, this.target);
    const path = `${itemsPath(model, this.activity)}/${url}`;
    const before = Date.now();
    const answers = await Promise.all(this.bodies.map((body) => send(real, "PUT", path, body)));
    const window = { before, after: Date.now() };
    const state = model.activities.get(this.activity);
    if (!state) return answers.forEach((answer) => expectError(answer, 404, "itemNotFound"));

    const previous = state.items.get(key);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual(previous ? this.bodies.map(() => 200) : [...this.bodies.slice(1).map(() => 200), 201]);
    const created = previous?.created ?? answers.find((answer) => answer.status === 201)!.body.createdDateTime;
    expectDuring(created, previous ? { before: 0, after: window.after } : window);
    // Each answer shows its own body, written on the one item (created once).
    answers.forEach((answer, n) => {
      expect(answer.body).toEqual({
        "@odata.context": itemEntityContext(real, model, this.activity),
        ...expectedItem(key, {
          body: this.bodies[n]!,
          status: answer.status === 201 ? "active" : "updated",
          created,
          lastModified: answer.body.lastModifiedDateTime,
        }),
      });
    });

    const read = await send(real, "GET", path);
    expect(read.status).toBe(200);
    const winner = answers.findIndex((answer, n) =>
      matches(read.body, {
        "@odata.context": itemEntityContext(real, model, this.activity),
        ...expectedItem(key, { body: this.bodies[n]!, status: "updated", created, lastModified: answer.body.lastModifiedDateTime }),
      }),
    );
    expect(winner, `final item ${JSON.stringify(read.body)} is none of the bodies written`).toBeGreaterThanOrEqual(0);
    // The last write wins: none of the others was written later.
    for (const answer of answers) {
      expect(Date.parse(answer.body.lastModifiedDateTime)).toBeLessThanOrEqual(Date.parse(read.body.lastModifiedDateTime));
    }
    state.items.set(key, { body: this.bodies[winner]!, status: "updated", created, lastModified: read.body.lastModifiedDateTime });
  }
  toString() {
    return `ConcurrentPutsOfOneItem(${this.activity}, ${JSON.stringify(this.target)}, ${JSON.stringify(this.bodies)})`;
  }
}

/** 2–4 PUTs of the same activity at once: exactly one 201 if it did not exist, and it ends as one of the bodies. */
class ConcurrentPutsOfOneActivity implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly activity: number,
    readonly bodies: ActivityBody[],
  ) {}
  check() {
    return true;
  }
  async run(model: Model, real: Real) {
    const before = Date.now();
    const answers = await Promise.all(this.bodies.map((body) => send(real, "PUT", activityPath(this.activity), body)));
    const window = { before, after: Date.now() };
    const previous = model.activities.get(this.activity);
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual(previous ? this.bodies.map(() => 200) : [...this.bodies.slice(1).map(() => 200), 201]);
    const ids = new Set(answers.map((answer) => answer.body.id));
    expect(ids.size).toBe(1);
    if (!model.serverIds.has(this.activity)) model.serverIds.set(this.activity, answers[0]!.body.id);
    const created = previous?.created ?? answers.find((answer) => answer.status === 201)!.body.createdDateTime;
    // Each answer shows its own body, written on the one activity (created once).
    answers.forEach((answer, n) => {
      const shown: ActivityState = {
        body: this.bodies[n]!,
        status: answer.status === 201 ? "active" : "updated",
        created,
        lastModified: answer.body.lastModifiedDateTime,
        items: new Map(),
      };
      expect(answer.body).toEqual({
        "@odata.context": activityContext({ user: real.user }),
        ...expectedActivity(model, this.activity, shown),
      });
      expectActivityTimes(answer.body, shown);
      expectDuring(answer.body.lastModifiedDateTime, window);
    });

    const read = await send(real, "GET", `/v1.0/me/activities/${activityIdOf(model, this.activity)}`);
    expect(read.status).toBe(200);
    const candidates = answers.map((answer, n): ActivityState => ({
      body: this.bodies[n]!,
      status: "updated",
      created,
      lastModified: answer.body.lastModifiedDateTime,
      items: previous?.items ?? new Map(),
    }));
    // The last write wins: the activity is one body as that PUT answered it, at its lastModifiedDateTime.
    const winner = candidates.findIndex(
      (candidate) =>
        read.body.lastModifiedDateTime === candidate.lastModified &&
        matches(read.body, {
          "@odata.context": activityContext({ user: real.user }),
          ...expectedActivity(model, this.activity, candidate),
        }),
    );
    expect(winner, `final activity ${JSON.stringify(read.body)} is none of the bodies written`).toBeGreaterThanOrEqual(0);
    for (const answer of answers) {
      expect(Date.parse(answer.body.lastModifiedDateTime)).toBeLessThanOrEqual(Date.parse(read.body.lastModifiedDateTime));
    }
    model.activities.set(this.activity, candidates[winner]!);
  }
  toString() {
    return `ConcurrentPutsOfOneActivity(${this.activity}, ${JSON.stringify(this.bodies)})`;
  }
}

// ---------------------------------------------------------------------------------------------
// Generators.

const activityIndex = fc.nat({ max: APP_ACTIVITY_IDS.length - 1 });
const poolTarget = fc.record({ pool: fc.nat({ max: ITEM_IDS.length - 1 }), upperCase: fc.boolean() });
const itemTarget: fc.Arbitrary<ItemTarget> = fc.oneof(poolTarget, fc.record({ existing: fc.nat({ max: 7 }) }));
const deepItems = fc.option(
  fc.uniqueArray(fc.record({ pool: fc.nat({ max: ITEM_IDS.length - 1 }), upperCase: fc.boolean(), body: itemBodyArb }), {
    selector: (item) => item.pool,
    maxLength: ITEM_IDS.length,
  }),
  { nil: null, freq: 2 },
);

/** The commands that can also run alongside others. */
const steps: fc.Arbitrary<Step>[] = [
  fc.tuple(activityIndex, activityBodyArb, deepItems).map(([a, body, items]) => new PutActivity(a, body, items)),
  activityIndex.map((a) => new DeleteActivity(a)),
  fc.tuple(activityIndex, fc.boolean()).map(([a, expand]) => new GetActivity(a, expand)),
  fc.tuple(activityIndex, fc.option(itemTarget, { nil: null }), itemBodyArb).map(([a, target, body]) => new PostItem(a, target, body)),
  fc.tuple(activityIndex, itemTarget, itemBodyArb).map(([a, target, body]) => new PutItem(a, target, body)),
  fc.tuple(activityIndex, itemTarget).map(([a, target]) => new DeleteItem(a, target)),
  fc.tuple(activityIndex, itemTarget).map(([a, target]) => new GetItem(a, target)),
  activityIndex.map((a) => new ListItems(a)),
];

const [putActivity, , , postItem, putItem] = steps as [fc.Arbitrary<Step>, ...fc.Arbitrary<Step>[]];

const commands: fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] = [
  ...steps,
  // Writes more often than the rest, so that there is usually something to read, replace and delete.
  putActivity,
  putActivity,
  postItem!,
  putItem!,
  putItem!,
  fc.constant(new ListActivities()),
  fc.tuple(activityIndex, fc.nat({ max: 7 }), fc.boolean()).map(([a, nth, alarm]) => new ExpireItem(a, nth, alarm)),
  fc.tuple(activityIndex, fc.boolean()).map(([a, alarm]) => new ExpireActivity(a, alarm)),
  fc.array(fc.oneof(...steps), { minLength: 2, maxLength: 4 }).map((chosen) => new Concurrently(chosen)),
  fc
    .tuple(activityIndex, poolTarget, fc.array(itemBodyArb, { minLength: 2, maxLength: 4 }))
    .map(([a, target, bodies]) => new ConcurrentPutsOfOneItem(a, target, bodies)),
  fc
    .tuple(activityIndex, fc.array(activityBodyArb, { minLength: 2, maxLength: 4 }))
    .map(([a, bodies]) => new ConcurrentPutsOfOneActivity(a, bodies)),
];

describe("the service agrees with a model of activities and history items", () => {
  it("under any sequence of creates, replaces, deletes, expiries, reads and concurrent writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { size: "max", maxCommands: 30 }), async (sequence) => {
        const user = crypto.randomUUID();
        const setup = async () => ({
          model: { activities: new Map(), serverIds: new Map() } satisfies Model,
          real: { user, token: await mintToken({ user }) } satisfies Real,
        });
        await fc.asyncModelRun(setup, sequence);
      }),
      { numRuns: 50 },
    );
  }, 120_000);
});
