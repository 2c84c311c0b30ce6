// The requests the benchmark sends: bodies shaped like Graph's own examples, activity PUTs through
// the public API, and calls to the bench-only doors of bench/service/index.ts.
import { mintToken, type Identity } from "./tokens.ts";

/**
 * An activity body like Graph's example (/article?12345), with an optional deep insert. Without an
 * appActivityId the body fits any activity URL (the URL names it; the body may leave it out).
 */
export function activityBody(appActivityId?: string, historyItems?: object[]): string {
  return JSON.stringify({
    ...(appActivityId ? { appActivityId } : {}),
    activitySourceHost: "https://www.contoso.com",
    userTimezone: "Africa/Casablanca",
    appDisplayName: "Contoso, Ltd.",
    activationUrl: "https://www.contoso.com/article?id=12345",
    contentUrl: "https://www.contoso.com/article?id=12345",
    fallbackUrl: "https://www.contoso.com/article?id=12345",
    contentInfo: { "@context": "https://schema.org", "@type": "Article", author: "Jennifer Booth", name: "How to Tie a Reef Knot" },
    visualElements: {
      attribution: { iconUrl: "https://www.contoso.com/icon", alternateText: "Contoso, Ltd.", addImageQuery: false },
      description: "How to Tie a Reef Knot. A step-by-step visual guide to the art of nautical knot-tying.",
      backgroundColor: "#ff0000",
      displayText: "Contoso How-To: How to Tie a Reef Knot",
      content: {
        $schema: "https://adaptivecards.io/schemas/adaptive-card.json",
        type: "AdaptiveCard",
        body: [{ type: "TextBlock", text: "Contoso MainPage" }],
      },
    },
    ...(historyItems ? { historyItems } : {}),
  });
}

/** A history item body like seed 001's (the server computes activeDurationSeconds). */
export function historyItemBody(expirationDateTime?: string): Record<string, string> {
  return {
    startedDateTime: "2015-02-11T20:54:04.3457274+00:00",
    lastActiveDateTime: "2015-02-11T20:54:24.3457274+00:00",
    userTimezone: "Africa/Casablanca",
    ...(expirationDateTime ? { expirationDateTime } : {}),
  };
}

/** A caller: an identity and a token for it. */
export interface Client {
  identity: Identity;
  headers: Record<string, string>;
}

export async function clientFor(identity: Identity): Promise<Client> {
  return { identity, headers: { authorization: `Bearer ${await mintToken(identity, 4 * 3600)}`, "content-type": "application/json" } };
}

/** PUTs an activity (creating or replacing it) and returns its server id. */
export async function putActivity(origin: string, client: Client, appActivityId: string, historyItems?: object[]): Promise<string> {
  const response = await fetch(`${origin}/v1.0/me/activities/${encodeURIComponent(appActivityId)}`, {
    method: "PUT",
    headers: client.headers,
    body: activityBody(appActivityId, historyItems),
  });
  const text = await response.text();
  if (response.status !== 200 && response.status !== 201) throw new Error(`PUT activity: ${response.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** Calls one of the bench-only doors of bench/service/index.ts. */
export async function benchDoor<T>(origin: string, door: string, body: unknown): Promise<T> {
  const response = await fetch(`${origin}/__bench/${door}`, { method: "POST", body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`/__bench/${door}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/**
 * Subscribes the caller's feed to every change, delivered to `notificationUrl`, through the real
 * route (POST /v1.0/subscriptions, which runs the validation handshake first); returns its id.
 */
export async function subscribe(origin: string, client: Client, notificationUrl: string, clientState: string): Promise<string> {
  const response = await fetch(`${origin}/v1.0/subscriptions`, {
    method: "POST",
    headers: client.headers,
    body: JSON.stringify({
      changeType: "created,updated,deleted",
      notificationUrl,
      resource: "me/activities",
      expirationDateTime: new Date(Date.now() + 3600_000).toISOString(),
      clientState,
    }),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`POST /v1.0/subscriptions: ${response.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { id: string }).id;
}
