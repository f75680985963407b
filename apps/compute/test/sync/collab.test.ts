// The sync server with real y-websocket clients on a loopback http server and a file-system store:
// convergence and late joiners, refusal at the upgrade, viewers' writes dropped, persistence before
// broadcast (and group commit), the hooks (events, send, server-side change), and what a misbehaving or
// vanished client gets.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { addClass, type Role, readClasses } from "@sylva/shared";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import * as Y from "yjs";
import { issueToken } from "../../src/auth/token.js";
import type { BlobStore, ByteRange } from "../../src/storage/blob-store.js";
import {
  CLOSE_MALFORMED,
  createSyncServer,
  encodeMessage,
  loadDoc,
  MAX_MESSAGE_BYTES,
  PERMISSION_DENIED_REASON,
  type UpdateOrigin,
} from "../../src/sync/index.js";
import { silentLogger } from "../../src/sync/logger.js";
import { fsTestStore, type TestStore } from "../helpers/stores.js";
import {
  connect,
  OTHER_PROJECT,
  PROJECT,
  paint,
  SECRET,
  sleep,
  startServer,
  strokeIdsOf,
  synced,
  type TestClient,
  type TestServer,
  tableAuthorize,
  token,
  waitFor,
} from "./helpers.js";

const ROLES = new Map<string, Role>([
  [`${PROJECT}/alice`, "owner"],
  [`${PROJECT}/bob`, "annotator"],
  [`${PROJECT}/carol`, "instructor"],
  [`${PROJECT}/victor`, "viewer"],
  [`${OTHER_PROJECT}/mallory`, "owner"],
]);

/** Passes everything to `inner`, but update puts wait while the gate is closed. */
class GatedStore implements BlobStore {
  readonly description = "gated";
  readonly updatePuts: string[] = [];
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};
  constructor(readonly inner: BlobStore) {}
  close(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }
  open(): void {
    this.#open();
  }
  get(key: string) {
    return this.inner.get(key);
  }
  getRange(key: string, range: ByteRange) {
    return this.inner.getRange(key, range);
  }
  size(key: string) {
    return this.inner.size(key);
  }
  async put(key: string, data: Uint8Array) {
    if (key.includes("/updates/")) {
      this.updatePuts.push(key);
      await this.#gate;
    }
    return this.inner.put(key, data);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  deletePrefix(prefix: string) {
    return this.inner.deletePrefix(prefix);
  }
}

/** The HTTP status a plain ws client gets for `url` (101 when it connects). */
function upgradeStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => {
        body += c.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("open", () => {
      ws.close();
      resolve({ status: 101, body: "" });
    });
    ws.on("error", () => {});
  });
}

/** A raw ws connection to a room (open), recording messages and the close code. */
async function rawClient(url: string, user: string, options: { autoPong?: boolean } = {}) {
  const ws = new WebSocket(`${url}/${PROJECT}?token=${token(user)}`, { autoPong: options.autoPong ?? true });
  const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
  ws.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", () => reject(new Error("refused")));
  });
  return { ws, closed };
}

