// The filter backend contract: a handful of numeric primitives over float32 buffers in one linear
// memory (an arena addressed by byte pointers). Convolutions come in vigra's two arithmetics (see
// kernels.ts): "double" (f64 taps, symmetric pairs summed in double) and "float" (f32 taps, float sums
// taken in tap order m = −r … r). Two implementations exist — plain TypeScript and
// WebAssembly with 128-bit SIMD — and the feature pipeline drives either through this interface.

import type { Arithmetic } from "./kernels.js";

/** A byte offset into the backend's memory. */
export type Ptr = number;

export interface FilterBackend {
  readonly name: "js" | "wasm";
  /** First byte of memory free for the caller's buffers (below it: the backend's own static data). */
  readonly heapBase: number;
  /** The backend's memory; views must be re-created after `ensure` (the buffer may be replaced). */
  memory(): ArrayBuffer;
  /** Makes the memory at least `bytes` long. */
  ensure(bytes: number): void;

  /**
   * Correlation along x (the contiguous axis). For each of nz·ny rows (row r at src + z·srcPlane + y·srcRow
   * floats), builds the padded line pad[p] = row[map[p]], p < dnx + 2·radius, then
   * dst[row][i] = Σ_m taps[m] · pad[i + m]. dst is contiguous (nz, ny, dnx).
   * `arithmetic` says how taps are stored and sums are taken (see above); results are stored as float32.
   */
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
  ): void;

  /**
   * Correlation along an outer axis. src holds `outer` blocks of `sn` lines, dst `outer` blocks of `dn`
   * lines, each line `len` contiguous floats: dst[o][i][:] = Σ_m taps[m] · src[o][map[i·(2r+1) + m]][:].
   * `arithmetic` as for convX.
   */
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
  ): void;

  /** dst[i] = a[i] · b[i], n floats. */
  mul(a: Ptr, b: Ptr, dst: Ptr, n: number): void;

  /**
   * Writes `kind` of the sources over a region (nz, ny, nx) into an interleaved destination with
   * `channels` floats per voxel, starting at channel `channel`. Sources share a layout: element (z,y,x)
   * at src + (z·srcPlane + y·srcRow + x) floats; dst voxel (z,y,x) at dst + ((z·ny + y)·nx + x)·channels.
   *  - "copy":  a                          "diff": a − b
   *  - "sum2":  a + b       "sum3": a + b + c
   *  - "norm2": √(a² + b²)  "norm3": √(a² + b² + c²)
   *  - "eig2":  eigenvalues of [[a, b], [b, c]], descending (2 channels)
   *  - "eig3":  eigenvalues of [[a, b, c], [b, d, e], [c, e, f]], descending (3 channels)
   */
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
  ): void;
}

export const COMBINE_KINDS = ["copy", "diff", "sum2", "sum3", "norm2", "norm3", "eig2", "eig3"] as const;
export type CombineKind = (typeof COMBINE_KINDS)[number];
