// /subscriptions (Graph's change notifications), the Worker's side: create, list, get, renew,
// move, delete and reauthorize, under every prefix and in $batch; whose subscriptions a caller
// sees; the lifetime's floor and ceiling; the feed's limit.
import { afterEach, describe, expect, it, vi } from "vitest";
import { limits } from "../src/limits";
import { call, GUID, ORIGIN, send } from "./support/api";
import { answer, batch, errorAnswer, expectBatchAnswer, JSON_HEADERS } from "./support/batch";
import { expectGraphError, withoutContext } from "./support/graph";
import { Receiver } from "./support/receiver";
import {
  changeNotificationOf,
  handshakeTo,
  notificationsAt,
  inMinutes,
  listed,
  minutesAfter,
  postSubscription,
  subscriptionBody,
  subscriptionContext,
  subscriptionPath,
  subscriptionResource,
  subscriptionsContext,
  subscriptionsPath,
} from "./support/subscriptions";
import { expectJson, freshUser, putActivity } from "./support/users";
import type { NewSubscription } from "../src/objects/subscription-records";

afterEach(() => vi.useRealTimers());

describe("POST /subscriptions", () => {
  it("creates the subscription once both endpoints echoed their token: 201, every property, Location", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const body = subscriptionBody(receiver, {
      changeType: "created",
      clientState: "secretClientValue",
      lifecycleNotificationUrl: receiver.url("/lifecycle?tenant=contoso&x=%20y"),
      latestSupportedTlsVersion: "v1_3",
    });
    const created = await send("POST", subscriptionsPath(), { as: user.as, body });
    expectJson(created, 201, subscriptionResource(body, user.as));
    expect(created.headers.get("location")).toBe(`${ORIGIN}/v1.0/subscriptions/${created.body.id}`);
    // Each endpoint got one handshake, its own query kept; nothing else.
    const byPath = [...receiver.received].sort((a, b) => a.url.pathname.localeCompare(b.url.pathname));
    expect(byPath).toEqual([handshakeTo(body.lifecycleNotificationUrl), handshakeTo(body.notificationUrl)]);
    expect(await listed(user.as)).toEqual([withoutContext(created.body)]);
  });

  it("raises a lifetime under 45 minutes, a past one included, to 45 minutes from now", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    for (const expirationDateTime of [inMinutes(44), "2016-11-20T18:23:45.9356913Z"]) {
      const body = subscriptionBody(receiver, { expirationDateTime });
      const before = Date.now();
      const created = await call("POST", subscriptionsPath(), { as: user.as, body });
      expect({ status: created.status, body: created.body }).toEqual({
        status: 201,
        body: subscriptionResource(body, user.as, { expirationDateTime: minutesAfter(before, Date.now(), 45) }),
      });
    }
  });

  it("takes a lifetime of 4230 minutes and refuses a longer one, storing nothing", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const longest = subscriptionBody(receiver, { expirationDateTime: inMinutes(4230) });
    const created = await call("POST", subscriptionsPath(), { as: user.as, body: longest });
    expect({ status: created.status, body: created.body }).toEqual({ status: 201, body: subscriptionResource(longest, user.as) });

    const other = freshUser();
    const tooLong = subscriptionBody(receiver, { expirationDateTime: "2100-01-01T00:00:00+01:00" });
    const refused = await send("POST", subscriptionsPath(), { as: other.as, body: tooLong });
    expectGraphError(
      refused,
      400,
      "BadRequest",
      /^Invalid value for 'expirationDateTime': expected at most 4230 minutes from now \(no later than \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\), got '2100-01-01T00:00:00\+01:00'\.$/,
    );
    expect(await listed(other.as)).toEqual([]);
    // The refused one never reached the handshake: only the first subscription's.
    expect(receiver.received).toEqual([handshakeTo(longest.notificationUrl)]);
  });

  it(`holds at most ${limits.subscriptionsPerFeed} live subscriptions per user and app: the next is a 403 naming the limit`, async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const ids: string[] = [];
    for (let k = 0; k < limits.subscriptionsPerFeed; k++) ids.push((await postSubscription(receiver, user.as, { clientState: `${k}` })).id);
    const refused = await send("POST", subscriptionsPath(), { as: user.as, body: subscriptionBody(receiver) });
    expectGraphError(
      refused,
      403,
      "accessDenied",
      `This user and app already have ${limits.subscriptionsPerFeed} live subscriptions, the most allowed; delete one, or let one expire, first.`,
    );
    const all = (await listed(user.as)) as { id: string; clientState: string }[];
    // Oldest first, the refused one not among them.
    expect(all.map(({ id, clientState }) => [id, clientState])).toEqual(ids.map((id, k) => [id, `${k}`]));
    // Another app of the same user has a feed, and a limit, of its own; a deletion makes room.
    await postSubscription(receiver, { ...user.as, app: crypto.randomUUID() });
    expect((await call("DELETE", subscriptionPath(ids[0]!), { as: user.as })).status).toBe(204);
    await postSubscription(receiver, user.as);
  });
});

