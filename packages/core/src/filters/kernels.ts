// Sampled 1-D Gaussian and Gaussian-derivative kernels, built exactly as vigra's Kernel1D does
// (initGaussian / initGaussianDerivative with a window ratio), so results match ilastik bit for bit.
//
// vigra uses two precisions, and ilastik's features inherit both: Gaussian smoothing (ilastik's
// pre-smoothing, Gaussian Smoothing and Difference of Gaussians) convolves with a Kernel1D<double>
// summed in double; the derivative filters (Laplacian, gradient magnitude, structure tensor, Hessian)
// build a Kernel1D<float> — its values computed in float arithmetic — and sum in float. `arithmetic`
// records which, and the backends reproduce each.
//
// Math: radius r = ⌊w·σ + 0.5⌋ (at least 1). Order 0: k(x) = exp(−x²/2σ²) for x ∈ [−r, r], normalized to
// Σ k = 1. Order n > 0: the n-th derivative of the Gaussian sampled at x, its mean (DC) subtracted, then
// scaled so that the kernel's n-th moment Σ k(x)(−x)ⁿ/n! = 1 — the discrete derivative of a polynomial
// of degree n is then exact.
//
// Kernels are stored as correlation taps: out[i] = Σ_m taps[m + r] · in[i + m], m ∈ [−r, r]. vigra
// convolves (out[i] = Σ k[j] in[i − j]), so taps[m] = k[−m]; odd derivatives change sign accordingly.

export type Arithmetic = "double" | "float";

export interface Kernel1D {
  readonly radius: number;
  /** 2·radius + 1 correlation taps: Float64Array for "double" kernels, Float32Array for "float" ones. */
  readonly taps: Float64Array | Float32Array;
  /** +1 if taps are symmetric, −1 if antisymmetric (odd derivative orders). */
  readonly symmetry: 1 | -1;
  readonly arithmetic: Arithmetic;
}

export function kernelRadius(sigma: number, windowRatio: number): number {
  return Math.max(1, Math.floor(windowRatio * sigma + 0.5));
}

/** Gaussian (order 0) or Gaussian-derivative (order 1, 2) kernel, built and applied in double. */
export function gaussianKernel(sigma: number, order: 0 | 1 | 2, windowRatio: number): Kernel1D {
  if (!(sigma > 0)) throw new RangeError(`kernel sigma must be > 0, got ${sigma}`);
  const r = kernelRadius(sigma, windowRatio);
  const n = 2 * r + 1;
  const k = new Float64Array(n); // k[x + r], vigra's convolution kernel
  const s2 = sigma * sigma;
  for (let x = -r; x <= r; x++) {
    const g = Math.exp((-x * x) / (2 * s2));
    k[x + r] = order === 0 ? g : order === 1 ? (-x / s2) * g : ((x * x) / s2 - 1) * (g / s2);
  }
  if (order > 0) {
    let dc = 0;
    for (let i = 0; i < n; i++) dc += k[i];
    dc /= n;
    for (let i = 0; i < n; i++) k[i] -= dc;
  }
  let moment = 0;
  const factorial = order === 2 ? 2 : 1;
  for (let x = -r; x <= r; x++) moment += (k[x + r] * (-x) ** order) / factorial;
  const taps = new Float64Array(n);
  for (let m = -r; m <= r; m++) taps[m + r] = k[-m + r] / moment;
  return { radius: r, taps, symmetry: order === 1 ? -1 : 1, arithmetic: "double" };
}

const f = Math.fround;

/**
 * The same kernel as vigra's Kernel1D<float> builds it: Gaussian<float> values (norm · exp(−x²/2σ²),
 * times x or (1 − x²/σ²) for the derivatives), DC removal and normalization by the reciprocal moment, every
 * step rounded to float.
 */
export function gaussianKernelFloat(sigma: number, order: 0 | 1 | 2, windowRatio: number): Kernel1D {
  if (!(sigma > 0)) throw new RangeError(`kernel sigma must be > 0, got ${sigma}`);
  const r = kernelRadius(sigma, windowRatio);
  const n = 2 * r + 1;
  const s = f(sigma);
  const s2 = f(f(-0.5 / s) / s);
  const norm =
    order === 0
      ? f(1 / f(Math.sqrt(2 * Math.PI) * sigma))
      : f((order === 1 ? -1 : 1) / f(Math.sqrt(2 * Math.PI) * sigma ** 3));
  const k = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = i - r;
    const g = f(norm * f(Math.exp(f(f(x * x) * s2))));
    k[i] = order === 0 ? g : order === 1 ? f(x * g) : f(f(1 - f(f(x / s) ** 2)) * g);
  }
  let moment = 0;
  if (order > 0) {
    let dc = 0;
    for (let i = 0; i < n; i++) dc = f(dc + k[i]);
    dc = f(dc / n);
    for (let i = 0; i < n; i++) k[i] = f(k[i] - dc);
    const factorial = order === 2 ? 2 : 1;
    for (let i = 0; i < n; i++) moment = f(moment + f((k[i] * (-(i - r)) ** order) / factorial));
  } else {
    for (let i = 0; i < n; i++) moment = f(moment + k[i]);
  }
  const scale = f(1 / moment);
  const taps = new Float32Array(n);
  for (let m = -r; m <= r; m++) taps[m + r] = f(k[-m + r] * scale);
  return { radius: r, taps, symmetry: order === 1 ? -1 : 1, arithmetic: "float" };
}
