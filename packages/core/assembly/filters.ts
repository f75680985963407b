// The filter backend's primitives in AssemblyScript, compiled to WebAssembly with 128-bit SIMD.
// Contract and semantics: packages/core/src/filters/backend.ts. Arithmetic order matches the TypeScript
// backend (no fused multiply-add), so SIMD lanes and scalar tails give identical results and blockwise
// output equals whole-image output bit for bit. All pointers are byte offsets into this module's memory,
// managed by the host (the arena starts above this module's static data).

// @ts-nocheck: AssemblyScript types (f32, v128, usize) are not TypeScript's.

/** First byte the host may use: everything below holds this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** pad[p] = row[map[p]] for p < plen: a line with its borders mirrored or its halo, ready to correlate. */
@inline function gatherLine(row: usize, map: usize, pad: usize, plen: i32): void {
  for (let p = 0; p < plen; p++) {
    store<f32>(pad + (<usize>p << 2), load<f32>(row + (<usize>load<i32>(map + (<usize>p << 2)) << 2)));
  }
}

@inline function ld(p: usize): v128 {
  return v128.load(p);
}

/**
 * Correlation along the contiguous axis through a padded line, float taps and float sums taken in tap
 * order m = −r … r (vigra's derivative filters: Kernel1D<float>). See backend.ts convX.
 */
export function convX(
  src: usize,
  srcRow: i32,
  srcPlane: i32,
  nz: i32,
  ny: i32,
  dst: usize,
  dnx: i32,
  map: usize,
  taps: usize,
  radius: i32,
  pad: usize,
): void {
  const plen = dnx + 2 * radius;
  const w = 2 * radius + 1;
  let d = dst;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = src + (<usize>(z * srcPlane + y * srcRow) << 2);
      gatherLine(row, map, pad, plen);
      let x = 0;
      for (; x + 8 <= dnx; x += 8) {
        const c = pad + (<usize>x << 2);
        const t = f32x4.splat(load<f32>(taps));
        let a0 = f32x4.mul(t, ld(c));
        let a1 = f32x4.mul(t, ld(c + 16));
        for (let m = 1; m < w; m++) {
          const tv = f32x4.splat(load<f32>(taps + (<usize>m << 2)));
          const o = c + (<usize>m << 2);
          a0 = f32x4.add(a0, f32x4.mul(tv, ld(o)));
          a1 = f32x4.add(a1, f32x4.mul(tv, ld(o + 16)));
        }
        v128.store(d, a0);
        v128.store(d + 16, a1);
        d += 32;
      }
      for (; x < dnx; x++) {
        const c = pad + (<usize>x << 2);
        let acc: f32 = load<f32>(taps) * load<f32>(c);
        for (let m = 1; m < w; m++) acc = acc + load<f32>(taps + (<usize>m << 2)) * load<f32>(c + (<usize>m << 2));
        store<f32>(d, acc);
        d += 4;
      }
    }
  }
}

