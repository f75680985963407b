// Training samples: the feature vectors at labeled voxels (label > 0), in voxel order, as ilastik trains
// on the non-zero pixels of its label images.

import type { Box } from "../array/box.js";
import type { TypedArray } from "../array/dtype.js";
import type { Volume5 } from "../array/volume.js";

export interface Samples {
  /** count × channels, row major. */
  readonly features: Float32Array;
  /** Label per sample, 1 … 99. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly channels: number;
}

export class LabelError extends RangeError {
  override readonly name = "LabelError";
}

/**
 * The smallest time range and box holding every non-zero label of `labels` (t, z, y, x, 1), or null
 * when nothing is labeled. Features only need computing there.
 */
export function labeledRegion(labels: Volume5<TypedArray>): { t0: number; t1: number; box: Box } | null {
  const [T, Z, Y, X, C] = labels.shape;
  if (C !== 1) throw new LabelError(`labels must have one channel, got ${C}`);
  let t0 = T;
  let t1 = -1;
  let z0 = Z;
  let z1 = -1;
  let y0 = Y;
  let y1 = -1;
  let x0 = X;
  let x1 = -1;
  const d = labels.data;
  let i = 0;
  for (let t = 0; t < T; t++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++, i++) {
          if (d[i] === 0) continue;
          if (t < t0) t0 = t;
          if (t > t1) t1 = t;
          if (z < z0) z0 = z;
          if (z > z1) z1 = z;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
        }
  if (t1 < 0) return null;
  return { t0, t1: t1 + 1, box: { z0, z1: z1 + 1, y0, y1: y1 + 1, x0, x1: x1 + 1 } };
}

/**
 * Collects the samples of `features` — the (t, z, y, x, C) features of `region` — at the voxels where
 * `labels` (the whole (t, z, y, x, 1) label volume) is non-zero. Labels must be integers 0 … 99.
 */
export function gatherSamples(
  features: Float32Array,
  channels: number,
  labels: Volume5<TypedArray>,
  region: { t0: number; t1: number; box: Box },
): Samples {
  const [, Z, Y, X] = labels.shape;
  const b = region.box;
  const d = labels.data;
  const picked: number[] = [];
  const values: number[] = [];
  let r = 0;
  for (let t = region.t0; t < region.t1; t++)
    for (let z = b.z0; z < b.z1; z++)
      for (let y = b.y0; y < b.y1; y++)
        for (let x = b.x0; x < b.x1; x++, r++) {
          const v = d[((t * Z + z) * Y + y) * X + x];
          if (v === 0) continue;
          if (!(Number.isInteger(v) && v >= 1 && v <= 99))
            throw new LabelError(
              `label ${v} at t ${t}, z ${z}, y ${y}, x ${x}: labels must be integers 0 … 99`,
            );
          picked.push(r);
          values.push(v);
        }
  const out = new Float32Array(picked.length * channels);
  for (const [i, p] of picked.entries())
    out.set(features.subarray(p * channels, (p + 1) * channels), i * channels);
  return { features: out, labels: Uint8Array.from(values), count: picked.length, channels };
}
