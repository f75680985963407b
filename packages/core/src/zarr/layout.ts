// How Sylva lays out a dataset as OME-Zarr: the one source of truth for the NGFF version, the axis order,
// the chunk shape and the resolution pyramid. Import writes by these rules and tile serving reads by them.
//
// - NGFF 0.4 on Zarr v2 (the version every current reader opens, Debian's python3-zarr 2.x included),
//   axes in NGFF order: t, c, z, y, x (only those the dataset has).
// - Chunks: t and c one each; 3D volumes 64 × 64 × 64 in (z, y, x), so a 2D tile of any plane (xy, xz,
//   yz) and a 3D feature block both read a few chunks; 2D images 512 × 512. Chunks are clipped to small
//   axes (a 30-slice stack gets chunks of 30 in z). Compressed with Blosc (zstd, byte shuffle: io/blosc.ts).
// - Pyramid: level k+1 halves y and x, and z too while z is more than half as long as the longer of y and
//   x (so a thin z, e.g. 30 EM sections, is not squashed further); it stops once y and x both fit in one
//   tile (256), "down to a tile or two".

import { elementCount } from "../array/volume.js";

export const NGFF_VERSION = "0.4";
export const ZARR_FORMAT = 2;
/** NGFF 0.4's required axis order. */
export const NGFF_AXIS_ORDER = "tczyx";
/** The viewer's tile edge; the pyramid ends when y and x fit in one tile. */
export const TILE_SIZE = 256;
export const CHUNK_EDGE_3D = 64;
export const CHUNK_EDGE_2D = 512;

const SPATIAL = "zyx";

/** Sorts axis letters into NGFF order ("xyzc" → "czyx"); throws on unknown or repeated letters. */
export function ngffAxes(letters: string): string {
  for (const [i, a] of [...letters].entries()) {
    if (!NGFF_AXIS_ORDER.includes(a)) throw new Error(`unknown axis "${a}" in "${letters}"`);
    if (letters.indexOf(a) !== i) throw new Error(`axis "${a}" appears twice in "${letters}"`);
  }
  return [...NGFF_AXIS_ORDER].filter((a) => letters.includes(a)).join("");
}

/** The chunk shape for a dataset of `shape` with NGFF-ordered `axes`. */
export function chunkShapeFor(axes: string, shape: readonly number[]): number[] {
  const is3d = axes.includes("z");
  return [...axes].map((a, i) => {
    if (a === "t" || a === "c") return 1;
    const edge = is3d ? CHUNK_EDGE_3D : CHUNK_EDGE_2D;
    return Math.min(shape[i], edge);
  });
}

/** One level of the pyramid: its shape, and its voxel size relative to level 0 per axis. */
export interface PyramidLevel {
  readonly path: string;
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  /** Per axis: how many level-0 voxels one voxel of this level spans (1 for t and c). */
  readonly scale: readonly number[];
  /** Per axis: 2 where this level halves its predecessor, else 1 (all 1 for level 0). */
  readonly factors: readonly number[];
}

/** The resolution levels of a dataset, level 0 first. */
export function pyramidLevels(axes: string, shape: readonly number[]): PyramidLevel[] {
  const levels: PyramidLevel[] = [
    {
      path: "0",
      shape: [...shape],
      chunks: chunkShapeFor(axes, shape),
      scale: shape.map(() => 1),
      factors: shape.map(() => 1),
    },
  ];
  const spatial = [...axes].map((a) => SPATIAL.includes(a));
  const yx = [...axes].map((a) => a === "y" || a === "x");
  for (;;) {
    const prev = levels[levels.length - 1];
    if (prev.shape.every((s, i) => !yx[i] || s <= TILE_SIZE)) break;
    const largestYx = Math.max(...prev.shape.filter((_, i) => yx[i]));
    const factors = prev.shape.map((s, i) =>
      yx[i] ? (s > 1 ? 2 : 1) : spatial[i] && s > 1 && 2 * s > largestYx ? 2 : 1,
    );
    const next = prev.shape.map((s, i) => Math.ceil(s / factors[i]));
    levels.push({
      path: String(levels.length),
      shape: next,
      chunks: chunkShapeFor(axes, next),
      scale: prev.scale.map((s, i) => s * factors[i]),
      factors,
    });
  }
  return levels;
}

/** Number of chunks along each axis. */
export function chunkGrid(shape: readonly number[], chunks: readonly number[]): number[] {
  return shape.map((s, i) => Math.ceil(s / chunks[i]));
}

/** Total number of chunks of an array. */
export function chunkCount(shape: readonly number[], chunks: readonly number[]): number {
  return elementCount(chunkGrid(shape, chunks));
}

/** The Zarr v2 key of a chunk with "/" dimension separator, relative to the array: "0/3/1". */
export function chunkKey(index: readonly number[]): string {
  return index.length === 0 ? "0" : index.join("/");
}

/** Every chunk index of a grid whose chunks intersect [start, stop), in C order. */
export function chunksInRegion(
  start: readonly number[],
  stop: readonly number[],
  chunks: readonly number[],
): number[][] {
  const lo = start.map((s, i) => Math.floor(s / chunks[i]));
  const hi = stop.map((s, i) => Math.ceil(s / chunks[i]));
  const out: number[][] = [];
  const idx = [...lo];
  if (lo.some((l, i) => l >= hi[i])) return out;
  for (;;) {
    out.push([...idx]);
    let d = idx.length - 1;
    while (d >= 0 && ++idx[d] >= hi[d]) {
      idx[d] = lo[d];
      d--;
    }
    if (d < 0) return out;
  }
}
