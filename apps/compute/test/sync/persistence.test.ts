// Durability of the document log on both store backends: after many updates and compactions a fresh
// server (and loadDoc) on the same store has exactly the same document; logs a crash left behind
// (snapshot written but covered updates not yet deleted, an older snapshot, a temporary file of a cut
// write) load exactly and are cleaned up by the next room.

import { writeFile } from "node:fs/promises";
import path from "node:path";
import { addClass, type Role, readClasses, strokesArray } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocLog, docPrefix, listLog, loadDoc, snapshotKey, updateKey } from "../../src/sync/index.js";
import { allKeys, BACKENDS, type TestStore } from "../helpers/stores.js";
import {
  connect,
  DATASET,
  PROJECT,
  paint,
  startServer,
  stroke,
  strokeIdsOf,
  synced,
  type TestClient,
  token,
  waitFor,
} from "./helpers.js";

const ROLES = new Map<string, Role>([
  [`${PROJECT}/alice`, "owner"],
  [`${PROJECT}/bob`, "annotator"],
]);

const sv = (doc: Y.Doc) => [...Y.encodeStateVector(doc)];

describe.each(BACKENDS)("document log on %s", (_name, makeStore) => {
  let ts: TestStore;
  beforeAll(async () => {
    ts = await makeStore();
  });
  afterAll(async () => {
    await ts.cleanup();
  });

  it("after many updates and compactions, a fresh server loads the identical document", async () => {
    const server = await startServer(ts.store, ROLES, { compactEveryUpdates: 25 });
    const clients: TestClient[] = [];
    try {
      const a = connect(server.url, PROJECT, token("alice"));
      const b = connect(server.url, PROJECT, token("bob"));
      clients.push(a, b);
      await Promise.all([synced(a), synced(b)]);
      const room = server.sync.rooms.get(PROJECT)!;
      await room.change((doc) => {
        addClass(doc, { name: "Cells" });
        addClass(doc, { name: "Background" });
      });
      for (let i = 0; i < 150; i++) {
        paint(a, `a-${i}`, "alice", i);
        paint(b, `b-${i}`, "bob", i);
        // Now and then wait for the round trip: many separate writes, not one group commit.
        if (i % 3 === 0) await waitFor(() => strokeIdsOf(room.doc).includes(`b-${i}`));
        if (i % 40 === 39) strokesArray(a.doc, DATASET).delete(0, 2); // deletions too
      }
      await waitFor(
        () => a.strokeIds().length === 300 - 6 && b.strokeIds().length === 300 - 6,
        20_000,
        "convergence",
      );
      await room.flush();
      expect(room.stats.writes).toBeGreaterThan(50);
      await waitFor(() => room.stats.compactions >= 2, 10_000, "automatic compactions");

      // Mid-life: the log (snapshot + later updates) loads to the room's document.
      const mid = await loadDoc(ts.store, PROJECT);
      expect(mid.snapshotSeq).toBeGreaterThan(0);
      expect(sv(mid.doc)).toEqual(sv(room.doc));
      expect(strokeIdsOf(mid.doc)).toEqual(strokeIdsOf(room.doc));
      const keys = await listLog(ts.store, PROJECT);
      expect(keys.filter((k) => k.kind === "snapshot")).toHaveLength(1);
      expect(keys.filter((k) => k.kind === "update").every((k) => k.seq > mid.snapshotSeq)).toBe(true);

      const expected = { sv: sv(a.doc), strokes: a.strokeIds(), classes: readClasses(a.doc) };
      expect(sv(b.doc)).toEqual(expected.sv);
      for (const c of clients.splice(0)) c.destroy();
      await server.close(); // compacts on close

      const after = await listLog(ts.store, PROJECT);
      expect(after.map((k) => k.kind)).toEqual(["snapshot"]);
      const loaded = await loadDoc(ts.store, PROJECT);
      expect(sv(loaded.doc)).toEqual(expected.sv);
      expect(strokeIdsOf(loaded.doc)).toEqual(expected.strokes);
      expect(readClasses(loaded.doc)).toEqual(expected.classes);

      const again = await startServer(ts.store, ROLES);
      try {
        const c = connect(again.url, PROJECT, token("bob"));
        clients.push(c);
        await synced(c);
        expect(sv(c.doc)).toEqual(expected.sv);
        expect(c.strokeIds()).toEqual(expected.strokes);
        expect(readClasses(c.doc).map((x) => x.name)).toEqual(["Cells", "Background"]);
      } finally {
        for (const c of clients.splice(0)) c.destroy();
        await again.close();
      }
    } finally {
      for (const c of clients) c.destroy();
      await server.close();
    }
  });

  it("loads exactly what a crash between a snapshot and its deletes left, and cleans it up", async () => {
    const project = "pr_crashcrashcr" as typeof PROJECT;
    // Build a log the way a room writes it: one update per painted stroke.
    const source = new Y.Doc();
    const log = new DocLog(ts.store, project, 0);
    const pending: Promise<number>[] = [];
    source.on("update", (u: Uint8Array) => pending.push(log.append(u)));
    const paintSource = (from: number, to: number) => {
      for (let i = from; i < to; i++)
        source.transact(() => strokesArray(source, DATASET).push([stroke(`s-${i}`, "alice", i)]));
    };
    paintSource(0, 10);
    await Promise.all(pending);
    const older = Y.encodeStateAsUpdate(source); // an older snapshot at seq 10 …
    await ts.store.put(snapshotKey(project, 10), older);
    paintSource(10, 30);
    await Promise.all(pending);
    // … the crash: snapshot 30 written, but neither updates 1…30 nor snapshot 10 deleted yet.
    await ts.store.put(snapshotKey(project, 30), Y.encodeStateAsUpdate(source));
    paintSource(30, 40); // updates written after the snapshot
    strokesArray(source, DATASET).delete(3, 1);
    await Promise.all(pending);
    if (ts.dir) {
      // A write cut short on the file system leaves only its temporary file.
      const folder = path.join(ts.dir, docPrefix(project), "updates");
      await writeFile(path.join(folder, ".sylva-tmp-0123456789abcdef"), new Uint8Array([1, 2, 3]));
    }

    const loaded = await loadDoc(ts.store, project);
    expect(loaded.snapshotSeq).toBe(30);
    expect(loaded.lastSeq).toBe(41);
    expect(loaded.updates).toBe(11);
    expect(loaded.staleKeys).toHaveLength(31); // updates 1…30 and snapshot 10
    expect(sv(loaded.doc)).toEqual(sv(source));
    expect(strokeIdsOf(loaded.doc)).toEqual(strokeIdsOf(source));
    expect(strokeIdsOf(loaded.doc)).toHaveLength(39);

    // A room on it loads the same, removes the leftovers, and appends after seq 41.
    const server = await startServer(ts.store, ROLES);
    try {
      const room = await server.sync.rooms.open(project);
      expect(strokeIdsOf(room.doc)).toEqual(strokeIdsOf(source));
      await waitFor(() => room.stats.appliedSeq === 41);
      await room.change((doc) => strokesArray(doc, DATASET).push([stroke("s-server", "sylva", 1)]));
      expect(room.stats.appliedSeq).toBe(42);
      await room.compact();
      const keys = await listLog(ts.store, project);
      expect(keys.map((k) => `${k.kind}:${k.seq}`)).toEqual(["snapshot:42"]);
      expect(strokeIdsOf((await loadDoc(ts.store, project)).doc)).toEqual([
        ...strokeIdsOf(source),
        "s-server",
      ]);
    } finally {
      await server.close();
    }
    const everything = await allKeys(ts.store, docPrefix(project));
    expect(everything.filter((k) => !k.includes(".sylva-tmp"))).toEqual([snapshotKey(project, 42)]);
  });

  it("never reuses a sequence number and loads updates written out of order", async () => {
    const project = "pr_seqseqseqse2" as typeof PROJECT;
    const a = new Y.Doc();
    const updates: Uint8Array[] = [];
    a.on("update", (u: Uint8Array) => updates.push(u));
    a.transact(() => addClass(a, { name: "One" }));
    a.transact(() => addClass(a, { name: "Two" }));
    // Written in reverse order (as concurrent puts might land): loading still orders by sequence number.
    await ts.store.put(updateKey(project, 2), updates[1]);
    await ts.store.put(updateKey(project, 1), updates[0]);
    const loaded = await loadDoc(ts.store, project);
    expect(readClasses(loaded.doc).map((c) => c.name)).toEqual(["One", "Two"]);
    const log = new DocLog(ts.store, project, loaded.lastSeq);
    expect(await log.append(Y.encodeStateAsUpdate(a))).toBe(3);
  });
});
