// A dataset's prediction as a lazy VolumeReader: probabilities (float32, one channel per class),
// uncertainty (float32) or simple segmentation (uint8 class ids), computed block by block when read
// (blockwise-reader.ts) — features of each block (with its halo, bit-identical to whole-volume features)
// on the feature pool, then the forest on the forest pool. Exports read it slab by slab or slice by
// slice, so memory stays bounded by the block, not the volume.
//
// Axes: the dataset's NGFF axes with its channel axis (if any) replaced by the classes for
// probabilities, and dropped for uncertainty and segmentation.

import type { FeatureEntry, Forest, VolumeReader } from "@sylva/core";
import { segmentation, uncertainty } from "@sylva/core";
import { computeFeatureTile, type FeatureTileSource } from "../live/feature-tiles.js";
import { checkModelFits } from "../live/model-fit.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import { blockwiseReader } from "./blockwise-reader.js";

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
  checkModelFits(o.model, o.source.geometry, o.source.dataset.manifest.name);
  const K = o.model.forest.classCount;
  return blockwiseReader({
    source: `prediction (${o.output}) of dataset ${o.source.geometry.id}`,
    geometry: o.source.geometry,
    channels: o.output === "probabilities" ? K : undefined,
    dtype: o.output === "simple-segmentation" ? "uint8" : "float32",
    signal: o.signal,
    async compute(t, box, signal) {
      const features = await computeFeatureTile(o.featurePool, o.source, o.model.entries, t, box, signal);
      const m = (box.z1 - box.z0) * (box.y1 - box.y0) * (box.x1 - box.x0);
      const probs = await o.forestPool.predict(o.model.forest, features, m, { signal });
      if (o.output === "probabilities") return probs;
      if (o.output === "uncertainty") return uncertainty(probs, K);
      // segmentation() gives 1…K (forest column + 1): map to the project's class ids.
      const seg = segmentation(probs, K);
      for (let i = 0; i < seg.length; i++) seg[i] = seg[i] === 0 ? 0 : o.model.classIds[seg[i] - 1];
      return seg;
    },
  });
}
