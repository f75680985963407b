// The sync endpoint: attaches to an existing node http.Server's "upgrade" event through `handleUpgrade`,
// which takes only requests under `path` (default "/sync") and leaves every other upgrade to other
// handlers. A request is authorized before the websocket handshake (token from `?token=`, role from the
// injected `authorize`): refused ones get a real HTTP response (400 malformed project id, 401 not
// authenticated, 403 no role in the project, 404 no such project, 503 room unavailable) and the socket
// is destroyed. Accepted ones are attached to the project's room (rooms.ts), loaded first if needed.
// Messages are limited to `maxMessageBytes` (ws closes larger ones with 1009), and a ping every
// `pingIntervalMs` drops sockets that did not answer the previous one.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { can, type ProjectId, type Role } from "@sylva/shared";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { BlobStore } from "../storage/blob-store.js";
import { CLOSE_GOING_AWAY, Connection } from "./connection.js";
import { consoleLogger, errorMessage, type SyncLogger } from "./logger.js";
import { MAX_MESSAGE_BYTES } from "./messages.js";
import { Rooms, type RoomsOptions } from "./rooms.js";
import { parseSyncUrl, refuseUpgrade } from "./upgrade.js";

export const DEFAULT_SYNC_PATH = "/sync";
export const DEFAULT_PING_INTERVAL_MS = 30_000;

export interface AuthorizeRequest {
  readonly token: string | undefined;
  readonly projectId: ProjectId;
}

export type AuthorizeResult =
  | { readonly ok: true; readonly user: string; readonly role: Role }
  | { readonly ok: false; readonly status: 401 | 403 | 404; readonly reason: string };

export type Authorize = (req: AuthorizeRequest) => Promise<AuthorizeResult>;

export interface SyncServerOptions extends RoomsOptions {
  readonly store: BlobStore;
  readonly authorize: Authorize;
  /** The path prefix of sync rooms (default "/sync": rooms are "/sync/<projectId>"). */
  readonly path?: string;
  /** Keep-alive ping interval (default 30 s); a socket silent for two intervals is terminated. */
  readonly pingIntervalMs?: number;
  /** The largest accepted message (default MAX_MESSAGE_BYTES, 16 MiB). */
  readonly maxMessageBytes?: number;
  readonly logger?: SyncLogger;
}

export interface SyncServer {
  /** Handles an "upgrade" request if its path is a sync room's (returns true), else returns false. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  readonly rooms: Rooms;
  /** Closes every connection, persists and compacts every room, and refuses new connections. */
  close(): Promise<void>;
}

function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function createSyncServer(options: SyncServerOptions): SyncServer {
  const logger = options.logger ?? consoleLogger;
  const basePath = (options.path ?? DEFAULT_SYNC_PATH).replace(/\/+$/, "");
  const rooms = new Rooms(options.store, { ...options, logger });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const connections = new Set<Connection>();
  let closed = false;

  const keepAlive = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        logger.info(`connection ${conn.id} (${conn.user}) did not answer a ping: dropping it`);
        conn.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }, options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
  keepAlive.unref();

  const accept = async (
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    projectId: ProjectId,
    token?: string,
  ) => {
    let auth: AuthorizeResult;
    try {
      auth = await options.authorize({ token, projectId });
    } catch (e) {
      logger.error(`authorizing a sync request for ${projectId} failed: ${errorMessage(e)}`);
      refuseUpgrade(socket, 500, "authorization failed");
      return;
    }
    if (!auth.ok) {
      refuseUpgrade(socket, auth.status, auth.reason);
      return;
    }
    if (!can(auth.role, "project.read")) {
      refuseUpgrade(socket, 403, `${auth.user} may not read project ${projectId}`);
      return;
    }
    if (socket.destroyed) return;
    let lease: Awaited<ReturnType<Rooms["acquire"]>>;
    try {
      lease = await rooms.acquire(projectId);
    } catch (e) {
      refuseUpgrade(socket, 503, `the document of project ${projectId} is unavailable: ${errorMessage(e)}`);
      return;
    }
    if (socket.destroyed || closed) {
      lease.release();
      refuseUpgrade(socket, 503, "the sync server is shutting down");
      return;
    }
    let attached = false;
    socket.once("close", () => {
      if (!attached) lease.release();
    });
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      attached = true;
      const { room, release } = lease;
      const conn = new Connection(auth.user, auth.role, ws);
      connections.add(conn);
      ws.on("pong", () => {
        conn.alive = true;
      });
      ws.on("message", (data: RawData, isBinary: boolean) => {
        conn.alive = true;
        if (!isBinary) {
          room.receive(conn, new Uint8Array(0)); // a text frame is not the protocol: malformed
          return;
        }
        room.receive(conn, bytesOf(data));
      });
      ws.on("error", (e) => logger.warn(`connection ${conn.id} (${conn.user}): ${errorMessage(e)}`));
      ws.on("close", () => {
        connections.delete(conn);
        room.detach(conn);
        release();
      });
      room.attach(conn);
    });
  };

  return {
    rooms,
    handleUpgrade(req, socket, head) {
      const target = parseSyncUrl(req.url, basePath);
      if (!target) return false;
      socket.on("error", () => {}); // a client vanishing mid-handshake is not the server's error
      if (closed) refuseUpgrade(socket, 503, "the sync server is shutting down");
      else if (!target.ok) refuseUpgrade(socket, target.status, target.reason);
      else void accept(req, socket, head, target.projectId, target.token);
      return true;
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(keepAlive);
      for (const conn of connections) conn.close(CLOSE_GOING_AWAY, "server shutting down");
      await rooms.close();
      for (const conn of connections) conn.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