/** Correlation along an outer axis with float taps and sums in tap order (see backend.ts convLines). */
export function convLines(
  src: usize,
  sn: i32,
  dst: usize,
  dn: i32,
  outer: i32,
  len: i32,
  map: usize,
  taps: usize,
  radius: i32,
): void {
  const w = 2 * radius + 1;
  const lineBytes = <usize>len << 2;
  for (let o = 0; o < outer; o++) {
    const sBase = src + <usize>(o * sn) * lineBytes;
    const dBase = dst + <usize>(o * dn) * lineBytes;
    for (let i = 0; i < dn; i++) {
      const mi = map + (<usize>(i * w) << 2);
      const first = sBase + <usize>load<i32>(mi) * lineBytes;
      const out = dBase + <usize>i * lineBytes;
      const t0 = f32x4.splat(load<f32>(taps));
      let x = 0;
      for (; x + 16 <= len; x += 16) {
        const xo = <usize>x << 2;
        let a0 = f32x4.mul(t0, ld(first + xo));
        let a1 = f32x4.mul(t0, ld(first + xo + 16));
        let a2 = f32x4.mul(t0, ld(first + xo + 32));
        let a3 = f32x4.mul(t0, ld(first + xo + 48));
        for (let m = 1; m < w; m++) {
          const tv = f32x4.splat(load<f32>(taps + (<usize>m << 2)));
          const l = sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo;
          a0 = f32x4.add(a0, f32x4.mul(tv, ld(l)));
          a1 = f32x4.add(a1, f32x4.mul(tv, ld(l + 16)));
          a2 = f32x4.add(a2, f32x4.mul(tv, ld(l + 32)));
          a3 = f32x4.add(a3, f32x4.mul(tv, ld(l + 48)));
        }
        v128.store(out + xo, a0);
        v128.store(out + xo + 16, a1);
        v128.store(out + xo + 32, a2);
        v128.store(out + xo + 48, a3);
      }
      for (; x + 4 <= len; x += 4) {
        const xo = <usize>x << 2;
        let a0 = f32x4.mul(t0, ld(first + xo));
        for (let m = 1; m < w; m++) {
          const tv = f32x4.splat(load<f32>(taps + (<usize>m << 2)));
          a0 = f32x4.add(a0, f32x4.mul(tv, ld(sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo)));
        }
        v128.store(out + xo, a0);
      }
      for (; x < len; x++) {
        const xo = <usize>x << 2;
        let acc: f32 = load<f32>(taps) * load<f32>(first + xo);
        for (let m = 1; m < w; m++)
          acc = acc + load<f32>(taps + (<usize>m << 2)) * load<f32>(sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo);
        store<f32>(out + xo, acc);
      }
    }
  }
}

/** dst[i] = a[i] · b[i]. */
export function mul(a: usize, b: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dst + o, f32x4.mul(ld(a + o), ld(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dst + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

const ROOT3: f64 = 1.7320508075688772;
const INV3: f64 = 1.0 / 3.0;

// Combine kinds, in the order of COMBINE_KINDS in backend.ts.
const COPY = 0;
const DIFF = 1;
const SUM2 = 2;
const SUM3 = 3;
const NORM2 = 4;
const NORM3 = 5;
const EIG2 = 6;
const EIG3 = 7;

/** Writes a combination of sources into an interleaved destination (see backend.ts combine). */
export function combine(
  kind: i32,
  s0: usize,
  s1: usize,
  s2: usize,
  s3: usize,
  s4: usize,
  s5: usize,
  srcRow: i32,
  srcPlane: i32,
  nz: i32,
  ny: i32,
  nx: i32,
  dst: usize,
  channels: i32,
  channel: i32,
): void {
  const step = <usize>channels << 2;
  let o = dst + (<usize>channel << 2);
  if (kind == EIG3) {
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        const row = <usize>(z * srcPlane + y * srcRow) << 2;
        eig3Run(s0 + row, s1 + row, s2 + row, s3 + row, s4 + row, s5 + row, nx, o, step);
        o += <usize>nx * step;
      }
    }
    return;
  }
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = <usize>(z * srcPlane + y * srcRow) << 2;
      for (let x = 0; x < nx; x++) {
        const q = row + (<usize>x << 2);
        if (kind == COPY) {
          store<f32>(o, load<f32>(s0 + q));
        } else if (kind == DIFF) {
          store<f32>(o, load<f32>(s0 + q) - load<f32>(s1 + q));
        } else if (kind == SUM2) {
          store<f32>(o, load<f32>(s0 + q) + load<f32>(s1 + q));
        } else if (kind == SUM3) {
          store<f32>(o, load<f32>(s0 + q) + load<f32>(s1 + q) + load<f32>(s2 + q));
        } else if (kind == NORM2) {
          const a = load<f32>(s0 + q);
          const b = load<f32>(s1 + q);
          store<f32>(o, <f32>Math.sqrt(<f64>(a * a + b * b)));
        } else if (kind == NORM3) {
          const a = load<f32>(s0 + q);
          const b = load<f32>(s1 + q);
          const c = load<f32>(s2 + q);
          store<f32>(o, <f32>Math.sqrt(<f64>(a * a + b * b + c * c)));
        } else if (kind == EIG2) {
          // vigra's symmetric2x2Eigenvalues with T = float
          const a = load<f32>(s0 + q);
          const b = load<f32>(s1 + q);
          const c = load<f32>(s2 + q);
          const d = Math.hypot(<f64>(a - c), 2.0 * <f64>b);
          const sum = <f64>(a + c);
          const r0 = <f32>(0.5 * (sum + d));
          const r1 = <f32>(0.5 * (sum - d));
          store<f32>(o, r0 < r1 ? r1 : r0);
          store<f32>(o + 4, r0 < r1 ? r0 : r1);
        } else if (kind == EIG3) {
          eig3(
            load<f32>(s0 + q),
            load<f32>(s1 + q),
            load<f32>(s2 + q),
            load<f32>(s3 + q),
            load<f32>(s4 + q),
            load<f32>(s5 + q),
            o,
          );
        }
        o += step;
      }
    }
  }
}