describe("sync server", () => {
  let ts: TestStore;
  let server: TestServer;
  const clients: TestClient[] = [];
  const client = (user: string | undefined, project: string = PROJECT) => {
    const c = connect(server.url, project, user === undefined ? undefined : token(user));
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    ts = await fsTestStore();
    server = await startServer(ts.store, ROLES);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await server.close();
    await ts.cleanup();
  });

  it("two clients painting converge, and a late joiner receives everything", async () => {
    const a = client("alice");
    const b = client("bob");
    await Promise.all([synced(a), synced(b)]);
    for (let i = 0; i < 60; i++) {
      paint(a, `a-${i}`, "alice", i);
      paint(b, `b-${i}`, "bob", i);
      if (i % 10 === 0) await sleep(5);
    }
    await waitFor(() => a.strokeIds().length === 120 && b.strokeIds().length === 120, 10_000, "convergence");
    expect(a.strokeIds()).toEqual(b.strokeIds());
    expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc));
    const room = server.sync.rooms.get(PROJECT)!;
    await room.flush();
    expect(strokeIdsOf(room.doc)).toEqual(a.strokeIds());

    const late = client("carol");
    await synced(late);
    expect(late.strokeIds()).toEqual(a.strokeIds());
    expect(room.connections.map((c) => c.user).sort()).toEqual(["alice", "bob", "carol"]);
  });

  it("refuses at the upgrade: 401 without or with a bad token, 403 without a role, 400 for a bad id", async () => {
    const base = server.url;
    const cases: [string, number][] = [
      [`${base}/${PROJECT}`, 401],
      [`${base}/${PROJECT}?token=nonsense`, 401],
      [
        `${base}/${PROJECT}?token=${issueToken(Buffer.from("another-secret-of-at-least-32-bytes!!"), "alice")}`,
        401,
      ],
      [`${base}/${PROJECT}?token=${issueToken(SECRET, "alice", 10, 1000)}`, 401], // expired
      [`${base}/${OTHER_PROJECT}?token=${token("alice")}`, 403], // alice has no role there
      [`${base}/${PROJECT}?token=${token("mallory")}`, 403],
      [`${base}/not-a-project?token=${token("alice")}`, 400],
      [`${base}/${PROJECT}/extra?token=${token("alice")}`, 400],
      [`${base}?token=${token("alice")}`, 400],
    ];
    for (const [url, status] of cases) expect((await upgradeStatus(url)).status, url).toBe(status);
    expect((await upgradeStatus(`${base}/${PROJECT}?token=${token("alice")}`)).status).toBe(101);
    expect((await upgradeStatus(`${base}/${PROJECT}`)).body).toMatch(/no token/);

    // y-websocket clients refused: never connected, never in the room.
    const statuses: string[] = [];
    const anon = client(undefined);
    const foreign = client("mallory");
    const bad = connect(server.url, "pr_0000", token("alice"));
    clients.push(bad);
    for (const c of [anon, foreign, bad])
      c.provider.on("status", (e: { status: string }) => statuses.push(e.status));
    await sleep(600);
    expect(statuses).not.toContain("connected");
    for (const c of [anon, foreign, bad]) expect(c.provider.wsconnected).toBe(false);
    expect(server.sync.rooms.get(PROJECT)?.connections.length ?? 0).toBe(0);
  });

  it("leaves other upgrade paths to other handlers", async () => {
    const sync = createSyncServer({
      store: ts.store,
      authorize: tableAuthorize(ROLES),
      logger: silentLogger,
    });
    const other = new WebSocketServer({ noServer: true });
    other.on("connection", (ws) => ws.send("other"));
    const http = createServer();
    http.on("upgrade", (req, socket, head) => {
      if (!sync.handleUpgrade(req, socket, head))
        other.handleUpgrade(req, socket, head, (ws) => other.emit("connection", ws, req));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    const port = (http.address() as AddressInfo).port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/other`);
    const first = await new Promise<string>((resolve) =>
      ws.on("message", (d: Buffer) => resolve(d.toString())),
    );
    expect(first).toBe("other");
    ws.close();
    expect((await upgradeStatus(`ws://127.0.0.1:${port}/sync/${PROJECT}`)).status).toBe(401);
    expect((await upgradeStatus(`ws://127.0.0.1:${port}/synchronize`)).status).toBe(101); // not "/sync/…"
    await sync.close();
    other.close();
    http.closeAllConnections();
    await new Promise<void>((r) => http.close(() => r()));
  });

  it("a viewer receives updates and publishes awareness, but its writes are dropped and refused", async () => {
    const w = client("alice");
    const v = client("victor");
    await Promise.all([synced(w), synced(v)]);
    paint(w, "w-1");
    await waitFor(() => v.strokeIds().includes("w-1"), 5000, "viewer receives");

    paint(v, "v-1");
    await waitFor(() => v.denied.length >= 1, 5000, "permission denied");
    expect(v.denied[0]).toBe(PERMISSION_DENIED_REASON);
    paint(w, "w-2");
    await waitFor(() => v.strokeIds().includes("w-2"), 5000, "viewer receives more");
    const room = server.sync.rooms.get(PROJECT)!;
    await room.flush();
    await sleep(100);
    expect(w.strokeIds()).toEqual(["w-1", "w-2"]);
    expect(strokeIdsOf(room.doc)).toEqual(["w-1", "w-2"]);
    expect(room.stats.deniedWrites).toBeGreaterThanOrEqual(1);

    v.provider.awareness.setLocalStateField("user", { name: "victor" });
    await waitFor(() => w.provider.awareness.getStates().get(v.doc.clientID)?.user?.name === "victor");

    // Reconnecting, the viewer offers its stroke again in sync step 2: refused again.
    const before = v.denied.length;
    v.provider.disconnect();
    v.provider.connect();
    await synced(v);
    await waitFor(() => v.denied.length > before, 5000, "refused again");

    // A reload never sees it either.
    await server.close();
    expect(strokeIdsOf((await loadDoc(ts.store, PROJECT)).doc)).toEqual(["w-1", "w-2"]);
    server = await startServer(ts.store, ROLES);
    const c = client("carol");
    await synced(c);
    expect(c.strokeIds()).toEqual(["w-1", "w-2"]);
  });

  it("persists before broadcasting, and merges what arrives during a write into one blob", async () => {
    await server.close();
    const gated = new GatedStore(ts.store);
    server = await startServer(gated, ROLES, { writesInFlight: 1 }); // strictly one write at a time
    const a = client("alice");
    const b = client("bob");
    await Promise.all([synced(a), synced(b)]);
    const puts = gated.updatePuts.length;

    gated.close();
    paint(a, "s-0");
    await waitFor(() => gated.updatePuts.length === puts + 1, 5000, "first write");
    for (let i = 1; i <= 10; i++) paint(a, `s-${i}`, "alice", i);
    await sleep(300);
    expect(b.strokeIds()).toEqual([]); // nothing is broadcast before it is durable
    expect(strokeIdsOf((await loadDoc(ts.store, PROJECT)).doc)).toEqual([]);
    gated.open();
    await waitFor(() => b.strokeIds().length === 11, 5000, "broadcast after the writes");
    expect(gated.updatePuts.length).toBe(puts + 2); // s-0, then s-1 … s-10 as one merged blob
    expect(b.strokeIds()).toEqual(a.strokeIds());

    // Server-side changes take the same path.
    gated.close();
    const room = server.sync.rooms.get(PROJECT)!;
    const origins: UpdateOrigin["kind"][] = [];
    room.on("update", (_u, origin) => origins.push(origin.kind));
    let done = false;
    const changed = room
      .change((doc) => addClass(doc, { name: "Background" }))
      .then((id) => {
        done = true;
        return id;
      });
    await sleep(300);
    expect(done).toBe(false);
    expect(readClasses(a.doc)).toEqual([]);
    expect(readClasses(room.doc)).toEqual([]);
    gated.open();
    expect(await changed).toBe(1);
    expect(readClasses(room.doc).map((c) => c.name)).toEqual(["Background"]);
    await waitFor(() => readClasses(a.doc).length === 1 && readClasses(b.doc).length === 1);
    expect(origins).toEqual(["server"]);
    expect(readClasses((await loadDoc(ts.store, PROJECT)).doc).map((c) => c.name)).toEqual(["Background"]);
  });

  it("exposes connections, events and send() for the service's hooks", async () => {
    const opened: string[] = [];
    server.sync.rooms.on("open", (room) => {
      room.on("connection-open", (c) => opened.push(c.user));
    });
    const a = client("alice");
    const v = client("victor");
    await Promise.all([synced(a), synced(v)]);
    const room = server.sync.rooms.get(PROJECT)!;
    expect(opened.sort()).toEqual(["alice", "victor"]);
    const updates: UpdateOrigin[] = [];
    const awareness: (number | undefined)[] = [];
    room.on("update", (_u, origin) => updates.push(origin));
    room.on("awareness", (_changes, connectionId) => awareness.push(connectionId));

    a.provider.awareness.setLocalStateField("view", { slice: 3 });
    const alice = room.connections.find((c) => c.user === "alice")!;
    await waitFor(() => alice.awarenessClientIds.has(a.doc.clientID), 5000, "awareness claimed");
    expect(awareness).toContain(alice.id);
    expect(alice.role).toBe("owner");
    expect(alice.canWrite).toBe(true);
    expect(room.connections.find((c) => c.user === "victor")!.canWrite).toBe(false);

    paint(a, "h-1");
    await waitFor(() => updates.length === 1);
    expect(updates[0]).toEqual({ kind: "client", connectionId: alice.id, user: "alice" });

    const frame = new Uint8Array([0x53, 0x59, 0x54, 0x31, 1, 2, 3]);
    expect(room.send(alice.id, encodeMessage(100, frame))).toBe(true);
    expect(room.send(123456, encodeMessage(100, frame))).toBe(false);
    await waitFor(() => a.frames.length === 1);
    expect([...a.frames[0]]).toEqual([...frame]);
    expect(v.frames).toEqual([]);

    // A server-side open without clients, through the same log.
    const other = await server.sync.rooms.open(OTHER_PROJECT);
    await other.change((doc) => addClass(doc));
    expect(readClasses((await loadDoc(ts.store, OTHER_PROJECT)).doc)).toHaveLength(1);
  });

  it("removes a vanished connection's awareness states", async () => {
    const a = client("alice");
    const b = client("bob");
    await Promise.all([synced(a), synced(b)]);
    a.provider.awareness.setLocalStateField("user", { name: "alice" });
    await waitFor(() => b.provider.awareness.getStates().has(a.doc.clientID), 5000, "awareness arrives");
    // No goodbye: the socket just dies.
    a.provider.shouldConnect = false;
    (a.provider.ws as unknown as WebSocket).terminate();
    await waitFor(() => !b.provider.awareness.getStates().has(a.doc.clientID), 5000, "awareness removed");
    const room = server.sync.rooms.get(PROJECT)!;
    await waitFor(() => room.connections.length === 1);
    expect(room.awareness.getStates().has(a.doc.clientID)).toBe(false);
  });

  it("closes connections that send malformed or oversized messages, and drops dead sockets", async () => {
    const cases: [string, Uint8Array | string][] = [
      ["length past the end", new Uint8Array([0, 2, 0xff, 0x7f, 1, 2])],
      ["unknown sync step", new Uint8Array([0, 9, 0])],
      ["trailing bytes", new Uint8Array([0, 0, 1, 0, 7])],
      ["not a Yjs update", new Uint8Array([0, 2, 3, 0xff, 0xff, 0xff])],
      ["bad awareness JSON", new Uint8Array([1, 5, 1, 7, 1, 1, 0x7b])],
      ["unknown message type", new Uint8Array([77, 1, 2])],
      ["text frame", "hello"],
    ];
    for (const [what, data] of cases) {
      const { ws, closed } = await rawClient(server.url, "alice");
      ws.send(data);
      expect(await closed, what).toBe(CLOSE_MALFORMED);
    }
    const room = server.sync.rooms.get(PROJECT)!;
    expect(room.stats.malformedMessages).toBe(cases.length);
    expect(room.stats.writes).toBe(0);

    expect(MAX_MESSAGE_BYTES).toBe(16 * 1024 * 1024);
    await server.close();
    server = await startServer(ts.store, ROLES, { maxMessageBytes: 1024, pingIntervalMs: 100 });
    const big = await rawClient(server.url, "alice");
    big.ws.send(new Uint8Array(2048));
    expect(await big.closed).toBe(1009);

    const dead = await rawClient(server.url, "alice", { autoPong: false });
    const t0 = Date.now();
    expect(await dead.closed).toBe(1006); // terminated: it never answered a ping
    expect(Date.now() - t0).toBeLessThan(2000);
    const live = await rawClient(server.url, "alice");
    await sleep(400);
    expect(live.ws.readyState).toBe(WebSocket.OPEN);
    live.ws.close();
  });

  it("unloads an idle room after the last connection leaves, compacting its log", async () => {
    await server.close();
    server = await startServer(ts.store, ROLES, { unloadAfterMs: 150 });
    const a = client("alice");
    await synced(a);
    for (let i = 0; i < 5; i++) paint(a, `u-${i}`, "alice", i);
    const room = server.sync.rooms.get(PROJECT)!;
    await waitFor(() => room.stats.updates >= 1);
    await room.flush();
    a.provider.disconnect();
    await waitFor(() => server.sync.rooms.get(PROJECT) === undefined, 5000, "unload");
    expect(room.closed).toBe(true);
    await room.close(); // the unload under way: resolves once it has compacted
    const loaded = await loadDoc(ts.store, PROJECT);
    expect(loaded.updates).toBe(0); // all folded into the snapshot
    expect(loaded.snapshotSeq).toBeGreaterThan(0);
    expect(strokeIdsOf(loaded.doc)).toEqual(a.strokeIds());
    a.provider.connect();
    await synced(a);
    expect(strokeIdsOf(server.sync.rooms.get(PROJECT)!.doc)).toEqual(a.strokeIds());
  });
});
