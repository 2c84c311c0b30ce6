// What POST and PATCH /subscriptions take: the resource (the caller's activities only), changeType,
// the endpoints (https; loopback http only where the deployment allows it), the limits of each
// property, rich notifications' needs, read-only and unknown properties. A refused request stores
// nothing and sends nothing, not even a handshake.
import { describe, expect, it } from "vitest";
import { send } from "./support/api";
import { expectGraphError } from "./support/graph";
import { CERTIFICATES } from "./support/certificates";
import { Receiver } from "./support/receiver";
import {
  handshakeTo,
  inMinutes,
  listed,
  postSubscription,
  subscriptionBody,
  subscriptionPath,
  subscriptionResource,
  subscriptionsPath,
} from "./support/subscriptions";
import { expectJson, freshUser } from "./support/users";

const HTTPS_RULE =
  "expected an https URL (plain http only to a loopback address: localhost, 127.0.0.0/8 or [::1], where the deployment allows it)";
const RESOURCE_RULE = "expected me/activities or users/{your id or user principal name}/activities";
const CHANGE_TYPES = "expected a comma-separated list of created, updated, deleted";

/** Bodies POST refuses with a 400, each with the message naming its problem. */
const REFUSED: [what: string, overrides: Record<string, unknown>, message: string][] = [
  [
    "another resource",
    { resource: "me/events" },
    `Invalid value for 'resource': ${RESOURCE_RULE}; no other resource can be subscribed to here.`,
  ],
  [
    "one activity",
    { resource: "me/activities/123" },
    `Invalid value for 'resource': ${RESOURCE_RULE}; no other resource can be subscribed to here.`,
  ],
  [
    "no user",
    { resource: "users//activities" },
    `Invalid value for 'resource': ${RESOURCE_RULE}; no other resource can be subscribed to here.`,
  ],
  [
    "a user in bad percent-encoding",
    { resource: "users/%E0%A4%A/activities" },
    `Invalid value for 'resource': ${RESOURCE_RULE}; no other resource can be subscribed to here.`,
  ],
  ["a resource that is no string", { resource: 42 }, `Invalid value for 'resource': ${RESOURCE_RULE}.`],
  ["an unknown change type", { changeType: "created,moved" }, `Invalid value for 'changeType': ${CHANGE_TYPES} ('moved' is not one).`],
  ["a change type in another case", { changeType: "Created" }, `Invalid value for 'changeType': ${CHANGE_TYPES} ('Created' is not one).`],
  ["no change type", { changeType: "" }, `Invalid value for 'changeType': ${CHANGE_TYPES} (an empty name).`],
  ["an empty change type", { changeType: "created,,deleted" }, `Invalid value for 'changeType': ${CHANGE_TYPES} (an empty name).`],
  [
    "plain http",
    { notificationUrl: "http://contoso.com/hook" },
    `Invalid value for 'notificationUrl': ${HTTPS_RULE}; got 'http://contoso.com/hook'.`,
  ],
  [
    "a name that only starts like localhost",
    { notificationUrl: "http://localhost.contoso.com/" },
    `Invalid value for 'notificationUrl': ${HTTPS_RULE}; got 'http://localhost.contoso.com/'.`,
  ],
  [
    "another scheme",
    { notificationUrl: "ftp://contoso.com/hook" },
    `Invalid value for 'notificationUrl': ${HTTPS_RULE}; got 'ftp://contoso.com/hook'.`,
  ],
  [
    "no URL",
    { notificationUrl: "contoso.com/hook" },
    "Invalid value for 'notificationUrl': expected an absolute https URL; got 'contoso.com/hook'.",
  ],
  [
    "credentials in the URL",
    { notificationUrl: "https://app:secret@contoso.com/hook" },
    "Invalid value for 'notificationUrl': expected a URL without credentials (user:password@): the receiver checks clientState instead; got 'https://app:secret@contoso.com/hook'.",
  ],
  [
    "a plain http lifecycle URL",
    { lifecycleNotificationUrl: "http://contoso.com/life" },
    `Invalid value for 'lifecycleNotificationUrl': ${HTTPS_RULE}; got 'http://contoso.com/life'.`,
  ],
  [
    "no date",
    { expirationDateTime: "tomorrow" },
    "Invalid value for 'expirationDateTime': expected an ISO 8601 date and time with an offset and up to 7 fractional digits, such as 2015-02-11T20:54:04.3457274+00:00.",
  ],
  [
    "a clientState of 129 characters",
    { clientState: "x".repeat(129) },
    "Invalid value for 'clientState': expected at most 128 characters.",
  ],
  [
    "a TLS version Graph does not name",
    { latestSupportedTlsVersion: "v2_0" },
    "Invalid value for 'latestSupportedTlsVersion': expected one of v1_0, v1_1, v1_2, v1_3.",
  ],
  [
    "includeResourceData that is no boolean",
    { includeResourceData: "yes" },
    "Invalid value for 'includeResourceData': expected true or false.",
  ],
  [
    "rich notifications without a certificate",
    { includeResourceData: true },
    "includeResourceData is true, so the properties 'encryptionCertificate' and 'encryptionCertificateId' are required: rich notifications are encrypted to the receiver's certificate.",
  ],
  [
    "rich notifications without the certificate's id",
    { includeResourceData: true, encryptionCertificate: "MIIB" },
    "includeResourceData is true, so the property 'encryptionCertificateId' is required: rich notifications are encrypted to the receiver's certificate.",
  ],
  [
    "notificationQueryOptions",
    { notificationQueryOptions: "$filter=x" },
    "Invalid value for 'notificationQueryOptions': expected null: notificationQueryOptions is not supported here.",
  ],
  ["an unknown property", { colour: "red" }, "The property 'colour' does not exist on type 'microsoft.graph.subscription'."],
];