/**
 * vigra's symmetric3x3Eigenvalues with T = float (see src/filters/eigen.ts for why the precision of each
 * term matters), descending, stored as 3 floats at o.
 */
function eig3(a00: f32, a01: f32, a02: f32, a11: f32, a12: f32, a22: f32, o: usize): void {
  const c0: f64 =
    <f64>(a00 * a11 * a22) +
    2.0 * <f64>a01 * <f64>a02 * <f64>a12 -
    <f64>(a00 * a12 * a12) -
    <f64>(a11 * a02 * a02) -
    <f64>(a22 * a01 * a01);
  const c1: f64 = <f64>(a00 * a11 - a01 * a01 + a00 * a22 - a02 * a02 + a11 * a22 - a12 * a12);
  const c2: f64 = <f64>(a00 + a11 + a22);
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
  let r0 = <f32>(c2Div3 + 2 * magnitude * cs);
  let r1 = <f32>(c2Div3 - magnitude * (cs + ROOT3 * sn));
  let r2 = <f32>(c2Div3 - magnitude * (cs - ROOT3 * sn));
  let t: f32;
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
  store<f32>(o, r0);
  store<f32>(o + 4, r1);
  store<f32>(o + 8, r2);
}

// ---- Double-accumulating variants: vigra's Gaussian smoothing (float data × double kernel, summed in
// double, stored as float). Taps are f64; symmetric tap pairs are summed first (exact in double).

