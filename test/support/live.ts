// Live sockets from a test: the upgrade through the Worker, and a socket's messages read one at a
// time, as a client reads them.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { ORIGIN } from "./api";

/** The live socket of the caller's own activities. */
export const LIVE = "/v1.0/me/activities/live";

/** The subprotocols a browser offers: `graph-activities`, and the token in `bearer.{token}`. */
export const browserOffer = (token: string) => ({ "Sec-WebSocket-Protocol": `graph-activities, bearer.${token}` });

/** The request that upgrades `path` to a WebSocket, with these headers. */
export const upgradeRequest = (path: string, headers: Record<string, string> = {}) =>
  new Request(`${ORIGIN}${path}`, { headers: { Upgrade: "websocket", ...headers } });

/** Upgrades `path` through the Worker: the 101 and the client's end of the socket, open. */
export async function openLive(path: string, headers: Record<string, string>): Promise<{ response: Response; inbox: Inbox }> {
  const response = await exports.default.fetch(upgradeRequest(path, headers));
  expect(response.status).toBe(101);
  return { response, inbox: new Inbox(response.webSocket!) };
}

/** How a socket was closed. */
export interface Closed {
  code: number;
  reason: string;
}

/** A socket's messages as they arrive, read one at a time, and how it closed. */
export class Inbox {
  private readonly messages: string[] = [];
  private waiting: (() => void) | undefined;
  closed: Closed | undefined;

  constructor(readonly socket: WebSocket) {
    socket.accept();
    socket.addEventListener("message", (event) => {
      this.messages.push(typeof event.data === "string" ? event.data : "(binary)");
      this.waiting?.();
    });
    socket.addEventListener("close", (event) => {
      this.closed = { code: event.code, reason: event.reason };
      this.waiting?.();
    });
  }

  /** Waits until `ready` holds (at most `timeoutMs`). */
  private async until(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiting = undefined;
    }
  }

  /** The next message. */
  async next(timeoutMs = 5000): Promise<string> {
    await this.until(() => this.messages.length > 0, "message", timeoutMs);
    return this.messages.shift()!;
  }

  /** The next message, as JSON. */
  async nextJson(timeoutMs = 5000): Promise<Record<string, any>> {
    return JSON.parse(await this.next(timeoutMs));
  }

  /**
   * Every message that arrived before a keep-alive sent now is answered: `ping` goes out after
   * them, so its `pong` comes after whatever the service sent before.
   */
  async drain(): Promise<string[]> {
    this.socket.send("ping");
    const before: string[] = [];
    for (let message = await this.next(); message !== "pong"; message = await this.next()) before.push(message);
    return before;
  }

  /** How the socket closed, once it has. */
  async close(timeoutMs = 5000): Promise<Closed> {
    await this.until(() => this.closed !== undefined, "close", timeoutMs);
    return this.closed!;
  }
}
