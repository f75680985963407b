// Whole-volume feature computation on the calling thread, block by block (see features/block.ts). The
// compute service runs the same blocks on a worker pool; this is the single-threaded path and the oracle
// for blockwise tests.

import type { Box, Shape3 } from "../array/box.js";
import { boxShape, boxVolume, gridBoxes } from "../array/box.js";
import type { TypedArray } from "../array/dtype.js";
import type { Volume5 } from "../array/volume.js";
import type { FilterBackend } from "../filters/backend.js";
import type { BlockSpec } from "./block.js";
import { BlockComputer } from "./block.js";
import type { FeaturePlan } from "./plan.js";

/**
 * Feature tiles (z, y, x), measured on WASM SIMD with all features at the default scales (see
 * apps/compute/src/pool/features-pool.ts for the figures): big enough that halos cost little, small
 * enough that a block's intermediates stay in a 2 MB L2 cache; in 3D small (y, x) planes keep the z
 * pass's window of up to 71 planes in cache.
 */
export const FEATURE_TILE_2D: Shape3 = [1, 256, 512];
export const FEATURE_TILE_3D: Shape3 = [64, 32, 64];

/** The default block shape for a plan: its tile, clipped to the volume. */
export function defaultBlockShape(plan: FeaturePlan): Shape3 {
  const [, Z, Y, X] = plan.shape;
  const tile = plan.groups.some((g) => !g.in2d) ? FEATURE_TILE_3D : FEATURE_TILE_2D;
  return [Math.min(Z, tile[0]), Math.min(Y, tile[1]), Math.min(X, tile[2])];
}

/** A part of the output: time points [t0, t1) and a spatial box. Results are the same as the whole's. */
export interface FeatureRegion {
  readonly t0: number;
  readonly t1: number;
  readonly box: Box;
}

/** The whole volume of a plan as a region. */
export function fullRegion(plan: FeaturePlan): FeatureRegion {
  const [T, Z, Y, X] = plan.shape;
  return { t0: 0, t1: T, box: { z0: 0, z1: Z, y0: 0, y1: Y, x0: 0, x1: X } };
}

/** Voxels of a region (times its time points). */
export function regionVoxels(r: FeatureRegion): number {
  return (r.t1 - r.t0) * boxVolume(r.box);
}

/** Every block of `region` (default: the whole volume), each time point cut into boxes of `blockShape`. */
export function planBlocks(
  plan: FeaturePlan,
  blockShape: Shape3 = defaultBlockShape(plan),
  region: FeatureRegion = fullRegion(plan),
): BlockSpec[] {
  const b = region.box;
  const boxes = gridBoxes([b.z1 - b.z0, b.y1 - b.y0, b.x1 - b.x0], blockShape).map((q) => ({
    z0: q.z0 + b.z0,
    z1: q.z1 + b.z0,
    y0: q.y0 + b.y0,
    y1: q.y1 + b.y0,
    x0: q.x0 + b.x0,
    x1: q.x1 + b.x0,
  }));
  const blocks: BlockSpec[] = [];
  for (let t = region.t0; t < region.t1; t++) for (const box of boxes) blocks.push({ t, box });
  return blocks;
}

/**
 * Copies a block's features (bz, by, bx, C) into an output holding `region` (default: the whole volume)
 * as (t, z, y, x, C), channels last.
 */
export function writeBlock(
  out: Float32Array,
  plan: FeaturePlan,
  block: BlockSpec,
  features: Float32Array,
  region: FeatureRegion = fullRegion(plan),
): void {
  const r = region.box;
  const [RZ, RY, RX] = boxShape(r);
  const C = plan.channelCount;
  const [bz, by, bx] = boxShape(block.box);
  const rowLen = bx * C;
  let s = 0;
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      const d =
        ((((block.t - region.t0) * RZ + block.box.z0 - r.z0 + z) * RY + block.box.y0 - r.y0 + y) * RX +
          block.box.x0 -
          r.x0) *
        C;
      out.set(features.subarray(s, s + rowLen), d);
      s += rowLen;
    }
}

export interface ComputeOptions {
  readonly blockShape?: Shape3;
  /** Compute only this part (default: everything); the output then holds just the region. */
  readonly region?: FeatureRegion;
  /** Where to write (t, z, y, x, C) float32 of the region; allocated if omitted (e.g. pass shared memory). */
  readonly out?: Float32Array;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Computes all planned channels of `input` (t, z, y, x, c) on this thread; returns (t, z, y, x, C). */
export function computeFeatures(
  backend: FilterBackend,
  input: Volume5<TypedArray>,
  plan: FeaturePlan,
  options: ComputeOptions = {},
): Float32Array {
  const region = options.region ?? fullRegion(plan);
  const out = options.out ?? new Float32Array(regionVoxels(region) * plan.channelCount);
  const computer = new BlockComputer(backend, plan);
  const blocks = planBlocks(plan, options.blockShape, region);
  blocks.forEach((b, i) => {
    writeBlock(out, plan, b, computer.compute(input, b), region);
    options.onProgress?.(i + 1, blocks.length);
  });
  return out;
}