@inline function lo(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

@inline function hi(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

@inline function pack(l: v128, h: v128): v128 {
  const a = f32x4.demote_f64x2_zero(l);
  const b = f32x4.demote_f64x2_zero(h);
  return v128.shuffle<f32>(a, b, 0, 1, 4, 5);
}

/** convX with double accumulation; taps are 2r+1 f64. */
export function convX64(
  src: usize,
  srcRow: i32,
  srcPlane: i32,
  nz: i32,
  ny: i32,
  dst: usize,
  dnx: i32,
  map: usize,
  taps: usize,
  radius: i32,
  symmetry: i32,
  pad: usize,
): void {
  const plen = dnx + 2 * radius;
  const t0 = taps + (<usize>radius << 3);
  const w0 = load<f64>(t0);
  const vw0 = f64x2.splat(w0);
  let d = dst;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = src + (<usize>(z * srcPlane + y * srcRow) << 2);
      gatherLine(row, map, pad, plen);
      const c0 = pad + (<usize>radius << 2);
      let x = 0;
      for (; x + 4 <= dnx; x += 4) {
        const c = c0 + (<usize>x << 2);
        const v = ld(c);
        let aL = f64x2.mul(vw0, lo(v));
        let aH = f64x2.mul(vw0, hi(v));
        for (let m = 1; m <= radius; m++) {
          const w = f64x2.splat(load<f64>(t0 + (<usize>m << 3)));
          const o = <usize>m << 2;
          const p = ld(c + o);
          const q = ld(c - o);
          if (symmetry > 0) {
            aL = f64x2.add(aL, f64x2.mul(w, f64x2.add(lo(p), lo(q))));
            aH = f64x2.add(aH, f64x2.mul(w, f64x2.add(hi(p), hi(q))));
          } else {
            aL = f64x2.add(aL, f64x2.mul(w, f64x2.sub(lo(p), lo(q))));
            aH = f64x2.add(aH, f64x2.mul(w, f64x2.sub(hi(p), hi(q))));
          }
        }
        v128.store(d, pack(aL, aH));
        d += 16;
      }
      for (; x < dnx; x++) {
        const c = c0 + (<usize>x << 2);
        let acc: f64 = w0 * <f64>load<f32>(c);
        for (let m = 1; m <= radius; m++) {
          const o = <usize>m << 2;
          const a = <f64>load<f32>(c + o);
          const b = <f64>load<f32>(c - o);
          acc = acc + load<f64>(t0 + (<usize>m << 3)) * (symmetry > 0 ? a + b : a - b);
        }
        store<f32>(d, <f32>acc);
        d += 4;
      }
    }
  }
}

/** convLines with double accumulation; taps are 2r+1 f64. */
export function convLines64(
  src: usize,
  sn: i32,
  dst: usize,
  dn: i32,
  outer: i32,
  len: i32,
  map: usize,
  taps: usize,
  radius: i32,
  symmetry: i32,
): void {
  const w = 2 * radius + 1;
  const t0 = taps + (<usize>radius << 3);
  const w0 = load<f64>(t0);
  const vw0 = f64x2.splat(w0);
  const lineBytes = <usize>len << 2;
  for (let o = 0; o < outer; o++) {
    const sBase = src + <usize>(o * sn) * lineBytes;
    const dBase = dst + <usize>(o * dn) * lineBytes;
    for (let i = 0; i < dn; i++) {
      const mi = map + (<usize>(i * w + radius) << 2);
      const center = sBase + <usize>load<i32>(mi) * lineBytes;
      const out = dBase + <usize>i * lineBytes;
      let x = 0;
      for (; x + 8 <= len; x += 8) {
        const xo = <usize>x << 2;
        const v0 = ld(center + xo);
        const v1 = ld(center + xo + 16);
        let a0 = f64x2.mul(vw0, lo(v0));
        let a1 = f64x2.mul(vw0, hi(v0));
        let a2 = f64x2.mul(vw0, lo(v1));
        let a3 = f64x2.mul(vw0, hi(v1));
        for (let m = 1; m <= radius; m++) {
          const wv = f64x2.splat(load<f64>(t0 + (<usize>m << 3)));
          const a = sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo;
          const b = sBase + <usize>load<i32>(mi - (<usize>m << 2)) * lineBytes + xo;
          const p0 = ld(a);
          const q0 = ld(b);
          const p1 = ld(a + 16);
          const q1 = ld(b + 16);
          if (symmetry > 0) {
            a0 = f64x2.add(a0, f64x2.mul(wv, f64x2.add(lo(p0), lo(q0))));
            a1 = f64x2.add(a1, f64x2.mul(wv, f64x2.add(hi(p0), hi(q0))));
            a2 = f64x2.add(a2, f64x2.mul(wv, f64x2.add(lo(p1), lo(q1))));
            a3 = f64x2.add(a3, f64x2.mul(wv, f64x2.add(hi(p1), hi(q1))));
          } else {
            a0 = f64x2.add(a0, f64x2.mul(wv, f64x2.sub(lo(p0), lo(q0))));
            a1 = f64x2.add(a1, f64x2.mul(wv, f64x2.sub(hi(p0), hi(q0))));
            a2 = f64x2.add(a2, f64x2.mul(wv, f64x2.sub(lo(p1), lo(q1))));
            a3 = f64x2.add(a3, f64x2.mul(wv, f64x2.sub(hi(p1), hi(q1))));
          }
        }
        v128.store(out + xo, pack(a0, a1));
        v128.store(out + xo + 16, pack(a2, a3));
      }
      for (; x < len; x++) {
        const xo = <usize>x << 2;
        let acc: f64 = w0 * <f64>load<f32>(center + xo);
        for (let m = 1; m <= radius; m++) {
          const a = <f64>load<f32>(sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo);
          const b = <f64>load<f32>(sBase + <usize>load<i32>(mi - (<usize>m << 2)) * lineBytes + xo);
          acc = acc + load<f64>(t0 + (<usize>m << 3)) * (symmetry > 0 ? a + b : a - b);
        }
        store<f32>(out + xo, <f32>acc);
      }
    }
  }
}