describe("a subscription made through the route", () => {
  it("is told of its caller's changes by its feed, with what the route stored", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const created = await postSubscription(receiver, user.as, { changeType: "created", clientState: "through the route" });
    const activity = await putActivity(user);
    await receiver.until(() => notificationsAt(receiver).length === 1);
    // The fields a notification names, as the route stored them.
    const stored = {
      id: created.id,
      expirationMs: Date.parse(created.expirationDateTime),
      tenantId: user.caller.tenantId,
      clientState: created.clientState,
      creatorId: user.oid,
    } as NewSubscription;
    expect(notificationsAt(receiver)).toEqual([changeNotificationOf(stored, activity.id, "created")]);
  });
});

describe("one subscription", () => {
  it("GET answers it; PATCH renews it and answers the whole subscription; DELETE ends it; reauthorize renews nothing", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const body = subscriptionBody(receiver, { clientState: "secretClientValue" });
    const created = await postSubscription(receiver, user.as, body);
    const path = subscriptionPath(created.id);
    expectJson(await send("GET", path, { as: user.as }), 200, created);
    // Ids are matched whatever their case.
    expectJson(await send("GET", subscriptionPath(created.id.toUpperCase()), { as: user.as }), 200, created);

    const renewed = { ...created, expirationDateTime: new Date(Date.parse(inMinutes(3000))).toISOString() };
    expectJson(await send("PATCH", path, { as: user.as, body: { expirationDateTime: renewed.expirationDateTime } }), 200, renewed);
    expectJson(await send("GET", path, { as: user.as }), 200, renewed);
    const reauthorized = await send("POST", `${path}/reauthorize`, { as: user.as });
    expect({ status: reauthorized.status, body: reauthorized.body }).toEqual({ status: 204, body: null });
    expectJson(await send("GET", path, { as: user.as }), 200, renewed);
    // Only the creation's handshake: a renewal sends nothing.
    expect(receiver.received).toEqual([handshakeTo(body.notificationUrl)]);

    const deleted = await send("DELETE", path, { as: user.as });
    expect({ status: deleted.status, body: deleted.body }).toEqual({ status: 204, body: null });
    for (const [method, suffix] of [
      ["GET", ""],
      ["DELETE", ""],
      ["POST", "/reauthorize"],
    ] as const) {
      expectGraphError(
        await send(method, `${path}${suffix}`, { as: user.as }),
        404,
        "itemNotFound",
        `The subscription '${created.id}' does not exist.`,
      );
    }
    expect(await listed(user.as)).toEqual([]);
  });

  it("PATCH moves notificationUrl after a handshake with the new endpoint; the same URL again, or nothing, needs none", async () => {
    const first = new Receiver();
    const second = new Receiver();
    const user = freshUser();
    const created = await postSubscription(first, user.as);
    const path = subscriptionPath(created.id);
    const moved = { ...created, notificationUrl: second.url("/moved?key=1") };
    expectJson(await send("PATCH", path, { as: user.as, body: { notificationUrl: moved.notificationUrl } }), 200, moved);
    expect(second.received).toEqual([handshakeTo(moved.notificationUrl)]);
    expectJson(await send("PATCH", path, { as: user.as, body: { notificationUrl: moved.notificationUrl } }), 200, moved);
    expectJson(await send("PATCH", path, { as: user.as, body: {} }), 200, moved);
    expect(second.received).toHaveLength(1);
    expect(first.received).toEqual([handshakeTo(created.notificationUrl)]);
    expectJson(await send("GET", path, { as: user.as }), 200, moved);
  });

  it("PATCH raises a short lifetime to 45 minutes and refuses one over 4230 minutes, changing nothing", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const created = await postSubscription(receiver, user.as);
    const path = subscriptionPath(created.id);
    const before = Date.now();
    const raised = await call("PATCH", path, { as: user.as, body: { expirationDateTime: inMinutes(1) } });
    expect({ status: raised.status, body: raised.body }).toEqual({
      status: 200,
      body: { ...created, expirationDateTime: minutesAfter(before, Date.now(), 45) },
    });
    const refused = await send("PATCH", path, {
      as: user.as,
      body: { expirationDateTime: inMinutes(4231), notificationUrl: receiver.url("/other") },
    });
    expectGraphError(refused, 400, "BadRequest", /^Invalid value for 'expirationDateTime': expected at most 4230 minutes from now /);
    expectJson(await send("GET", path, { as: user.as }), 200, raised.body);
    expect(receiver.received).toEqual([handshakeTo(created.notificationUrl)]);
  });

  it("is another caller's business only: another user, another app, a non-GUID id or an expired one is a 404", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const created = await postSubscription(receiver, user.as);
    const path = subscriptionPath(created.id);
    const strangers = [freshUser().as, { ...user.as, app: crypto.randomUUID() }, { ...user.as, tenant: crypto.randomUUID() }];
    const requests = [
      ["GET", ""],
      ["PATCH", ""],
      ["DELETE", ""],
      ["POST", "/reauthorize"],
    ] as const;
    for (const as of strangers) {
      for (const [method, suffix] of requests) {
        const body = method === "PATCH" ? { expirationDateTime: inMinutes(100) } : undefined;
        expectGraphError(
          await send(method, `${path}${suffix}`, { as, body }),
          404,
          "itemNotFound",
          `The subscription '${created.id}' does not exist.`,
        );
      }
      expect(await listed(as)).toEqual([]);
    }
    for (const id of ["42", "not-a-guid", `${created.id}0`]) {
      for (const [method, suffix] of requests) {
        const body = method === "PATCH" ? { expirationDateTime: inMinutes(100) } : undefined;
        expectGraphError(
          await send(method, `${subscriptionPath(id)}${suffix}`, { as: user.as, body }),
          404,
          "itemNotFound",
          `The subscription '${id}' does not exist.`,
        );
      }
    }
    // Untouched by all of it.
    expectJson(await send("GET", path, { as: user.as }), 200, created);

    // Past its expiry (the clock moved past it), it is gone from every route.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.parse(created.expirationDateTime) + 1);
    for (const [method, suffix] of requests) {
      const body = method === "PATCH" ? { expirationDateTime: inMinutes(100) } : undefined;
      expectGraphError(
        await send(method, `${path}${suffix}`, { as: user.as, body }),
        404,
        "itemNotFound",
        `The subscription '${created.id}' does not exist.`,
      );
    }
    expect(await listed(user.as)).toEqual([]);
  });

  it("answers 405 with Allow for a method a subscription path does not take", async () => {
    const id = crypto.randomUUID();
    for (const [method, path, allowed] of [
      ["PUT", subscriptionsPath(), "GET, POST"],
      ["PUT", subscriptionPath(id), "GET, PATCH, DELETE"],
      ["GET", `${subscriptionPath(id)}/reauthorize`, "POST"],
    ] as const) {
      const refused = await send(method, path);
      expectGraphError(refused, 405, "notAllowed", `The method ${method} is not allowed on this resource; use ${allowed}.`);
      expect(refused.headers.get("allow")).toBe(allowed);
    }
  });
});

