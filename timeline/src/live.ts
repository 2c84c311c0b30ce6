// The page's live connection: a WebSocket on this origin that says only that the feed changed
// (docs/api.md, "Live updates"); the page then learns what changed with a delta round. A burst of
// messages makes one round at a time, and after a drop the socket comes back with backoff and the
// page catches up with a round as soon as it is open again.
import { LIVE_PATH } from "./api";

/** Where the connection stands, as the page shows it; "live" once the socket is open and a round since its opening has answered. */
export type LiveState = "off" | "connecting" | "live" | "reconnecting" | "expired";

/** How a round went: done; failed in a way that trying again can fix; or the page took over (it starts over or asks for a token). */
export type RoundResult = "done" | "retry" | "stop";

export interface LiveHooks {
  /** Runs one delta round with this token. */
  round(token: string): Promise<RoundResult>;
  /** Hears every change of state. */
  stateChanged(state: LiveState): void;
}

/** The subprotocol the service answers; the token travels as a second one, since a browser cannot set headers on a WebSocket. */
const SUBPROTOCOL = "graph-activities";
/** The close code the service sends when the token expires: trying again with the same token is pointless. */
const TOKEN_EXPIRED = 1008;
/** Reconnection delays: 1 s doubling up to 30 s, each drawn from the upper half of its range so clients spread out. */
const FIRST_DELAY_MS = 1000;
const LONGEST_DELAY_MS = 30_000;
/** A keep-alive the service answers with `pong`; no answer by the next one means the connection is dead. */
const PING_EVERY_MS = 30_000;

/** The live socket's URL: this origin's, over ws: or wss: as the page is over http: or https:. */
const liveUrl = () => new URL(LIVE_PATH, location.href.replace(/^http/, "ws")).href;

/** Follows the feed live for one token at a time. */
export class Live {
  state: LiveState = "off";
  private token: string | null = null;
  private socket: WebSocket | null = null;
  /** Failed connections since the last one that opened: the next delay's exponent. */
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private awaitingPong = false;
  /** A round is running; another is wanted once it ends. */
  private rounding = false;
  private roundWanted = false;

  constructor(private readonly hooks: LiveHooks) {
    // Back on the network: no point waiting out the backoff.
    addEventListener("online", () => {
      if (this.state !== "reconnecting" || this.socket) return;
      clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.open();
    });
  }

  /** Follows the feed with this token: opens the socket, and runs a round once it is open and after every message. */
  follow(token: string): void {
    this.stop();
    this.token = token;
    this.failures = 0;
    this.open();
  }

  /** Stops following: closes the socket and cancels any reconnection. */
  stop(): void {
    this.token = null;
    this.roundWanted = false;
    this.letGo();
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.setState("off");
  }

  private open(): void {
    const token = this.token;
    if (token === null) return;
    this.setState(this.failures ? "reconnecting" : "connecting");
    let socket: WebSocket;
    try {
      socket = new WebSocket(liveUrl(), [SUBPROTOCOL, `bearer.${token}`]);
    } catch {
      // A token with characters a subprotocol cannot carry: the round's answer says what the service makes of it.
      this.wantRound();
      return this.retryLater();
    }
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      if (this.socket !== socket) return;
      opened = true;
      this.failures = 0;
      this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
      // What changed while the socket was not open (before the first, or during a drop).
      this.wantRound();
    });
    socket.addEventListener("message", (event) => {
      if (this.socket !== socket) return;
      this.awaitingPong = false;
      if (event.data !== "pong") this.wantRound();
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.letGo();
      if (event.code === TOKEN_EXPIRED) return this.setState("expired");
      // Refused or never reached: a round's answer says why (a 401 asks for a new token), and keeps the page current meanwhile.
      if (!opened) this.wantRound();
      this.retryLater();
    });
  }

  private ping(): void {
    if (this.awaitingPong) return this.drop();
    this.awaitingPong = true;
    this.socket?.send("ping");
  }

  /** Asks for a round: now, or once the running one ends (a burst of messages makes one more round, not one each). */
  private wantRound(): void {
    this.roundWanted = true;
    if (!this.rounding) void this.runRounds();
  }

  private async runRounds(): Promise<void> {
    this.rounding = true;
    while (this.roundWanted && this.token !== null) {
      this.roundWanted = false;
      const token = this.token;
      const result = await this.hooks.round(token);
      // Following another token meanwhile: its own requests decide.
      if (token !== this.token) continue;
      if (result === "retry") {
        this.roundWanted = false;
        this.drop();
      } else if (result === "done" && this.socket?.readyState === WebSocket.OPEN) this.setState("live");
    }
    this.rounding = false;
  }

  /** Gives up on the socket (dead, or its round failed) and tries again later; the new socket's round catches up. */
  private drop(): void {
    this.letGo();
    this.retryLater();
  }

  /** Forgets the socket, closing it if it is still open; its events are ignored from now on. */
  private letGo(): void {
    const socket = this.socket;
    this.socket = null;
    clearInterval(this.pingTimer);
    this.awaitingPong = false;
    if (socket && socket.readyState !== WebSocket.CLOSED) socket.close();
  }

  private retryLater(): void {
    if (this.token === null || this.reconnectTimer !== undefined) return;
    this.setState("reconnecting");
    const ceiling = Math.min(LONGEST_DELAY_MS, FIRST_DELAY_MS * 2 ** this.failures);
    this.failures += 1;
    this.reconnectTimer = setTimeout(
      () => {
        this.reconnectTimer = undefined;
        this.open();
      },
      ceiling / 2 + (Math.random() * ceiling) / 2,
    );
  }

  private setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    this.hooks.stateChanged(state);
  }
}
