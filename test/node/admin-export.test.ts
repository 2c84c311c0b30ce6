// The export of a user with 2,000 activities in two apps, against the service as `npm run dev`
// runs it: it streams (the first line is read, and the activity that would come last is deleted,
// before the service gets to it) and parses line by line.
import { readFileSync } from "node:fs";
import { expect, inject, it } from "vitest";
import { mintToken } from "./token";

const origin = inject("serviceUrl");
const APPS = ["contoso-notes", "fabrikam-reader"];
const PER_APP = 1000;
/** Writes in flight at once while seeding (local development is not throttled). */
const CONCURRENCY = 16;

interface Created {
  app: string;
  id: string;
  lastModifiedMs: number;
}

/** Runs `task` for 0..count-1, `CONCURRENCY` at a time. */
async function pool(count: number, task: (n: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/** Reads a byte stream as lines, each handed over as soon as its newline arrives. */
async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
    }
  }
  expect(pending).toBe("");
}

it("streams 2,000 activities across two apps as NDJSON, the first line long before the last", { timeout: 600_000 }, async () => {
  const user = crypto.randomUUID();
  const tokens = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await mintToken({ user, app })] as const)));
  const created: Created[] = [];
  const seedStarted = performance.now();
  await pool(APPS.length * PER_APP, async (n) => {
    const app = APPS[n % APPS.length]!;
    const response = await fetch(`${origin}/v1.0/me/activities/${encodeURIComponent(`/export/${n}`)}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${tokens[app]}`, "Content-Type": "application/json" },
      body: JSON.stringify({
        activitySourceHost: "https://www.contoso.com",
        activationUrl: `https://www.contoso.com/export/${n}`,
        visualElements: { displayText: `Activity ${n}` },
        historyItems: [{ startedDateTime: "2026-01-01T10:00:00Z", lastActiveDateTime: "2026-01-01T10:05:00Z" }],
      }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; lastModifiedDateTime: string };
    created.push({ app, id: body.id, lastModifiedMs: Date.parse(body.lastModifiedDateTime) });
  });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  // The export's last line: the last app's oldest activity (the feed's order: newest first, then id descending).
  const lastApp = [...APPS].sort().at(-1)!;
  const last = created
    .filter((activity) => activity.app === lastApp)
    .sort((a, b) => a.lastModifiedMs - b.lastModifiedMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0]!;

  const started = performance.now();
  const response = await fetch(`${origin}/admin/users/${user}/activities`, {
    headers: { Authorization: `Bearer ${await mintToken({ appOnly: true })}` },
  });
  expect({ status: response.status, contentType: response.headers.get("content-type") }).toEqual({
    status: 200,
    contentType: "application/x-ndjson",
  });

  const exported: { appId: string; id: string; historyItems: unknown[]; visualElements: { displayText: string } }[] = [];
  let firstLineMs = 0;
  for await (const line of lines(response.body!)) {
    exported.push(JSON.parse(line));
    if (exported.length === 1) {
      firstLineMs = performance.now() - started;
      // Were the export made before it was sent, this activity would still be in it.
      const deleted = await fetch(`${origin}/v1.0/me/activities/${last.id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${tokens[lastApp]}` },
      });
      expect(deleted.status).toBe(204);
    }
  }
  const totalMs = performance.now() - started;

  const expected = created.filter((activity) => activity !== last);
  expect(exported.length).toBe(expected.length);
  expect(exported.map((line) => `${line.appId} ${line.id}`).sort()).toEqual(
    expected.map((activity) => `${activity.app} ${activity.id}`).sort(),
  );
  for (const line of exported) expect(line.historyItems).toHaveLength(1);
  // Apps in order, each app's activities newest first.
  expect(exported.map((line) => line.appId)).toEqual([...Array(PER_APP).fill(APPS[0]), ...Array(PER_APP - 1).fill(APPS[1])]);
  console.log(
    `seeded ${created.length} activities in ${seedSeconds.toFixed(1)} s; exported ${exported.length} lines: first after ${firstLineMs.toFixed(0)} ms, all after ${totalMs.toFixed(0)} ms`,
  );
});

it("serves the admin routes' OpenAPI document as a static asset, with no token", async () => {
  const response = await fetch(`${origin}/admin/openapi.json`);
  expect({ status: response.status, contentType: response.headers.get("content-type") }).toEqual({
    status: 200,
    contentType: expect.stringMatching(/^application\/json/),
  });
  expect(await response.json()).toEqual(JSON.parse(readFileSync(new URL("../../public/admin/openapi.json", import.meta.url), "utf8")));
});
