import { describe, expect, it } from "vitest";
import { selectionEntries } from "../src/index.js";

describe("selectionEntries", () => {
  it("filters the scales listed in in2dScales in 2D, the others as the selection says", () => {
    const entries = selectionEntries({
      features: ["GS", "STE"],
      scales: [0.7, 1.6, 3.5],
      in2d: false,
      in2dScales: [3.5],
    });
    expect(entries.map((e) => `${e.feature}@${e.scale}${e.in2d ? "/2d" : ""}`)).toEqual([
      "GS@0.7",
      "GS@1.6",
      "GS@3.5/2d",
      "STE@0.7",
      "STE@1.6",
      "STE@3.5/2d",
    ]);
    expect(selectionEntries({ features: ["GS"], scales: [1], in2d: true }).every((e) => e.in2d)).toBe(true);
  });
});
