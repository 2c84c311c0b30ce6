// Delta query over a feed's change stream: rounds, links, removals, tokens.
import { describe, expect, it } from "vitest";
import { call, ORIGIN } from "./support/api";
import { freshUser, putActivity, type TestUser } from "./support/users";

const deltaOf = (user: TestUser, url: string, headers: Record<string, string> = {}) =>
  call("GET", url.startsWith(ORIGIN) ? url.slice(ORIGIN.length) : url, { as: user.as, headers });

/** Follows a round from `url` to its deltaLink; every page's value, and the deltaLink. */
async function round(user: TestUser, url: string, headers: Record<string, string> = {}) {
  const values: any[] = [];
  for (;;) {
    const answer = await deltaOf(user, url, headers);
    expect(answer.status).toBe(200);
    values.push(...answer.body.value);
    if (answer.body["@odata.nextLink"]) url = answer.body["@odata.nextLink"];
    else return { values, deltaLink: answer.body["@odata.deltaLink"] as string };
  }
}

describe("delta smoke", () => {
  it("lists, then changes, then removals", async () => {
    const user = freshUser();
    const a = await putActivity(user);
    const b = await putActivity(user);
    const first = await round(user, "/v1.0/me/activities/delta", { Prefer: "odata.maxpagesize=1" });
    expect(first.values.map((v) => v.id).sort()).toEqual([a.id, b.id].sort());
    const empty = await round(user, first.deltaLink);
    expect(empty.values).toEqual([]);
    await call("DELETE", `/v1.0/me/activities/${a.id}`, { as: user.as });
    const c = await putActivity(user);
    const second = await round(user, empty.deltaLink);
    const byId = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : 1);
    expect([...second.values].sort(byId)).toEqual(
      [
        { id: a.id, "@removed": { reason: "deleted" } },
        { ...c, id: c.id },
      ]
        .sort(byId)
        .map((v) => (v.id === c.id ? expect.objectContaining({ id: c.id }) : v)),
    );
  });

  it("live socket", async () => {
    const user = freshUser();
    const response = await fetchLive(user);
    expect(response.status).toBe(101);
    const socket = response.webSocket!;
    socket.accept();
    const messages: string[] = [];
    const got = new Promise<void>((resolve) =>
      socket.addEventListener("message", (event) => {
        messages.push(String(event.data));
        resolve();
      }),
    );
    const a = await putActivity(user);
    await got;
    expect(JSON.parse(messages[0]!)).toMatchObject({ changeType: "created", resourceData: { id: a.id } });
    socket.close();
  });
});

async function fetchLive(user: TestUser) {
  const { exports } = await import("cloudflare:workers");
  const { mintToken } = await import("./support/tokens");
  const token = await mintToken(user.as);
  return exports.default.fetch(
    new Request(`${ORIGIN}/v1.0/me/activities/live`, {
      headers: { Upgrade: "websocket", "Sec-WebSocket-Protocol": `graph-activities, bearer.${token}` },
    }),
  );
}
