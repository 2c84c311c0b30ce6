// Nothing is missed, whatever the interleaving: random writes (some at once), deletes, expiries,
// pushes that fail and reach the feed later through the outbox's retry, and delta rounds read a
// page at a time in between. A client that applies every page it reads (a live activity replaces
// what it held by id, a removed one goes) holds exactly what the feed lists, once a round that
// began after every write was acknowledged and every retry delivered has been read.
import { runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FeedObject } from "../src/objects/FeedObject";
import { type Answer, appActivityPath, call, historyItemPath, activityPath } from "./support/api";
import { activityBody } from "./support/builders";
import { DELTA, DeltaClient, deltaPage, deltaRound, feedActivities } from "./support/delta";
import { activityStub, feedStub, HOLDS_NOTHING, NOTHING_PENDING, OUTBOX_STATE, sqlIn, storageOf } from "./support/objects";
import { freshUser, type TestUser } from "./support/users";

afterEach(() => vi.restoreAllMocks());

/** A small pool, so that commands collide: the same activity and item again and again. */
const APP_ACTIVITY_IDS = ["/article?1", "/article?2", "/article?3"];
const ITEM_IDS = ["5c9b04c6-decf-44fb-bf15-34ccb10fa1f7", "0f8fad5b-d9cb-469f-a165-70867728950e"];

/** What the commands know: the server id each appActivityId got from its first PUT. */
interface Model {
  ids: Map<number, string>;
}

/** The system: one user, and one client following the feed with delta. */
interface Real {
  user: TestUser;
  client: DeltaClient;
  /** Where the client reads next: a nextLink inside a round, or the deltaLink that starts the next. */
  link: string;
  /** Whether the client's first request asked for $expand=historyItems. */
  expand: boolean;
}

/** An answer a write may give in any interleaving: done, or the activity or item is not there (any more). */
function expectWriteAnswer(answer: Answer) {
  expect([200, 201, 204, 404], JSON.stringify(answer.body)).toContain(answer.status);
}

/** One request or action; some may also run alongside others (Concurrently). */
abstract class Step implements fc.AsyncCommand<Model, Real> {
  abstract toString(): string;
  check(model: Model) {
    return this.activity === undefined || model.ids.has(this.activity);
  }
  /** The activity (its pool index) the step needs to have been created, if any. */
  get activity(): number | undefined {
    return undefined;
  }
  abstract act(model: Model, real: Real): Promise<void>;
  run(model: Model, real: Real) {
    return this.act(model, real);
  }
}

class PutActivity extends Step {
  constructor(
    readonly index: number,
    readonly text: string,
  ) {
    super();
  }
  async act(model: Model, real: Real) {
    const answer = await call("PUT", appActivityPath(APP_ACTIVITY_IDS[this.index]!), {
      as: real.user.as,
      body: activityBody({ visualElements: { displayText: this.text } }),
    });
    expect([200, 201], JSON.stringify(answer.body)).toContain(answer.status);
    model.ids.set(this.index, answer.body.id);
  }
  toString() {
    return `PutActivity(${this.index}, ${JSON.stringify(this.text)})`;
  }
}

