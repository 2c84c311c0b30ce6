import type { Caller } from "../auth/verify-token";
import { activityResource } from "../notifications/change-notifications";
import type { StreamChange } from "./feed-stream";

/** What each socket keeps through hibernation: when its token expires (with the allowed clock skew). */
interface SocketAttachment {
  expiresMs: number;
}

/** A change as a live socket is told of it: Graph's changeNotification without the subscription's fields (ours). */
export interface LiveNotification {
  id: string;
  changeType: StreamChange["changeType"];
  tenantId: string;
  resource: string;
  resourceData: { "@odata.type": "#microsoft.graph.userActivity"; "@odata.id": string; id: string };
}

/** The request the Worker sends its feed to open a live socket for a caller it verified, whose token expires at `expiresMs`. */
export const liveSocketRequest = (expiresMs: number) =>
  new Request(`https://feed/live?expiresMs=${expiresMs}`, { headers: { Upgrade: "websocket" } });

/** The token's expiry a live socket request carries; null for any other request. */
export function liveSocketExpiry(request: Request): number | null {
  const expiresMs = Number(new URL(request.url).searchParams.get("expiresMs"));
  return request.headers.get("Upgrade") === "websocket" && Number.isSafeInteger(expiresMs) ? expiresMs : null;
}

/** A client's keep-alive, answered by the platform without waking the object. */
const PING = "ping";
const PONG = "pong";

/** The close code and reason a socket gets when its token expires: the client reconnects with a new token. */
const TOKEN_EXPIRED = { code: 1008, reason: "The access token expired; reconnect with a new one." } as const;

/**
 * The feed's live sockets (one per device or tab), held with the platform's WebSocket hibernation:
 * an idle socket costs the object no memory, and the object is woken only to tell of a change or
 * to close a socket whose token expired.
 */
export class LiveSockets {
  constructor(private readonly ctx: DurableObjectState) {
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  /** Accepts a new socket, open until `expiresMs`; the client's end goes back in the 101 answer. */
  accept(expiresMs: number): WebSocket {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ expiresMs } satisfies SocketAttachment);
    return client;
  }

  /** Tells every open socket of the changes just applied, one message each. */
  notify(changes: readonly StreamChange[], owner: Caller): void {
    if (changes.length === 0) return;
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0) return;
    const messages = changes.map((change) => JSON.stringify(notification(change, owner)));
    for (const socket of sockets) {
      for (const message of messages) {
        try {
          socket.send(message);
        } catch {
          // Closing already: the client reconnects and catches up through its deltaLink.
        }
      }
    }
  }

  /** Closes the sockets whose token has expired by `now`. */
  closeExpired(now: number): void {
    for (const socket of this.ctx.getWebSockets()) {
      if (expiryOf(socket) <= now) socket.close(TOKEN_EXPIRED.code, TOKEN_EXPIRED.reason);
    }
  }

  /** When the first open socket's token expires (null: no socket is open). */
  earliestExpiry(): number | null {
    const expiries = this.ctx.getWebSockets().map(expiryOf);
    return expiries.length ? Math.min(...expiries) : null;
  }
}

const expiryOf = (socket: WebSocket) => (socket.deserializeAttachment() as SocketAttachment).expiresMs;

/** A change as Graph's changeNotification, less the subscription's fields. */
function notification(change: StreamChange, owner: Caller): LiveNotification {
  return {
    id: crypto.randomUUID(),
    changeType: change.changeType,
    tenantId: owner.tenantId,
    ...activityResource(owner.userId, change.activityId),
  };
}
