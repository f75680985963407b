// Stroke rasterization: brush shapes, gap-free lines, planes, eraser and document order, and that any
// block of the volume gets exactly that block of the whole.

import { describe, expect, it } from "vitest";
import type { LabelBlock, StrokeGeometry } from "../src/index.js";
import { brushOffsets, rasterizeStroke, rasterizeStrokes, strokeBounds, strokeStamps } from "../src/index.js";

function block(
  shape: [number, number, number],
  origin: [number, number, number] = [0, 0, 0],
  t = 0,
): LabelBlock {
  return { data: new Uint8Array(shape[0] * shape[1] * shape[2]), t, origin, shape };
}

function at(b: LabelBlock, z: number, y: number, x: number): number {
  const [Z, Y, X] = b.shape;
  const [oz, oy, ox] = b.origin;
  expect(z - oz < Z && y - oy < Y && x - ox < X).toBe(true);
  return b.data[((z - oz) * Y + (y - oy)) * X + (x - ox)];
}

const stroke = (over: Partial<StrokeGeometry>): StrokeGeometry => ({
  classId: 1,
  plane: "xy",
  t: 0,
  slice: 0,
  diameter: 1,
  points: [[0, 0]],
  ...over,
});

describe("brush and stamps", () => {
  it("brush discs: 1, 3 × 3, and round for larger diameters", () => {
    expect(brushOffsets(1)).toEqual([[0, 0]]);
    expect(brushOffsets(3)).toHaveLength(9);
    const d7 = brushOffsets(7);
    expect(d7.length).toBeLessThan(49);
    expect(d7).toContainEqual([0, -3]);
    expect(d7).not.toContainEqual([-3, -3]);
    for (const d of [2, 4, 5, 11, 23]) {
      const offs = brushOffsets(d);
      const us = offs.map((o) => o[0]);
      expect(Math.max(...us) - Math.min(...us) + 1).toBe(d);
    }
  });

  it("a fast drag leaves no gaps: consecutive stamps are neighbours", () => {
    const stamps = strokeStamps([
      [0, 0],
      [10, 3],
      [10.4, 3.2],
      [2, 9],
    ]);
    for (let i = 1; i < stamps.length; i++) {
      expect(Math.abs(stamps[i][0] - stamps[i - 1][0])).toBeLessThanOrEqual(1);
      expect(Math.abs(stamps[i][1] - stamps[i - 1][1])).toBeLessThanOrEqual(1);
    }
    expect(stamps[0]).toEqual([0, 0]);
    expect(stamps[stamps.length - 1]).toEqual([2, 9]);
  });
});

describe("rasterizeStroke", () => {
  it("maps each plane's (u, v) to the right voxels", () => {
    const b = block([8, 8, 8]);
    rasterizeStroke(b, stroke({ plane: "xy", slice: 2, points: [[5, 1]], classId: 1 }));
    rasterizeStroke(b, stroke({ plane: "xz", slice: 3, points: [[6, 4]], classId: 2 }));
    rasterizeStroke(b, stroke({ plane: "yz", slice: 7, points: [[1, 6]], classId: 3 }));
    expect(at(b, 2, 1, 5)).toBe(1);
    expect(at(b, 4, 3, 6)).toBe(2);
    expect(at(b, 6, 1, 7)).toBe(3);
    expect(b.data.reduce((n, v) => n + (v > 0 ? 1 : 0), 0)).toBe(3);
  });

  it("later strokes win, the eraser clears, other time points are untouched", () => {
    const b = block([1, 10, 10]);
    rasterizeStrokes(b, [
      stroke({
        diameter: 3,
        points: [
          [2, 2],
          [7, 2],
        ],
        classId: 1,
      }),
      stroke({
        diameter: 1,
        points: [
          [4, 0],
          [4, 9],
        ],
        classId: 2,
      }),
      stroke({ diameter: 1, points: [[6, 2]], classId: 0 }),
      stroke({ t: 1, diameter: 5, points: [[5, 5]], classId: 3 }),
    ]);
    expect(at(b, 0, 2, 3)).toBe(1);
    expect(at(b, 0, 2, 4)).toBe(2);
    expect(at(b, 0, 2, 6)).toBe(0);
    expect(at(b, 0, 5, 5)).toBe(0);
    expect([...b.data].includes(3)).toBe(false);
  });

  it("any blocking gives the same labels as the whole, and bounds cover every voxel set", () => {
    const strokes = [
      stroke({
        plane: "xy",
        slice: 3,
        diameter: 7,
        points: [
          [1, 1],
          [30, 17],
          [12, 28],
        ],
        classId: 1,
      }),
      stroke({
        plane: "xz",
        slice: 20,
        diameter: 5,
        points: [
          [25, 0],
          [3, 15],
        ],
        classId: 2,
      }),
      stroke({ plane: "yz", slice: 9, diameter: 11, points: [[16, 8]], classId: 0 }),
      stroke({
        plane: "yz",
        slice: 9,
        diameter: 3,
        points: [
          [2, 2],
          [29, 14],
        ],
        classId: 4,
      }),
    ];
    const whole = block([16, 32, 32]);
    rasterizeStrokes(whole, strokes);
    for (const size of [5, 8, 13]) {
      for (let z0 = 0; z0 < 16; z0 += size)
        for (let y0 = 0; y0 < 32; y0 += size)
          for (let x0 = 0; x0 < 32; x0 += size) {
            const shape: [number, number, number] = [
              Math.min(size, 16 - z0),
              Math.min(size, 32 - y0),
              Math.min(size, 32 - x0),
            ];
            const part = block(shape, [z0, y0, x0]);
            rasterizeStrokes(part, strokes);
            for (let z = 0; z < shape[0]; z++)
              for (let y = 0; y < shape[1]; y++)
                for (let x = 0; x < shape[2]; x++)
                  expect(at(part, z0 + z, y0 + y, x0 + x)).toBe(at(whole, z0 + z, y0 + y, x0 + x));
          }
    }
    for (const s of strokes.filter((s) => s.classId > 0)) {
      const b = block([16, 32, 32]);
      rasterizeStroke(b, s);
      const { start, stop } = strokeBounds(s);
      for (let i = 0; i < b.data.length; i++) {
        if (!b.data[i]) continue;
        const z = Math.floor(i / 1024);
        const y = Math.floor(i / 32) % 32;
        const x = i % 32;
        expect(
          z >= start[0] && z < stop[0] && y >= start[1] && y < stop[1] && x >= start[2] && x < stop[2],
        ).toBe(true);
      }
    }
  });
});
