import type { WebSocket } from 'ws';
import type { Principal } from '../conventions/request';
import { BoundedSender } from './bounded-sender';
import type { Channel, Filter } from './protocol';

/** How the connection proved who it is, kept to re-check it when identity changes. */
export type Credential = { kind: 'apiKey'; token: string } | { kind: 'jwt'; sessionId: string; expiresAt: number };

export interface Subscription {
  id: string;
  channel: Channel;
  filter: Filter;
  /** `channel|key:value`: the index the event router looks up. */
  indexKey: string;
  /** The team of the filtered resource: every delivery re-checks that the principal may still read it. */
  teamId: string;
  conn: Connection;
  /** Ends what feeds it (a logs follower). */
  stop?: () => void;
}

export class Connection {
  readonly subscriptions = new Map<string, Subscription>();
  readonly sender: BoundedSender;
  /** Cleared by each ping, set by each pong: a connection still clear at the next ping is gone. */
  alive = true;
  closed = false;

  constructor(
    readonly id: string,
    readonly ws: WebSocket,
    readonly principal: Principal,
    readonly credential: Credential,
    readonly clientIp: string | undefined,
    limits: { maxQueued: number; highWater: number },
  ) {
    this.sender = new BoundedSender(
      {
        get bufferedAmount() {
          return ws.bufferedAmount;
        },
        // The write's callback is the moment the socket has room again.
        send: (data: string) => ws.send(data, () => this.sender.flush()),
      },
      limits.maxQueued,
      limits.highWater,
    );
  }

  send(message: unknown): void {
    if (this.closed) return;
    this.sender.send(JSON.stringify(message));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close(code, reason.slice(0, 120));
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }
}
