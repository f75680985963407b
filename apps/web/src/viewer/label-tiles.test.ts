// Label tiles agree with core's rasterization of the whole plane, stay current as strokes are appended
// or undone, and name the author of a labeled voxel.
import { type LabelBlock, rasterizeStrokes } from "@sylva/core";
import {
  appendStroke,
  type DatasetManifest,
  initProjectDoc,
  readStrokes,
  type Stroke,
  strokesArray,
} from "@sylva/shared";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { geometryOf, tileRef } from "./geometry";
import { LabelTiles } from "./label-tiles";

const DS = "ds_abcdefghijkm";
const g = geometryOf({
  id: DS,
  name: "t",
  axes: "zyx",
  shape: [20, 300, 600],
  dtype: "uint8",
} as unknown as DatasetManifest);

function stroke(
  id: string,
  classId: number,
  plane: Stroke["plane"],
  slice: number,
  points: [number, number][],
  author = "me",
): Stroke {
  return {
    id,
    datasetId: DS as Stroke["datasetId"],
    author,
    classId,
    plane,
    t: 0,
    slice,
    diameter: 5,
    points,
  };
}

/** The xy plane at z = slice, rasterized whole by core. */
function wholePlane(doc: Y.Doc, slice: number): Uint8Array {
  const block: LabelBlock = {
    data: new Uint8Array(300 * 600),
    t: 0,
    origin: [slice, 0, 0],
    shape: [1, 300, 600],
  };
  rasterizeStrokes(block, readStrokes(doc, DS));
  return block.data;
}

function tileOf(plane: Uint8Array, u0: number, v0: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let v = 0; v < h; v++) out.set(plane.subarray((v0 + v) * 600 + u0, (v0 + v) * 600 + u0 + w), v * w);
  return out;
}

describe("LabelTiles", () => {
  it("matches core's rasterization and follows appends, erasers and undo", () => {
    const doc = new Y.Doc();
    initProjectDoc(doc);
    const tiles = new LabelTiles(doc);
    appendStroke(
      doc,
      stroke("a", 1, "xy", 4, [
        [10, 10],
        [300, 200],
      ]),
    );
    appendStroke(
      doc,
      stroke(
        "b",
        2,
        "xz",
        100,
        [
          [250, 0],
          [270, 19],
        ],
        "them",
      ),
      "them",
    );
    const ref = tileRef(g, "xy", 0, 1, 0);
    const check = () => {
      const tile = tiles.get(g, "xy", 0, 4, ref);
      expect(tile.data).toEqual(tileOf(wholePlane(doc, 4), ref.u0, ref.v0, ref.width, ref.height));
    };
    check();
    const undo = new Y.UndoManager(strokesArray(doc, DS), { trackedOrigins: new Set(["me"]) });
    appendStroke(
      doc,
      stroke("c", 0, "xy", 4, [
        [280, 190],
        [290, 195],
      ]),
      "me",
    );
    check();
    undo.undo();
    check();
    expect(tiles.strokeAt(DS, 0, { x: 255, y: 100, z: 5 })?.author).toBe("them");
    expect(tiles.strokeAt(DS, 0, { x: 10, y: 10, z: 4 })?.id).toBe("a");
    expect(tiles.strokeAt(DS, 0, { x: 10, y: 10, z: 5 })).toBeUndefined();
    tiles.destroy();
  });

  it("keeps any label under a coarse pixel", () => {
    const doc = new Y.Doc();
    initProjectDoc(doc);
    const tiles = new LabelTiles(doc);
    appendStroke(doc, stroke("a", 2, "xy", 0, [[101, 51]]));
    const tile = tiles.get(g, "xy", 0, 0, tileRef(g, "xy", 1, 0, 0));
    expect(tile.data[25 * tile.width + 50]).toBe(2);
    expect(tile.empty).toBe(false);
    expect(tiles.get(g, "xy", 0, 1, tileRef(g, "xy", 1, 0, 0)).empty).toBe(true);
  });
});
