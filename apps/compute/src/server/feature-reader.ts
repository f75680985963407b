// A dataset's filter features as a lazy VolumeReader (what the "Features" export source writes): the
// project's selected features, float32, one channel per feature channel in the feature plan's order
// (ilastik's), computed block by block on the feature pool with their halos (blockwise-reader.ts).

import type { FeatureEntry, VolumeReader } from "@sylva/core";
import { computeFeatureTile, datasetPlan, type FeatureTileSource } from "../live/feature-tiles.js";
import type { FeaturePool } from "../pool/features-pool.js";
import { blockwiseReader } from "./blockwise-reader.js";

export interface FeatureReaderOptions {
  readonly source: FeatureTileSource;
  readonly entries: readonly FeatureEntry[];
  readonly featurePool: FeaturePool;
  readonly signal?: AbortSignal;
}

export function featureReader(o: FeatureReaderOptions): VolumeReader {
  const plan = datasetPlan(o.source.geometry, o.entries); // throws ilastik's message for a scale too large
  return blockwiseReader({
    source: `features of dataset ${o.source.geometry.id}`,
    geometry: o.source.geometry,
    channels: plan.channelCount,
    dtype: "float32",
    signal: o.signal,
    compute: (t, box, signal) => computeFeatureTile(o.featurePool, o.source, o.entries, t, box, signal),
  });
}
