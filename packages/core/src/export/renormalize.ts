// Renormalization (ilastik's "Renormalize [min, max] from … to …" export option): a linear map taking
// [inMin, inMax] to [outMin, outMax], computed in float64, fused with the conversion to the export dtype.
//
// out = outMin + (v − inMin) / (inMax − inMin) × (outMax − outMin), so inMin ↦ outMin and inMax ↦ outMax
// exactly. Values outside [inMin, inMax] map outside [outMin, outMax] (they are not clipped to it, as in
// ilastik); only the conversion to an integer dtype clips, to the dtype's range (see dtype.ts). inMin > inMax
// (or outMin > outMax) inverts the ramp. ilastik computes the map in the input's precision (float32 for
// probabilities) with a float32 factor and treats inMin = inMax as "factor 0"; Sylva uses float64 throughout
// and rejects inMin = inMax as an error, since it maps nothing.

import type { DType, TypedArray } from "../array/dtype.js";
import { dtypeOf, typedArrayConstructor } from "../array/dtype.js";
import type { Rounding } from "./dtype.js";
import { valueConverter } from "./dtype.js";
import { ExportError } from "./errors.js";

export interface RenormalizeRange {
  readonly inMin: number;
  readonly inMax: number;
  readonly outMin: number;
  readonly outMax: number;
}

/** Checks that all four bounds are finite numbers and the input range is not empty. */
export function checkRenormalizeRange(r: RenormalizeRange): void {
  for (const key of ["inMin", "inMax", "outMin", "outMax"] as const)
    if (typeof r[key] !== "number" || !Number.isFinite(r[key]))
      throw new ExportError(`renormalize: ${key} must be a finite number, got ${String(r[key])}`);
  if (r.inMin === r.inMax)
    throw new ExportError(
      `renormalize: the input range is empty (IN_MIN = IN_MAX = ${r.inMin}); give two different input bounds`,
    );
}

/** Parses "IN_MIN,IN_MAX,OUT_MIN,OUT_MAX" (the `--renormalize` option), e.g. "0,1,0,255". */
export function parseRenormalize(spec: string): RenormalizeRange {
  const parts = spec.split(",").map((p) => p.trim());
  if (parts.length !== 4)
    throw new ExportError(
      `--renormalize takes four numbers IN_MIN,IN_MAX,OUT_MIN,OUT_MAX (e.g. 0,1,0,255), got "${spec}"`,
    );
  const names = ["IN_MIN", "IN_MAX", "OUT_MIN", "OUT_MAX"];
  const values = parts.map((p, i) => {
    const v = p === "" ? Number.NaN : Number(p);
    if (!Number.isFinite(v))
      throw new ExportError(`--renormalize: ${names[i]} "${p}" is not a number (in "${spec}")`);
    return v;
  });
  const range = { inMin: values[0], inMax: values[1], outMin: values[2], outMax: values[3] };
  checkRenormalizeRange(range);
  return range;
}

/** The linear map of `range`, in float64. */
export function linearMap(range: RenormalizeRange): (v: number) => number {
  checkRenormalizeRange(range);
  const { inMin, outMin } = range;
  const inSpan = range.inMax - range.inMin;
  const outSpan = range.outMax - range.outMin;
  return (v) => outMin + ((v - inMin) / inSpan) * outSpan;
}

/**
 * `data` mapped linearly by `range` and stored as `dtype` (default: the input's dtype, as in ilastik),
 * rounded and clipped as `convertDType` does for integer dtypes. Always returns a new array.
 */
export function renormalize(
  data: TypedArray,
  range: RenormalizeRange,
  options: { dtype?: DType; rounding?: Rounding } = {},
): TypedArray {
  const map = linearMap(range);
  const dtype = options.dtype ?? dtypeOf(data);
  const convert = valueConverter(dtype, options.rounding);
  const out = new (typedArrayConstructor(dtype))(data.length);
  for (let i = 0; i < data.length; i++) out[i] = convert(map(data[i]));
  return out;
}