// ---- "Mixed" variants: f64 taps, each product rounded to float, float sums in tap order m = −r … r
// (vigra's integration smoothing of the float structure tensor with a double kernel).

@inline function mulRound(w: v128, v: v128): v128 {
  return pack(f64x2.mul(w, lo(v)), f64x2.mul(w, hi(v)));
}

/** convX in the "mixed" arithmetic; taps are 2r+1 f64. */
export function convXMixed(
  src: usize,
  srcRow: i32,
  srcPlane: i32,
  nz: i32,
  ny: i32,
  dst: usize,
  dnx: i32,
  map: usize,
  taps: usize,
  radius: i32,
  pad: usize,
): void {
  const plen = dnx + 2 * radius;
  const w = 2 * radius + 1;
  let d = dst;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const row = src + (<usize>(z * srcPlane + y * srcRow) << 2);
      gatherLine(row, map, pad, plen);
      let x = 0;
      for (; x + 4 <= dnx; x += 4) {
        const c = pad + (<usize>x << 2);
        let acc = mulRound(f64x2.splat(load<f64>(taps)), ld(c));
        for (let m = 1; m < w; m++) {
          acc = f32x4.add(acc, mulRound(f64x2.splat(load<f64>(taps + (<usize>m << 3))), ld(c + (<usize>m << 2))));
        }
        v128.store(d, acc);
        d += 16;
      }
      for (; x < dnx; x++) {
        const c = pad + (<usize>x << 2);
        let acc = <f32>(load<f64>(taps) * <f64>load<f32>(c));
        for (let m = 1; m < w; m++)
          acc = acc + <f32>(load<f64>(taps + (<usize>m << 3)) * <f64>load<f32>(c + (<usize>m << 2)));
        store<f32>(d, acc);
        d += 4;
      }
    }
  }
}

/** convLines in the "mixed" arithmetic; taps are 2r+1 f64. */
export function convLinesMixed(
  src: usize,
  sn: i32,
  dst: usize,
  dn: i32,
  outer: i32,
  len: i32,
  map: usize,
  taps: usize,
  radius: i32,
): void {
  const w = 2 * radius + 1;
  const lineBytes = <usize>len << 2;
  for (let o = 0; o < outer; o++) {
    const sBase = src + <usize>(o * sn) * lineBytes;
    const dBase = dst + <usize>(o * dn) * lineBytes;
    for (let i = 0; i < dn; i++) {
      const mi = map + (<usize>(i * w) << 2);
      const out = dBase + <usize>i * lineBytes;
      const first = sBase + <usize>load<i32>(mi) * lineBytes;
      const t0 = f64x2.splat(load<f64>(taps));
      let x = 0;
      for (; x + 4 <= len; x += 4) {
        const xo = <usize>x << 2;
        let acc = mulRound(t0, ld(first + xo));
        for (let m = 1; m < w; m++) {
          const l = sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo;
          acc = f32x4.add(acc, mulRound(f64x2.splat(load<f64>(taps + (<usize>m << 3))), ld(l)));
        }
        v128.store(out + xo, acc);
      }
      for (; x < len; x++) {
        const xo = <usize>x << 2;
        let acc = <f32>(load<f64>(taps) * <f64>load<f32>(first + xo));
        for (let m = 1; m < w; m++) {
          const l = sBase + <usize>load<i32>(mi + (<usize>m << 2)) * lineBytes + xo;
          acc = acc + <f32>(load<f64>(taps + (<usize>m << 3)) * <f64>load<f32>(l));
        }
        store<f32>(out + xo, acc);
      }
    }
  }
}

