// The filter backend in plain TypeScript over typed arrays: the portable fallback and the cross-check
// for the WebAssembly backend (both implement filters/backend.ts with the same arithmetic order).

import type { CombineKind, FilterBackend, Ptr } from "./backend.js";
import { symmetric2x2Eigenvalues, symmetric3x3Eigenvalues } from "./eigen.js";

export class JsBackend implements FilterBackend {
  readonly name = "js" as const;
  private buffer = new ArrayBuffer(1 << 16);
  private f = new Float32Array(this.buffer);
  private i = new Int32Array(this.buffer);

  memory(): ArrayBuffer {
    return this.buffer;
  }

  ensure(bytes: number): void {
    if (bytes <= this.buffer.byteLength) return;
    const next = new ArrayBuffer(Math.max(bytes, Math.ceil(this.buffer.byteLength * 1.5)));
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
    this.f = new Float32Array(next);
    this.i = new Int32Array(next);
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
  ): void {
    const { f, i: iv } = this;
    const s0 = src >> 2;
    const m0 = map >> 2;
    const t0 = (taps >> 2) + radius;
    const p0 = pad >> 2;
    const plen = dnx + 2 * radius;
    let d = dst >> 2;
    for (let z = 0; z < nz; z++)
      for (let y = 0; y < ny; y++) {
        const row = s0 + z * srcPlane + y * srcRow;
        for (let p = 0; p < plen; p++) f[p0 + p] = f[row + iv[m0 + p]];
        for (let x = 0; x < dnx; x++) {
          const c = p0 + x + radius;
          let acc = Math.fround(f[t0] * f[c]);
          for (let m = 1; m <= radius; m++) {
            const pair = symmetry > 0 ? Math.fround(f[c + m] + f[c - m]) : Math.fround(f[c + m] - f[c - m]);
            acc = Math.fround(acc + Math.fround(f[t0 + m] * pair));
          }
          f[d++] = acc;
        }
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
  ): void {
    const { f, i: iv } = this;
    const w = 2 * radius + 1;
    const t0 = (taps >> 2) + radius;
    for (let o = 0; o < outer; o++) {
      const sBase = (src >> 2) + o * sn * len;
      const dBase = (dst >> 2) + o * dn * len;
      for (let i = 0; i < dn; i++) {
        const mi = (map >> 2) + i * w + radius;
        const out = dBase + i * len;
        const center = sBase + iv[mi] * len;
        const w0 = f[t0];
        for (let x = 0; x < len; x++) f[out + x] = Math.fround(w0 * f[center + x]);
        for (let m = 1; m <= radius; m++) {
          const a = sBase + iv[mi + m] * len;
          const b = sBase + iv[mi - m] * len;
          const wm = f[t0 + m];
          if (symmetry > 0)
            for (let x = 0; x < len; x++)
              f[out + x] = Math.fround(f[out + x] + Math.fround(wm * Math.fround(f[a + x] + f[b + x])));
          else
            for (let x = 0; x < len; x++)
              f[out + x] = Math.fround(f[out + x] + Math.fround(wm * Math.fround(f[a + x] - f[b + x])));
        }
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
              f[o] = Math.sqrt(Math.fround(Math.fround(Math.fround(a * a) + Math.fround(b * b)) + Math.fround(c * c)));
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
