import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  addClass,
  appendStroke,
  defaultFeatureSelection,
  deleteClass,
  initProjectDoc,
  readClasses,
  readFeatureSelection,
  readStrokes,
  type Stroke,
  setFeatureSelection,
  strokeDatasetIds,
  strokesArray,
  updateClass,
} from "../src/index.js";

const DS = "ds_abcdefghijkm";
const stroke = (id: string, classId: number, author = "ana"): Stroke =>
  ({
    id,
    datasetId: DS,
    author,
    classId,
    plane: "xy",
    t: 0,
    slice: 0,
    diameter: 3,
    points: [[1, 2]],
  }) as Stroke;

/** Two peers exchanging every update, as a sync server would. */
function peers(): [Y.Doc, Y.Doc] {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on("update", (u: Uint8Array, origin: unknown) => origin !== "remote" && Y.applyUpdate(b, u, "remote"));
  b.on("update", (u: Uint8Array, origin: unknown) => origin !== "remote" && Y.applyUpdate(a, u, "remote"));
  return [a, b];
}

describe("the project document", () => {
  it("starts with two ilastik-colored classes and every feature", () => {
    const doc = new Y.Doc();
    initProjectDoc(doc);
    expect(readClasses(doc)).toEqual([
      { id: 1, name: "Label 1", color: [255, 0, 0] },
      { id: 2, name: "Label 2", color: [0, 255, 0] },
    ]);
    expect(readFeatureSelection(doc)).toEqual(defaultFeatureSelection());
    initProjectDoc(doc); // idempotent
    expect(readClasses(doc)).toHaveLength(2);
  });

  it("merges concurrent strokes from two peers into one order on both", () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    initProjectDoc(a);
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    appendStroke(a, stroke("a1", 1, "ana"));
    appendStroke(b, stroke("b1", 2, "bo"));
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    const ids = (d: Y.Doc) => readStrokes(d, DS).map((s) => s.id);
    expect(ids(a)).toEqual(ids(b));
    expect(ids(a).sort()).toEqual(["a1", "b1"]);
    expect(strokeDatasetIds(a)).toEqual([DS]);
  });

  it("skips invalid entries and strokes of deleted classes, but keeps erasers", () => {
    const [a, b] = peers();
    initProjectDoc(a);
    const third = addClass(a, { name: "Mitochondria" });
    appendStroke(a, stroke("s1", 1));
    appendStroke(a, stroke("s3", third));
    appendStroke(a, stroke("e", 0));
    strokesArray(a, DS).push([{ id: "junk", classId: "x" }]);
    expect(readStrokes(b, DS).map((s) => s.id)).toEqual(["s1", "s3", "e"]);
    deleteClass(b, third);
    expect(readStrokes(a, DS).map((s) => s.id)).toEqual(["s1", "e"]);
    expect(() => appendStroke(a, { ...stroke("bad", 1), diameter: 0 })).toThrow();
  });

  it("renames, recolors and keeps at least two classes", () => {
    const doc = new Y.Doc();
    initProjectDoc(doc);
    updateClass(doc, 1, { name: "Membrane" });
    updateClass(doc, 2, { color: [1, 2, 3] });
    expect(readClasses(doc).map((c) => [c.name, c.color])).toEqual([
      ["Membrane", [255, 0, 0]],
      ["Label 2", [1, 2, 3]],
    ]);
    expect(() => deleteClass(doc, 1)).toThrow(/at least 2/);
    expect(() => updateClass(doc, 7, { name: "x" })).toThrow(/no label class 7/);
    expect(() => updateClass(doc, 1, { name: " " })).toThrow();
  });

  it("falls back to the default selection when the stored one is invalid", () => {
    const doc = new Y.Doc();
    setFeatureSelection(doc, { features: ["GS"], scales: [1], in2d: true });
    expect(readFeatureSelection(doc)).toEqual({ features: ["GS"], scales: [1], in2d: true });
    doc.getMap("settings").set("features", { features: [], scales: [] });
    expect(readFeatureSelection(doc)).toEqual(defaultFeatureSelection());
  });
});
