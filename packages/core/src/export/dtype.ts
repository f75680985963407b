// Converting pixel values to an export dtype (ilastik's "Convert to Data Type" export option).
//
// Semantics (chosen; ilastik differs, see below):
// - to an integer dtype, values are ROUNDED half to even (numpy's `np.rint` / `np.round`: 0.5 → 0,
//   1.5 → 2, 2.5 → 2, −0.5 → −0, −1.5 → −2) and then CLIPPED to the dtype's range (300 → 255 and −3 → 0
//   for uint8); NaN becomes 0. Integer → integer conversions clip too (int16 −5 → uint8 0).
// - to a float dtype, values are stored as is (float64 → float32 rounds to the nearest float32, as numpy
//   does; values beyond float32's range become ±Infinity). No clipping.
// - `rounding: "truncate"` rounds toward zero instead (1.9 → 1, −1.9 → −1), still followed by clipping.
//
// ilastik's evidence: lazyflow's OpFormattedDataExport converts with `numpy.asarray(values, export_dtype)`,
// a C cast that TRUNCATES toward zero and does not clip (out-of-range floats give platform-dependent
// integers, e.g. 256.0 → 0 in uint8 on x86). Sylva rounds by default because truncation biases every
// value down by half a step (p × 255 for a probability p never reaches 255 unless p is exactly 1) and
// clips because wrapped values are never what a user wants; `rounding: "truncate"` reproduces ilastik's
// integer values for in-range data, for comparisons with files ilastik exported.

import type { DType, TypedArray } from "../array/dtype.js";
import { dtypeOf, typedArrayConstructor } from "../array/dtype.js";

/** How a non-integer value becomes an integer: half to even (numpy's rint, the default) or toward zero. */
export type Rounding = "half-even" | "truncate";

export const ROUNDINGS: readonly Rounding[] = ["half-even", "truncate"];

/** The smallest and largest value each dtype holds (finite ones for floats). */
export const DTYPE_RANGES: Readonly<Record<DType, readonly [number, number]>> = {
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  float32: [-3.4028234663852886e38, 3.4028234663852886e38],
  float64: [-Number.MAX_VALUE, Number.MAX_VALUE],
};

export function isIntegerDType(dtype: DType): boolean {
  return dtype !== "float32" && dtype !== "float64";
}

/** `v` rounded to the nearest integer, ties to the even one (numpy's `rint`). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v); // ties toward +∞
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The function that turns a float64 value into what a `dtype` array should store: rounding and clipping
 * for integer dtypes (NaN → 0), the identity for float dtypes (the typed array rounds to float32 itself).
 */
export function valueConverter(dtype: DType, rounding: Rounding = "half-even"): (v: number) => number {
  if (!isIntegerDType(dtype)) return (v) => v;
  const [lo, hi] = DTYPE_RANGES[dtype];
  const round = rounding === "truncate" ? Math.trunc : roundHalfEven;
  return (v) => {
    if (Number.isNaN(v)) return 0;
    const r = round(v);
    return Math.min(Math.max(r, lo), hi) || 0; // "|| 0": −0 becomes 0
  };
}

/**
 * `data` converted to `dtype` with the semantics above. When `data` already is `dtype` it is returned
 * as is (no copy): treat the result as read-only.
 */
export function convertDType(
  data: TypedArray,
  dtype: DType,
  options: { rounding?: Rounding } = {},
): TypedArray {
  const from = dtypeOf(data);
  if (from === dtype) return data;
  const out = new (typedArrayConstructor(dtype))(data.length);
  // No per-value work into a float dtype (the typed array rounds to float32 itself) or from integers into
  // an integer dtype whose range holds them all.
  const [flo, fhi] = DTYPE_RANGES[from];
  const [tlo, thi] = DTYPE_RANGES[dtype];
  if (!isIntegerDType(dtype) || (isIntegerDType(from) && flo >= tlo && fhi <= thi)) {
    out.set(data);
    return out;
  }
  const convert = valueConverter(dtype, options.rounding);
  for (let i = 0; i < data.length; i++) out[i] = convert(data[i]);
  return out;
}
