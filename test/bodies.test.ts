// Request bodies the service cannot take as sent: nested too deep to hand to an object, numbers a
// double cannot hold as written, activities too large to send back; and nulls it must take as absent.
// Each refusal is a 4xx naming what is wrong, with nothing stored; never a 503 that a retry cannot fix.
import { describe, expect, it } from "vitest";
import { callObject } from "../src/graph/call-object";
import { GraphError } from "../src/graph/errors";
import { limits } from "../src/limits";
import { activityIdFor } from "../src/objects/addresses";
import {
  activityPath,
  type Answer,
  appActivityPath,
  call,
  createActivity,
  freshAppActivityId,
  GUID,
  historyItemPath,
  historyItemsPath,
} from "./support/api";
import { activityBody, activityResource, writerItemBody, writerItemResource } from "./support/builders";
import { expectGraphError, jsonAnswer, madeBetween, seen } from "./support/graph";
import { activityStub } from "./support/objects";
import { DEV_CALLER } from "./support/tokens";

/** JSON nested `depth` levels deep (a scalar is 0): arrays in arrays around a number. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = [value];
  return value;
}

/** How a path into nested() is written: `[0]` once per level. */
const indices = (levels: number) => "[0]".repeat(levels);

/** The message for a body nested past `limit`, at the first value too deep (its path quoted as every message quotes client input). */
const tooDeep = (limit: number, path: string) =>
  `The request body is nested more than ${limit} levels deep, at ${path.length > 100 ? `'${path.slice(0, 100)}…' (${path.length} characters)` : `'${path}'`}.`;

/** PUTs a fresh activity with `body` and one history item; their ids, and the answers as written. */
async function seed(body: Record<string, unknown> = activityBody()) {
  const appActivityId = freshAppActivityId();
  const put = await call("PUT", appActivityPath(appActivityId), { body });
  expect(put.status).toBe(201);
  const itemId = crypto.randomUUID();
  const item = await call("PUT", historyItemPath(put.body.id, itemId), { body: writerItemBody(1) });
  expect(item.status).toBe(201);
  return { appActivityId, id: put.body.id as string, itemId, activity: put.body, item: item.body };
}

/** The activity and its item read back are exactly as written: nothing a refused request sent was stored. */
async function expectUnchanged(seeded: Awaited<ReturnType<typeof seed>>) {
  const [activity, item] = await Promise.all([
    call("GET", activityPath(seeded.id)),
    call("GET", historyItemPath(seeded.id, seeded.itemId)),
  ]);
  expect({ activity: seen(activity), item: seen(item) }).toEqual({
    activity: jsonAnswer(200, seeded.activity, activity),
    item: jsonAnswer(200, seeded.item, item),
  });
}

/** Nothing is stored under this appActivityId: its derived id names no activity. */
async function expectNoActivity(appActivityId: string) {
  const id = await activityIdFor(DEV_CALLER, appActivityId);
  expectGraphError(await call("GET", activityPath(id)), 404, "itemNotFound", `The activity '${id}' does not exist.`);
}

/** POSTs a batch of these requests. */
const batch = (requests: unknown[]) => call("POST", "/v1.0/$batch", { body: { requests } });