// ---- The 3x3 eigenvalues, four voxels at a time. Same arithmetic as eig3 above (float32 terms in
// f32x4, double terms in f64x2); atan2, cos and sin are double-precision polynomials on the reduced
// ranges this formula needs (θ ∈ [0, π], θ/3 ∈ [0, π/3]), accurate to a few ulps of double, which moves
// no float32 result in practice (checked bit for bit against vigra in the tests).

const PI: f64 = 3.141592653589793;
const PI_2: f64 = 1.5707963267948966;
const PI_4: f64 = 0.7853981633974483;
const PI_8: f64 = 0.39269908169872414;
const TAN_PI_8: f64 = 0.41421356237309503;
const TAN_PI_16: f64 = 0.19891236737965800;

/** atan(v) for |v| ≤ tan(π/16): odd Taylor series to v^25. */
@inline function atanSmall(v: v128): v128 {
  const v2 = f64x2.mul(v, v);
  let p = f64x2.splat(1.0 / 25.0);
  p = f64x2.sub(f64x2.splat(1.0 / 23.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 21.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 19.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 17.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 15.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 13.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 11.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 9.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 7.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 5.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 3.0), f64x2.mul(v2, p));
  p = f64x2.sub(f64x2.splat(1.0), f64x2.mul(v2, p));
  return f64x2.mul(v, p);
}

/** atan(t) for t ∈ [0, 1], reduced twice by atan(t) = a + atan((t − tan a)/(1 + t·tan a)). */
@inline function atan01(t: v128): v128 {
  // a1 = π/4 where t > tan(π/8)
  const m1 = f64x2.gt(t, f64x2.splat(TAN_PI_8));
  const u = v128.bitselect(
    f64x2.div(f64x2.sub(t, f64x2.splat(1.0)), f64x2.add(t, f64x2.splat(1.0))),
    t,
    m1,
  );
  const base1 = v128.and(f64x2.splat(PI_4), m1);
  // a2 = ±π/8 where |u| > tan(π/16)
  const au = f64x2.abs(u);
  const m2 = f64x2.gt(au, f64x2.splat(TAN_PI_16));
  const sgn = v128.and(u, f64x2.splat(-0.0));
  const tp8 = v128.or(f64x2.splat(TAN_PI_8), sgn);
  const w = v128.bitselect(
    f64x2.div(f64x2.sub(u, tp8), f64x2.add(f64x2.splat(1.0), f64x2.mul(u, tp8))),
    u,
    m2,
  );
  const base2 = v128.and(v128.or(f64x2.splat(PI_8), sgn), m2);
  return f64x2.add(f64x2.add(base1, base2), atanSmall(w));
}

/** atan2(y, x) for y ≥ 0. */
@inline function atan2Pos(y: v128, x: v128): v128 {
  const ax = f64x2.abs(x);
  const big = f64x2.max(y, ax);
  const small = f64x2.min(y, ax);
  const zero = f64x2.eq(big, f64x2.splat(0.0));
  const t = v128.andnot(f64x2.div(small, big), zero);
  let a = atan01(t);
  a = v128.bitselect(f64x2.sub(f64x2.splat(PI_2), a), a, f64x2.gt(y, ax));
  return v128.bitselect(f64x2.sub(f64x2.splat(PI), a), a, f64x2.lt(x, f64x2.splat(0.0)));
}