describe("POST /subscriptions refuses, storing and sending nothing", () => {
  for (const [what, overrides, message] of REFUSED) {
    it(`${what}: 400 naming it`, async () => {
      const receiver = new Receiver();
      const user = freshUser();
      const refused = await send("POST", subscriptionsPath(), { as: user.as, body: subscriptionBody(receiver, overrides) });
      expectGraphError(refused, 400, "BadRequest", message);
      expect(await listed(user.as)).toEqual([]);
      expect(receiver.received).toEqual([]);
    });
  }

  it("a body without the required properties: 400 naming each", async () => {
    const user = freshUser();
    expectGraphError(
      await send("POST", subscriptionsPath(), { as: user.as, body: {} }),
      400,
      "BadRequest",
      "The property 'resource' is required. The property 'changeType' is required. The property 'notificationUrl' is required. The property 'expirationDateTime' is required.",
    );
    expect(await listed(user.as)).toEqual([]);
  });

  it("a certificate the service cannot encrypt to, with or without includeResourceData: 400 naming encryptionCertificate and why", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    for (const [certificate, why] of [
      ["not base64!", "Not base64: expected an X.509 certificate's DER bytes in base64, or a PEM certificate."],
      [CERTIFICATES.ecP256, "The certificate's key is EC (P-256); expected RSA of 2048 to 4096 bits."],
      [CERTIFICATES.rsa1024, "The certificate's key is 1024-bit RSA; expected RSA of 2048 to 4096 bits."],
    ]) {
      for (const includeResourceData of [true, false]) {
        const body = subscriptionBody(receiver, {
          includeResourceData,
          encryptionCertificate: certificate,
          encryptionCertificateId: "my-cert",
        });
        expectGraphError(
          await send("POST", subscriptionsPath(), { as: user.as, body }),
          400,
          "BadRequest",
          `Invalid value for 'encryptionCertificate'. ${why}`,
        );
      }
    }
    expect(await listed(user.as)).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it("rich notifications where the deployment has no key to sign their validationTokens: 400", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const body = subscriptionBody(receiver, {
      includeResourceData: true,
      encryptionCertificate: CERTIFICATES.rsa2048,
      encryptionCertificateId: "my-cert",
    });
    expectGraphError(
      await send("POST", subscriptionsPath(), { as: user.as, body, vars: { NOTIFICATION_SIGNING_KEY: "" } }),
      400,
      "BadRequest",
      "includeResourceData is not available on this deployment: it has no key to sign the validationTokens rich notifications carry (NOTIFICATION_SIGNING_KEY is not set). Subscribe without it.",
    );
    expect(await listed(user.as)).toEqual([]);
    expect(receiver.received).toEqual([]);
  });

  it("another user's activities: 403, as their path would be", async () => {
    const receiver = new Receiver();
    const user = freshUser({ upn: "adele.vance@contoso.com" });
    for (const other of ["alex.wilber@contoso.com", crypto.randomUUID()]) {
      const refused = await send("POST", subscriptionsPath(), {
        as: user.as,
        body: subscriptionBody(receiver, { resource: `users/${other}/activities` }),
      });
      expectGraphError(
        refused,
        403,
        "accessDenied",
        `Access denied: you may act only on your own activities (/me, or /users/ with your own id or user principal name), not those of '${other}'.`,
      );
    }
    expect(await listed(user.as)).toEqual([]);
    expect(receiver.received).toEqual([]);
  });
});