describe("3. a body nested too deep is a 400 naming where, before any call to an object", () => {
  const deep = nested(5000);

  it("PATCH of an activity and of a history item, 5,000 levels deep (10 KB): 400, never a 503, and nothing changes", async () => {
    const seeded = await seed();
    const activity = await call("PATCH", activityPath(seeded.id), { body: { contentInfo: { x: deep } } });
    expectGraphError(activity, 400, "BadRequest", tooDeep(limits.bodyDepth, `contentInfo.x${indices(63)}`));
    const item = await call("PATCH", historyItemPath(seeded.id, seeded.itemId), { body: { userTimezone: deep } });
    expectGraphError(item, 400, "BadRequest", tooDeep(limits.bodyDepth, `userTimezone${indices(64)}`));
    await expectUnchanged(seeded);
  });

  it("every body, read-only members too: PUT and POST of activities and items", async () => {
    const seeded = await seed();
    const writes: [string, string, Record<string, unknown>][] = [
      ["PUT", appActivityPath(seeded.appActivityId), { ...activityBody(), status: deep }],
      ["POST", "/v1.0/me/activities", { ...activityBody(), appActivityId: freshAppActivityId(), status: deep }],
      ["POST", historyItemsPath(seeded.id), { ...writerItemBody(2), status: deep }],
      ["PUT", historyItemPath(seeded.id, seeded.itemId), { ...writerItemBody(2), status: deep }],
    ];
    for (const [method, path, body] of writes) {
      expectGraphError(await call(method, path, { body }), 400, "BadRequest", tooDeep(limits.bodyDepth, `status${indices(64)}`));
    }
    await expectUnchanged(seeded);
  });

  it(`the limit is ${limits.bodyDepth} levels counted from the body: at it, a read-only member is ignored; one deeper is a 400`, async () => {
    const appActivityId = freshAppActivityId();
    const path = appActivityPath(appActivityId);
    const over = await call("PUT", path, { body: { ...activityBody(), status: nested(limits.bodyDepth) } });
    expectGraphError(over, 400, "BadRequest", tooDeep(limits.bodyDepth, `status${indices(limits.bodyDepth)}`));
    const at = await call("PUT", path, { body: { ...activityBody(), status: nested(limits.bodyDepth - 1) } });
    expect(seen(at)).toEqual(jsonAnswer(201, activityResource(appActivityId), at));
  });

  it("inside $batch: the whole batch is a 400 naming the request's body, and nothing runs", async () => {
    const seeded = await seed();
    const sent = await batch([
      {
        id: "1",
        method: "PATCH",
        url: `/me/activities/${seeded.id}`,
        headers: { "Content-Type": "application/json" },
        body: { contentInfo: { x: deep } },
      },
      {
        id: "2",
        method: "PATCH",
        url: `/me/activities/${seeded.id}/historyItems/${seeded.itemId}`,
        headers: { "Content-Type": "application/json" },
        body: { userTimezone: "runs only if the batch does" },
      },
    ]);
    expectGraphError(sent, 400, "BadRequest", tooDeep(limits.batchBodyDepth, `requests[0].body.contentInfo.x${indices(63)}`));
    await expectUnchanged(seeded);
  });
});

describe("3. callObject answers 503 only for what a retry can fix", () => {
  const failing = (error: unknown) => () => Promise.reject(error);
  const retryable = { status: 503, code: "serviceNotAvailable", headers: { "Retry-After": "1" } };
  const outcome = (promise: Promise<unknown>) =>
    promise.then(
      () => "resolved",
      (error: unknown) => (error instanceof GraphError ? { status: error.status, code: error.code, headers: error.headers } : error),
    );

  it("a value too deep to send to the object is the caller's bug, rethrown as it is (a 500), never a 503", async () => {
    const stub = activityStub(await createActivity());
    const failure = await outcome(callObject(stub, (activity) => activity.patchActivity({ contentInfo: { x: nested(5000) } })));
    expect(failure).toBeInstanceOf(RangeError);
  });

  it("an exception of the object's own code and an uncloneable argument stay themselves; an object reset or overloaded is a 503", async () => {
    const remote = Object.assign(new Error("bug in the object"), { remote: true });
    const uncloneable = new DOMException("could not be cloned", "DataCloneError");
    expect(await outcome(callObject(null, failing(remote)))).toBe(remote);
    expect(await outcome(callObject(null, failing(uncloneable)))).toBe(uncloneable);
    const reset = new Error("Durable Object reset because its code was updated.");
    const overloaded = Object.assign(new Error("Durable Object is overloaded."), { overloaded: true });
    const disconnected = Object.assign(new Error("Network connection lost."), { retryable: true });
    for (const error of [reset, overloaded, disconnected]) expect(await outcome(callObject(null, failing(error)))).toEqual(retryable);
  });
});

