// The panel's validity rule agrees with core's planFeatures (ilastik's rule).
import { InvalidScaleError, planFeatures } from "@sylva/core";
import { describe, expect, it } from "vitest";
import { scaleProblem } from "./feature-validity";

describe("scaleProblem", () => {
  const isbi = { name: "isbi", axes: "zyx", shape: [30, 512, 512] };
  it("matches core on every default scale, in 2D and 3D", () => {
    for (const scale of [0.3, 0.7, 1, 1.6, 3.5, 5, 10, 20])
      for (const in2d of [false, true]) {
        let coreRefuses = false;
        try {
          planFeatures([{ feature: "GS", scale, in2d }], [1, 30, 512, 512, 1]);
        } catch (e) {
          coreRefuses = e instanceof InvalidScaleError;
        }
        expect(scaleProblem(scale, [isbi], in2d) !== null).toBe(coreRefuses);
      }
  });
  it("names the axis and sizes", () => {
    expect(scaleProblem(10, [isbi], false)).toEqual({ dataset: "isbi", axis: "z", needed: 36, size: 30 });
    expect(scaleProblem(10, [{ name: "2d", axes: "yx", shape: [30, 40] }], false)?.axis).toBe("y");
  });
});