describe("POST /subscriptions takes", () => {
  it("each form of the caller's own activities, as written", async () => {
    const receiver = new Receiver();
    const user = freshUser({ upn: "adele.vance@contoso.com" });
    const resources = [
      "me/activities",
      "/me/activities",
      `users/${user.oid}/activities`,
      "/users/Adele.Vance@contoso.com/activities",
      "users/adele.vance%40contoso.com/activities",
    ];
    for (const resource of resources) {
      const body = subscriptionBody(receiver, { resource });
      expectJson(await send("POST", subscriptionsPath(), { as: user.as, body }), 201, subscriptionResource(body, user.as));
    }
    expect(((await listed(user.as)) as { resource: string }[]).map(({ resource }) => resource)).toEqual(resources);
  });

  it("changeType with spaces around commas and repeats, as its set in the order given", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const body = subscriptionBody(receiver, { changeType: " deleted , created,deleted " });
    expectJson(
      await send("POST", subscriptionsPath(), { as: user.as, body }),
      201,
      subscriptionResource({ ...body, changeType: "deleted,created" }, user.as),
    );
  });

  it("the longest clientState, null for the optional properties, and read-only properties, which it ignores", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    const body = subscriptionBody(receiver, {
      clientState: "x".repeat(128),
      lifecycleNotificationUrl: null,
      includeResourceData: null,
      encryptionCertificate: null,
      encryptionCertificateId: null,
      latestSupportedTlsVersion: null,
      notificationQueryOptions: null,
      notificationUrlAppId: null,
      "@odata.type": "#microsoft.graph.subscription",
      id: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07",
      applicationId: "someone else's app",
      creatorId: "someone else",
    });
    const created = await send("POST", subscriptionsPath(), { as: user.as, body });
    expectJson(created, 201, subscriptionResource(body, user.as));
    expect(created.body.id).not.toBe(body.id);
  });

  it("rich notifications with an RSA certificate (base64 DER or PEM) and its id, both returned as sent", async () => {
    const receiver = new Receiver();
    const user = freshUser();
    for (const certificate of [CERTIFICATES.rsa2048, CERTIFICATES.rsa4096, CERTIFICATES.rsa2048Pem]) {
      const body = subscriptionBody(receiver, {
        includeResourceData: true,
        encryptionCertificate: certificate,
        encryptionCertificateId: "my-cert-1",
      });
      expectJson(await send("POST", subscriptionsPath(), { as: user.as, body }), 201, subscriptionResource(body, user.as));
    }
  });

  it("plain http to a loopback address only where WEBHOOK_LOOPBACK_HTTP is on (it is, under .dev.vars)", async () => {
    const user = freshUser();
    const port = () => 20_000 + Math.floor(Math.random() * 40_000);
    for (const origin of [`http://localhost:${port()}`, `http://127.5.6.7:${port()}`, `http://[::1]:${port()}`]) {
      const receiver = new Receiver(undefined, origin);
      const body = subscriptionBody(receiver);
      expectJson(await send("POST", subscriptionsPath(), { as: user.as, body }), 201, subscriptionResource(body, user.as));
      expect(receiver.received).toEqual([handshakeTo(body.notificationUrl)]);

      // A deployment with the variable off (wrangler.toml's) refuses the same body.
      const other = freshUser();
      const refused = await send("POST", subscriptionsPath(), { as: other.as, body, vars: { WEBHOOK_LOOPBACK_HTTP: "off" } });
      expectGraphError(
        refused,
        400,
        "BadRequest",
        `Invalid value for 'notificationUrl': expected an https URL: plain http to a loopback address is allowed only where the deployment allows it (WEBHOOK_LOOPBACK_HTTP), and this one does not; got '${body.notificationUrl}'.`,
      );
      expect(await listed(other.as)).toEqual([]);
      expect(receiver.received).toHaveLength(1);
    }
  });
});

describe("PATCH /subscriptions/{id} refuses, changing nothing", () => {
  const PATCH_REFUSED: [what: string, body: Record<string, unknown>, message: string][] = [
    [
      "clientState",
      { clientState: "new" },
      "Invalid value for 'clientState': cannot be changed by a PATCH; only expirationDateTime and notificationUrl can.",
    ],
    [
      "lifecycleNotificationUrl, settable only at creation",
      { lifecycleNotificationUrl: "https://contoso.com/life" },
      "Invalid value for 'lifecycleNotificationUrl': cannot be changed by a PATCH; only expirationDateTime and notificationUrl can.",
    ],
    [
      "changeType",
      { changeType: "deleted" },
      "Invalid value for 'changeType': cannot be changed by a PATCH; only expirationDateTime and notificationUrl can.",
    ],
    [
      "id",
      { id: "7f105c7d-2dc5-4530-97cd-4e7ae6534c07" },
      "Invalid value for 'id': cannot be changed by a PATCH; only expirationDateTime and notificationUrl can.",
    ],
    ["an unknown property", { colour: "red" }, "The property 'colour' does not exist on type 'microsoft.graph.subscription'."],
    [
      "a null expirationDateTime",
      { expirationDateTime: null },
      "Invalid value for 'expirationDateTime': expected an ISO 8601 date and time with an offset and up to 7 fractional digits, such as 2015-02-11T20:54:04.3457274+00:00.",
    ],
    [
      "a plain http notificationUrl",
      { notificationUrl: "http://contoso.com/hook" },
      `Invalid value for 'notificationUrl': ${HTTPS_RULE}; got 'http://contoso.com/hook'.`,
    ],
  ];

  for (const [what, body, message] of PATCH_REFUSED) {
    it(`${what}: 400 naming it`, async () => {
      const receiver = new Receiver();
      const user = freshUser();
      const created = await postSubscription(receiver, user.as);
      expectGraphError(
        await send("PATCH", subscriptionPath(created.id), { as: user.as, body: { expirationDateTime: inMinutes(200), ...body } }),
        400,
        "BadRequest",
        message,
      );
      expectJson(await send("GET", subscriptionPath(created.id), { as: user.as }), 200, created);
      expect(receiver.received).toEqual([handshakeTo(created.notificationUrl)]);
    });
  }
});