describe("every prefix and $batch", () => {
  it("serves each route under /v1.0, /beta and no prefix, with @odata.context and Location on the request's own prefix", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    for (const prefix of ["/v1.0", "/beta", ""]) {
      const body = subscriptionBody(receiver, { resource: "/me/activities" });
      const created = await send("POST", subscriptionsPath(prefix), { as: user.as, body });
      expectJson(created, 201, subscriptionResource(body, user.as, { prefix }));
      const path = subscriptionPath(created.body.id, prefix);
      expect(created.headers.get("location")).toBe(`${ORIGIN}${path}`);
      expectJson(await send("GET", path, { as: user.as }), 200, created.body);
      expectJson(await send("GET", subscriptionsPath(prefix), { as: user.as }), 200, {
        "@odata.context": subscriptionsContext(prefix),
        value: [withoutContext(created.body)],
      });
      const patched = await send("PATCH", path, { as: user.as, body: { expirationDateTime: inMinutes(120) } });
      expect({ status: patched.status, context: patched.body["@odata.context"] }).toEqual({
        status: 200,
        context: subscriptionContext(prefix),
      });
      expect((await send("POST", `${path}/reauthorize`, { as: user.as })).status).toBe(204);
      expect((await send("DELETE", path, { as: user.as })).status).toBe(204);
    }
  });

  it("runs each route inside a batch as it runs alone", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const body = subscriptionBody(receiver, { clientState: "in a batch" });
    const sent = await batch([{ id: "create", method: "POST", url: "/subscriptions", headers: JSON_HEADERS, body }], { as: user.as });
    const created = sent.body.responses[0].body;
    expectBatchAnswer(sent, [
      {
        ...answer("create", 201, subscriptionResource(body, user.as)),
        headers: { ...answer("create", 201, null).headers, Location: `${ORIGIN}/v1.0/subscriptions/${created.id}` },
      },
    ]);
    const path = `/subscriptions/${created.id}`;
    const expiration = new Date(Date.parse(inMinutes(90))).toISOString();
    const renewed = { ...created, expirationDateTime: expiration };
    const rest = await batch(
      [
        { id: "get", method: "GET", url: `beta${path}` },
        { id: "list", method: "GET", url: "subscriptions" },
        {
          id: "patch",
          method: "PATCH",
          url: path,
          headers: JSON_HEADERS,
          body: { expirationDateTime: expiration },
          dependsOn: ["get", "list"],
        },
        { id: "reauthorize", method: "POST", url: `${path}/reauthorize`, dependsOn: ["patch"] },
        { id: "delete", method: "DELETE", url: path, dependsOn: ["reauthorize"] },
        { id: "gone", method: "GET", url: path, dependsOn: ["delete"] },
      ],
      { as: user.as },
    );
    const noBody = (id: string) => ({
      id,
      status: 204,
      headers: { "request-id": expect.stringMatching(GUID), "client-request-id": expect.stringMatching(GUID) },
      body: null,
    });
    expect(rest.body.responses).toEqual([
      answer("get", 200, { ...created, "@odata.context": subscriptionContext("/beta") }),
      answer("list", 200, { "@odata.context": subscriptionsContext(), value: [withoutContext(created)] }),
      answer("patch", 200, renewed),
      noBody("reauthorize"),
      noBody("delete"),
      errorAnswer(rest.body.responses[5], "gone", 404, "itemNotFound", `The subscription '${created.id}' does not exist.`),
    ]);
    expect(receiver.received).toEqual([handshakeTo(body.notificationUrl)]);
  });
});
