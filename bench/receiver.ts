// A webhook receiver in the bench's own process, on 127.0.0.1: it answers Graph's validation
// handshake (200, the token as text/plain) on every path, and then, by path, either takes each
// notification POST (202, its receipt timed as its body ends) or never answers one (/dead/…: the
// connection is held until the service gives up, its 3 s deadline).
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One notification POST the receiver took. */
export interface Receipt {
  /** performance.now() when its body had arrived. */
  at: number;
  path: string;
  body: { value: Notification[] };
}

/** The fields of a changeNotification the bench reads. */
export interface Notification {
  subscriptionId: string;
  changeType: string;
  clientState?: string;
  resourceData?: { id?: string };
}

export interface Receiver {
  /** http://127.0.0.1:port */
  origin: string;
  /** Called with every notification POST taken (not the handshakes, not the dead path's). */
  onReceipt: ((receipt: Receipt) => void) | null;
  /** Notification POSTs taken, and POSTs to the dead path held, since the start. */
  counts: { taken: number; held: number; handshakes: number };
  /** When the last notification POST was taken (performance.now()), or -Infinity. */
  lastReceiptAt: number;
  /** Resolves once no notification POST has arrived for `quietMs` (at most `timeoutMs`). */
  quiet(quietMs: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts a receiver on a free loopback port. */
export async function startReceiver(): Promise<Receiver> {
  const sockets = new Set<Socket>();
  const receiver: Receiver = {
    origin: "",
    onReceipt: null,
    counts: { taken: 0, held: 0, handshakes: 0 },
    lastReceiptAt: -Infinity,
    async quiet(quietMs, timeoutMs) {
      const until = performance.now() + timeoutMs;
      while (performance.now() < until && performance.now() - receiver.lastReceiptAt < quietMs) {
        await new Promise((resolve) => setTimeout(resolve, quietMs / 4));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const token = url.searchParams.get("validationToken");
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = performance.now();
      if (token !== null) {
        receiver.counts.handshakes++;
        response.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(token);
        return;
      }
      if (url.pathname.startsWith("/dead/")) {
        // Never answered: the service's own deadline ends it.
        receiver.counts.held++;
        return;
      }
      receiver.counts.taken++;
      receiver.lastReceiptAt = at;
      response.writeHead(202).end();
      try {
        receiver.onReceipt?.({ at, path: url.pathname, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Receipt["body"] });
      } catch {
        // Not JSON: nothing the bench waits for.
      }
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return receiver;
}
