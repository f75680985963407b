// Training samples from the live label index: every labeled voxel of every dataset, read from the
// feature slab of the plane it was painted in (the level-0 tile of that plane at that slice, the same
// blocks the viewer's tiles use, so features computed for viewing serve training and the reverse).
//
// Planning is synchronous (a snapshot of the labels at that moment); the features are fetched afterwards.
// Samples are ordered by dataset id, then voxel (t, z, y, x), whatever the order of painting, so the
// same labels always train the same forest — the one `sylva train` trains on the same label image.
// Forest labels are class ranks: the k-th existing class (by id) is label k.

import type { Box } from "@sylva/core";
import { PLANES } from "@sylva/shared";
import type { DatasetGeometry } from "./geometry.js";
import { PLANE_AXES } from "./geometry.js";
import type { LabelIndex } from "./label-index.js";
import type { TileAddress } from "./tile-plan.js";
import { level0TileAt, tileBox, tileKey } from "./tile-plan.js";

export interface SampleSource {
  readonly geometry: DatasetGeometry;
  readonly index: LabelIndex;
}

/** One feature tile the samples need, with which of its voxels go to which sample rows. */
export interface PlannedTile {
  readonly address: TileAddress;
  readonly box: Box;
  readonly geometry: DatasetGeometry;
  /** Voxel index within the tile's box (C order), per sample taken from it. */
  readonly voxels: Int32Array;
  /** The sample row each of those voxels fills. */
  readonly rows: Int32Array;
}

export interface SamplePlan {
  readonly tiles: readonly PlannedTile[];
  readonly count: number;
  /** Forest label (class rank + 1) per sample row. */
  readonly labels: Uint8Array;
  /** Samples per class id (every class of `classIds`, 0 when unlabeled). */
  readonly perClass: ReadonlyMap<number, number>;
}

/** Snapshots the labeled voxels of `sources` (any order; taken by dataset id) for classes `classIds`. */
export function planSamples(sources: readonly SampleSource[], classIds: readonly number[]): SamplePlan {
  const rankOf = new Map(classIds.map((id, i) => [id, i + 1]));
  const perClass = new Map(classIds.map((id) => [id, 0]));
  const sorted = [...sources].sort((a, b) =>
    a.geometry.id < b.geometry.id ? -1 : a.geometry.id > b.geometry.id ? 1 : 0,
  );
  const dsRank: number[] = [];
  const linear: number[] = [];
  const tileOf: number[] = [];
  const voxelOf: number[] = [];
  const labelOf: number[] = [];
  const tiles: { address: TileAddress; box: Box; geometry: DatasetGeometry }[] = [];
  const tileIds = new Map<string, number>();
  for (const [rank, src] of sorted.entries()) {
    const g = src.geometry;
    for (const block of src.index.blocks()) {
      const { data, t, origin, shape } = block.labels;
      const [, BY, BX] = shape;
      for (let i = 0; i < data.length; i++) {
        const value = data[i];
        if (value === 0) continue;
        const label = rankOf.get(value);
        if (label === undefined) continue;
        const z = origin[0] + Math.floor(i / (BY * BX));
        const y = origin[1] + (Math.floor(i / BX) % BY);
        const x = origin[2] + (i % BX);
        const plane = PLANES[block.planes[i]];
        const zyx = [z, y, x];
        const axes = PLANE_AXES[plane];
        const address = level0TileAt(g.id, t, plane, zyx[axes.slice], zyx[axes.u], zyx[axes.v]);
        const key = tileKey(address);
        let id = tileIds.get(key);
        if (id === undefined) {
          id = tiles.length;
          tileIds.set(key, id);
          tiles.push({ address, box: tileBox(g, address), geometry: g });
        }
        const b = tiles[id].box;
        dsRank.push(rank);
        linear.push(((t * g.Z + z) * g.Y + y) * g.X + x);
        tileOf.push(id);
        voxelOf.push(((z - b.z0) * (b.y1 - b.y0) + (y - b.y0)) * (b.x1 - b.x0) + (x - b.x0));
        labelOf.push(label);
        perClass.set(value, (perClass.get(value) ?? 0) + 1);
      }
    }
  }
  const n = linear.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => dsRank[a] - dsRank[b] || linear[a] - linear[b],
  );
  const labels = new Uint8Array(n);
  const counts = new Array<number>(tiles.length).fill(0);
  for (let i = 0; i < n; i++) counts[tileOf[i]]++;
  const planned = tiles.map((tile, i) => ({
    ...tile,
    voxels: new Int32Array(counts[i]),
    rows: new Int32Array(counts[i]),
  }));
  const fill = new Array<number>(tiles.length).fill(0);
  for (let row = 0; row < n; row++) {
    const s = order[row];
    labels[row] = labelOf[s];
    const tile = planned[tileOf[s]];
    const k = fill[tileOf[s]]++;
    tile.voxels[k] = voxelOf[s];
    tile.rows[k] = row;
  }
  return { tiles: planned, count: n, labels, perClass };
}

/** Copies each tile's sampled feature vectors (`features[i]` for `plan.tiles[i]`) into count × F rows. */
export function gatherPlannedSamples(
  plan: SamplePlan,
  features: readonly Float32Array[],
  channels: number,
): Float32Array {
  const out = new Float32Array(plan.count * channels);
  for (const [i, tile] of plan.tiles.entries()) {
    const f = features[i];
    for (let k = 0; k < tile.voxels.length; k++) {
      const v = tile.voxels[k] * channels;
      out.set(f.subarray(v, v + channels), tile.rows[k] * channels);
    }
  }
  return out;
}
