// A lazy VolumeReader over values derived from a stored dataset block by block — predictions, features,
// rasterized labels: a read walks its region in blocks of (z, y, x), asks `compute` for each block's
// values (voxel-major, `channels` per voxel) and copies them into the region's array. Memory stays
// bounded by the block and the region read, never the volume.
//
// Axes: the dataset's NGFF axes (a subsequence of "tczyx") with its channel axis (if any) replaced by
// `channels` values per voxel, or dropped when `channels` is undefined.

import type { Box, Region, Shape3, TypedArray, Volume, VolumeReader } from "@sylva/core";
import { checkRegion } from "@sylva/core";
import type { DatasetGeometry } from "../live/geometry.js";

/** Default blocks: 16 × 128 × 128 voxels (× channels × 4 bytes: 64 MiB at 61 channels). */
export const DEFAULT_BLOCK: Shape3 = [16, 128, 128];

export interface BlockwiseSpec {
  /** What the values are, for messages ("prediction (uncertainty) of dataset ds_…"). */
  readonly source: string;
  readonly geometry: DatasetGeometry;
  /** Values per voxel; undefined: one, and no channel axis. */
  readonly channels: number | undefined;
  readonly dtype: "uint8" | "float32";
  readonly block?: Shape3;
  readonly signal?: AbortSignal;
  /** The values of time point `t` over `box`: (z, y, x) C order, `channels ?? 1` per voxel. */
  compute(t: number, box: Box, signal?: AbortSignal): Promise<TypedArray>;
}

export function blockwiseReader(spec: BlockwiseSpec): VolumeReader {
  const g = spec.geometry;
  const withC = spec.channels !== undefined;
  const K = spec.channels ?? 1;
  const axes = [..."tczyx"].filter((a) => (a === "c" ? withC : g.axes.includes(a))).join("");
  const size: Record<string, number> = { t: g.T, c: K, z: g.Z, y: g.Y, x: g.X };
  const shape = [...axes].map((a) => size[a]);
  const [BZ, BY, BX] = spec.block ?? DEFAULT_BLOCK;

  const reader: VolumeReader = {
    source: spec.source,
    shape,
    axes,
    dtype: spec.dtype,
    axesGuessed: false,
    async read(region: Region): Promise<Volume> {
      checkRegion(reader, region);
      const at = (a: string, which: "start" | "stop", fallback: number) => {
        const i = axes.indexOf(a);
        return i < 0 ? fallback : region[which][i];
      };
      const t0 = at("t", "start", 0);
      const t1 = at("t", "stop", 1);
      const c0 = at("c", "start", 0);
      const c1 = at("c", "stop", 1);
      const box: Box = {
        z0: at("z", "start", 0),
        z1: at("z", "stop", 1),
        y0: at("y", "start", 0),
        y1: at("y", "stop", 1),
        x0: at("x", "start", 0),
        x1: at("x", "stop", 1),
      };
      const outShape = region.stop.map((s, i) => s - region.start[i]);
      const n = outShape.reduce((a, b) => a * b, 1);
      const data: TypedArray = spec.dtype === "uint8" ? new Uint8Array(n) : new Float32Array(n);
      // Strides of the output (C order over axes) by axis letter.
      const stride: Record<string, number> = { t: 0, c: 0, z: 0, y: 0, x: 0 };
      let s = 1;
      for (let i = axes.length - 1; i >= 0; i--) {
        stride[axes[i]] = s;
        s *= outShape[i];
      }
      for (let t = t0; t < t1; t++)
        for (let z = box.z0; z < box.z1; z += BZ)
          for (let y = box.y0; y < box.y1; y += BY)
            for (let x = box.x0; x < box.x1; x += BX) {
              spec.signal?.throwIfAborted();
              const b: Box = {
                z0: z,
                z1: Math.min(box.z1, z + BZ),
                y0: y,
                y1: Math.min(box.y1, y + BY),
                x0: x,
                x1: Math.min(box.x1, x + BX),
              };
              const values = await spec.compute(t, b, spec.signal);
              const bz = b.z1 - b.z0;
              const by = b.y1 - b.y0;
              const bx = b.x1 - b.x0;
              const m = bz * by * bx;
              if (values.length !== m * K)
                throw new Error(`${spec.source}: a block gave ${values.length} values, expected ${m * K}`);
              for (let k = 0; k < m; k++) {
                const xi = (k % bx) + b.x0 - box.x0;
                const yi = (Math.floor(k / bx) % by) + b.y0 - box.y0;
                const zi = Math.floor(k / (bx * by)) + b.z0 - box.z0;
                const base = (t - t0) * stride.t + zi * stride.z + yi * stride.y + xi * stride.x;
                if (!withC) data[base] = values[k];
                else for (let c = c0; c < c1; c++) data[base + (c - c0) * stride.c] = values[k * K + c];
              }
            }
      return { data, shape: outShape, axes };
    },
    async close() {},
  };
  return reader;
}
