// A classifier trained on 3D features refuses to predict a 2D dataset (and vice versa) with an error
// naming the dataset and both feature counts, instead of reading features out of step.

import { selectionEntries, trainForest } from "@sylva/core";
import { describe, expect, it } from "vitest";
import { datasetPlan } from "../../src/live/feature-tiles.js";
import type { DatasetGeometry } from "../../src/live/geometry.js";
import { checkModelFits, ModelMismatchError } from "../../src/live/model-fit.js";

const geometry = (Z: number): DatasetGeometry => ({
  id: Z > 1 ? "ds_aaaaaaaaaaaa" : "ds_bbbbbbbbbbbb",
  axes: Z > 1 ? "zyx" : "yx",
  T: 1,
  C: 1,
  Z,
  Y: 64,
  X: 64,
  levels: [{ shape: [Z, 64, 64], scale: [1, 1, 1] }],
});

describe("checkModelFits", () => {
  it("accepts the dataset kind the forest was trained on and names the mismatch otherwise", () => {
    const entries = selectionEntries({ features: ["GS", "STE", "HoGE"], scales: [0.7, 1.6], in2d: false });
    const volume = geometry(32);
    const image = geometry(1);
    const F = datasetPlan(volume, entries).channelCount;
    const samples = Float32Array.from({ length: 20 * F }, (_, i) => (i * 7919) % 101);
    const forest = trainForest(
      samples,
      Array.from({ length: 20 }, (_, i) => 1 + (i % 2)),
      F,
      { trees: 3 },
    );
    const model = { forest, entries };
    expect(() => checkModelFits(model, volume)).not.toThrow();
    expect(datasetPlan(image, entries).channelCount).toBeLessThan(F);
    expect(() => checkModelFits(model, image, "mitocheck")).toThrow(ModelMismatchError);
    expect(() => checkModelFits(model, image, "mitocheck")).toThrow(
      new RegExp(
        `dataset "mitocheck" gives ${datasetPlan(image, entries).channelCount} features .* trained on ${F}`,
      ),
    );
  });
});
