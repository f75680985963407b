// Reading one 256 × 256 tile of a 2048 × 2048 × 64 dataset touches only the chunks the tile overlaps:
// every request the store receives is counted.

import type { VolumeReader } from "@sylva/core";
import { chunksInRegion, elementCount } from "@sylva/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importVolume } from "../../src/datasets/import.js";
import { openDataset } from "../../src/datasets/open.js";
import type { TestStore } from "../helpers/stores.js";
import { CountingStore, fsTestStore } from "../helpers/stores.js";

const SHAPE = [64, 2048, 2048];
const value = (z: number, y: number, x: number) => ((x >> 3) + (y >> 3) * 3 + z * 7) & 255;

/** A generated 64 × 2048 × 2048 uint8 volume, computed region by region (no input file needed). */
function syntheticReader(): VolumeReader {
  return {
    source: "synthetic 64 × 2048 × 2048",
    shape: SHAPE,
    axes: "zyx",
    dtype: "uint8",
    axesGuessed: false,
    async read({ start, stop }) {
      const shape = start.map((s, i) => stop[i] - s);
      const data = new Uint8Array(elementCount(shape));
      let o = 0;
      for (let z = start[0]; z < stop[0]; z++)
        for (let y = start[1]; y < stop[1]; y++)
          for (let x = start[2]; x < stop[2]; x++) data[o++] = value(z, y, x);
      return { data, shape, axes: "zyx" };
    },
    async close() {},
  };
}

describe("tile reads touch only the chunks they need", () => {
  let t: TestStore;
  let id: string;
  beforeAll(async () => {
    t = await fsTestStore();
    const manifest = await importVolume(t.store, {
      reader: syntheticReader(),
      name: "2048 × 2048 × 64",
      sources: ["synthetic"],
      resumeKey: "0123456789abcdef",
    });
    id = manifest.id;
    expect(manifest.levels[0].chunks).toEqual([64, 64, 64]);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  for (const [label, start, stop] of [
    ["an aligned tile", [10, 512, 1024], [11, 768, 1280]],
    ["an unaligned tile", [33, 100, 1000], [34, 356, 1256]],
    ["an xz tile", [0, 700, 256], [64, 701, 512]],
  ] as const) {
    it(`${label}: one get per overlapped chunk, and the right voxels`, async () => {
      const counting = new CountingStore(t.store);
      const level = await (await openDataset(counting, id)).level(0);
      counting.requests.length = 0;
      const tile = await level.read({ start, stop });
      const chunkGets = counting.requests.filter((r) => /\/0\/\d+\/\d+\/\d+$/.test(r.key));
      const expected = chunksInRegion(start, stop, [64, 64, 64]).map(
        (c) => `datasets/${id}/0/${c.join("/")}`,
      );
      expect(chunkGets.every((r) => r.op === "get")).toBe(true);
      expect(chunkGets.map((r) => r.key).sort()).toEqual(expected.sort());
      // Nothing else but chunk reads once the array is open.
      expect(counting.requests.length).toBe(chunkGets.length);
      let o = 0;
      let wrong = 0;
      for (let z = start[0]; z < stop[0]; z++)
        for (let y = start[1]; y < stop[1]; y++)
          for (let x = start[2]; x < stop[2]; x++) if (tile.data[o++] !== value(z, y, x)) wrong++;
      expect(wrong).toBe(0);
    });
  }

  it("the top of the pyramid is one or two tiles", async () => {
    const dataset = await openDataset(t.store, id);
    const top = dataset.manifest.levels[dataset.manifest.levels.length - 1];
    expect(Math.max(top.shape[1], top.shape[2])).toBeLessThanOrEqual(256);
  });
});
