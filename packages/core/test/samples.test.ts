import { describe, expect, it } from "vitest";
import type { Volume5 } from "../src/index.js";
import { gatherSamples, LabelError, labeledRegion } from "../src/index.js";

describe("training samples", () => {
  const labels: Volume5<Uint8Array> = {
    data: new Uint8Array(2 * 3 * 4),
    shape: [1, 2, 3, 4, 1],
    axes: "tzyxc",
  };
  labels.data[1 * 12 + 1 * 4 + 2] = 2; // z 1, y 1, x 2
  labels.data[0 * 12 + 2 * 4 + 1] = 1; // z 0, y 2, x 1

  it("finds the labeled region and gathers its feature vectors in voxel order", () => {
    const region = labeledRegion(labels);
    expect(region).toEqual({ t0: 0, t1: 1, box: { z0: 0, z1: 2, y0: 1, y1: 3, x0: 1, x1: 3 } });
    // features of the region (2 × 2 × 2 voxels, 3 channels): value = 100·voxel + channel
    const features = new Float32Array(8 * 3).map((_, i) => 100 * Math.floor(i / 3) + (i % 3));
    const s = gatherSamples(features, 3, labels, region!);
    expect(s.count).toBe(2);
    expect(Array.from(s.labels)).toEqual([1, 2]);
    // z0 y2 x1 → region voxel (0, 1, 0) = 2; z1 y1 x2 → (1, 0, 1) = 5
    expect(Array.from(s.features)).toEqual([200, 201, 202, 500, 501, 502]);
  });

  it("reports unlabeled volumes and bad labels", () => {
    expect(labeledRegion({ data: new Uint8Array(4), shape: [1, 1, 2, 2, 1], axes: "tzyxc" })).toBeNull();
    const bad: Volume5<Float32Array> = {
      data: Float32Array.from([0, 1.5]),
      shape: [1, 1, 1, 2, 1],
      axes: "tzyxc",
    };
    expect(() => gatherSamples(new Float32Array(2), 1, bad, labeledRegion(bad)!)).toThrow(LabelError);
    expect(() => gatherSamples(new Float32Array(2), 1, bad, labeledRegion(bad)!)).toThrow(
      /label 1.5 at t 0, z 0, y 0, x 1/,
    );
  });
});
