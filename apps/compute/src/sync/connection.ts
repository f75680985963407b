// One client's websocket in a room: who is connected (user, role), the awareness client ids it publishes,
// and sending with a bound on what may wait in the socket's send buffer (a client that cannot keep up is
// closed with 1013 and resyncs when it reconnects, rather than growing the server's memory).

import { can, type Role } from "@sylva/shared";
import { WebSocket } from "ws";

/** The most bytes that may wait in a connection's send buffer before it is dropped as too slow. */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/** Close codes: y-websocket clients reconnect after any code but 4400–4499. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_TRY_AGAIN_LATER = 1013;
/** The client sent something that is not the protocol: it should not come back as it is. */
export const CLOSE_MALFORMED = 4400;

/** What hooks see of a connection. */
export interface ConnectionInfo {
  /** Unique within the server process. */
  readonly id: number;
  readonly user: string;
  readonly role: Role;
  /** Whether the role may change the document ("labels.write"). */
  readonly canWrite: boolean;
  /** The awareness client ids whose states this connection publishes. */
  readonly awarenessClientIds: ReadonlySet<number>;
  /** Bytes waiting in the socket's send buffer (back-pressure for tile senders). */
  readonly bufferedAmount: number;
}

let nextId = 1;

export class Connection implements ConnectionInfo {
  readonly id = nextId++;
  readonly canWrite: boolean;
  readonly awarenessClientIds = new Set<number>();
  /** Cleared at each keep-alive ping, set by the pong (or any message). */
  alive = true;
  deniedWrites = 0;

  constructor(
    readonly user: string,
    readonly role: Role,
    readonly socket: WebSocket,
  ) {
    this.canWrite = can(role, "labels.write");
  }

  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one binary message; false when the socket is not open (or was dropped as too slow). */
  send(bytes: Uint8Array): boolean {
    if (!this.open) return false;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.close(CLOSE_TRY_AGAIN_LATER, "too slow: send buffer full");
      return false;
    }
    this.socket.send(bytes, { binary: true });
    return true;
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING)
      this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}
