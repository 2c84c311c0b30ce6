// The export of a user with 2,000 activities in two apps, against the service as `npm run dev`
// runs it: it streams (the first line is read, and the activity that would come last is deleted,
// before the service gets to it) and parses line by line. And the operator's restore: export,
// erase, import as a stream (the first lines are imported before the rest is sent), export again.
import { readFileSync } from "node:fs";
import { expect, inject, it } from "vitest";
import { mintToken } from "./token";

const origin = inject("serviceUrl");
const APPS = ["contoso-notes", "fabrikam-reader"];
const PER_APP = 1000;
/** Activities restored in the import test, besides one with 3,000 history items. */
const IMPORTED = 200;
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

/** The whole export of `user`, as its lines exactly as sent; checked complete. */
async function exportText(user: string, adminToken: string): Promise<string[]> {
  const response = await fetch(`${origin}/admin/users/${user}/activities`, { headers: { Authorization: `Bearer ${adminToken}` } });
  expect(response.status).toBe(200);
  const exported: string[] = [];
  for await (const line of lines(response.body!)) exported.push(line);
  return exported;
}

/** Polls until `ready` holds, failing after `seconds`. */
async function until(what: string, seconds: number, ready: () => Promise<boolean>) {
  const deadline = Date.now() + seconds * 1000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

it(
  "restores a user: export, erase, then import streamed back gives the same export, the first lines imported before the rest is sent",
  { timeout: 600_000 },
  async () => {
    const user = crypto.randomUUID();
    const tokens = Object.fromEntries(await Promise.all(APPS.map(async (app) => [app, await mintToken({ user, app })] as const)));
    const adminToken = await mintToken({ appOnly: true });
    const put = async (app: string, appActivityId: string, historyItems: unknown[]) => {
      const response = await fetch(`${origin}/v1.0/me/activities/${encodeURIComponent(appActivityId)}`, {
        method: "PUT",
        headers: { Authorization: `Bearer ${tokens[app]}`, "Content-Type": "application/json" },
        body: JSON.stringify({
          activitySourceHost: "https://www.contoso.com",
          activationUrl: `https://www.contoso.com${appActivityId}`,
          visualElements: { displayText: `Activity ${appActivityId}`, content: { type: "AdaptiveCard", version: "1.0", body: [] } },
          contentInfo: { "@context": "https://schema.org", "@type": "Article", name: appActivityId },
          historyItems,
        }),
      });
      expect(response.status).toBeLessThan(300);
    };
    const session = (n: number) => ({
      startedDateTime: new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(),
      lastActiveDateTime: new Date(Date.UTC(2026, 0, 1) + n * 60_000 + 30_000).toISOString(),
    });
    const seedStarted = performance.now();
    await pool(IMPORTED, async (n) => put(APPS[n % APPS.length]!, `/restore/${n}`, [session(n), session(n + 1)]));
    const seedMs = performance.now() - seedStarted;
    // One line far longer than the rest (about 1 MB): an activity with 3,000 sessions, deep-inserted 100 at a time.
    for (let from = 0; from < 3000; from += 100) {
      await put(
        APPS[0]!,
        "/restore/long",
        Array.from({ length: 100 }, (_, n) => session(from + n)),
      );
    }
    const exported = await exportText(user, adminToken);
    expect(exported.length).toBe(IMPORTED + 1);
    const bytes = exported.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);

    const erasure = await fetch(`${origin}/admin/users/${user}`, { method: "DELETE", headers: { Authorization: `Bearer ${adminToken}` } });
    expect(erasure.status).toBe(202);
    await until("the erasure succeeds", 300, async () => {
      const operation = await fetch(erasure.headers.get("Location")!, { headers: { Authorization: `Bearer ${adminToken}` } });
      return ((await operation.json()) as { status: string }).status === "succeeded";
    });
    expect(await exportText(user, adminToken)).toEqual([]);

    // The body is sent in two halves; the second only once an activity of the first can be read, which a
    // service that read the whole body before importing any of it would never allow.
    const first = JSON.parse(exported[0]!) as { appId: string; id: string };
    const half = Math.floor(exported.length / 2);
    const encoder = new TextEncoder();
    let firstReadableMs = 0;
    const started = performance.now();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(
          encoder.encode(
            exported
              .slice(0, half)
              .map((line) => `${line}\n`)
              .join(""),
          ),
        );
        await until("the first line is imported while the body is still open", 120, async () => {
          const response = await fetch(`${origin}/v1.0/me/activities/${first.id}`, {
            headers: { Authorization: `Bearer ${tokens[first.appId]}` },
          });
          return response.status === 200;
        });
        firstReadableMs = performance.now() - started;
        // A chunk at a time, as a file would be read.
        for (let from = half; from < exported.length; from += 100) {
          controller.enqueue(
            encoder.encode(
              exported
                .slice(from, from + 100)
                .map((line) => `${line}\n`)
                .join(""),
            ),
          );
        }
        controller.close();
      },
    });
    const imported = await fetch(`${origin}/admin/users/${user}/activities`, {
      method: "POST",
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/x-ndjson" },
      body,
      duplex: "half",
    } as RequestInit);
    const importMs = performance.now() - started;
    const items = exported.reduce((sum, line) => sum + (JSON.parse(line) as { historyItems: unknown[] }).historyItems.length, 0);
    expect({ status: imported.status, body: await imported.json() }).toEqual({
      status: 200,
      body: {
        linesRead: IMPORTED + 1,
        activities: { imported: IMPORTED + 1, skipped: 0, expired: 0 },
        historyItems: { imported: items, skipped: 0, expired: 0 },
        failedLines: 0,
        errors: [],
      },
    });
    expect((await exportText(user, adminToken)).sort()).toEqual([...exported].sort());
    console.log(
      `seeded ${IMPORTED} activities by PUT (${CONCURRENCY} at once) in ${seedMs.toFixed(0)} ms; imported ${exported.length} lines (${(bytes / 1e6).toFixed(1)} MB, ${items} history items) in ${importMs.toFixed(0)} ms; the first line was readable after ${firstReadableMs.toFixed(0)} ms`,
    );
  },
);

it("serves the admin routes' OpenAPI document as a static asset, with no token", async () => {
  const response = await fetch(`${origin}/admin/openapi.json`);
  expect({ status: response.status, contentType: response.headers.get("content-type") }).toEqual({
    status: 200,
    contentType: expect.stringMatching(/^application\/json/),
  });
  expect(await response.json()).toEqual(JSON.parse(readFileSync(new URL("../../public/admin/openapi.json", import.meta.url), "utf8")));
});
