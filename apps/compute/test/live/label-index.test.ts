// The live label index (src/live/label-index.ts, bound to a Y.Doc by doc-labels.ts) against rasterizing
// every labeling stroke from scratch: after appends, undo and redo (Y.UndoManager), deletions, erasers,
// strokes merged into the middle of the order by a concurrent peer, and class deletion and re-creation,
// every block equals rasterizing readStrokes in document order — in 3D (xy, xz, yz strokes, two time
// points) and 2D — and blocks without labels are not kept.

import type { LabelBlock } from "@sylva/core";
import { rasterizeStrokes } from "@sylva/core";
import type { Stroke } from "@sylva/shared";
import {
  addClass,
  appendStroke,
  BRUSH_SIZES,
  datasetIdSchema,
  deleteClass,
  initProjectDoc,
  PLANES,
  readStrokes,
  strokesArray,
} from "@sylva/shared";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { DocLabels } from "../../src/live/doc-labels.js";
import type { VolumeShape } from "../../src/live/label-index.js";
import { rng } from "../helpers/data.js";

const DS = datasetIdSchema.parse("ds_abcdefghijkm");

/** Checks every block of the grid against a from-scratch rasterization of readStrokes. */
function expectMatchesScratch(doc: Y.Doc, labels: DocLabels, shape: VolumeShape): void {
  const index = labels.index;
  const strokes = readStrokes(doc, DS);
  expect(index.strokes()).toEqual(strokes);
  const present = new Map(index.blocks().map((b) => [b.key, b]));
  const [BZ, BY, BX] = index.blockShape;
  let nonEmpty = 0;
  for (let t = 0; t < shape.T; t++)
    for (let bz = 0; bz * BZ < shape.Z; bz++)
      for (let by = 0; by * BY < shape.Y; by++)
        for (let bx = 0; bx * BX < shape.X; bx++) {
          const key = `${t}/${bz}/${by}/${bx}`;
          const { box } = index.blockBox(key);
          const blockShape: [number, number, number] = [box.z1 - box.z0, box.y1 - box.y0, box.x1 - box.x0];
          const n = blockShape[0] * blockShape[1] * blockShape[2];
          const scratch: LabelBlock = {
            data: new Uint8Array(n),
            t,
            origin: [box.z0, box.y0, box.x0],
            shape: blockShape,
          };
          rasterizeStrokes(scratch, strokes);
          const planes: LabelBlock = { ...scratch, data: new Uint8Array(n) };
          rasterizeStrokes(
            planes,
            strokes.map((s) => ({ ...s, classId: PLANES.indexOf(s.plane) })),
          );
          const got = present.get(key);
          const empty = scratch.data.every((v) => v === 0);
          if (empty) {
            expect(got, `block ${key} holds no labels and should not be kept`).toBeUndefined();
            continue;
          }
          nonEmpty++;
          expect(got, `block ${key} is missing`).toBeDefined();
          expect(
            Buffer.from(got!.labels.data).equals(Buffer.from(scratch.data)),
            `labels of block ${key}`,
          ).toBe(true);
          // The plane of the stroke that set each labeled voxel.
          for (let i = 0; i < n; i++)
            if (scratch.data[i] !== 0 && got!.planes[i] !== planes.data[i])
              throw new Error(
                `block ${key}, voxel ${i}: plane ${got!.planes[i]}, expected ${planes.data[i]}`,
              );
        }
  expect(present.size).toBe(nonEmpty);
}

/** A random stroke in (or partly outside) a volume of `shape`. */
function randomStroke(r: (n: number) => number, shape: VolumeShape, id: string, classes: number): Stroke {
  const plane = shape.Z > 1 ? PLANES[r(3)] : "xy";
  const [U, V, S] =
    plane === "xy"
      ? [shape.X, shape.Y, shape.Z]
      : plane === "xz"
        ? [shape.X, shape.Z, shape.Y]
        : [shape.Y, shape.Z, shape.X];
  const count = 1 + r(6);
  const points: [number, number][] = [];
  let u = r(U + 10) - 5;
  let v = r(V + 10) - 5;
  for (let i = 0; i < count; i++) {
    points.push([u + r(100) / 100, v + r(100) / 100]);
    u += r(41) - 20;
    v += r(41) - 20;
  }
  return {
    id,
    datasetId: DS,
    author: r(2) ? "alice" : "bob",
    classId: r(5) === 0 ? 0 : 1 + r(classes),
    plane,
    t: r(shape.T),
    slice: r(S),
    diameter: BRUSH_SIZES[r(5)],
    points,
  };
}

