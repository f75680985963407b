// Mean downsampling by 2 along chosen axes: how each pyramid level is made from the one above.
//
// For factors f (1 or 2 per axis) the output voxel o is the mean of the input voxels i with
// floor(i / f) = o; at an odd edge the last output voxel averages the one or more input voxels left.
// Integers are rounded half up (so a constant region stays constant); floats keep the exact mean.

import type { Block } from "../array/copy.js";
import type { TypedArray } from "../array/dtype.js";
import { elementCount } from "../array/volume.js";

/** Downsamples a C-order block by `factors` (1 or 2 per axis). */
export function downsampleMean(block: Block, factors: readonly number[]): Block {
  const { data, shape } = block;
  const n = shape.length;
  const outShape = shape.map((s, i) => Math.ceil(s / factors[i]));
  const outLength = elementCount(outShape);
  const sums = new Float64Array(outLength);
  const counts = new Uint8Array(outLength);
  const outStrides = new Array<number>(n);
  let stride = 1;
  for (let i = n - 1; i >= 0; i--) {
    outStrides[i] = stride;
    stride *= outShape[i];
  }
  const X = shape[n - 1];
  const fx = factors[n - 1];
  const rows = data.length / X;
  const idx = new Array<number>(Math.max(0, n - 1)).fill(0);
  for (let r = 0; r < rows; r++) {
    let o = 0;
    for (let i = 0; i < n - 1; i++) o += Math.floor(idx[i] / factors[i]) * outStrides[i];
    const base = r * X;
    if (fx === 2) {
      for (let x = 0; x < X; x++) {
        const k = o + (x >> 1);
        sums[k] += data[base + x];
        counts[k]++;
      }
    } else {
      for (let x = 0; x < X; x++) {
        sums[o + x] += data[base + x];
        counts[o + x]++;
      }
    }
    for (let i = n - 2; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  const C = data.constructor as new (len: number) => TypedArray;
  const out = new C(outLength);
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  for (let k = 0; k < outLength; k++) {
    const mean = sums[k] / counts[k];
    out[k] = isFloat ? mean : Math.floor(mean + 0.5);
  }
  return { data: out, shape: outShape };
}
