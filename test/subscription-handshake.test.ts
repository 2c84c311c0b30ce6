// The validation handshake (Graph's): before a subscription is stored, and before a PATCH moves its
// notificationUrl, each endpoint must answer the POST of {url}?validationToken= with 200 and the
// token, exactly, within 10 s. Anything else is a 400 ValidationError naming the URL and what went
// wrong, and nothing is stored.
import { describe, expect, it } from "vitest";
import { send } from "./support/api";
import { expectGraphError } from "./support/graph";
import { type Behaviour, Receiver, stall } from "./support/receiver";
import {
  handshakeTo,
  inMinutes,
  listed,
  postSubscription,
  subscriptionBody,
  subscriptionPath,
  subscriptionsPath,
} from "./support/subscriptions";
import { expectJson, freshUser } from "./support/users";

const RULE =
  "An endpoint must answer the POST of {url}?validationToken={token} with 200 and the token, exactly, as text/plain, within 10 s; nothing was stored.";

/** The whole message of a failed handshake: one sentence per endpoint that failed. */
const failed = (...sentences: string[]) => `Subscription validation request failed. ${sentences.join(" ")} ${RULE}`;

const token = (request: { url: URL }) => request.url.searchParams.get("validationToken")!;

/** Answers that are not the handshake Graph asks for, and what the service says of each. */
const WRONG: [what: string, behaviour: Behaviour, problem: string | ((request: { url: URL }) => string)][] = [
  ["another body", () => new Response("hello"), "it answered 200 with the body 'hello', not the validationToken"],
  [
    "the token with a newline",
    (request) => new Response(`${token(request)}\n`),
    (request) => `it answered 200 with the body '${token(request)}\n', not the validationToken`,
  ],
  ["an empty body", () => new Response(null), "it answered 200 with the body '', not the validationToken"],
  ["a long body", () => new Response("x".repeat(5000)), "it answered 200 with a body of more than 1024 bytes, not the validationToken"],
  ["the token with 202", (request) => new Response(token(request), { status: 202 }), "it answered 202 instead of 200"],
  ["500", () => new Response("oops", { status: 500 }), "it answered 500 instead of 200"],
  ["a redirect to a receiver that would echo", () => Response.redirect(new Receiver().url(), 302), "it answered 302 instead of 200"],
];

describe("POST /subscriptions with an endpoint that fails the handshake", () => {
  for (const [what, behaviour, problem] of WRONG) {
    it(`${what}: 400 ValidationError naming the URL and the answer; nothing stored`, async () => {
      const receiver = new Receiver(behaviour);
      const user = freshUser();
      const body = subscriptionBody(receiver, { notificationUrl: receiver.url("/hook?key=1") });
      const refused = await send("POST", subscriptionsPath(), { as: user.as, body });
      const seen = receiver.received[0]!;
      const sentence = typeof problem === "string" ? problem : problem(seen);
      expectGraphError(refused, 400, "ValidationError", failed(`The notificationUrl '${body.notificationUrl}' failed: ${sentence}.`));
      expect(receiver.received).toEqual([handshakeTo(body.notificationUrl)]);
      expect(await listed(user.as)).toEqual([]);
    });
  }

  it("a refused connection: 400 ValidationError; nothing stored", async () => {
    const user = freshUser();
    // Loopback http is allowed under .dev.vars; nothing listens on the discard port.
    const body = { ...subscriptionBody(new Receiver()), notificationUrl: "http://127.0.0.1:9/hook" };
    const refused = await send("POST", subscriptionsPath(), { as: user.as, body });
    expectGraphError(
      refused,
      400,
      "ValidationError",
      failed("The notificationUrl 'http://127.0.0.1:9/hook' failed: the connection was refused or failed."),
    );
    expect(await listed(user.as)).toEqual([]);
  });

  it("no answer within 10 s, from both endpoints: one 400 ValidationError naming each, after 10 s (both were asked at once)", async () => {
    // The one real 10 s wait: under fake timers workerd sees the stalled Worker as hung and cancels it.
    const notifications = new Receiver(stall);
    const lifecycle = new Receiver(stall);
    const user = freshUser();
    const body = subscriptionBody(notifications, { lifecycleNotificationUrl: lifecycle.url("/lifecycle") });
    const refused = await send("POST", subscriptionsPath(), { as: user.as, body });
    expectGraphError(
      refused,
      400,
      "ValidationError",
      failed(
        `The notificationUrl '${body.notificationUrl}' failed: it did not answer within 10 s.`,
        `The lifecycleNotificationUrl '${body.lifecycleNotificationUrl}' failed: it did not answer within 10 s.`,
      ),
    );
    // Ten seconds, not twenty: the two handshakes ran at once.
    expect(refused.answeredAt - refused.sentAt).toBeGreaterThanOrEqual(10_000);
    expect(refused.answeredAt - refused.sentAt).toBeLessThan(15_000);
    expect(notifications.received).toEqual([handshakeTo(body.notificationUrl)]);
    expect(lifecycle.received).toEqual([handshakeTo(body.lifecycleNotificationUrl)]);
    expect(await listed(user.as)).toEqual([]);
  });

  it("a prompt notificationUrl does not make up for a lifecycleNotificationUrl that fails: nothing stored", async () => {
    const notifications = new Receiver();
    const lifecycle = new Receiver(() => new Response("wrong"));
    const user = freshUser();
    const body = subscriptionBody(notifications, { lifecycleNotificationUrl: lifecycle.url("/lifecycle") });
    const again = await send("POST", subscriptionsPath(), { as: user.as, body });
    expectGraphError(
      again,
      400,
      "ValidationError",
      failed(
        `The lifecycleNotificationUrl '${body.lifecycleNotificationUrl}' failed: it answered 200 with the body 'wrong', not the validationToken.`,
      ),
    );
    expect(notifications.received).toEqual([handshakeTo(body.notificationUrl)]);
    expect(lifecycle.received).toEqual([handshakeTo(body.lifecycleNotificationUrl)]);
    expect(await listed(user.as)).toEqual([]);
  });
});

describe("PATCH /subscriptions/{id} moving notificationUrl to an endpoint that fails the handshake", () => {
  it("400 ValidationError; the subscription keeps its URL and lifetime", async () => {
    const receiver = new Receiver();
    const failing = new Receiver(() => new Response("not found", { status: 404 }));
    const user = freshUser();
    const created = await postSubscription(receiver, user.as);
    const path = subscriptionPath(created.id);
    const refused = await send("PATCH", path, {
      as: user.as,
      body: { notificationUrl: failing.url(), expirationDateTime: inMinutes(300) },
    });
    expectGraphError(
      refused,
      400,
      "ValidationError",
      failed(`The notificationUrl '${failing.url()}' failed: it answered 404 instead of 200.`),
    );
    expect(failing.received).toEqual([handshakeTo(failing.url())]);
    expectJson(await send("GET", path, { as: user.as }), 200, created);
  });
});
