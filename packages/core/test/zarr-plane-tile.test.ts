import { describe, expect, it } from "vitest";
import { planeSize, planeTile, TileRangeError } from "../src/index.js";

describe("plane tiles", () => {
  it("places xy, xz and yz tiles of a 3D volume on level 0", () => {
    const shape = [70, 600, 1100];
    expect(planeTile("zyx", shape, { level: 0, plane: "xy", t: 0, slice: 5, tu: 4, tv: 2 })).toEqual({
      start: [5, 512, 1024],
      stop: [6, 600, 1100],
      u0: 1024,
      v0: 512,
      width: 76,
      height: 88,
      channels: 1,
    });
    const xz = planeTile("zyx", shape, { level: 0, plane: "xz", t: 0, slice: 599, tu: 1, tv: 0 });
    expect([xz.start, xz.stop, xz.width, xz.height]).toEqual([[0, 599, 256], [70, 600, 512], 256, 70]);
    const yz = planeTile("zyx", shape, { level: 0, plane: "yz", t: 0, slice: 3, tu: 2, tv: 0 });
    expect([yz.start, yz.stop, yz.width, yz.height]).toEqual([[0, 512, 3], [70, 600, 4], 88, 70]);
  });

  it("maps the level-0 slice through the level's scale, with t and c axes", () => {
    // 400 z-slices are comparable to 512², so level 1 halves z too (64 would not be).
    const shape = [2, 3, 400, 512, 512];
    const t1 = planeTile("tczyx", shape, { level: 1, plane: "xy", t: 1, slice: 399, tu: 0, tv: 0 });
    expect([t1.start, t1.stop, t1.channels]).toEqual([[1, 0, 199, 0, 0], [2, 3, 200, 256, 256], 3]);
    expect(planeSize("tczyx", shape, 1, "xz")).toMatchObject({ width: 256, height: 200 });
  });

  it("refuses tiles, slices, times and planes that do not exist", () => {
    const q = { level: 0, plane: "xy" as const, t: 0, slice: 0, tu: 0, tv: 0 };
    expect(() => planeTile("yx", [512, 512], { ...q, tu: 2 })).toThrow(/outside the 512 × 512 xy plane/);
    expect(() => planeTile("yx", [512, 512], { ...q, plane: "xz" })).toThrow(/no xz plane/);
    expect(() => planeTile("yx", [512, 512], { ...q, slice: 1 })).toThrow(/only slice 0/);
    expect(() => planeTile("zyx", [4, 512, 512], { ...q, slice: 4 })).toThrow(/z 4 is outside 0…3/);
    expect(() => planeTile("tyx", [3, 512, 512], { ...q, t: 3 })).toThrow(TileRangeError);
    expect(() => planeTile("yx", [512, 512], { ...q, level: 9 })).toThrow(/level 9 does not exist/);
  });
});
