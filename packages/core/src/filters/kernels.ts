// Sampled 1-D Gaussian and Gaussian-derivative kernels, built exactly as vigra's Kernel1D does
// (initGaussian / initGaussianDerivative with a window ratio), so results match ilastik bit for bit.
//
// vigra applies kernels in three arithmetics, and ilastik's features inherit them (see Arithmetic); the
// smallest eigenvalue of the 3-D structure tensor is so sensitive to rounding (a float32 cancellation in
// vigra's eigenvalue formula) that only bit-identical tensors reproduce it. `arithmetic` records which
// one a kernel uses, and the backends reproduce each.
//
// Math: radius r = ⌊w·σ + 0.5⌋ (at least 1). Order 0: k(x) = exp(−x²/2σ²) for x ∈ [−r, r], normalized to
// Σ k = 1. Order n > 0: the n-th derivative of the Gaussian sampled at x, its mean (DC) subtracted, then
// scaled so that the kernel's n-th moment Σ k(x)(−x)ⁿ/n! = 1 — the discrete derivative of a polynomial
// of degree n is then exact.
//
// Kernels are stored as correlation taps: out[i] = Σ_m taps[m + r] · in[i + m], m ∈ [−r, r]. vigra
// convolves (out[i] = Σ k[j] in[i − j]), so taps[m] = k[−m]; odd derivatives change sign accordingly.

/**
 * How a kernel is applied (all store float results):
 *  - "double": f64 taps, sums in double (vigra's gaussianSmoothing: pre-smoothing, GS, DoG);
 *  - "float": f32 taps, float products and sums in tap order (derivative filters: LoG, GGM, HoGE, and the
 *    structure tensor's gradient);
 *  - "mixed": f64 taps, each product rounded to float, float sums in tap order (the structure tensor's
 *    integration smoothing, which vigra runs on its float tensor with a double kernel).
 */
export type Arithmetic = "double" | "float" | "mixed";

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

/**
 * Gaussian (order 0) or Gaussian-derivative (order 1, 2) kernel, built in double (Kernel1D<double>) and
 * applied in `arithmetic` ("double" unless stated).
 */
export function gaussianKernel(
  sigma: number,
  order: 0 | 1 | 2,
  windowRatio: number,
  arithmetic: "double" | "mixed" = "double",
): Kernel1D {
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
  return { radius: r, taps, symmetry: order === 1 ? -1 : 1, arithmetic };
}

const f = Math.fround;
const SQRT_2PI = Math.sqrt(2 * Math.PI);

/**
 * The same kernel as vigra's Kernel1D<float> builds it (initGaussian / initGaussianDerivative over
 * Gaussian<float>), reproducing where C++ evaluates in float and where a double literal promotes to double:
 * σ² term −0.5/σ/σ and norm (−1/(√(2π)σ³) for order 1, 1/√(2π)/σ otherwise) in double, rounded once;
 * values norm·e, (x·norm)·e, or h(x²)·norm·e with the Hermite polynomial h(x²) = s + s²x², s = −1/σ²,
 * and e = expf(x²·(−0.5/σ²)), in float; DC removal in float; the moment summed in double and stored in
 * float; taps scaled by the float reciprocal of the moment.
 */
export function gaussianKernelFloat(sigma: number, order: 0 | 1 | 2, windowRatio: number): Kernel1D {
  if (!(sigma > 0)) throw new RangeError(`kernel sigma must be > 0, got ${sigma}`);
  const r = kernelRadius(sigma, windowRatio);
  const n = 2 * r + 1;
  const s = f(sigma);
  const sigma2 = f(-0.5 / s / s);
  const norm = order === 1 ? f(-1 / (SQRT_2PI * s * s * s)) : f(1 / SQRT_2PI / s);
  const h0 = f(-1 / s / s);
  const h1 = f(h0 * h0);
  const k = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = i - r;
    const x2 = f(x * x);
    const e = f(Math.exp(f(x2 * sigma2)));
    const pre = order === 0 ? norm : order === 1 ? f(x * norm) : f(f(f(x2 * h1) + h0) * norm);
    k[i] = f(pre * e);
  }
  let moment = 0;
  if (order > 0) {
    let dc = 0;
    for (let i = 0; i < n; i++) dc = f(dc + k[i]);
    dc = f(dc / n);
    for (let i = 0; i < n; i++) k[i] = f(k[i] - dc);
    const factorial = order === 2 ? 2 : 1;
    for (let i = 0; i < n; i++) moment = f(moment + (k[i] * (-(i - r)) ** order) / factorial);
  } else {
    for (let i = 0; i < n; i++) moment = f(moment + k[i]);
  }
  const scale = f(1 / moment);
  const taps = new Float32Array(n);
  for (let m = -r; m <= r; m++) taps[m + r] = f(k[-m + r] * scale);
  return { radius: r, taps, symmetry: order === 1 ? -1 : 1, arithmetic: "float" };
}
