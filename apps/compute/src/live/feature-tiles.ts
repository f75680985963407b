// Features of one box of a stored dataset, computed on the feature pool without reading the whole
// volume: the box grown by the selection's halo (clipped to the volume) is read from level 0, and the
// pool computes just the box inside it (`region`). Filters reflect only at the true image border and the
// read reaches a full halo everywhere else, so the numbers equal the whole-volume features bit for bit.
//
// Boxes here are level-0 tiles (tile-plan.ts): slabs one voxel thick. Blocks are cut to suit slabs: for
// 2D filtering two blocks of 128 × 256 per 256² tile (one per worker); for 3D filtering 64 × 128
// cross-sections of the slab, whose 3D halo (up to 38 voxels on each side at σ = 10) keeps a block's
// intermediates about the size of the pool's 64 × 32 × 64 cubes (see features-pool.ts).

import type { Box, FeatureEntry, FeaturePlan, Shape3, Volume5 } from "@sylva/core";
import { boxShape, dilateBox, planFeatures, transposeToCanonical } from "@sylva/core";
import type { OpenDataset } from "../datasets/open.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { DatasetGeometry } from "./geometry.js";
import { readRegion, shape5 } from "./geometry.js";

/** Entries as they apply to this dataset: a single-slice dataset is always filtered in 2D. */
export function datasetEntries(g: DatasetGeometry, entries: readonly FeatureEntry[]): FeatureEntry[] {
  return entries.map((e) => ({ feature: e.feature, scale: e.scale, in2d: e.in2d || g.Z === 1 }));
}

/** The plan of `entries` on the whole dataset; throws InvalidScaleError where ilastik would refuse. */
export function datasetPlan(g: DatasetGeometry, entries: readonly FeatureEntry[]): FeaturePlan {
  return planFeatures(datasetEntries(g, entries), shape5(g));
}

/** A stable text for a selection, part of every feature cache key. */
export function selectionKey(g: DatasetGeometry, entries: readonly FeatureEntry[]): string {
  return datasetEntries(g, entries)
    .map((e) => `${e.feature}@${e.scale}${e.in2d ? "/2d" : ""}`)
    .join(",");
}

export function featureKey(
  g: DatasetGeometry,
  entries: readonly FeatureEntry[],
  t: number,
  box: Box,
): string {
  return `${g.id}|t${t}|${box.z0}:${box.z1},${box.y0}:${box.y1},${box.x0}:${box.x1}|${selectionKey(g, entries)}`;
}

/** The block shape (z, y, x) for computing `box` (see the header). */
export function slabBlockShape(plan: FeaturePlan, box: Box): Shape3 {
  const threeD = plan.groups.some((g) => !g.in2d);
  const [bz, by, bx] = boxShape(box);
  if (bz === 1) return threeD ? [1, 64, 128] : [1, 128, 256];
  if (by === 1) return threeD ? [64, 1, 128] : [16, 1, 256];
  if (bx === 1) return threeD ? [64, 128, 1] : [16, 256, 1];
  return threeD ? [64, 32, 64] : [1, 256, 512];
}

export interface FeatureTileSource {
  readonly geometry: DatasetGeometry;
  readonly dataset: OpenDataset;
}

/**
 * The features (bz × by × bx × channels float32, channels last, in a SharedArrayBuffer) of `box` at time
 * point `t`. Aborting `signal` drops the pool's queued blocks (blocks already running finish).
 */
export async function computeFeatureTile(
  pool: FeaturePool,
  source: FeatureTileSource,
  entries: readonly FeatureEntry[],
  t: number,
  box: Box,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const g = source.geometry;
  const own = datasetEntries(g, entries);
  const plan = planFeatures(own, shape5(g));
  const read = dilateBox(box, plan.halo, [g.Z, g.Y, g.X]);
  const reader = await source.dataset.level(0);
  const raw = await reader.read(readRegion(g, t, read));
  signal?.throwIfAborted();
  const input: Volume5 = transposeToCanonical(raw);
  const local: Box = {
    z0: box.z0 - read.z0,
    z1: box.z1 - read.z0,
    y0: box.y0 - read.y0,
    y1: box.y1 - read.y0,
    x0: box.x0 - read.x0,
    x1: box.x1 - read.x0,
  };
  const { features } = await pool.compute(input, own, {
    region: { t0: 0, t1: 1, box: local },
    blockShape: slabBlockShape(plan, box),
    signal,
    stopWorkersOnAbort: false,
  });
  return features;
}
