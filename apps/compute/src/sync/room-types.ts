// What a room offers the rest of the service: its events, options, statistics and errors (room.ts
// implements them).

import type { ConnectionInfo } from "./connection.js";
import type { SyncLogger } from "./logger.js";

/** The reason sent with a refused write (y-protocols auth "permission denied"). */
export const PERMISSION_DENIED_REASON = "permission denied: your role in this project cannot change labels";
export const DEFAULT_COMPACT_EVERY_UPDATES = 500;
export const DEFAULT_COMPACT_EVERY_BYTES = 8 * 1024 * 1024;
export class RoomClosedError extends Error {
  override readonly name = "RoomClosedError";
}

/** Who caused a document change: a client connection, or the service (`change`). */
export type UpdateOrigin =
  | { readonly kind: "client"; readonly connectionId: number; readonly user: string }
  | { readonly kind: "server" };

export interface AwarenessChanges {
  readonly added: readonly number[];
  readonly updated: readonly number[];
  readonly removed: readonly number[];
}

export interface RoomEvents {
  /** A durable update was applied to `doc` (and broadcast). */
  update: (update: Uint8Array, origin: UpdateOrigin) => void;
  /** Awareness states changed; `connectionId` is the connection that sent them (undefined: timeout/close). */
  awareness: (changes: AwarenessChanges, connectionId: number | undefined) => void;
  "connection-open": (connection: ConnectionInfo) => void;
  "connection-close": (connection: ConnectionInfo) => void;
  /** The room closed: `doc` and `awareness` are destroyed. */
  close: () => void;
}

/** Handles an application message type (not 0–3) from a client; `body` follows the varuint type. */
export type MessageHandler = (connection: ConnectionInfo, body: Uint8Array) => void;

export interface RoomOptions {
  /** Compact after this many persisted writes since the last snapshot (default 500). */
  readonly compactEveryUpdates?: number;
  /** … or after this many persisted bytes (default 8 MiB). */
  readonly compactEveryBytes?: number;
  /** Log writes that may run at once (group-commit.ts; default 1: strictly one after another). */
  readonly writesInFlight?: number;
  readonly logger?: SyncLogger;
}

export interface RoomStats {
  /** Blobs written to the log (one per group commit) and the updates and bytes they carried. */
  writes: number;
  updates: number;
  bytes: number;
  /** Changes refused from read-only connections. */
  deniedWrites: number;
  /** Connections closed for malformed messages. */
  malformedMessages: number;
  /** Writes that failed (their senders were disconnected, or `change` rejected). */
  failedWrites: number;
  compactions: number;
  /** The last sequence number applied to `doc`, and the one the newest snapshot covers. */
  appliedSeq: number;
  snapshotSeq: number;
}
