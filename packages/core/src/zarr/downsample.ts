// Mean downsampling by 2 along chosen axes: how each pyramid level is made from the one above.
//
// For factors f (1 or 2 per axis) the output voxel o is the mean of the input voxels i with
// floor(i / f) = o; at an odd edge the last output voxel averages the one or more input voxels left.
// Integers are rounded half up (so a constant region stays constant); floats keep the exact mean.

import type { Block } from "../array/copy.js";
import { stridesOf } from "../array/copy.js";
import type { TypedArray } from "../array/dtype.js";
import { elementCount } from "../array/volume.js";

/** Downsamples a C-order block by `factors` (1 or 2 per axis). */
export function downsampleMean(block: Block, factors: readonly number[]): Block {
  const { data, shape } = block;
  const n = shape.length;
  const outShape = shape.map((s, i) => Math.ceil(s / factors[i]));
  const outLength = elementCount(outShape);
  const C = data.constructor as new (len: number) => TypedArray;
  const out = new C(outLength);
  const isFloat = data instanceof Float32Array || data instanceof Float64Array;
  const strides = stridesOf(shape);
  const X = shape[n - 1];
  const OX = outShape[n - 1];
  const fx = factors[n - 1];
  // For each output row, the start offsets of the 1, 2, 4 … input rows it averages.
  const idx = new Array<number>(Math.max(0, n - 1)).fill(0);
  let rows: number[] = [];
  let o = 0;
  for (let r = 0; r < outLength / OX; r++) {
    rows = [0];
    for (let i = 0; i < n - 1; i++) {
      const first = idx[i] * factors[i];
      const pair = factors[i] === 2 && first + 1 < shape[i];
      const next: number[] = [];
      for (const base of rows) {
        next.push(base + first * strides[i]);
        if (pair) next.push(base + (first + 1) * strides[i]);
      }
      rows = next;
    }
    const nr = rows.length;
    if (fx === 2 && (nr === 2 || nr === 4) && !isFloat) {
      // The pyramid's common cases, 2 × 2 and 2 × 2 × 2 integer means, unrolled; then the odd edge below.
      const [a, b, c = 0, d = 0] = rows;
      const full = X >> 1;
      const div = nr * 2;
      for (let ox = 0; ox < full; ox++) {
        const x = 2 * ox;
        let sum = data[a + x] + data[a + x + 1] + data[b + x] + data[b + x + 1];
        if (nr === 4) sum += data[c + x] + data[c + x + 1] + data[d + x] + data[d + x + 1];
        out[o++] = Math.floor(sum / div + 0.5);
      }
      if (full < OX) {
        let sum = 0;
        for (let k = 0; k < nr; k++) sum += data[rows[k] + X - 1];
        out[o++] = Math.floor(sum / nr + 0.5);
      }
    } else
      for (let ox = 0; ox < OX; ox++) {
        const x0 = ox * fx;
        const width = fx === 2 && x0 + 1 < X ? 2 : 1;
        let sum = 0;
        for (let k = 0; k < nr; k++) {
          const at = rows[k] + x0;
          sum += width === 2 ? data[at] + data[at + 1] : data[at];
        }
        const mean = sum / (nr * width);
        out[o++] = isFloat ? mean : Math.floor(mean + 0.5);
      }
    for (let i = n - 2; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}
