// Closed-form eigenvalues of symmetric 2×2 and 3×3 matrices, descending, exactly as vigra computes them
// for float32 tensors (symmetric2x2Eigenvalues; symmetric3x3Eigenvalues: Eberly's stable form of
// Cardano's trigonometric solution). vigra instantiates these with T = float, so C++ evaluates parts of
// the characteristic polynomial in float32 and parts in double; the smallest eigenvalue comes from a
// cancellation, so we reproduce that mixed precision (Math.fround marks each float32 operation).
// Matrix entries are in vigra's axis order: index 0 is x, then y, then z.

const f = Math.fround;

/** Eigenvalues of [[a00, a01], [a01, a11]] (float32 entries) into out[0] ≥ out[1]. */
export function symmetric2x2Eigenvalues(a00: number, a01: number, a11: number, out: Float64Array): void {
  const d = Math.hypot(f(a00 - a11), 2 * a01);
  const s = f(a00 + a11);
  const r0 = f(0.5 * (s + d));
  const r1 = f(0.5 * (s - d));
  out[0] = Math.max(r0, r1);
  out[1] = Math.min(r0, r1);
}

const ROOT3 = Math.sqrt(3);
const INV3 = 1 / 3;

/** Eigenvalues of the symmetric matrix with upper triangle a00 a01 a02 / a11 a12 / a22 (float32 entries). */
export function symmetric3x3Eigenvalues(
  a00: number,
  a01: number,
  a02: number,
  a11: number,
  a12: number,
  a22: number,
  out: Float64Array,
): void {
  const c0 =
    f(f(a00 * a11) * a22) +
    2 * a01 * a02 * a12 -
    f(f(a00 * a12) * a12) -
    f(f(a11 * a02) * a02) -
    f(f(a22 * a01) * a01);
  const c1 = f(
    f(f(f(f(f(a00 * a11) - f(a01 * a01)) + f(a00 * a22)) - f(a02 * a02)) + f(a11 * a22)) - f(a12 * a12),
  );
  const c2 = f(f(a00 + a11) + a22);
  const c2Div3 = c2 * INV3;
  let aDiv3 = (c1 - c2 * c2Div3) * INV3;
  if (aDiv3 > 0) aDiv3 = 0;
  const mbDiv2 = 0.5 * (c0 + c2Div3 * (2 * c2Div3 * c2Div3 - c1));
  let q = mbDiv2 * mbDiv2 + aDiv3 * aDiv3 * aDiv3;
  if (q > 0) q = 0;
  const magnitude = Math.sqrt(-aDiv3);
  const angle = Math.atan2(Math.sqrt(-q), mbDiv2) * INV3;
  const cs = Math.cos(angle);
  const sn = Math.sin(angle);
  let r0 = f(c2Div3 + 2 * magnitude * cs);
  let r1 = f(c2Div3 - magnitude * (cs + ROOT3 * sn));
  let r2 = f(c2Div3 - magnitude * (cs - ROOT3 * sn));
  let t: number;
  if (r0 < r1) {
    t = r0;
    r0 = r1;
    r1 = t;
  }
  if (r0 < r2) {
    t = r0;
    r0 = r2;
    r2 = t;
  }
  if (r1 < r2) {
    t = r1;
    r1 = r2;
    r2 = t;
  }
  out[0] = r0;
  out[1] = r1;
  out[2] = r2;
}
