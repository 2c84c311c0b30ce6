import { z } from "@hono/zod-openapi";
import { formatDateTime } from "../graph/dates";
import { limits } from "../limits";
import { SUBSCRIPTION_CHANGE_TYPES, type SubscriptionChangeType, type SubscriptionRecord } from "../objects/subscription-records";
import { dateTimeSchema, expected, graphObject, guidSchema, ignoredSchema, textSchema } from "./common";

// Graph's subscription resource (/subscriptions), for one resource only: the caller's activities.
// The examples are Graph's own ("Create subscription"), with this service's resource.

const SUBSCRIPTION_TYPE = "microsoft.graph.subscription";

/** Graph's example endpoints: a test receiver answers at this host (test/openapi-tools.test.ts). */
export const EXAMPLE_NOTIFICATION_URL = "https://webhook.azurewebsites.net/api/send/myNotifyClient";
const EXAMPLE_LIFECYCLE_URL = "https://webhook.azurewebsites.net/api/send/lifecycleNotifications";
/** Graph's example date: long past, so a subscription asked to end then lives the shortest lifetime, 45 minutes. */
const EXAMPLE_EXPIRATION = "2016-11-20T18:23:45.9356913Z";

/** The TLS versions Graph names; accepted and shown, not used (the platform's TLS applies). */
const TLS_VERSIONS = ["v1_0", "v1_1", "v1_2", "v1_3"] as const;

/** Graph's default latestSupportedTlsVersion. */
export const DEFAULT_TLS_VERSION = "v1_2";

const CHANGE_TYPES_EXPECTED = `a comma-separated list of ${SUBSCRIPTION_CHANGE_TYPES.join(", ")}`;

/** changeType: the change types named, in the client's order, without repeats; spaces around commas are tolerated. */
const changeTypeSchema = z
  .string(expected(CHANGE_TYPES_EXPECTED))
  .transform((text, ctx): SubscriptionChangeType[] => {
    const names = text.split(",").map((name) => name.trim());
    const unknown = names.find((name) => !(SUBSCRIPTION_CHANGE_TYPES as readonly string[]).includes(name));
    if (unknown === undefined) return [...new Set(names as SubscriptionChangeType[])];
    const which = unknown === "" ? "an empty name" : `'${unknown.slice(0, 20)}' is not one`;
    ctx.addIssue({ code: "custom", message: `expected ${CHANGE_TYPES_EXPECTED} (${which})` });
    return z.NEVER;
  })
  .openapi({ type: "string", description: `The changes to be notified of: ${CHANGE_TYPES_EXPECTED}.`, example: "created,updated,deleted" });

/** The resource a subscription watches, as written: the caller's activities, and the user a `users/{user}/…` form names. */
export interface WatchedResource {
  written: string;
  /** The user of `users/{user}/activities`, percent-decoded; null for `me/activities`. */
  user: string | null;
}

const RESOURCE_EXPECTED = "me/activities or users/{your id or user principal name}/activities";
const RESOURCE = /^\/?(?:(me)|users\/([^/]+))\/activities$/i;

/** resource: `me/activities` or `users/{user}/activities`, with or without a leading slash; whose they are is judged with the caller. */
const resourceSchema = z
  .string(expected(RESOURCE_EXPECTED))
  .max(limits.urlChars, `expected at most ${limits.urlChars} characters`)
  .transform((text, ctx): WatchedResource => {
    const match = RESOURCE.exec(text);
    let user: string | null = null;
    try {
      if (match && !match[1]) user = decodeURIComponent(match[2]!);
    } catch {
      // Refused below, as any other resource.
    }
    if (match && (match[1] || user !== null)) return { written: text, user };
    ctx.addIssue({ code: "custom", message: `expected ${RESOURCE_EXPECTED}; no other resource can be subscribed to here` });
    return z.NEVER;
  })
  .openapi({
    type: "string",
    description: `The caller's activities: ${RESOURCE_EXPECTED} (a leading slash is allowed).`,
    example: "me/activities",
  });

/** An endpoint's URL; whether it may be used (https, loopback http) depends on the deployment and is judged by the route. */
const endpointSchema = z
  .string(expected("an absolute https URL"))
  .max(limits.urlChars, `expected at most ${limits.urlChars} characters`)
  .openapi({ format: "uri" });

const expirationSchema = dateTimeSchema.openapi({
  description:
    "When the subscription ends: at most 4230 minutes from now; a time under 45 minutes from now (or past) is raised to 45 minutes from now.",
  example: EXAMPLE_EXPIRATION,
});

/** A property the service does not support, accepted only as null (absent is the same). */
const unsupported = (what: string) =>
  z
    .null(expected(`null: ${what} is not supported here`))
    .optional()
    .openapi({ readOnly: true, description: `Not supported here: null or absent (${what}).` });

