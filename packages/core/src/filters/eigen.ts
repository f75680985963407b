// Closed-form eigenvalues of symmetric 2×2 and 3×3 matrices, descending, as vigra computes them
// (symmetric2x2Eigenvalues, and symmetric3x3Eigenvalues: Cardano's method with the trigonometric
// solution of the characteristic cubic), in double precision.

/** Eigenvalues of [[a, b], [b, c]] into out[0] ≥ out[1]. */
export function symmetric2x2Eigenvalues(a: number, b: number, c: number, out: Float64Array): void {
  const d1 = (a + c) * 0.5;
  const h = (a - c) * 0.5;
  const d2 = Math.sqrt(h * h + b * b);
  out[0] = d1 + d2;
  out[1] = d1 - d2;
}

const ROOT3 = Math.sqrt(3);

/** Eigenvalues of [[a, b, c], [b, d, e], [c, e, f]] into out[0] ≥ out[1] ≥ out[2]. */
export function symmetric3x3Eigenvalues(
  a00: number,
  a01: number,
  a02: number,
  a11: number,
  a12: number,
  a22: number,
  out: Float64Array,
): void {
  const c0 = a00 * a11 * a22 + 2 * a01 * a02 * a12 - a00 * a12 * a12 - a11 * a02 * a02 - a22 * a01 * a01;
  const c1 = a00 * a11 - a01 * a01 + a00 * a22 - a02 * a02 + a11 * a22 - a12 * a12;
  const c2 = a00 + a11 + a22;
  const c2Div3 = c2 / 3;
  let aDiv3 = (c1 - c2 * c2Div3) / 3;
  if (aDiv3 > 0) aDiv3 = 0;
  const mbDiv2 = 0.5 * (c0 + c2Div3 * (2 * c2Div3 * c2Div3 - c1));
  let q = mbDiv2 * mbDiv2 + aDiv3 * aDiv3 * aDiv3;
  if (q > 0) q = 0;
  const magnitude = Math.sqrt(-aDiv3);
  const angle = Math.atan2(Math.sqrt(-q), mbDiv2) / 3;
  const cs = Math.cos(angle);
  const sn = Math.sin(angle);
  let r0 = c2Div3 + 2 * magnitude * cs;
  let r1 = c2Div3 - magnitude * (cs + ROOT3 * sn);
  let r2 = c2Div3 - magnitude * (cs - ROOT3 * sn);
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
