// Webhook receivers inside workerd: the Worker (the validation handshake) and the feeds (deliveries)
// run in the tests' isolate, so their fetches to a receiver's host reach it through the isolate's
// fetch, replaced once. Not a vitest spy: a feed may deliver from a timer of its own after a test's
// context is gone, and a spy then fails; nor does vi.restoreAllMocks() in a test file undo it.
// Each receiver has a host of its own; any other fetch goes out as it would.

/** One request a receiver got. */
export interface Received {
  url: URL;
  method: string;
  contentType: string | null;
  body: string;
  /** When it arrived (Date.now(), which fake timers move). */
  at: number;
}

/** How a receiver answers a request: a response, or a promise of one; `stall` never answers until the sender gives up. */
export type Behaviour = (request: Received, signal: AbortSignal | null) => Response | Promise<Response>;

/** Echoes a validationToken as Graph requires (200, text/plain, the token exactly); accepts anything else with 202. */
export const prompt: Behaviour = (request) => {
  const token = request.url.searchParams.get("validationToken");
  if (token !== null) return new Response(token, { headers: { "Content-Type": "text/plain; charset=utf-8" } });
  return new Response(null, { status: 202 });
};

/** Answers only when the sender aborts, as a receiver that never answers. */
export const stall: Behaviour = (_request, signal) =>
  new Promise((_resolve, reject) => {
    if (!signal) return;
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason));
  });

const receivers = new Map<string, Receiver>();
let installed = false;

function install() {
  if (installed) return;
  installed = true;
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const request = new Request(input, init);
    const receiver = receivers.get(new URL(request.url).host);
    if (!receiver) return realFetch(input, init);
    return receiver.take(request, init?.signal ?? request.signal);
  };
}

/**
 * A webhook endpoint at `origin` (a fresh https://{host} unless given: http://127.0.0.1:… for a
 * receiver on loopback, or the host a document's example names), answering as `behaviour` says
 * until told otherwise. Any request to its host reaches it, whatever the scheme.
 */
export class Receiver {
  readonly host: string;
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];

  constructor(
    public behaviour: Behaviour = prompt,
    readonly origin = `https://hooks-${crypto.randomUUID()}.test`,
  ) {
    this.host = new URL(origin).host;
    install();
    receivers.set(this.host, this);
  }

  /** A URL on this receiver. */
  url(path = "/notify"): string {
    return `${this.origin}${path}`;
  }

  /** The notification POSTs it got (not the handshakes), each body's `value` array. */
  get notifications(): Record<string, unknown>[][] {
    return this.received
      .filter((request) => !request.url.searchParams.has("validationToken"))
      .map((request) => (JSON.parse(request.body) as { value: Record<string, unknown>[] }).value);
  }

  /** The handshakes it got. */
  get handshakes(): Received[] {
    return this.received.filter((request) => request.url.searchParams.has("validationToken"));
  }

  /** Resolves once `done()` holds, checked on each request; rejects after `timeoutMs` of real time. */
  async until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (done()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`receiver ${this.host}: not done after ${timeoutMs} ms`)), timeoutMs);
      const check = () => {
        if (!done()) return this.waiters.push(check);
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(check);
    });
  }

  /** Stops answering for this host: fetches to it go out (and fail: there is no network). */
  close(): void {
    receivers.delete(this.host);
  }

  /** @internal */
  async take(request: Request, signal: AbortSignal | null): Promise<Response> {
    const received: Received = {
      url: new URL(request.url),
      method: request.method,
      contentType: request.headers.get("Content-Type"),
      body: await request.text(),
      at: Date.now(),
    };
    this.received.push(received);
    const waiters = this.waiters;
    this.waiters = [];
    for (const check of waiters) check();
    return this.behaviour(received, signal);
  }
}
