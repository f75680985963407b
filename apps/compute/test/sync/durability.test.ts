// Durability under SIGKILL: the server (a child process on a file-system store) only broadcasts what it
// has persisted, so every stroke an observer received must be in the log after the server is killed
// mid-painting — checked by loading the log directly while the server is down, before any client can
// reconnect. Then the server restarts on the same port and folder, the y-websocket clients reconnect on
// their own (the painter's unacknowledged strokes travel in its sync step 2), and everyone converges on
// every stroke the painter made.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Stroke, strokesArray } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { loadDoc } from "../../src/sync/index.js";
import { connect, DATASET, PROJECT, paint, sleep, strokeIdsOf, type TestClient, waitFor } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/sync-server.mjs", import.meta.url));
const TSCONFIG = fileURLToPath(new URL("./fixtures/tsconfig.sync.json", import.meta.url));

interface Fixture {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

function startFixture(dir: string, port = 0): Promise<Fixture> {
  // Compacting every 40 writes, so that the kill may well land in the middle of a compaction.
  const child = spawn(process.execPath, [FIXTURE, dir, String(port), "40"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve({ child, port: (JSON.parse(line) as { port: number }).port, exited });
    });
    child.once("exit", (code) => reject(new Error(`fixture exited (${code}) before listening: ${stderr}`)));
  });
}

describe("durability", () => {
  let dir: string;
  const children: ChildProcess[] = [];
  const clients: TestClient[] = [];

  beforeAll(async () => {
    // The fixture runs JavaScript: compile the sync server (and the store) into dist/ first.
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    execFileSync(process.execPath, [tsc, "-p", TSCONFIG], { stdio: "pipe" });
    dir = await mkdtemp(path.join(tmpdir(), "sylva-sync-kill-"));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("every stroke an observer saw survives SIGKILL, and all clients converge after the restart", async () => {
    let server = await startFixture(dir);
    let paintedAtKill = 0;
    children.push(server.child);
    const url = `ws://127.0.0.1:${server.port}/sync`;
    const painter = connect(url, PROJECT, "w:painter", { maxBackoffTime: 100 });
    const observer = connect(url, PROJECT, "w:observer", { maxBackoffTime: 100 });
    clients.push(painter, observer);
    await Promise.all([waitFor(() => painter.provider.synced), waitFor(() => observer.provider.synced)]);

    const seen = new Set<string>();
    strokesArray(observer.doc, DATASET).observe((event) => {
      for (const item of event.changes.added)
        for (const s of item.content.getContent() as Stroke[]) seen.add(s.id);
    });
    const painted: string[] = [];
    const timer = setInterval(() => {
      const id = `p-${painted.length}`;
      paint(painter, id, "painter", painted.length);
      painted.push(id);
    }, 5);

    try {
      await waitFor(() => seen.size >= 150, 20_000, "strokes acknowledged");
      server.child.kill("SIGKILL");
      await server.exited;
      await waitFor(
        () => !observer.provider.wsconnected && !painter.provider.wsconnected,
        5000,
        "disconnect",
      );
      const acknowledged = [...seen];
      paintedAtKill = painted.length;

      // The server is down, so no client can reconnect: read the log as a restarting server would.
      const loaded = await loadDoc(new FsBlobStore(dir), PROJECT);
      const durable = new Set(strokeIdsOf(loaded.doc));
      const lost = acknowledged.filter((id) => !durable.has(id));
      console.info(
        `SIGKILL after ${paintedAtKill} strokes painted: ${acknowledged.length} acknowledged, ` +
          `${durable.size} in the log (${loaded.updates} update blobs after snapshot ${loaded.snapshotSeq}), lost ${lost.length}`,
      );
      expect(lost).toEqual([]);
      expect(acknowledged.length).toBeGreaterThanOrEqual(150);

      // Restart on the same port and folder; the clients reconnect by themselves.
      server = await startFixture(dir, server.port);
      children.push(server.child);
      await waitFor(() => painter.provider.synced && observer.provider.synced, 20_000, "reconnect");
      await sleep(300); // keep painting a while after the reconnect
    } finally {
      clearInterval(timer);
    }
    // Strokes painted while the server was down (unacknowledged then) must arrive too.
    expect(painted.length).toBeGreaterThan(paintedAtKill + 20);
    const all = new Set(painted);
    await waitFor(
      () => observer.strokeIds().length === all.size && painter.strokeIds().length === all.size,
      20_000,
      "convergence",
    );
    expect(new Set(observer.strokeIds())).toEqual(all);
    expect(observer.strokeIds()).toEqual(painter.strokeIds());
    expect(Y.encodeStateVector(observer.doc)).toEqual(Y.encodeStateVector(painter.doc));

    // A late joiner and the log after another SIGKILL have every stroke too.
    const late = connect(`ws://127.0.0.1:${server.port}/sync`, PROJECT, "v:late");
    clients.push(late);
    await waitFor(() => late.provider.synced, 10_000, "late joiner");
    expect(new Set(late.strokeIds())).toEqual(all);
    server.child.kill("SIGKILL");
    await server.exited;
    expect(new Set(strokeIdsOf((await loadDoc(new FsBlobStore(dir), PROJECT)).doc))).toEqual(all);
  });
});