/** The body of POST /subscriptions. */
export const subscriptionCreateSchema = z
  .strictObject(
    {
      "@odata.type": ignoredSchema,
      "@odata.context": ignoredSchema,
      id: ignoredSchema,
      applicationId: ignoredSchema,
      creatorId: ignoredSchema,
      resource: resourceSchema,
      changeType: changeTypeSchema,
      notificationUrl: endpointSchema.openapi({
        description:
          "Where notifications are POSTed: https (plain http only to a loopback address, where the deployment allows it). It must pass the validation handshake.",
        example: EXAMPLE_NOTIFICATION_URL,
      }),
      lifecycleNotificationUrl: endpointSchema.nullish().openapi({
        description: "Where lifecycle notifications are POSTed; the same rules; set only at creation.",
        example: EXAMPLE_LIFECYCLE_URL,
      }),
      expirationDateTime: expirationSchema,
      clientState: textSchema(limits.clientStateChars)
        .nullish()
        .openapi({ description: "Sent back in every notification, for the receiver to check.", example: "secretClientValue" }),
      includeResourceData: z.boolean(expected("true or false")).nullish().openapi({
        description: "true: notifications carry the activity, encrypted (needs encryptionCertificate and its id).",
        example: false,
      }),
      encryptionCertificate: z.string(expected("a base64-encoded X.509 certificate")).nullish().openapi({
        description: "The receiver's certificate (base64 X.509, RSA 2048 to 4096 bits), for includeResourceData.",
        example: null,
      }),
      encryptionCertificateId: textSchema()
        .nullish()
        .openapi({ description: "The app's own id for the certificate, sent back with each encrypted notification.", example: null }),
      latestSupportedTlsVersion: z
        .enum(TLS_VERSIONS, expected(`one of ${TLS_VERSIONS.join(", ")}`))
        .nullish()
        .openapi({ description: `Accepted and shown, not used; default ${DEFAULT_TLS_VERSION}.`, example: DEFAULT_TLS_VERSION }),
      notificationQueryOptions: unsupported("notificationQueryOptions"),
      notificationUrlAppId: unsupported("notificationUrlAppId"),
    },
    graphObject(SUBSCRIPTION_TYPE),
  )
  .openapi("subscriptionCreate");

export type SubscriptionCreateBody = z.infer<typeof subscriptionCreateSchema>;

/** The properties a PATCH may change. */
const PATCHABLE = ["expirationDateTime", "notificationUrl"] as const;

/** A property of the resource that a PATCH cannot change: refused by name when sent. */
const notPatchable = z
  .unknown()
  .refine(() => false, `cannot be changed by a PATCH; only ${PATCHABLE.join(" and ")} can`)
  .optional()
  .openapi({ readOnly: true, description: "Cannot be changed by a PATCH." });

/** The body of PATCH /subscriptions/{id}: a new expirationDateTime, a new notificationUrl, or both. */
export const subscriptionPatchSchema = z
  .strictObject(
    {
      "@odata.type": ignoredSchema,
      "@odata.context": ignoredSchema,
      ...Object.fromEntries(
        Object.keys(subscriptionCreateSchema.shape)
          .filter((name) => !name.startsWith("@odata.") && !(PATCHABLE as readonly string[]).includes(name))
          .map((name) => [name, notPatchable]),
      ),
      expirationDateTime: expirationSchema.optional(),
      notificationUrl: endpointSchema.optional().openapi({
        description: "A new endpoint; it must pass the validation handshake before the change is stored.",
        example: EXAMPLE_NOTIFICATION_URL,
      }),
    },
    graphObject(SUBSCRIPTION_TYPE),
  )
  .openapi("subscriptionPatch");

/** Graph's example subscription id. */
const EXAMPLE_ID = "7f105c7d-2dc5-4530-97cd-4e7ae6534c07";

/** A subscription id in the URL: documented as a GUID, but anything else is simply not found (404). */
export const subscriptionIdSchema = z.string().openapi({
  description: "The subscription's id, as POST /subscriptions returned it.",
  format: "uuid",
  example: EXAMPLE_ID,
});

/** Graph's subscription resource: all of Graph v1.0's properties, nulls included. */
export const subscriptionSchema = z
  .object({
    "@odata.context": z.string().optional(),
    id: guidSchema.openapi({ description: "Set by the service: a GUID, in lowercase.", example: EXAMPLE_ID }),
    resource: z.string(),
    applicationId: z.string().openapi({ description: "The subscribing app (the token's azp or appid)." }),
    changeType: z.string().openapi({ example: "created,updated,deleted" }),
    clientState: z.string().nullable(),
    notificationUrl: z.string(),
    notificationQueryOptions: z.null(),
    lifecycleNotificationUrl: z.string().nullable(),
    expirationDateTime: z.string(),
    creatorId: z.string().openapi({ description: "The subscribing user's object id (oid)." }),
    includeResourceData: z.boolean(),
    latestSupportedTlsVersion: z.string(),
    encryptionCertificate: z.string().nullable(),
    encryptionCertificateId: z.string().nullable(),
    notificationUrlAppId: z.null(),
  })
  .openapi("subscription");

export type SubscriptionResource = z.infer<typeof subscriptionSchema>;

/** A list of subscriptions, as GET /subscriptions answers it. */
export const subscriptionListSchema = z
  .object({ "@odata.context": z.string(), value: z.array(subscriptionSchema) })
  .openapi("subscriptionCollection");

/** The wire form of a stored subscription (without @odata.context). */
export function toSubscriptionResource(record: SubscriptionRecord): SubscriptionResource {
  return {
    id: record.id,
    resource: record.resource,
    applicationId: record.applicationId,
    changeType: record.changeTypes.join(","),
    clientState: record.clientState,
    notificationUrl: record.notificationUrl,
    notificationQueryOptions: null,
    lifecycleNotificationUrl: record.lifecycleNotificationUrl,
    expirationDateTime: formatDateTime(record.expirationMs),
    creatorId: record.creatorId,
    includeResourceData: record.includeResourceData,
    latestSupportedTlsVersion: record.latestSupportedTlsVersion,
    encryptionCertificate: record.encryptionCertificate,
    encryptionCertificateId: record.encryptionCertificateId,
    notificationUrlAppId: null,
  };
}
