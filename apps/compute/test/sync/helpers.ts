// Shared pieces of the sync tests: tokens and a roles table behind a tiny `authorize`, a sync server on
// a loopback http server, y-websocket clients (Node `ws` as their WebSocket, BroadcastChannel off so
// that clients in one process talk only through the server), strokes, and waiting for conditions.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { appendStroke, type ProjectId, type Role, type Stroke, strokesArray } from "@sylva/shared";
import * as decoding from "lib0/decoding";
import { WebSocket } from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { issueToken, TokenError, verifyToken } from "../../src/auth/token.js";
import type { BlobStore } from "../../src/storage/blob-store.js";
import {
  type Authorize,
  createSyncServer,
  type SyncServer,
  type SyncServerOptions,
} from "../../src/sync/index.js";
import { silentLogger } from "../../src/sync/logger.js";

export const SECRET = Buffer.from("sylva-sync-test-secret-0123456789abcdef");
export const PROJECT = "pr_abcdefghijkm" as ProjectId;
export const OTHER_PROJECT = "pr_zyxwvutsrqpn" as ProjectId;
export const DATASET = "ds_abcdefghijkm";

export const token = (user: string) => issueToken(SECRET, user);

/** `authorize` over signed tokens and a "projectId/user" → role table. */
export function tableAuthorize(roles: Map<string, Role>): Authorize {
  return async ({ token, projectId }) => {
    if (!token) return { ok: false, status: 401, reason: "no token" };
    let user: string;
    try {
      user = verifyToken(SECRET, token).sub;
    } catch (e) {
      if (e instanceof TokenError) return { ok: false, status: 401, reason: e.message };
      throw e;
    }
    const role = roles.get(`${projectId}/${user}`);
    if (!role) return { ok: false, status: 403, reason: `${user} has no role in ${projectId}` };
    return { ok: true, user, role };
  };
}

export interface TestServer {
  readonly http: Server;
  readonly sync: SyncServer;
  readonly port: number;
  /** "ws://127.0.0.1:<port>/sync" (a y-websocket serverUrl). */
  readonly url: string;
  close(): Promise<void>;
}

export async function startServer(
  store: BlobStore,
  roles: Map<string, Role>,
  options: Partial<SyncServerOptions> = {},
  port = 0,
): Promise<TestServer> {
  const sync = createSyncServer({
    store,
    authorize: tableAuthorize(roles),
    logger: silentLogger,
    ...options,
  });
  const http = createServer((_req, res) => res.writeHead(404).end());
  http.on("upgrade", (req, socket, head) => {
    if (!sync.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  const actual = (http.address() as AddressInfo).port;
  return {
    http,
    sync,
    port: actual,
    url: `ws://127.0.0.1:${actual}/sync`,
    async close() {
      await sync.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

type Polyfill = NonNullable<
  NonNullable<ConstructorParameters<typeof WebsocketProvider>[3]>["WebSocketPolyfill"]
>;

export interface TestClient {
  readonly doc: Y.Doc;
  readonly provider: WebsocketProvider;
  /** Reasons of the permission-denied auth messages received. */
  readonly denied: string[];
  /** Bodies of application messages (type 100) received. */
  readonly frames: Uint8Array[];
  strokeIds(): string[];
  destroy(): void;
}

export function connect(
  url: string,
  projectId: string,
  tok: string | undefined,
  options: { maxBackoffTime?: number; connect?: boolean } = {},
): TestClient {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(url, projectId, doc, {
    WebSocketPolyfill: WebSocket as unknown as Polyfill,
    params: tok === undefined ? {} : { token: tok },
    disableBc: true,
    maxBackoffTime: options.maxBackoffTime ?? 200,
    connect: options.connect ?? true,
  });
  const denied: string[] = [];
  const frames: Uint8Array[] = [];
  // Auth messages (type 2): [0 = permission denied, reason]; y-websocket would only console.warn them.
  provider.messageHandlers[2] = (_encoder, decoder) => {
    if (decoding.readVarUint(decoder) === 0) denied.push(decoding.readVarString(decoder));
  };
  provider.messageHandlers[100] = (_encoder, decoder) => {
    frames.push(decoder.arr.slice(decoder.pos));
    decoder.pos = decoder.arr.length;
  };
  return {
    doc,
    provider,
    denied,
    frames,
    strokeIds: () => strokeIdsOf(doc),
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

export function strokeIdsOf(doc: Y.Doc, datasetId = DATASET): string[] {
  return strokesArray(doc, datasetId)
    .toArray()
    .map((s) => (s as Stroke).id);
}

export function stroke(id: string, author = "alice", i = 0): Stroke {
  return {
    id,
    datasetId: DATASET as Stroke["datasetId"],
    author,
    classId: 1 + (i % 2),
    plane: "xy",
    t: 0,
    slice: i % 7,
    diameter: 3,
    points: [
      [i % 100, (i * 7) % 100],
      [(i % 100) + 3, ((i * 7) % 100) + 2],
    ],
  };
}

export function paint(client: TestClient, id: string, author = "alice", i = 0): void {
  appendStroke(client.doc, stroke(id, author, i));
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function synced(client: TestClient, timeoutMs = 10_000): Promise<void> {
  return waitFor(() => client.provider.synced, timeoutMs, "sync");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
