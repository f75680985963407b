// The stroke contract: what a client may send, and that a valid stroke rasterizes as @sylva/core does.

import { rasterizeStroke } from "@sylva/core";
import { describe, expect, it } from "vitest";
import { BRUSH_SIZES, newDatasetId, strokeSchema } from "../src/index.js";

const valid = {
  id: "s1",
  datasetId: newDatasetId(),
  author: "ana",
  classId: 2,
  plane: "xz",
  t: 0,
  slice: 4,
  diameter: 3,
  points: [
    [1, 1],
    [5, 2],
  ],
};

describe("strokeSchema", () => {
  it("accepts a stroke that rasterizes into label value classId", () => {
    const s = strokeSchema.parse(valid);
    const block = {
      data: new Uint8Array(8 * 8 * 8),
      t: 0,
      origin: [0, 0, 0] as const,
      shape: [8, 8, 8] as const,
    };
    expect(rasterizeStroke(block, s)).toBeGreaterThan(0);
    expect(new Set(block.data)).toEqual(new Set([0, 2]));
  });

  it("refuses what a hostile client could send", () => {
    for (const bad of [
      { ...valid, classId: -1 },
      { ...valid, classId: 1.5 },
      { ...valid, plane: "zz" },
      { ...valid, diameter: 0 },
      { ...valid, diameter: 1000 },
      { ...valid, points: [] },
      { ...valid, points: Array.from({ length: 5000 }, () => [0, 0]) },
      { ...valid, points: [[Number.NaN, 1]] },
      { ...valid, datasetId: "../x" },
    ])
      expect(strokeSchema.safeParse(bad).success).toBe(false);
  });

  it("brush sizes are ilastik's, all within the limit", () => {
    expect(BRUSH_SIZES[0]).toBe(1);
    for (const d of BRUSH_SIZES) expect(strokeSchema.safeParse({ ...valid, diameter: d }).success).toBe(true);
  });
});
