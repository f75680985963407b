// Live tiles: a newer generation replaces a tile, an older one never does.
import type { DatasetManifest, TileFrame } from "@sylva/shared";
import { describe, expect, it } from "vitest";
import { geometryOf } from "./geometry";
import { LiveTileStore, liveTileKey } from "./live-tiles";
import { suggestRegion } from "./suggest";

const frame = (generation: number, value: number): TileFrame => ({
  layer: "uncertainty",
  plane: "xy",
  level: 0,
  generation,
  datasetId: "ds_abcdefghijkm",
  t: 0,
  slice: 3,
  u0: 256,
  v0: 0,
  width: 128,
  height: 64,
  classIds: [1, 2],
  data: new Uint8Array(128 * 64).fill(value),
});

describe("LiveTileStore", () => {
  it("keeps the newest generation", () => {
    const store = new LiveTileStore();
    store.add(frame(2, 10));
    store.add(frame(1, 99));
    const key = liveTileKey("ds_abcdefghijkm", "xy", 0, 3, 0, 256, 0, "uncertainty");
    expect(store.get(key)?.frame.generation).toBe(2);
    expect(store.get(key)?.frame.data[0]).toBe(10);
    store.add(frame(3, 20));
    expect(store.get(key)?.frame.data[0]).toBe(20);
    expect(store.count("ds_abcdefghijkm", "uncertainty")).toBe(1);
  });

  it("suggests the most uncertain block", () => {
    const store = new LiveTileStore();
    const f = frame(1, 0);
    for (let v = 0; v < 64; v++) for (let u = 64; u < 128; u++) f.data[v * 128 + u] = 255;
    store.add(f);
    const g = geometryOf({
      id: "ds_abcdefghijkm",
      name: "t",
      axes: "zyx",
      shape: [10, 512, 512],
      dtype: "uint8",
    } as unknown as DatasetManifest);
    const s = suggestRegion(store, g, 0);
    expect(s?.slice).toBe(3);
    expect(s?.rect).toEqual({ u0: 320, v0: 0, u1: 384, v1: 64 });
    expect(s?.uncertainty).toBeCloseTo(1);
  });
});
