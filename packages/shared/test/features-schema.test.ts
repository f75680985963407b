import { describe, expect, it } from "vitest";
import { DEFAULT_SCALES, featureSelectionSchema, parseFeatureList, parseScaleList } from "../src/index.js";

describe("feature selection contract", () => {
  it("parses the command-line spellings", () => {
    expect(parseFeatureList("all")).toEqual(["GS", "LoG", "GGM", "DoG", "STE", "HoGE"]);
    expect(parseFeatureList("GS, HessianOfGaussianEigenvalues")).toEqual(["GS", "HoGE"]);
    expect(parseScaleList(undefined)).toEqual([...DEFAULT_SCALES]);
    expect(parseScaleList("0.7,1.6")).toEqual([0.7, 1.6]);
  });

  it("names the bad value", () => {
    expect(() => parseFeatureList("GS,Blur")).toThrow(/unknown feature "Blur"/);
    expect(() => parseScaleList("0.7,abc")).toThrow(/invalid scale "abc"/);
    const r = featureSelectionSchema.safeParse({ features: ["GS"], scales: [0.7, -1], in2d: false });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toMatch(/scale must be > 0/);
    expect(featureSelectionSchema.safeParse({ features: [], scales: [1], in2d: false }).success).toBe(false);
    expect(featureSelectionSchema.safeParse({ features: ["GS"], scales: [1, 1], in2d: false }).success).toBe(
      false,
    );
  });
});

describe("per-scale 2D", () => {
  it("accepts 2D scales among the selected ones and refuses others", () => {
    const ok = featureSelectionSchema.safeParse({
      features: ["GS"],
      scales: [0.7, 3.5],
      in2d: false,
      in2dScales: [3.5],
    });
    expect(ok.success).toBe(true);
    const bad = featureSelectionSchema.safeParse({
      features: ["GS"],
      scales: [0.7],
      in2d: false,
      in2dScales: [3.5],
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0].message).toMatch(/one of the selected scales/);
  });
});
