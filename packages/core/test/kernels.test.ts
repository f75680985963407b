// Kernels equal vigra's (values printed by vigra.filters.Kernel1D for these parameters).
import { describe, expect, it } from "vitest";
import { gaussianKernel, gaussianKernelFloat, kernelRadius } from "../src/index.js";

describe("vigra kernels", () => {
  it("radius is floor(w·σ + 0.5), at least 1", () => {
    expect(kernelRadius(0.3, 2)).toBe(1);
    expect(kernelRadius(1.0, 2)).toBe(2);
    expect(kernelRadius(Math.sqrt(99), 3.5)).toBe(35);
  });

  it("matches vigra's Kernel1D values (σ = 1, window 2)", () => {
    // vigra convolution kernel k[-2..2]; our taps are reversed (correlation).
    const rev = (a: ArrayLike<number>) => Array.from(a).reverse();
    const close = (a: number[], b: number[]) => {
      for (const [i, v] of a.entries()) expect(v).toBeCloseTo(b[i], 6);
    };
    close(rev(gaussianKernel(1, 0, 2).taps), [0.0544887, 0.2442013, 0.4026199, 0.2442013, 0.0544887]);
    close(rev(gaussianKernel(1, 1, 2).taps), [0.117901, 0.2641979, 0, -0.2641979, -0.117901]);
    close(rev(gaussianKernel(1, 2, 2).taps), [0.2448127, 0.0207491, -0.5311237, 0.0207491, 0.2448127]);
    close(rev(gaussianKernel(0.7, 0, 2).taps), [0.2094536, 0.5810928, 0.2094536]);
    // Kernel1D<float> is the same kernel built in float arithmetic.
    close(rev(gaussianKernelFloat(1, 2, 2).taps), [0.2448127, 0.0207491, -0.5311237, 0.0207491, 0.2448127]);
    expect(gaussianKernelFloat(1, 0, 2).taps).toBeInstanceOf(Float32Array);
  });
});
