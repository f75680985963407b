// Copying boxes between C-order n-d blocks: the one strided copy that cropping, chunking and tiling use.

import type { TypedArray } from "./dtype.js";
import { elementCount } from "./volume.js";

/** A C-order n-d array without axis names. */
export interface Block {
  readonly data: TypedArray;
  readonly shape: readonly number[];
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let k = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = k;
    k *= shape[i];
  }
  return s;
}

/**
 * Copies the box of `size` at `srcOrigin` in `src` to `dstOrigin` in `dst` (both C order, same axes).
 * Runs along the last axis are copied with `set`, so the cost is one pass over the box.
 */
export function copyBox(
  src: Block,
  srcOrigin: readonly number[],
  dst: Block,
  dstOrigin: readonly number[],
  size: readonly number[],
): void {
  const n = size.length;
  if (size.some((s) => s <= 0)) return;
  const ss = stridesOf(src.shape);
  const ds = stridesOf(dst.shape);
  const inner = size[n - 1];
  const idx = new Array<number>(n).fill(0);
  const rows = elementCount(size) / inner;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    let d = 0;
    for (let i = 0; i < n; i++) {
      s += (srcOrigin[i] + idx[i]) * ss[i];
      d += (dstOrigin[i] + idx[i]) * ds[i];
    }
    if (inner < 256) {
      // Short runs (a 64³ chunk's rows): a plain loop beats creating a subarray per run.
      const from = src.data;
      const to = dst.data;
      for (let k = 0; k < inner; k++) to[d + k] = from[s + k];
    } else dst.data.set(src.data.subarray(s, s + inner), d);
    for (let i = n - 2; i >= 0; i--) {
      if (++idx[i] < size[i]) break;
      idx[i] = 0;
    }
  }
}