describe("4. a number comes back with the value sent, or is a 400 naming it", () => {
  const NUMBER = "<number>";
  /** The JSON of `body` with the number written as `literal` where NUMBER stands. */
  const withNumber = (body: unknown, literal: string) => JSON.stringify(body).replace(`"${NUMBER}"`, literal);
  /** An activity body with a patch's members (visualElements merged member by member). */
  const putBody = (patch: Record<string, any>) => {
    const base = activityBody();
    return { ...base, ...patch, visualElements: { ...base.visualElements, ...patch.visualElements } };
  };
  const refused = (path: string, sent: string, back: string) =>
    `Invalid value for '${path}': the number ${sent} cannot be stored exactly: it would come back as ${back}.`;
  const CASES = [
    { path: "contentInfo.big", sent: "12345678901234567891", back: "12345678901234567000", patch: { contentInfo: { big: NUMBER } } },
    { path: "contentInfo.tiny", sent: "1e-400", back: "0", patch: { contentInfo: { tiny: NUMBER } } },
    { path: "visualElements.content.minusZero", sent: "-0", back: "0", patch: { visualElements: { content: { minusZero: NUMBER } } } },
    { path: "visualElements.content[1]", sent: "0.10000000000000001", back: "0.1", patch: { visualElements: { content: [1, NUMBER] } } },
  ];

  it("PUT and POST of an activity: 400 naming the property and the number, nothing stored", async () => {
    for (const { path, sent, back, patch } of CASES) {
      const appActivityId = freshAppActivityId();
      const put = await call("PUT", appActivityPath(appActivityId), { raw: withNumber(putBody(patch), sent) });
      expectGraphError(put, 400, "BadRequest", refused(path, sent, back));
      const post = await call("POST", "/v1.0/me/activities", { raw: withNumber({ ...putBody(patch), appActivityId }, sent) });
      expectGraphError(post, 400, "BadRequest", refused(path, sent, back));
      await expectNoActivity(appActivityId);
    }
  });

  it("PATCH of an activity, and a history item's activeDurationSeconds (which was stored as 20): 400, nothing changes", async () => {
    const seeded = await seed();
    for (const { path, sent, back, patch } of CASES) {
      const patched = await call("PATCH", activityPath(seeded.id), { raw: withNumber(patch, sent) });
      expectGraphError(patched, 400, "BadRequest", refused(path, sent, back));
    }
    const duration = withNumber({ startedDateTime: "2015-02-11T20:54:04Z", activeDurationSeconds: NUMBER }, "20.0000000000000001");
    const item = await call("POST", historyItemsPath(seeded.id), { raw: duration });
    expectGraphError(item, 400, "BadRequest", refused("activeDurationSeconds", "20.0000000000000001", "20"));
    await expectUnchanged(seeded);
  });

  it("inside $batch, where sending the body on would change it: the whole batch is a 400 naming the request's property", async () => {
    const appActivityId = freshAppActivityId();
    const request = {
      id: "1",
      method: "PUT",
      url: appActivityPath(appActivityId, ""),
      headers: { "Content-Type": "application/json" },
      body: putBody(CASES[0]!.patch),
    };
    const sent = await call("POST", "/v1.0/$batch", { raw: withNumber({ requests: [request] }, CASES[0]!.sent) });
    expectGraphError(sent, 400, "BadRequest", refused("requests[0].body.contentInfo.big", CASES[0]!.sent, CASES[0]!.back));
    await expectNoActivity(appActivityId);
  });

  it("other spellings of the same value are taken, and come back in the shortest form: 1.0 as 1, 1E2 as 100, 1e-07 as 1e-7", async () => {
    const appActivityId = freshAppActivityId();
    const raw = JSON.stringify(activityBody({ contentInfo: { n: NUMBER } })).replace(
      `"n":"${NUMBER}"`,
      '"a":1.0,"b":1E2,"c":1e-07,"d":0.10,"e":-0.5,"f":12345678901234567000,"g":0e5,"h":123456789012345.6e-20',
    );
    const put = await call("PUT", appActivityPath(appActivityId), { raw });
    const contentInfo = { a: 1, b: 100, c: 1e-7, d: 0.1, e: -0.5, f: 12345678901234567000, g: 0, h: 0.000001234567890123456 };
    expect(seen(put)).toEqual(jsonAnswer(201, activityResource(appActivityId, activityBody({ contentInfo })), put));
  });
});

