// Whether a classifier can predict a dataset: its forest was trained on as many features as the
// selection gives on this dataset. Datasets of another dimensionality (2D vs 3D: the eigenvalue
// features have 2 or 3 channels) or channel count give other features, as in ilastik, where all lanes
// of a project must agree; predicting them anyway would read features out of step.

import type { FeatureEntry, Forest } from "@sylva/core";
import { datasetPlan } from "./feature-tiles.js";
import type { DatasetGeometry } from "./geometry.js";

export class ModelMismatchError extends Error {
  override readonly name = "ModelMismatchError";
}

/** Throws a ModelMismatchError naming the dataset and both counts when the forest cannot predict it. */
export function checkModelFits(
  model: { readonly forest: Forest; readonly entries: readonly FeatureEntry[] },
  g: DatasetGeometry,
  name = g.id,
): void {
  const channels = datasetPlan(g, model.entries).channelCount;
  if (channels !== model.forest.featureCount)
    throw new ModelMismatchError(
      `dataset "${name}" gives ${channels} features with this selection, but the classifier was trained on ` +
        `${model.forest.featureCount} (datasets of another dimensionality or channel count): label this ` +
        'dataset\'s kind separately, or use "compute in 2D" for every dataset',
    );
}
