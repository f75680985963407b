// Dataset geometry: plane axes, pyramid scales and the tiles a view needs.
import type { DatasetManifest } from "@sylva/shared";
import { describe, expect, it } from "vitest";
import { fromPlane, geometryOf, levelSlice, planeExtent, planeScale, tilesInRect, toPlane } from "./geometry";
import { chooseLevel } from "./level";

function manifest(axes: string, shape: number[]): DatasetManifest {
  return {
    id: "ds_abcdefghijkm",
    name: "test",
    axes,
    shape,
    dtype: "uint8",
    format: { ngff: "0.4", zarr: 2 },
    prefix: "datasets/ds_abcdefghijkm/",
    levels: [],
    sources: [],
    sourceAxes: axes,
    createdAt: new Date(0).toISOString(),
  } as unknown as DatasetManifest;
}

describe("geometry", () => {
  const g = geometryOf(manifest("zyx", [30, 1024, 700]));

  it("maps planes onto axes", () => {
    expect(g.is3d).toBe(true);
    expect(planeExtent(g, "xy")).toEqual({ width: 700, height: 1024, slices: 30 });
    expect(planeExtent(g, "xz")).toEqual({ width: 700, height: 30, slices: 1024 });
    expect(planeExtent(g, "yz")).toEqual({ width: 1024, height: 30, slices: 700 });
    const p = { x: 3, y: 5, z: 7 };
    for (const plane of ["xy", "xz", "yz"] as const) {
      const q = toPlane(plane, p);
      expect(fromPlane(plane, q.u, q.v, q.slice)).toEqual(p);
    }
  });

  it("follows core's pyramid (thin z is not halved)", () => {
    expect(g.levels.length).toBe(3);
    expect(planeScale(g, "xz", 2)).toEqual({ su: 4, sv: 1, ss: 4 });
    expect(levelSlice(g, "xz", 2, 1023)).toBe(255);
  });

  it("lists the tiles under a rectangle", () => {
    const tiles = tilesInRect(g, "xy", 0, { u0: -50, v0: 200, u1: 300, v1: 600 });
    expect(tiles.map((t) => [t.tu, t.tv])).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [1, 1],
      [0, 2],
      [1, 2],
    ]);
    const last = tilesInRect(g, "xy", 0, { u0: 600, v0: 1000, u1: 800, v1: 1100 });
    expect(last).toEqual([{ level: 0, tu: 2, tv: 3, u0: 512, v0: 768, width: 188, height: 256 }]);
  });

  it("picks coarser levels when zoomed out", () => {
    expect(chooseLevel(g, "xy", 2)).toBe(0);
    expect(chooseLevel(g, "xy", 1)).toBe(0);
    expect(chooseLevel(g, "xy", 0.5)).toBe(1);
    expect(chooseLevel(g, "xy", 0.1)).toBe(2);
  });
});
