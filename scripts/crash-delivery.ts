// A kill -9 of the whole dev server right after acknowledged writes, and a check that every change
// notification still arrives. Usage: npm run crash-delivery -- [--writes 20]
//
// Starts `wrangler dev` (the service alone, its state in a fresh directory) and a webhook receiver
// on 127.0.0.1 that answers the validation handshake but never answers a notification, subscribes,
// makes the writes (each acknowledged), kills wrangler and workerd with SIGKILL while the first
// delivery hangs, starts the server again on the same state with the receiver now answering 202,
// and waits for a notification of every write. Exits 1 if any is missing after 60 s.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { mintDevToken } from "./dev-token.ts";

const { values } = parseArgs({ options: { writes: { type: "string", default: "20" } } });
const WRITES = Number(values.writes);
const PORT = 8790;
const WAIT_MS = 60_000;

interface Delivery {
  at: number;
  answered: boolean;
  value: { id: string; changeType: string; resourceData: { id: string } }[];
}

// The receiver: the handshake's token back; a notification recorded, answered only once `answering`.
let answering = false;
const deliveries: Delivery[] = [];
const receiver = createServer((request, response) => {
  const token = new URL(request.url!, "http://receiver").searchParams.get("validationToken");
  let body = "";
  request.on("data", (chunk: Buffer) => (body += chunk.toString()));
  request.on("end", () => {
    if (token !== null) return response.writeHead(200, { "Content-Type": "text/plain" }).end(token);
    deliveries.push({ at: Date.now(), answered: answering, value: (JSON.parse(body) as Pick<Delivery, "value">).value });
    if (answering) response.writeHead(202).end();
  });
});
await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const state = mkdtempSync(join(tmpdir(), "crash-delivery-"));

/** Starts wrangler dev in a process group of its own (so one kill reaches workerd too), resolved once it serves. */
function startServer(): Promise<ChildProcess> {
  const server = spawn(
    process.execPath,
    [
      "node_modules/wrangler/bin/wrangler.js",
      "dev",
      "-c",
      "wrangler.toml",
      "--port",
      String(PORT),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    const ready = (chunk: Buffer) => chunk.toString().includes("Ready on") && resolve(server);
    server.stdout!.on("data", ready);
    server.stderr!.on("data", ready);
    server.on("exit", (code) => reject(new Error(`wrangler dev exited (${code}) before it was ready`)));
  });
}

const token = await mintDevToken({ user: crypto.randomUUID() });
const call = (method: string, path: string, body: unknown) =>
  fetch(`http://127.0.0.1:${PORT}/v1.0${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

let server = await startServer();
const subscribed = await call("POST", "/subscriptions", {
  changeType: "created,updated,deleted",
  notificationUrl: hook,
  resource: "me/activities",
  expirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
  clientState: "crash-delivery",
});
if (subscribed.status !== 201) throw new Error(`POST /subscriptions: ${subscribed.status} ${await subscribed.text()}`);
const acknowledged: string[] = [];
for (let i = 0; i < WRITES; i++) {
  const answer = await call("PUT", `/me/activities/${encodeURIComponent(`crash-${i}-${crypto.randomUUID()}`)}`, {
    activitySourceHost: "https://www.contoso.com",
    activationUrl: "https://www.contoso.com/article?id=12345",
    visualElements: { displayText: `Written before the crash (${i})` },
  });
  if (answer.status !== 201) throw new Error(`PUT ${i}: ${answer.status}`);
  acknowledged.push(((await answer.json()) as { id: string }).id);
}
const hanging = deliveries.flatMap((delivery) => delivery.value).length;
process.kill(-server.pid!, "SIGKILL");
const killedAt = Date.now();
console.log(`${WRITES} writes acknowledged; ${hanging} notified in a POST left hanging; wrangler and workerd killed (SIGKILL)`);

answering = true;
server = await startServer();
console.log(`restarted on the same state in ${Date.now() - killedAt} ms`);
const arrived = () =>
  new Set(deliveries.filter((delivery) => delivery.answered).flatMap((delivery) => delivery.value.map((n) => n.resourceData.id)));
while (Date.now() - killedAt < WAIT_MS && !acknowledged.every((id) => arrived().has(id))) await new Promise((r) => setTimeout(r, 100));
const missing = acknowledged.filter((id) => !arrived().has(id));
const lastArrival = Math.max(...deliveries.filter((delivery) => delivery.answered).map((delivery) => delivery.at));
process.kill(-server.pid!, "SIGKILL");
receiver.close();
rmSync(state, { recursive: true, force: true });

// A notification cut off by the crash comes again with the same id, for the receiver to drop the repeat.
const cutOff = deliveries.filter((delivery) => !delivery.answered).flatMap((delivery) => delivery.value.map((n) => n.id));
const resent = new Set(deliveries.filter((delivery) => delivery.answered).flatMap((delivery) => delivery.value.map((n) => n.id)));
console.log(
  `after the restart: ${WRITES - missing.length} of ${WRITES} writes notified, the last ${lastArrival - killedAt} ms after the kill; ` +
    `${cutOff.filter((id) => resent.has(id)).length} of ${cutOff.length} cut-off notifications sent again with the same id`,
);
if (missing.length > 0 || !cutOff.every((id) => resent.has(id))) {
  console.error(`LOST: ${missing.join(", ") || "a cut-off notification's id"}`);
  process.exit(1);
}
