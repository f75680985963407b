// Feature tiles (src/live/feature-tiles.ts): the features of a level-0 tile — a slab one voxel thick,
// read from the stored dataset with just the halo around it — equal the whole volume's features at
// that box bit for bit: 2D tiles of an ISBI section (inner and border tiles), and xy, xz and yz slabs of
// a 3D ISBI crop with 3D filters, and with "compute in 2D".

import type { Box, FeatureEntry } from "@sylva/core";
import { selectionEntries, transposeToCanonical } from "@sylva/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataset } from "../../src/datasets/open.js";
import type { DatasetGeometry } from "../../src/live/geometry.js";
import { geometryOf } from "../../src/live/geometry.js";
import type { TileAddress } from "../../src/live/tile-plan.js";
import { tileBox } from "../../src/live/tile-plan.js";
import type { Env } from "./helpers.js";
import { computeFeatureTile, createEnv, importMemoryVolume, isbi } from "./helpers.js";

let env: Env | undefined;
beforeAll(async () => {
  env = await createEnv();
});
afterAll(() => env?.cleanup());

/** Whether `tile` equals `whole` (T × Z × Y × X × C) at time point `t` and `box`. */
function sameAsWhole(
  tile: Float32Array,
  whole: Float32Array,
  g: DatasetGeometry,
  t: number,
  box: Box,
  C: number,
): boolean {
  let i = 0;
  const offset = t * g.Z * g.Y * g.X * C;
  for (let z = box.z0; z < box.z1; z++)
    for (let y = box.y0; y < box.y1; y++)
      for (let x = box.x0; x < box.x1; x++)
        for (let c = 0; c < C; c++, i++) {
          const w = whole[offset + ((z * g.Y + y) * g.X + x) * C + c];
          if (!Object.is(tile[i], w)) return false;
        }
  return i === tile.length;
}

async function check(
  datasetId: string,
  entries: FeatureEntry[],
  tiles: Omit<TileAddress, "datasetId" | "level">[],
) {
  const dataset = await openDataset(env!.store, datasetId);
  const g = geometryOf(dataset.manifest);
  const source = { geometry: g, dataset };
  const raw = await (await dataset.level(0)).read({
    start: dataset.manifest.shape.map(() => 0),
    stop: [...dataset.manifest.shape],
  });
  const input = transposeToCanonical(raw);
  const { features: whole, plan } = await env!.featurePool.compute(input, entries);
  for (const t of tiles) {
    const a: TileAddress = { ...t, datasetId, level: 0 };
    const box = tileBox(g, a);
    const tile = await computeFeatureTile(env!.featurePool, source, entries, t.t, box);
    expect(tile.length).toBe((box.z1 - box.z0) * (box.y1 - box.y0) * (box.x1 - box.x0) * plan.channelCount);
    expect(
      sameAsWhole(tile, whole, g, t.t, box, plan.channelCount),
      `${t.plane} slice ${t.slice} tile ${t.tu},${t.tv}`,
    ).toBe(true);
  }
}

describe("feature tiles equal the whole volume's features", () => {
  it("2D: every tile of an ISBI section, all features at the default scales", async () => {
    const id = await importMemoryVolume(env!.store, isbi("raw", 3), [512, 512], "yx", "isbi-03");
    const entries = selectionEntries({
      features: ["GS", "LoG", "GGM", "DoG", "STE", "HoGE"],
      scales: [0.3, 0.7, 1, 1.6, 3.5, 5, 10],
      in2d: false,
    });
    await check(id, entries, [
      { t: 0, plane: "xy", slice: 0, tu: 0, tv: 0 },
      { t: 0, plane: "xy", slice: 0, tu: 1, tv: 0 },
      { t: 0, plane: "xy", slice: 0, tu: 0, tv: 1 },
      { t: 0, plane: "xy", slice: 0, tu: 1, tv: 1 },
    ]);
  });

  it("2D with two channels (c, y, x): all channels filtered", async () => {
    const data = new Uint8Array(2 * 512 * 512);
    data.set(isbi("raw", 4), 0);
    data.set(isbi("raw", 5), 512 * 512);
    const id = await importMemoryVolume(env!.store, data, [2, 512, 512], "cyx", "isbi-04-05-channels");
    const entries = selectionEntries({ features: ["GS", "LoG", "STE"], scales: [0.7, 3.5], in2d: false });
    await check(id, entries, [{ t: 0, plane: "xy", slice: 0, tu: 1, tv: 0 }]);
  });

  it("2D time series (t, y, x): a tile of the second time point", async () => {
    const data = new Uint8Array(2 * 512 * 512);
    data.set(isbi("raw", 6), 0);
    data.set(isbi("raw", 7), 512 * 512);
    const id = await importMemoryVolume(env!.store, data, [2, 512, 512], "tyx", "isbi-06-07-time");
    const entries = selectionEntries({ features: ["GGM", "HoGE"], scales: [1, 5], in2d: false });
    await check(id, entries, [
      { t: 1, plane: "xy", slice: 0, tu: 0, tv: 1 },
      { t: 0, plane: "xy", slice: 0, tu: 1, tv: 1 },
    ]);
  });

  describe("3D: slabs of a 16 × 160 × 200 ISBI crop", () => {
    let id = "";
    beforeAll(async () => {
      const Z = 16;
      const Y = 160;
      const X = 200;
      const data = new Uint8Array(Z * Y * X);
      for (let z = 0; z < Z; z++) {
        const s = isbi("raw", z);
        for (let y = 0; y < Y; y++)
          data.set(s.subarray((y + 40) * 512 + 30, (y + 40) * 512 + 30 + X), (z * Y + y) * X);
      }
      id = await importMemoryVolume(env!.store, data, [Z, Y, X], "zyx", "isbi-crop-3d");
    });
    const tiles = [
      { t: 0, plane: "xy" as const, slice: 7, tu: 0, tv: 0 },
      { t: 0, plane: "xy" as const, slice: 0, tu: 0, tv: 0 },
      { t: 0, plane: "xz" as const, slice: 100, tu: 0, tv: 0 },
      { t: 0, plane: "yz" as const, slice: 199, tu: 0, tv: 0 },
    ];
    it("3D filters (σ ≤ 3.5, whose halo reaches across z)", async () => {
      await check(
        id,
        selectionEntries({
          features: ["GS", "LoG", "GGM", "DoG", "STE", "HoGE"],
          scales: [0.7, 1.6, 3.5],
          in2d: false,
        }),
        tiles,
      );
    });
    it("compute in 2D", async () => {
      await check(
        id,
        selectionEntries({ features: ["GS", "GGM", "STE", "HoGE"], scales: [1, 5], in2d: true }),
        tiles,
      );
    });
  });
});
