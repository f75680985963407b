// Moving voxels between a block and fixed-shape Zarr chunks: cutting a chunk (zero-padded at the array's
// edge) out of a larger block, pasting a decoded chunk into a region, and the little-endian chunk bytes.

import type { Block } from "../array/copy.js";
import { copyBox } from "../array/copy.js";
import type { TypedArray } from "../array/dtype.js";
import { elementCount } from "../array/volume.js";

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of a chunk's voxels (a view when the host is little-endian, as all Node hosts are). */
export function chunkBytes(data: TypedArray): Uint8Array {
  if (!HOST_LITTLE_ENDIAN) throw new Error("big-endian hosts are not supported");
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Cuts chunk `index` (chunk shape `chunks`) of an array of `arrayShape` out of `block`, which holds the
 * array's region starting at `blockOrigin`. Voxels outside the array are zero (the fill value). `out`, when
 * given (a reused buffer of the chunk's length and the block's dtype), receives the chunk.
 */
export function cutChunk(
  block: Block,
  blockOrigin: readonly number[],
  arrayShape: readonly number[],
  chunks: readonly number[],
  index: readonly number[],
  out?: TypedArray,
): TypedArray {
  const length = elementCount(chunks);
  const C = block.data.constructor as new (len: number) => TypedArray;
  const chunk = out ?? new C(length);
  if (chunk.length !== length || chunk.constructor !== block.data.constructor)
    throw new Error(`cutChunk: output buffer of ${chunk.length} values, the chunk needs ${length}`);
  const start = index.map((k, i) => k * chunks[i]);
  const size = start.map((s, i) => Math.min(chunks[i], arrayShape[i] - s));
  if (out && size.some((s, i) => s < chunks[i])) out.fill(0); // padding of an edge chunk
  copyBox(
    block,
    start.map((s, i) => s - blockOrigin[i]),
    { data: chunk, shape: chunks },
    chunks.map(() => 0),
    size,
  );
  return chunk;
}