describe("5. what is stored can always be sent back", () => {
  /** An activity body whose contentInfo holds `chars` characters of text. */
  const sized = (chars: number) => activityBody({ contentInfo: { text: "x".repeat(chars) } });
  const utf8Bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).byteLength;
  const tooLarge = (answer: Answer) =>
    expectGraphError(
      answer,
      413,
      "requestTooLarge",
      expect.stringMatching(
        new RegExp(
          `^The activity would be \\d+ bytes as a GET answers it, more than the ${limits.bodyBytes} bytes a request body may hold, so it could not be sent back; nothing was stored\\.$`,
        ),
      ),
    );

  it("a PATCH that would grow the activity past the limit: 413, and the activity is as it was", async () => {
    const seeded = await seed(sized(150_000));
    const patch = await call("PATCH", activityPath(seeded.id), {
      body: { visualElements: { content: { text: "y".repeat(150_000) } } },
    });
    tooLarge(patch);
    await expectUnchanged(seeded);
  });

  it("a PUT within the body limit whose numbers grow when written back (1e20 is 100000000000000000000): 413, nothing stored", async () => {
    const appActivityId = freshAppActivityId();
    const raw = JSON.stringify(activityBody({ contentInfo: { numbers: [] } })).replace(
      '"numbers":[]',
      `"numbers":[${Array(20_000).fill("1e20").join(",")}]`,
    );
    expect(raw.length).toBeLessThan(limits.bodyBytes);
    tooLarge(await call("PUT", appActivityPath(appActivityId), { raw }));
    await expectNoActivity(appActivityId);
  });

  it("at the boundary: the largest activity a PUT can store reads back within the limit and PUTs back as it was read; one character more is a 413", async () => {
    const appActivityId = freshAppActivityId();
    const path = appActivityPath(appActivityId);
    // The largest text that stores, found by bisection; every size tried fits the request body limit itself.
    let [fits, over] = [0, limits.bodyBytes - 200];
    expect(utf8Bytes(sized(over))).toBeLessThan(limits.bodyBytes);
    while (over - fits > 1) {
      const middle = Math.floor((fits + over) / 2);
      const put = await call("PUT", path, { body: sized(middle) });
      if (put.status === 413) {
        tooLarge(put);
        over = middle;
      } else {
        expect(put.status).toBeLessThan(300);
        fits = middle;
      }
    }
    const stored = await call("PUT", path, { body: sized(fits) });
    const read = await call("GET", activityPath(stored.body.id));
    expect(seen(read)).toEqual(jsonAnswer(200, stored.body, read));
    expect(utf8Bytes(read.body)).toBeLessThanOrEqual(limits.bodyBytes);
    const back = await call("PUT", path, { body: read.body });
    expect(seen(back)).toEqual(
      jsonAnswer(
        200,
        {
          ...stored.body,
          status: "updated",
          lastModifiedDateTime: back.body.lastModifiedDateTime,
          expirationDateTime: back.body.expirationDateTime,
        },
        back,
      ),
    );
    tooLarge(await call("PUT", path, { body: sized(fits + 1) }));
  });
});

describe('6. "id": null and other nulls of unset properties are taken as absent', () => {
  it("POST of a history item with id null: 201 with a new GUID", async () => {
    const activityId = await createActivity();
    const before = Date.now();
    const answer = await call("POST", historyItemsPath(activityId), { body: { id: null, ...writerItemBody(3) } });
    const created = answer.body.createdDateTime;
    expect(seen(answer)).toEqual(jsonAnswer(201, writerItemResource(activityId, expect.stringMatching(GUID), 3, { created }), answer));
    expect(created).toEqual(madeBetween(before, Date.now()));
  });

  it("a deep insert of an item with id null: 201 with the item, under a new GUID", async () => {
    const appActivityId = freshAppActivityId();
    const answer = await call("PUT", appActivityPath(appActivityId), {
      body: { ...activityBody(), historyItems: [{ id: null, ...writerItemBody(4) }] },
    });
    const { "@odata.context": _context, ...item } = writerItemResource("", answer.body.historyItems?.[0]?.id, 4, {
      created: answer.body.createdDateTime,
    });
    expect(seen(answer)).toEqual(jsonAnswer(201, { ...activityResource(appActivityId), historyItems: [item] }, answer));
    expect(answer.body.historyItems[0].id).toMatch(GUID);
  });

  it("a PUT with appActivityId null (the URL gives it): 201", async () => {
    const appActivityId = freshAppActivityId();
    const answer = await call("PUT", appActivityPath(appActivityId), { body: { ...activityBody(), appActivityId: null } });
    expect(seen(answer)).toEqual(jsonAnswer(201, activityResource(appActivityId), answer));
  });
});
