// The filter backend in plain TypeScript over typed arrays: the portable fallback and the cross-check
// for the WebAssembly backend (both implement filters/backend.ts with the same arithmetic order).

import type { CombineKind, FilterBackend, Ptr } from "./backend.js";
import { symmetric2x2Eigenvalues, symmetric3x3Eigenvalues } from "./eigen.js";
import type { Arithmetic } from "./kernels.js";

export class JsBackend implements FilterBackend {
  readonly name = "js" as const;
  readonly heapBase = 16;
  private buffer = new ArrayBuffer(1 << 16);
  private f = new Float32Array(this.buffer);
  private i = new Int32Array(this.buffer);
  private d = new Float64Array(this.buffer);

  memory(): ArrayBuffer {
    return this.buffer;
  }

  ensure(bytes: number): void {
    if (bytes <= this.buffer.byteLength) return;
    // A multiple of 8 bytes, so the Float64Array view over the whole buffer is valid.
    const next = new ArrayBuffer(Math.ceil(Math.max(bytes, this.buffer.byteLength * 1.5) / 8) * 8);
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
    this.f = new Float32Array(next);
    this.i = new Int32Array(next);
    this.d = new Float64Array(next);
  }

  convX(
    src: Ptr,
    srcRow: number,
    srcPlane: number,
    nz: number,
    ny: number,
    dst: Ptr,
    dnx: number,
    map: Ptr,
    taps: Ptr,
    radius: number,
    symmetry: number,
    pad: Ptr,
    arithmetic: Arithmetic,
  ): void {
    const { f, i: iv } = this;
    const m0 = map >> 2;
    const p0 = pad >> 2;
    const plen = dnx + 2 * radius;
    const line = new Float32Array(dnx);
    let d = dst >> 2;
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++) {
        const row = (src >> 2) + z * srcPlane + y * srcRow;
        for (let p = 0; p < plen; p++) f[p0 + p] = f[row + iv[m0 + p]];
        this.correlate(p0, dnx, taps, radius, symmetry, arithmetic, line);
        f.set(line, d);
        d += dnx;
      }
  }

  convLines(
    src: Ptr,
    sn: number,
    dst: Ptr,
    dn: number,
    outer: number,
    len: number,
    map: Ptr,
    taps: Ptr,
    radius: number,
    symmetry: number,
    arithmetic: Arithmetic,
  ): void {
    const { f, i: iv } = this;
    const w = 2 * radius + 1;
    const line = new Float32Array(len);
    const lines = new Int32Array(w);
    for (let o = 0; o < outer; o++) {
      const sBase = (src >> 2) + o * sn * len;
      for (let i = 0; i < dn; i++) {
        for (let j = 0; j < w; j++) lines[j] = sBase + iv[(map >> 2) + i * w + j] * len;
        this.correlateLines(lines, len, taps, radius, symmetry, arithmetic, line);
        f.set(line, (dst >> 2) + (o * dn + i) * len);
      }
    }
  }

  /** out[x] = Σ_m taps[m] · f[base + x + m + r] (a padded line), in the given arithmetic. */
  private correlate(
    base: number,
    n: number,
    taps: Ptr,
    r: number,
    symmetry: number,
    arithmetic: Arithmetic,
    out: Float32Array,
  ): void {
    const f = this.f;
    if (arithmetic === "double") {
      const t = this.d;
      const t0 = (taps >> 3) + r;
      for (let x = 0; x < n; x++) {
        const c = base + x + r;
        let acc = t[t0] * f[c];
        for (let m = 1; m <= r; m++)
          acc += t[t0 + m] * (symmetry > 0 ? f[c + m] + f[c - m] : f[c + m] - f[c - m]);
        out[x] = acc;
      }
    } else {
      // "float": f32 taps; "mixed": f64 taps. Either way each product is rounded to float and summed in float.
      const t = arithmetic === "float" ? f : this.d;
      const t0 = taps >> (arithmetic === "float" ? 2 : 3);
      const w = 2 * r + 1;
      for (let x = 0; x < n; x++) {
        const c = base + x;
        let acc = Math.fround(t[t0] * f[c]);
        for (let m = 1; m < w; m++) acc = Math.fround(acc + Math.fround(t[t0 + m] * f[c + m]));
        out[x] = acc;
      }
    }
  }

  /** out[x] = Σ_m taps[m] · f[lines[m] + x] over lines of `len` floats, in the given arithmetic. */
  private correlateLines(
    lines: Int32Array,
    len: number,
    taps: Ptr,
    r: number,
    symmetry: number,
    arithmetic: Arithmetic,
    out: Float32Array,
  ): void {
    const f = this.f;
    if (arithmetic === "double") {
      const t = this.d;
      const t0 = (taps >> 3) + r;
      const acc = new Float64Array(len);
      for (let x = 0; x < len; x++) acc[x] = t[t0] * f[lines[r] + x];
      for (let m = 1; m <= r; m++) {
        const a = lines[r + m];
        const b = lines[r - m];
        const wm = t[t0 + m];
        for (let x = 0; x < len; x++)
          acc[x] += wm * (symmetry > 0 ? f[a + x] + f[b + x] : f[a + x] - f[b + x]);
      }
      out.set(acc);
    } else {
      const t = arithmetic === "float" ? f : this.d;
      const t0 = taps >> (arithmetic === "float" ? 2 : 3);
      for (let x = 0; x < len; x++) out[x] = Math.fround(t[t0] * f[lines[0] + x]);
      for (let m = 1; m < 2 * r + 1; m++) {
        const a = lines[m];
        const wm = t[t0 + m];
        for (let x = 0; x < len; x++) out[x] = Math.fround(out[x] + Math.fround(wm * f[a + x]));
      }
    }
  }

  mul(a: Ptr, b: Ptr, dst: Ptr, n: number): void {
    const f = this.f;
    const a0 = a >> 2;
    const b0 = b >> 2;
    const d0 = dst >> 2;
    for (let i = 0; i < n; i++) f[d0 + i] = f[a0 + i] * f[b0 + i];
  }

  combine(
    kind: CombineKind,
    sources: readonly Ptr[],
    srcRow: number,
    srcPlane: number,
    nz: number,
    ny: number,
    nx: number,
    dst: Ptr,
    channels: number,
    channel: number,
  ): void {
    const f = this.f;
    const s = sources.map((p) => p >> 2);
    const e3 = new Float64Array(3);
    let o = (dst >> 2) + channel;
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++) {
        const row = z * srcPlane + y * srcRow;
        for (let x = 0; x < nx; x++, o += channels) {
          const q = row + x;
          switch (kind) {
            case "copy":
              f[o] = f[s[0] + q];
              break;
            case "diff":
              f[o] = f[s[0] + q] - f[s[1] + q];
              break;
            case "sum2":
              f[o] = f[s[0] + q] + f[s[1] + q];
              break;
            case "sum3":
              f[o] = Math.fround(f[s[0] + q] + f[s[1] + q]) + f[s[2] + q];
              break;
            case "norm2": {
              const a = f[s[0] + q];
              const b = f[s[1] + q];
              f[o] = Math.sqrt(Math.fround(Math.fround(a * a) + Math.fround(b * b)));
              break;
            }
            case "norm3": {
              const a = f[s[0] + q];
              const b = f[s[1] + q];
              const c = f[s[2] + q];
              f[o] = Math.sqrt(
                Math.fround(Math.fround(Math.fround(a * a) + Math.fround(b * b)) + Math.fround(c * c)),
              );
              break;
            }
            case "eig2":
              symmetric2x2Eigenvalues(f[s[0] + q], f[s[1] + q], f[s[2] + q], e3);
              f[o] = e3[0];
              f[o + 1] = e3[1];
              break;
            case "eig3":
              symmetric3x3Eigenvalues(
                f[s[0] + q],
                f[s[1] + q],
                f[s[2] + q],
                f[s[3] + q],
                f[s[4] + q],
                f[s[5] + q],
                e3,
              );
              f[o] = e3[0];
              f[o + 1] = e3[1];
              f[o + 2] = e3[2];
              break;
          }
        }
      }
  }
}
