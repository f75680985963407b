// Drags become strokes: integer points, split at MAX_STROKE_POINTS without gaps; undo is per user.
import { initProjectDoc, readStrokes } from "@sylva/shared";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { StrokeBuilder } from "./stroke-builder";
import { StrokeUndo } from "./undo";

const DS = "ds_abcdefghijkm";

function context(doc: Y.Doc, origin: unknown, author: string) {
  return {
    doc,
    origin,
    datasetId: DS,
    author,
    classId: 1,
    plane: "xy" as const,
    t: 0,
    slice: 2,
    diameter: 3,
  };
}

describe("StrokeBuilder", () => {
  it("splits long drags and keeps them continuous", () => {
    const doc = new Y.Doc();
    initProjectDoc(doc);
    const b = new StrokeBuilder(context(doc, "me", "me"), 4);
    for (let i = 0; i < 10; i++) b.add(i + 0.4, 2.9);
    b.add(9.2, 2.1); // same voxel: dropped
    b.finish();
    const strokes = readStrokes(doc, DS);
    expect(strokes.map((s) => s.points.length)).toEqual([4, 4, 4]);
    expect(strokes[1].points[0]).toEqual(strokes[0].points[3]);
    expect(strokes.flatMap((s) => s.points.map((p) => p[0]))).toEqual([0, 1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9]);
    expect(strokes[0].points[0]).toEqual([0, 2]);
  });

  it("undoes only the local user's strokes, a whole drag at a time", () => {
    const doc = new Y.Doc();
    initProjectDoc(doc);
    const mine = { user: "me" };
    const theirs = { user: "them" };
    const undo = new StrokeUndo(doc, DS, mine);
    undo.beginGesture();
    const a = new StrokeBuilder(context(doc, mine, "me"), 3);
    for (let i = 0; i < 6; i++) a.add(i, 0);
    a.finish();
    const other = new StrokeBuilder(context(doc, theirs, "them"));
    other.add(1, 1);
    other.finish();
    undo.beginGesture();
    const b = new StrokeBuilder(context(doc, mine, "me"));
    b.add(5, 5);
    b.finish();
    expect(readStrokes(doc, DS).length).toBe(5);
    undo.undo();
    expect(readStrokes(doc, DS).map((s) => s.author)).toEqual(["me", "me", "me", "them"]);
    undo.undo();
    expect(readStrokes(doc, DS).map((s) => s.author)).toEqual(["them"]);
    expect(undo.canUndo).toBe(false);
    undo.redo();
    expect(readStrokes(doc, DS).length).toBe(4);
    undo.destroy();
  });
});
