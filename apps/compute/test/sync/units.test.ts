// The small pieces on their own: strict message decoding, the update check (what is new, what a viewer
// may not send), group commit (merging, order, failures, writes in flight), log keys and URLs.

import { addClass, classesMap } from "@sylva/shared";
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { GroupCommit } from "../../src/sync/group-commit.js";
import {
  decodeClientMessage,
  encodeAwareness,
  encodeMessage,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  MalformedMessageError,
  parseLogKey,
  SEQ_DIGITS,
  snapshotKey,
  updateKey,
} from "../../src/sync/index.js";
import { checkUpdate } from "../../src/sync/update-check.js";
import { parseSyncUrl } from "../../src/sync/upgrade.js";
import { PROJECT } from "./helpers.js";

describe("messages", () => {
  it("round-trips the y-websocket messages", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    expect(decodeClientMessage(encodeSyncStep1(bytes))).toEqual({ kind: "sync-step1", stateVector: bytes });
    expect(decodeClientMessage(encodeSyncStep2(bytes))).toEqual({ kind: "sync-step2", update: bytes });
    expect(decodeClientMessage(encodeSyncUpdate(bytes))).toEqual({ kind: "sync-update", update: bytes });
    expect(decodeClientMessage(encodeAwareness(bytes))).toEqual({ kind: "awareness", update: bytes });
    expect(decodeClientMessage(new Uint8Array([3]))).toEqual({ kind: "query-awareness" });
    expect(decodeClientMessage(encodeMessage(100, bytes))).toEqual({ kind: "other", type: 100, body: bytes });
    // y-protocols/auth writePermissionDenied, after the message type 2.
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, "nope");
    expect(encodePermissionDenied("nope")).toEqual(encoding.toUint8Array(e));
  });

  it("refuses truncated, overlong and unknown framing", () => {
    const bad = [
      [],
      [0x80], // varuint cut short
      [0],
      [0, 0],
      [0, 0, 5, 1, 2],
      [0, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 1],
      [0, 3, 0],
      [0, 2, 1, 9, 9],
      [1, 2, 1],
      [3, 0],
    ];
    for (const b of bad)
      expect(() => decodeClientMessage(new Uint8Array(b)), `${b}`).toThrow(MalformedMessageError);
    // A view into a larger buffer cannot read past its end.
    const big = new Uint8Array([0, 2, 4, 1, 2, 3, 4]);
    expect(() => decodeClientMessage(big.subarray(0, 5))).toThrow(MalformedMessageError);
  });
});

describe("checkUpdate", () => {
  it("tells new changes from repeats, deletions included", () => {
    const server = new Y.Doc();
    const client = new Y.Doc();
    const updates: Uint8Array[] = [];
    client.on("update", (u: Uint8Array) => updates.push(u));
    addClass(client);
    addClass(client);
    expect(checkUpdate(server, updates[0]).changes).toBe(true);
    Y.applyUpdate(server, updates[0]);
    expect(checkUpdate(server, updates[0]).changes).toBe(false);
    // An update repeating known structs is reduced to what is new.
    const both = Y.mergeUpdates(updates);
    const check = checkUpdate(server, both);
    expect(check.changes).toBe(true);
    expect(check.update.byteLength).toBeLessThan(both.byteLength);
    Y.applyUpdate(server, check.update);
    expect(classesMap(server).size).toBe(2);
    // A sync step 2 with nothing new (the usual reply of an up-to-date client) changes nothing.
    expect(checkUpdate(server, Y.encodeStateAsUpdate(client, Y.encodeStateVector(server))).changes).toBe(
      false,
    );
    expect(checkUpdate(server, Y.encodeStateAsUpdate(client)).changes).toBe(false);
    // A deletion of known items is a change; once applied, a repeat is not.
    classesMap(client).delete("1");
    const deletion = updates.at(-1)!;
    expect(checkUpdate(server, deletion).changes).toBe(true);
    Y.applyUpdate(server, deletion);
    expect(checkUpdate(server, deletion).changes).toBe(false);
    expect(() => checkUpdate(server, new Uint8Array([0xff, 0xff, 0xff]))).toThrow(MalformedMessageError);
  });
});