/** cos(φ) for φ ∈ [0, π/3]: Taylor series to φ^22. */
@inline function cosSmall(x2: v128): v128 {
  let p = f64x2.splat(1.0 / 1124000727777607680000.0);
  p = f64x2.sub(f64x2.splat(1.0 / 2432902008176640000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 6402373705728000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 20922789888000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 87178291200.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 479001600.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 3628800.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 40320.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 720.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 24.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 2.0), f64x2.mul(x2, p));
  return f64x2.sub(f64x2.splat(1.0), f64x2.mul(x2, p));
}

/** sin(φ) for φ ∈ [0, π/3]: Taylor series to φ^23. */
@inline function sinSmall(x: v128, x2: v128): v128 {
  let p = f64x2.splat(1.0 / 25852016738884976640000.0);
  p = f64x2.sub(f64x2.splat(1.0 / 51090942171709440000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 121645100408832000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 355687428096000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 1307674368000.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 6227020800.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 39916800.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 362880.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 5040.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 120.0), f64x2.mul(x2, p));
  p = f64x2.sub(f64x2.splat(1.0 / 6.0), f64x2.mul(x2, p));
  return f64x2.mul(x, f64x2.sub(f64x2.splat(1.0), f64x2.mul(x2, p)));
}

/** The double-precision tail of vigra's formula for two voxels: returns r0, r1, r2 (f64x2 each). */
@inline function eig3Tail(c0: v128, c1: v128, c2: v128, out: usize): void {
  const inv3 = f64x2.splat(INV3);
  const c2Div3 = f64x2.mul(c2, inv3);
  let aDiv3 = f64x2.mul(f64x2.sub(c1, f64x2.mul(c2, c2Div3)), inv3);
  aDiv3 = v128.bitselect(f64x2.splat(0.0), aDiv3, f64x2.gt(aDiv3, f64x2.splat(0.0)));
  const mbDiv2 = f64x2.mul(
    f64x2.splat(0.5),
    f64x2.add(c0, f64x2.mul(c2Div3, f64x2.sub(f64x2.mul(f64x2.mul(f64x2.splat(2.0), c2Div3), c2Div3), c1))),
  );
  let q = f64x2.add(f64x2.mul(mbDiv2, mbDiv2), f64x2.mul(f64x2.mul(aDiv3, aDiv3), aDiv3));
  q = v128.bitselect(f64x2.splat(0.0), q, f64x2.gt(q, f64x2.splat(0.0)));
  const magnitude = f64x2.sqrt(f64x2.neg(aDiv3));
  const angle = f64x2.mul(atan2Pos(f64x2.sqrt(f64x2.neg(q)), mbDiv2), inv3);
  const a2 = f64x2.mul(angle, angle);
  const cs = cosSmall(a2);
  const sn = sinSmall(angle, a2);
  const root3 = f64x2.splat(ROOT3);
  v128.store(out, f64x2.add(c2Div3, f64x2.mul(f64x2.mul(f64x2.splat(2.0), magnitude), cs)));
  v128.store(out + 16, f64x2.sub(c2Div3, f64x2.mul(magnitude, f64x2.add(cs, f64x2.mul(root3, sn)))));
  v128.store(out + 32, f64x2.sub(c2Div3, f64x2.mul(magnitude, f64x2.sub(cs, f64x2.mul(root3, sn)))));
}

const SCRATCH: usize = memory.data(128, 16);

