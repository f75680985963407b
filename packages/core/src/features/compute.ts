// Whole-volume feature computation on the calling thread, block by block (see features/block.ts). The
// compute service runs the same blocks on a worker pool; this is the single-threaded path and the oracle
// for blockwise tests.

import type { Shape3 } from "../array/box.js";
import { boxShape, gridBoxes } from "../array/box.js";
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

/** Every block of a plan: each time point cut into boxes of `blockShape` (z, y, x). */
export function planBlocks(plan: FeaturePlan, blockShape: Shape3 = defaultBlockShape(plan)): BlockSpec[] {
  const [T, Z, Y, X] = plan.shape;
  const boxes = gridBoxes([Z, Y, X], blockShape);
  const blocks: BlockSpec[] = [];
  for (let t = 0; t < T; t++) for (const box of boxes) blocks.push({ t, box });
  return blocks;
}

/** Copies a block's features (bz, by, bx, C) into the whole output (T, Z, Y, X, C). */
export function writeBlock(
  out: Float32Array,
  plan: FeaturePlan,
  block: BlockSpec,
  features: Float32Array,
): void {
  const [, Z, Y, X] = plan.shape;
  const C = plan.channelCount;
  const [bz, by, bx] = boxShape(block.box);
  const rowLen = bx * C;
  let s = 0;
  for (let z = 0; z < bz; z++)
    for (let y = 0; y < by; y++) {
      const d = (((block.t * Z + block.box.z0 + z) * Y + block.box.y0 + y) * X + block.box.x0) * C;
      out.set(features.subarray(s, s + rowLen), d);
      s += rowLen;
    }
}

export interface ComputeOptions {
  readonly blockShape?: Shape3;
  /** Where to write (T, Z, Y, X, C) float32; allocated if omitted (e.g. pass shared memory). */
  readonly out?: Float32Array;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Computes all planned channels of `input` (t, z, y, x, c) on this thread; returns (T, Z, Y, X, C). */
export function computeFeatures(
  backend: FilterBackend,
  input: Volume5<TypedArray>,
  plan: FeaturePlan,
  options: ComputeOptions = {},
): Float32Array {
  const [T, Z, Y, X] = plan.shape;
  const out = options.out ?? new Float32Array(T * Z * Y * X * plan.channelCount);
  const computer = new BlockComputer(backend, plan);
  const blocks = planBlocks(plan, options.blockShape);
  blocks.forEach((b, i) => {
    writeBlock(out, plan, b, computer.compute(input, b));
    options.onProgress?.(i + 1, blocks.length);
  });
  return out;
}
