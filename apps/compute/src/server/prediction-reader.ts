// A dataset's prediction as a lazy VolumeReader: probabilities (float32, one channel per class),
// uncertainty (float32) or simple segmentation (uint8 class ids), computed block by block when read —
// features of each block (with its halo, bit-identical to whole-volume features) on the feature pool,
// then the forest on the forest pool. `importVolume` reads it slab by slab into a published OME-Zarr,
// which is how exports are written: memory stays bounded by the block, not the volume.
//
// Axes: the dataset's NGFF axes with its channel axis (if any) replaced by the classes for
// probabilities, and dropped for uncertainty and segmentation.

import type { Box, FeatureEntry, Forest, Region, TypedArray, Volume, VolumeReader } from "@sylva/core";
import { checkRegion, segmentation, uncertainty } from "@sylva/core";
import { computeFeatureTile, type FeatureTileSource } from "../live/feature-tiles.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";

/** Feature blocks of at most this many voxels (× channels × 4 bytes: 64 MiB at 61 channels). */
const BLOCK: readonly [number, number, number] = [16, 128, 128];

/** What the reader yields per voxel. */
export type PredictionOutput = "probabilities" | "uncertainty" | "simple-segmentation";

export interface PredictionModel {
  readonly forest: Forest;
  readonly classIds: readonly number[];
  readonly entries: readonly FeatureEntry[];
}

export interface PredictionReaderOptions {
  readonly source: FeatureTileSource;
  readonly model: PredictionModel;
  readonly output: PredictionOutput;
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  readonly signal?: AbortSignal;
}

export function predictionReader(o: PredictionReaderOptions): VolumeReader {
  const g = o.source.geometry;
  const K = o.model.forest.classCount;
  const withClasses = o.output === "probabilities";
  const axes = [..."tczyx"].filter((a) => (a === "c" ? withClasses : g.axes.includes(a))).join("");
  const size: Record<string, number> = { t: g.T, c: K, z: g.Z, y: g.Y, x: g.X };
  const shape = [...axes].map((a) => size[a]);

  const reader: VolumeReader = {
    source: `prediction (${o.output}) of dataset ${g.id}`,
    shape,
    axes: axes,
    dtype: o.output === "simple-segmentation" ? "uint8" : "float32",
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
      const data: TypedArray = o.output === "simple-segmentation" ? new Uint8Array(n) : new Float32Array(n);
      // Strides of the output (C order over axes) by axis letter.
      const stride: Record<string, number> = { t: 0, c: 0, z: 0, y: 0, x: 0 };
      let s = 1;
      for (let i = axes.length - 1; i >= 0; i--) {
        stride[axes[i]] = s;
        s *= outShape[i];
      }
      for (let t = t0; t < t1; t++) {
        for (let z = box.z0; z < box.z1; z += BLOCK[0])
          for (let y = box.y0; y < box.y1; y += BLOCK[1])
            for (let x = box.x0; x < box.x1; x += BLOCK[2]) {
              o.signal?.throwIfAborted();
              const b: Box = {
                z0: z,
                z1: Math.min(box.z1, z + BLOCK[0]),
                y0: y,
                y1: Math.min(box.y1, y + BLOCK[1]),
                x0: x,
                x1: Math.min(box.x1, x + BLOCK[2]),
              };
              const features = await computeFeatureTile(
                o.featurePool,
                o.source,
                o.model.entries,
                t,
                b,
                o.signal,
              );
              const bz = b.z1 - b.z0;
              const by = b.y1 - b.y0;
              const bx = b.x1 - b.x0;
              const m = bz * by * bx;
              const probs = await o.forestPool.predict(o.model.forest, features, m, { signal: o.signal });
              const values: Float32Array | Uint8Array =
                o.output === "probabilities"
                  ? probs
                  : o.output === "uncertainty"
                    ? uncertainty(probs, K)
                    : segmentation(probs, K);
              const per = o.output === "probabilities" ? K : 1;
              for (let k = 0; k < m; k++) {
                const xi = (k % bx) + b.x0 - box.x0;
                const yi = (Math.floor(k / bx) % by) + b.y0 - box.y0;
                const zi = Math.floor(k / (bx * by)) + b.z0 - box.z0;
                const base = (t - t0) * stride.t + zi * stride.z + yi * stride.y + xi * stride.x;
                if (per === 1) {
                  // segmentation() gives 1…K (forest column + 1): map to the project's class ids.
                  const v = values[k];
                  data[base] =
                    o.output === "simple-segmentation" ? (v === 0 ? 0 : o.model.classIds[v - 1]) : v;
                } else for (let c = c0; c < c1; c++) data[base + (c - c0) * stride.c] = values[k * K + c];
              }
            }
      }
      return { data, shape: outShape, axes: axes };
    },
    async close() {},
  };
  return reader;
}