/** Eigenvalues of four voxels given as vectors of their tensor entries; writes the first `count`. */
@inline function eig3x4(a00: v128, a01: v128, a02: v128, a11: v128, a12: v128, a22: v128, d: usize, step: usize, count: i32): void {
  // float32 terms, evaluated as C++ evaluates them for T = float
  const t1 = f32x4.mul(f32x4.mul(a00, a11), a22);
  const t3 = f32x4.mul(f32x4.mul(a00, a12), a12);
  const t4 = f32x4.mul(f32x4.mul(a11, a02), a02);
  const t5 = f32x4.mul(f32x4.mul(a22, a01), a01);
  let c1f = f32x4.sub(f32x4.mul(a00, a11), f32x4.mul(a01, a01));
  c1f = f32x4.add(c1f, f32x4.mul(a00, a22));
  c1f = f32x4.sub(c1f, f32x4.mul(a02, a02));
  c1f = f32x4.add(c1f, f32x4.mul(a11, a22));
  c1f = f32x4.sub(c1f, f32x4.mul(a12, a12));
  const c2f = f32x4.add(f32x4.add(a00, a11), a22);
  // c0 in double: ((((t1 + 2·a01·a02·a12) − t3) − t4) − t5)
  const two = f64x2.splat(2.0);
  let c0L = f64x2.add(lo(t1), f64x2.mul(f64x2.mul(f64x2.mul(two, lo(a01)), lo(a02)), lo(a12)));
  c0L = f64x2.sub(f64x2.sub(f64x2.sub(c0L, lo(t3)), lo(t4)), lo(t5));
  let c0H = f64x2.add(hi(t1), f64x2.mul(f64x2.mul(f64x2.mul(two, hi(a01)), hi(a02)), hi(a12)));
  c0H = f64x2.sub(f64x2.sub(f64x2.sub(c0H, hi(t3)), hi(t4)), hi(t5));
  eig3Tail(c0L, lo(c1f), lo(c2f), SCRATCH);
  eig3Tail(c0H, hi(c1f), hi(c2f), SCRATCH + 48);
  let r0 = pack(v128.load(SCRATCH), v128.load(SCRATCH + 48));
  let r1 = pack(v128.load(SCRATCH + 16), v128.load(SCRATCH + 64));
  let r2 = pack(v128.load(SCRATCH + 32), v128.load(SCRATCH + 80));
  // vigra's three conditional swaps
  let m = f32x4.lt(r0, r1);
  let t = v128.bitselect(r1, r0, m);
  r1 = v128.bitselect(r0, r1, m);
  r0 = t;
  m = f32x4.lt(r0, r2);
  t = v128.bitselect(r2, r0, m);
  r2 = v128.bitselect(r0, r2, m);
  r0 = t;
  m = f32x4.lt(r1, r2);
  t = v128.bitselect(r2, r1, m);
  r2 = v128.bitselect(r1, r2, m);
  r1 = t;
  v128.store(SCRATCH, r0);
  v128.store(SCRATCH + 16, r1);
  v128.store(SCRATCH + 32, r2);
  for (let k = 0; k < count; k++) {
    const o = <usize>k << 2;
    const q = d + <usize>k * step;
    store<f32>(q, load<f32>(SCRATCH + o));
    store<f32>(q + 4, load<f32>(SCRATCH + 16 + o));
    store<f32>(q + 8, load<f32>(SCRATCH + 32 + o));
  }
}

@inline function ldPartial(p: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 8));
  return v;
}

/**
 * Eigenvalues of `n` contiguous voxels (sources a00 … a22 at s0 … s5), written interleaved at dst with
 * `step` bytes per voxel. The last partial group is computed in vector lanes too, so a voxel's result
 * does not depend on where a block boundary falls.
 */
function eig3Run(s0: usize, s1: usize, s2: usize, s3: usize, s4: usize, s5: usize, n: i32, dst: usize, step: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    eig3x4(ld(s0 + o), ld(s1 + o), ld(s2 + o), ld(s3 + o), ld(s4 + o), ld(s5 + o), dst + <usize>i * step, step, 4);
  }
  if (i < n) {
    const o = <usize>i << 2;
    const c = n - i;
    eig3x4(
      ldPartial(s0 + o, c), ldPartial(s1 + o, c), ldPartial(s2 + o, c),
      ldPartial(s3 + o, c), ldPartial(s4 + o, c), ldPartial(s5 + o, c),
      dst + <usize>i * step, step, c,
    );
  }
}