function scenario(shape: VolumeShape, seed: number) {
  const r = rng(seed);
  const doc = new Y.Doc();
  initProjectDoc(doc);
  addClass(doc); // 3 classes
  const peer = new Y.Doc();
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc));
  // (Both documents carry an index; the concurrent test exchanges updates by hand, the others forward
  // the main document's updates, so the peer follows in the same order.)
  let forward = true;
  doc.on("update", (u: Uint8Array, origin: unknown) => {
    if (forward && origin !== "peer") Y.applyUpdate(peer, u, "doc");
  });
  let changes = 0;
  const labels = new DocLabels(doc, DS, shape, () => changes++);
  const undo = new Y.UndoManager(strokesArray(doc, DS), {
    trackedOrigins: new Set(["alice"]),
    captureTimeout: 0,
  });
  const peerLabels = new DocLabels(peer, DS, shape, () => {});
  let n = 0;
  const check = () => {
    expectMatchesScratch(doc, labels, shape);
    expectMatchesScratch(peer, peerLabels, shape);
  };
  const destroy = () => {
    labels.destroy();
    peerLabels.destroy();
  };
  const manual = () => {
    forward = false;
  };
  return {
    r,
    doc,
    peer,
    labels,
    undo,
    check,
    destroy,
    manual,
    next: () => `s${n++}`,
    changes: () => changes,
  };
}

describe.each([
  ["3D, two time points", { T: 2, Z: 20, Y: 70, X: 90 }],
  ["2D", { T: 1, Z: 1, Y: 300, X: 270 }],
])("label index (%s): incremental equals from scratch", (_name, shape) => {
  it("after appends, undo and redo, deletions and erasers", () => {
    const s = scenario(shape, 7);
    for (let step = 0; step < 60; step++) {
      const op = s.r(10);
      if (op < 5) appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 3), "alice");
      else if (op < 7) s.undo.undo();
      else if (op === 7) s.undo.redo();
      else {
        const arr = strokesArray(s.doc, DS);
        if (arr.length > 0) {
          const at = s.r(arr.length);
          s.doc.transact(() => arr.delete(at, Math.min(1 + s.r(3), arr.length - at)));
        }
      }
      s.check();
    }
    expect(s.labels.index.blockCount).toBeGreaterThan(0);
    expect(s.changes()).toBeGreaterThan(10);
    s.destroy();
  });

  it("after a concurrent peer's strokes are merged into the middle of the order", () => {
    const s = scenario(shape, 11);
    for (let i = 0; i < 8; i++) appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 3));
    s.manual();
    s.check();
    for (let round = 0; round < 6; round++) {
      // Both paint at once; then each gets the other's update. Yjs orders concurrent inserts by client
      // id, so for one of the two documents the other's strokes land before its own.
      const before = Y.encodeStateVector(s.doc);
      const peerBefore = Y.encodeStateVector(s.peer);
      for (let i = 0; i < 3; i++) appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 3));
      for (let i = 0; i < 3; i++) appendStroke(s.peer, randomStroke(s.r, shape, s.next(), 3));
      Y.applyUpdate(s.doc, Y.encodeStateAsUpdate(s.peer, before), "peer");
      Y.applyUpdate(s.peer, Y.encodeStateAsUpdate(s.doc, peerBefore), "doc");
      s.check();
      expect(readStrokes(s.doc, DS)).toEqual(readStrokes(s.peer, DS));
    }
    // The peer undoes one of its strokes by deleting it: the deletion arrives as an update.
    const arr = strokesArray(s.peer, DS);
    s.peer.transact(() => arr.delete(2, 3));
    Y.applyUpdate(s.doc, Y.encodeStateAsUpdate(s.peer, Y.encodeStateVector(s.doc)), "peer");
    s.check();
    s.destroy();
  });

  it("after class deletion and a new class taking the deleted id", () => {
    const s = scenario(shape, 13);
    for (let i = 0; i < 30; i++) appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 3));
    s.check();
    const withThree = s.labels.index.blocks().length;
    deleteClass(s.doc, 3);
    s.check();
    appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 2));
    s.check();
    // A new class gets id 3 again (the highest id + 1): the old class-3 strokes label again.
    expect(addClass(s.doc)).toBe(3);
    s.check();
    expect(s.labels.index.blocks().length).toBeGreaterThanOrEqual(1);
    expect(withThree).toBeGreaterThanOrEqual(1);
    deleteClass(s.doc, 1);
    s.check();
    s.destroy();
  });

  it("ignores invalid values and other datasets' strokes in the array", () => {
    const s = scenario(shape, 17);
    const arr = strokesArray(s.doc, DS);
    appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 3));
    s.doc.transact(() => arr.push([{ nonsense: true }, 42]));
    const other = {
      ...randomStroke(s.r, shape, s.next(), 3),
      datasetId: datasetIdSchema.parse("ds_zzzzzzzzzzzz"),
    };
    s.doc.transact(() => arr.push([other]));
    appendStroke(s.doc, randomStroke(s.r, shape, s.next(), 3));
    s.check();
    s.doc.transact(() => arr.delete(1, 2));
    s.check();
    s.destroy();
  });
});