/** Whether an activity's object has its tables: one whose activity is gone deletes them once its feed has that. */
const holdsActivity = async (stub: DurableObjectStub) =>
  (await sqlIn(stub, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'activity'")).length > 0;

/** A step on an activity the model knows the id of. */
abstract class OnActivity extends Step {
  constructor(readonly index: number) {
    super();
  }
  override get activity() {
    return this.index;
  }
  protected idOf(model: Model) {
    return model.ids.get(this.index)!;
  }
}

class PatchActivity extends OnActivity {
  constructor(
    index: number,
    readonly timezone: string,
  ) {
    super(index);
  }
  async act(model: Model, real: Real) {
    expectWriteAnswer(await call("PATCH", activityPath(this.idOf(model)), { as: real.user.as, body: { userTimezone: this.timezone } }));
  }
  toString() {
    return `PatchActivity(${this.index}, ${this.timezone})`;
  }
}

class DeleteActivity extends OnActivity {
  async act(model: Model, real: Real) {
    expectWriteAnswer(await call("DELETE", activityPath(this.idOf(model)), { as: real.user.as }));
  }
  toString() {
    return `DeleteActivity(${this.index})`;
  }
}

class PutItem extends OnActivity {
  constructor(
    index: number,
    readonly item: number,
    readonly day: number,
  ) {
    super(index);
  }
  async act(model: Model, real: Real) {
    const body = { startedDateTime: new Date(Date.UTC(2026, 0, this.day)).toISOString(), userTimezone: `day ${this.day}` };
    expectWriteAnswer(await call("PUT", historyItemPath(this.idOf(model), ITEM_IDS[this.item]!), { as: real.user.as, body }));
  }
  toString() {
    return `PutItem(${this.index}, ${this.item}, ${this.day})`;
  }
}

class DeleteItem extends OnActivity {
  constructor(
    index: number,
    readonly item: number,
  ) {
    super(index);
  }
  async act(model: Model, real: Real) {
    expectWriteAnswer(await call("DELETE", historyItemPath(this.idOf(model), ITEM_IDS[this.item]!), { as: real.user.as }));
  }
  toString() {
    return `DeleteItem(${this.index}, ${this.item})`;
  }
}

/** Time passes for one of an activity's items (if it has any); its alarm removes it now, or later. */
class ExpireItem extends OnActivity {
  constructor(
    index: number,
    readonly runAlarm: boolean,
  ) {
    super(index);
  }
  async act(model: Model, real: Real) {
    const stub = activityStub(this.idOf(model), real.user.caller);
    // An object whose activity is gone holds nothing once its feed has that: time changes nothing there.
    if (!(await holdsActivity(stub))) return;
    await sqlIn(stub, "UPDATE history_item SET expiration_ms = ? WHERE id = (SELECT min(id) FROM history_item)", Date.now() - 1);
    if (this.runAlarm) await runDurableObjectAlarm(stub);
  }
  toString() {
    return `ExpireItem(${this.index}${this.runAlarm ? ", alarm" : ""})`;
  }
}

/** Time passes for an activity: in its object and in the feed's copy at the same instant, as a real expiry; its alarm now, or later. */
class ExpireActivity extends OnActivity {
  constructor(
    index: number,
    readonly runAlarm: boolean,
  ) {
    super(index);
  }
  async act(model: Model, real: Real) {
    const id = this.idOf(model);
    const stub = activityStub(id, real.user.caller);
    if (!(await holdsActivity(stub))) return;
    const past = Date.now() - 1;
    await sqlIn(stub, "UPDATE activity SET expiration_ms = ?", past);
    await sqlIn(
      feedStub(real.user.caller),
      "UPDATE feed_entry SET expiration_ms = ? WHERE activity_id = ? AND activity IS NOT NULL",
      past,
      id,
    );
    if (this.runAlarm) await runDurableObjectAlarm(stub);
  }
  toString() {
    return `ExpireActivity(${this.index}${this.runAlarm ? ", alarm" : ""})`;
  }
}

/** The next push to a feed fails: its change reaches the feed later, through the outbox's retry. */
class FailNextPush extends Step {
  async act() {
    vi.spyOn(FeedObject.prototype, "apply").mockImplementationOnce(async () => {
      throw new Error("feed unreachable");
    });
  }
  toString() {
    return "FailNextPush";
  }
}

/** An activity's alarm runs now (the outbox's retry, or an expiry), as the platform may run it at any time. */
class RunAlarm extends OnActivity {
  async act(model: Model, real: Real) {
    await runDurableObjectAlarm(activityStub(this.idOf(model), real.user.caller));
  }
  toString() {
    return `RunAlarm(${this.index})`;
  }
}

/** The client reads one page (of at most `size`) where it is, and applies it. */
class ReadPage extends Step {
  constructor(readonly size: number) {
    super();
  }
  async act(_model: Model, real: Real) {
    const page = await deltaPage(real.user, real.link, { Prefer: `odata.maxpagesize=${this.size}` });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    real.client.apply(page.body.value);
    real.link = page.body["@odata.nextLink"] ?? page.body["@odata.deltaLink"];
  }
  toString() {
    return `ReadPage(${this.size})`;
  }
}

/** Several steps sent at once: writes racing each other and a page being read. */
class Concurrently implements fc.AsyncCommand<Model, Real> {
  constructor(readonly steps: Step[]) {}
  check() {
    return true;
  }
  async run(model: Model, real: Real) {
    await Promise.all(this.steps.filter((step) => step.check(model)).map((step) => step.act(model, real)));
  }
  toString() {
    return `Concurrently(${this.steps.join(", ")})`;
  }
}

const activity = fc.nat({ max: APP_ACTIVITY_IDS.length - 1 });
const item = fc.nat({ max: ITEM_IDS.length - 1 });

const writes: fc.Arbitrary<Step>[] = [
  fc.tuple(activity, fc.string({ minLength: 1, maxLength: 8 })).map(([a, text]) => new PutActivity(a, text)),
  fc.tuple(activity, fc.constantFrom("UTC", "Europe/Paris", "Asia/Tokyo")).map(([a, zone]) => new PatchActivity(a, zone)),
  activity.map((a) => new DeleteActivity(a)),
  fc.tuple(activity, item, fc.integer({ min: 1, max: 28 })).map(([a, i, day]) => new PutItem(a, i, day)),
  fc.tuple(activity, item).map(([a, i]) => new DeleteItem(a, i)),
];
const readPage = fc.integer({ min: 1, max: 3 }).map((size) => new ReadPage(size));

const commands: fc.Arbitrary<fc.AsyncCommand<Model, Real>>[] = [
  ...writes,
  // Creations more often, so that there is usually something to change.
  writes[0]!,
  writes[3]!,
  readPage,
  readPage,
  readPage,
  fc.tuple(activity, fc.boolean()).map(([a, alarm]) => new ExpireItem(a, alarm)),
  fc.tuple(activity, fc.boolean()).map(([a, alarm]) => new ExpireActivity(a, alarm)),
  fc.constant(new FailNextPush()),
  fc.constant(new FailNextPush()),
  activity.map((a) => new RunAlarm(a)),
  fc
    .tuple(fc.array(fc.oneof(...writes), { minLength: 1, maxLength: 3 }), fc.option(readPage, { nil: undefined }))
    .map(([steps, read]) => new Concurrently(read ? [...steps, read] : steps)),
];

/**
 * Every retry delivered and every expiry applied: each activity's alarm runs, and its outbox is then
 * empty, or the object holds nothing at all (its activity is gone and its feed has that).
 */
async function settle(model: Model, real: Real) {
  for (const id of model.ids.values()) {
    const stub = activityStub(id, real.user.caller);
    await runDurableObjectAlarm(stub);
    if (await holdsActivity(stub)) expect(await sqlIn(stub, OUTBOX_STATE)).toEqual(NOTHING_PENDING);
    else expect(await storageOf(stub)).toEqual(HOLDS_NOTHING);
  }
}

/** The client reads on to the end of a round, applying each page. */
async function readRound(real: Real) {
  const round = await deltaRound(real.user, real.link);
  for (const page of round.pages) real.client.apply(page.body.value);
  real.link = round.deltaLink;
}

describe("a client that applies every round holds what the feed lists", () => {
  it("under any interleaving of writes, deletes, expiries, late pushes and partial rounds", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.commands(commands, { size: "max", maxCommands: 30 }), async (expand, sequence) => {
        vi.restoreAllMocks();
        const model: Model = { ids: new Map() };
        const real: Real = {
          user: freshUser(),
          client: new DeltaClient(),
          link: `${DELTA}${expand ? "?$expand=historyItems" : ""}`,
          expand,
        };
        // Every activity of the pool exists to begin with, so that every command has something to act on.
        for (const index of APP_ACTIVITY_IDS.keys()) await new PutActivity(index, `first ${index}`).act(model, real);
        await fc.asyncModelRun(() => ({ model, real }), sequence);

        vi.restoreAllMocks();
        await settle(model, real);
        // The round under way ends, and one that begins after everything follows it.
        await readRound(real);
        await readRound(real);
        expect(real.client.activities()).toEqual(await feedActivities(real.user, expand ? "&$expand=historyItems" : ""));
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
