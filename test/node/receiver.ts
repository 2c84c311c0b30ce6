// A webhook receiver as an app runs one for Graph's change notifications: a node:http server on
// 127.0.0.1 (plain http to a loopback address, which .dev.vars lets the service send to), on a
// random port. Each test takes endpoints of its own on it (a path each), which answer the
// validation handshake as Graph documents it, take notifications with 202, and can be told to fail,
// stall or recover. Every request is recorded, with its arrival time.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request an endpoint got. */
export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The body as sent. */
  text: string;
  /** The body parsed, when it was JSON; otherwise null. */
  body: any;
  /** When the whole body had arrived (Date.now()). */
  at: number;
  /** When the sender gave up on a request this endpoint stalled (closed the connection); undefined while it waits. */
  abandonedAt?: number;
}

/** How an endpoint answers: as a receiver should, with a 500, or never. */
export type Behaviour = "prompt" | "fail" | "stall";

/** A notification endpoint: one path on the receiver. */
export class Endpoint {
  readonly received: Received[] = [];
  behaviour: Behaviour = "prompt";

  constructor(readonly url: string) {}

  /** Answers every request with 500 from now on (the handshake too). */
  fail(): void {
    this.behaviour = "fail";
  }

  /** Never answers from now on: the sender waits until it gives up. */
  stall(): void {
    this.behaviour = "stall";
  }

  /** Answers as a receiver should again. */
  recover(): void {
    this.behaviour = "prompt";
  }

  /** The validation handshakes it got. */
  get handshakes(): Received[] {
    return this.received.filter((request) => request.query.has("validationToken"));
  }

  /** The notification POSTs it got (everything but the handshakes), in order of arrival. */
  get posts(): Received[] {
    return this.received.filter((request) => !request.query.has("validationToken"));
  }

  /** Every notification it got, across its POSTs, in order (a POST's body is `{"value": [...]}`). */
  get notifications(): any[] {
    return this.posts.flatMap((request) => (request.body?.value as any[] | undefined) ?? []);
  }

  /** When the POST that carried notification number `index` (from 0, across POSTs) arrived; undefined before it did. */
  arrivalOf(index: number): number | undefined {
    let seen = 0;
    for (const request of this.posts) {
      seen += (request.body?.value as any[] | undefined)?.length ?? 0;
      if (seen > index) return request.at;
    }
    return undefined;
  }
}

/** The receiver: an HTTP server whose endpoints tests create. */
export class Receiver {
  private readonly endpoints = new Map<string, Endpoint>();
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly origin: string,
  ) {}

  /** Starts a receiver on 127.0.0.1, on a port the system picks. */
  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on("request", (request: IncomingMessage, response: ServerResponse) => void receiver.take(request, response));
    return receiver;
  }

  /** A new endpoint at a path of its own, with `query` kept in its URL (the service keeps a notificationUrl's query). */
  endpoint(query = ""): Endpoint {
    const path = `/hooks/${crypto.randomUUID()}`;
    const endpoint = new Endpoint(`${this.origin}${path}${query}`);
    this.endpoints.set(path, endpoint);
    return endpoint;
  }

  /** Resolves once `done()` holds, checked now and after each request; rejects after `timeoutMs`. */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver: not done after ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (!done()) return this.waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  /** Stops listening and drops every connection, stalled ones included. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Records a request and answers it as its endpoint's behaviour says; an unknown path is a 404. */
  private async take(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url!, this.origin);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const endpoint = this.endpoints.get(url.pathname);
    if (!endpoint) {
      response.writeHead(404).end();
      return;
    }
    const received: Received = {
      method: request.method!,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      text,
      body: /^application\/json\b/.test(request.headers["content-type"] ?? "") ? JSON.parse(text) : null,
      at: Date.now(),
    };
    endpoint.received.push(received);
    this.answer(endpoint.behaviour, received, response);
    const waiters = this.waiters;
    this.waiters = [];
    for (const check of waiters) check();
  }

  private answer(behaviour: Behaviour, received: Received, response: ServerResponse): void {
    if (behaviour === "stall") {
      response.on("close", () => (received.abandonedAt = Date.now()));
      return;
    }
    if (behaviour === "fail") {
      response.writeHead(500, { "Content-Type": "text/plain" }).end("failing on purpose");
      return;
    }
    // Graph's handshake: 200, text/plain, the token (URL-decoded) as the whole body, within 10 s.
    const token = received.query.get("validationToken");
    if (token !== null) {
      response.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" }).end(token);
      return;
    }
    // A notification: acknowledged at once, the work (here, the test) done afterwards.
    response.writeHead(202).end();
  }
}