describe("GroupCommit", () => {
  const update = (n: number) => {
    const d = new Y.Doc();
    d.getMap("m").set("k", n);
    return Y.encodeStateAsUpdate(d);
  };

  it("merges what arrives during a write and applies in arrival order", async () => {
    const writes: { update: Uint8Array; release: (seq: number) => void }[] = [];
    const applied: string[] = [];
    let seq = 0;
    const gc = new GroupCommit<string>(
      (u) => new Promise<number>((resolve) => writes.push({ update: u, release: () => resolve(++seq) })),
      (entries, s) => applied.push(...entries.map((e) => `${e.origin}@${s}`)),
      () => {},
      1,
    );
    const done = ["a", "b", "c", "d"].map((o, i) => gc.submit(update(i), o));
    expect(writes).toHaveLength(1); // "a" is being written; b, c, d wait
    writes[0].release(0);
    await done[0];
    expect(applied).toEqual(["a@1"]);
    expect(writes).toHaveLength(2); // b, c, d merged into one write
    writes[1].release(0);
    await Promise.all(done);
    expect(applied).toEqual(["a@1", "b@2", "c@2", "d@2"]);
    await gc.drain();
  });

  it("applies in order with writes in flight, and rejects only a failed write's updates", async () => {
    const writes: { resolve: (seq: number) => void; reject: (e: Error) => void }[] = [];
    const applied: string[] = [];
    let seq = 0;
    const gc = new GroupCommit<string>(
      () =>
        new Promise<number>((resolve, reject) => {
          const s = ++seq;
          writes.push({ resolve: () => resolve(s), reject });
        }),
      (entries, s) => applied.push(...entries.map((e) => `${e.origin}@${s}`)),
      () => {},
      2,
    );
    const a = gc.submit(update(1), "a");
    const b = gc.submit(update(2), "b");
    const c = gc.submit(update(3), "c");
    expect(writes).toHaveLength(2); // a and b in flight, c waits
    writes[1].resolve(0); // b finishes first: it waits for a
    await new Promise((r) => setTimeout(r, 5));
    expect(applied).toEqual([]);
    writes[0].reject(new Error("disk full"));
    await expect(a).rejects.toThrow("disk full");
    await b;
    expect(applied).toEqual(["b@2"]);
    expect(writes).toHaveLength(3);
    writes[2].resolve(0);
    await c;
    expect(applied).toEqual(["b@2", "c@3"]);
    await gc.drain();
    expect(gc.pending).toBe(0);
  });
});

describe("keys and URLs", () => {
  it("orders sequence numbers as keys and parses them back", () => {
    expect(updateKey(PROJECT, 42)).toBe(
      `projects/${PROJECT}/doc/updates/${"42".padStart(SEQ_DIGITS, "0")}.bin`,
    );
    expect(snapshotKey(PROJECT, 9) < snapshotKey(PROJECT, 10)).toBe(true);
    expect(parseLogKey(PROJECT, updateKey(PROJECT, 7))).toEqual({
      kind: "update",
      seq: 7,
      key: updateKey(PROJECT, 7),
    });
    expect(parseLogKey(PROJECT, snapshotKey(PROJECT, 7))?.kind).toBe("snapshot");
    expect(parseLogKey(PROJECT, `projects/${PROJECT}/doc/updates/7.bin`)).toBeUndefined();
    expect(() => updateKey(PROJECT, 0)).toThrow(RangeError);
  });

  it("takes only paths under the base, and reads the token", () => {
    expect(parseSyncUrl("/other/x", "/sync")).toBeUndefined();
    expect(parseSyncUrl("/synced/pr_abcdefghijkm", "/sync")).toBeUndefined();
    expect(parseSyncUrl(`/sync/${PROJECT}?token=abc`, "/sync")).toEqual({
      ok: true,
      projectId: PROJECT,
      token: "abc",
    });
    expect(parseSyncUrl(`/sync/${PROJECT}`, "/sync")).toEqual({
      ok: true,
      projectId: PROJECT,
      token: undefined,
    });
    expect(parseSyncUrl("/sync/PR_ABC", "/sync")).toMatchObject({ ok: false, status: 400 });
    expect(parseSyncUrl("/sync", "/sync")).toMatchObject({ ok: false, status: 400 });
  });
});
