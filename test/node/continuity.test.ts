// Continuity with real clients against the service as `npm run dev` serves it: a delta round and a
// deltaLink round through the classic client's PageIterator and through Kiota's request builders
// (withUrl, as Graph's docs show for delta links), and a live WebSocket from Node's own client.
import { PageIterator, type PageCollection } from "@microsoft/microsoft-graph-client";
import type { UserActivity } from "@microsoft/msgraph-sdk/models/index.js";
import { beforeEach, describe, expect, inject, it } from "vitest";
import { classicClient, kiotaSdk } from "./clients";
import { mintToken } from "./token";

const origin = inject("serviceUrl");
const secureOrigin = inject("secureServiceUrl");

const activityBody = (displayText: string) => ({
  activitySourceHost: "https://www.contoso.com",
  activationUrl: "https://www.contoso.com/article?id=12345",
  visualElements: { displayText },
});

let user: string;
let token: string;

beforeEach(async () => {
  user = crypto.randomUUID();
  token = await mintToken({ user });
});

/** Writes through the service as any app would; the answer's JSON. */
async function write(base: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${base}/v1.0${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(response.ok, `${method} ${path}: ${response.status}`).toBe(true);
  return response.status === 204 ? null : ((await response.json()) as Record<string, any>);
}

/** Creates `count` activities; their ids. */
async function createActivities(base: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await write(
      base,
      "PUT",
      `/me/activities/${encodeURIComponent(`/delta/${i}?${crypto.randomUUID()}`)}`,
      activityBody(`Activity ${i}`),
    );
    ids.push(created!.id);
  }
  return ids;
}

describe("delta with Microsoft Graph's JavaScript client (v3)", () => {
  it("PageIterator walks a whole round, then the deltaLink's round brings the changes and removals", async () => {
    const client = classicClient(secureOrigin, inject("secureServiceCertificate"), token);
    const ids = await createActivities(secureOrigin, 12);

    /** Walks a round from `path` with the client's PageIterator; what it saw and the deltaLink it ended with. */
    async function round(path: string) {
      const seen: any[] = [];
      const first: PageCollection = await client.api(path).header("Prefer", "odata.maxpagesize=5").get();
      const iterator = new PageIterator(client, first, (activity) => {
        seen.push(activity);
        return true;
      });
      await iterator.iterate();
      return { seen, deltaLink: iterator.getDeltaLink()! };
    }

    const first = await round("/me/activities/delta");
    expect(first.seen.map((activity) => activity.id).sort()).toEqual([...ids].sort());
    expect(first.deltaLink).toMatch(new RegExp(`^${secureOrigin}/v1\\.0/me/activities/delta\\?\\$deltatoken=[^&]+$`));

    const patched = await write(secureOrigin, "PATCH", `/me/activities/${ids[0]}`, { visualElements: { displayText: "Changed" } });
    await write(secureOrigin, "DELETE", `/me/activities/${ids[1]}`);
    const second = await round(first.deltaLink);
    const { "@odata.context": _context, ...current } = patched!;
    expect(second.seen.sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
      [current, { id: ids[1], "@removed": { reason: "deleted" } }].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const third = await round(second.deltaLink);
    expect(third.seen).toEqual([]);
  });
});

describe("delta with the Kiota SDK", () => {
  it("withUrl reads a round page by page to its deltaLink (kept in additionalData), then the deltaLink's round", async () => {
    const { client } = kiotaSdk(origin, token);
    const ids = await createActivities(origin, 7);
    const activities = client.users.byUserId(user).activities;

    /** Reads a round from `url` with the request builder's withUrl, as Graph's docs show for delta links. */
    async function round(url: string) {
      const seen: UserActivity[] = [];
      for (let next: string | undefined = url; ;) {
        const page = await activities.withUrl(next).get({ headers: { Prefer: "odata.maxpagesize=3" } });
        seen.push(...(page!.value ?? []));
        next = page!.odataNextLink ?? undefined;
        if (next === undefined) return { seen, deltaLink: page!.additionalData?.["@odata.deltaLink"] as string };
        expect(page!.additionalData?.["@odata.deltaLink"]).toBeUndefined();
      }
    }

    const first = await round(`${origin}/v1.0/users/${user}/activities/delta()`);
    expect(first.seen.map((activity) => activity.id).sort()).toEqual([...ids].sort());
    expect(first.deltaLink).toMatch(new RegExp(`^${origin}/v1\\.0/users/${user}/activities/delta\\(\\)\\?\\$deltatoken=[^&]+$`));

    await write(origin, "POST", `/me/activities/${ids[2]}/historyItems`, { startedDateTime: new Date().toISOString() });
    const second = await round(first.deltaLink);
    expect(second.seen.map((activity) => activity.id)).toEqual([ids[2]]);
    expect(second.seen[0]!.visualElements?.displayText).toBe("Activity 2");
    expect((await round(second.deltaLink)).seen).toEqual([]);
  });
});

describe("live updates over a WebSocket (Node's own client)", () => {
  it("hears of a write within a second of its acknowledgement, with the token as a subprotocol", async () => {
    const url = `${origin.replace(/^http/, "ws")}/v1.0/me/activities/live`;
    const socket = new WebSocket(url, ["graph-activities", `bearer.${token}`]);
    const messages: { at: number; data: any }[] = [];
    socket.addEventListener("message", (event) => messages.push({ at: Date.now(), data: JSON.parse(String(event.data)) }));
    await new Promise((resolve, reject) => {
      socket.addEventListener("open", resolve);
      socket.addEventListener("error", reject);
    });
    expect(socket.protocol).toBe("graph-activities");

    const created = await write(
      origin,
      "PUT",
      `/me/activities/${encodeURIComponent(`/live?${crypto.randomUUID()}`)}`,
      activityBody("Live"),
    );
    const acknowledgedAt = Date.now();
    const deadline = acknowledgedAt + 1000;
    while (messages.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(messages).toHaveLength(1);
    expect(messages[0]!.at - acknowledgedAt).toBeLessThan(1000);
    const resource = `users/${user}/activities/${created!.id}`;
    expect(messages[0]!.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      changeType: "created",
      tenantId: expect.any(String),
      resource,
      resourceData: { "@odata.type": "#microsoft.graph.userActivity", "@odata.id": resource, id: created!.id },
    });
    socket.close();
  });
});
