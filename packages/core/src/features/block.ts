// Computes every planned feature channel for one block of a volume, exactly as ilastik computes them on
// the whole image. Each scale group is a chain of separable 1-D passes — pre-smoothing, then Gaussian
// derivative passes, then (for the structure tensor) integration smoothing — and each pass reflects at
// the true image border only; elsewhere it reads the halo. A block's numbers therefore equal the
// whole-image numbers whatever the block shape, and memory is bounded by the block plus its halo.

import type { Box, Shape3 } from "../array/box.js";
import { boxShape, boxVolume, dilateBox } from "../array/box.js";
import type { TypedArray } from "../array/dtype.js";
import type { Volume5 } from "../array/volume.js";
import { Arena } from "../filters/arena.js";
import type { CombineKind, FilterBackend, Ptr } from "../filters/backend.js";
import type { Kernel1D } from "../filters/kernels.js";
import { gaussianKernel, gaussianKernelFloat } from "../filters/kernels.js";
import { DOG_RATIO, FEATURE_WINDOW, PRESMOOTH_WINDOW, STRUCTURE_OUTER_RATIO } from "./definitions.js";
import type { FeaturePlan, ScaleGroup } from "./plan.js";

/** A block of the output: time point `t` and a spatial box. */
export interface BlockSpec {
  readonly t: number;
  readonly box: Box;
}

/**
 * Per-axis kernels of a separable filter along (z, y, x): derivative orders 0, 1, 2 of vigra's float
 * derivative filters, or "s" / "d" for the double-precision Gaussians of GS and DoG (σ' and 0.66 σ').
 */
type Order = 0 | 1 | 2 | "s" | "d";
type Orders = readonly [Order, Order, Order];

interface GroupKernels {
  presmooth: Kernel1D;
  smooth: Kernel1D;
  dog: Kernel1D;
  derivative: readonly [Kernel1D, Kernel1D, Kernel1D];
  outer: Kernel1D | null;
}

/** Mirror index at the image border without repeating the edge pixel (vigra's BORDER_TREATMENT_REFLECT). */
export function reflectIndex(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * n - 2 - i;
  return i;
}

/**
 * Holds a backend, its arena and per-group kernels; computes blocks of one plan. Not thread-safe: give
 * each worker its own.
 */
export class BlockComputer {
  private readonly arena: Arena;
  private readonly kernels = new Map<ScaleGroup, GroupKernels>();

  constructor(
    readonly backend: FilterBackend,
    readonly plan: FeaturePlan,
  ) {
    this.arena = new Arena(backend);
    for (const g of plan.groups) {
      const s = g.featureSigma;
      const hasSte = g.channels.STE !== undefined;
      this.kernels.set(g, {
        presmooth: gaussianKernel(g.presmoothSigma, 0, PRESMOOTH_WINDOW),
        smooth: gaussianKernel(s, 0, FEATURE_WINDOW),
        dog: gaussianKernel(DOG_RATIO * s, 0, FEATURE_WINDOW),
        derivative: [
          gaussianKernelFloat(s, 0, FEATURE_WINDOW),
          gaussianKernelFloat(s, 1, FEATURE_WINDOW),
          gaussianKernelFloat(s, 2, FEATURE_WINDOW),
        ],
        outer: hasSte ? gaussianKernel(STRUCTURE_OUTER_RATIO * s, 0, FEATURE_WINDOW, "mixed") : null,
      });
    }
  }

  /**
   * Computes all channels of `block`. Returns a view (valid until the next call) of the block's features,
   * shape (bz, by, bx, C), channels last.
   */
  compute(input: Volume5<TypedArray>, block: BlockSpec): Float32Array {
    const { plan, arena } = this;
    const [, Z, Y, X, Cin] = plan.shape;
    const grid: Shape3 = [Z, Y, X];
    const B = block.box;
    const C = plan.channelCount;
    arena.reset();
    const outPtr = arena.alloc(boxVolume(B) * C);
    const rawBox = dilateBox(B, plan.halo, grid);
    const rawPtr = arena.alloc(boxVolume(rawBox));
    for (let c = 0; c < Cin; c++) {
      this.loadChannel(input, block.t, c, rawBox, rawPtr);
      for (const g of plan.groups) {
        const mark = arena.mark();
        this.computeGroup(g, c, rawPtr, rawBox, B, grid, outPtr);
        arena.release(mark);
      }
    }
    return arena.f32(outPtr, boxVolume(B) * C);
  }

  /** Converts channel c of time t over `box` to float32 at `dst`. */
  private loadChannel(input: Volume5<TypedArray>, t: number, c: number, box: Box, dst: Ptr): void {
    const [, Z, Y, X, Cin] = input.shape;
    const out = this.arena.f32(dst, boxVolume(box));
    const src = input.data;
    let o = 0;
    const nx = box.x1 - box.x0;
    for (let z = box.z0; z < box.z1; z++)
      for (let y = box.y0; y < box.y1; y++) {
        const row = (((t * Z + z) * Y + y) * X + box.x0) * Cin + c;
        if (Cin === 1) {
          for (let x = 0; x < nx; x++) out[o++] = src[row + x];
        } else {
          for (let x = 0; x < nx; x++) out[o++] = src[row + x * Cin];
        }
      }
  }

  private computeGroup(
    g: ScaleGroup,
    c: number,
    rawPtr: Ptr,
    rawBox: Box,
    B: Box,
    grid: Shape3,
    outPtr: Ptr,
  ): void {
    const k = this.kernels.get(g)!;
    const threeD = !g.in2d;
    const radius = (r: number): Shape3 => [threeD ? r : 0, r, r];
    const D = dilateBox(B, radius(g.radii.outer), grid);
    const P = dilateBox(D, radius(g.radii.feature), grid);
    const R = dilateBox(P, radius(g.radii.presmooth), grid);

    // Pre-smoothing: raw (R) → P.
    const rawRow = rawBox.x1 - rawBox.x0;
    const rawPlane = (rawBox.y1 - rawBox.y0) * rawRow;
    const rawStart = rawPtr + 4 * ((R.z0 - rawBox.z0) * rawPlane + (R.y0 - rawBox.y0) * rawRow);
    let cur = this.passX(rawStart, rawRow, rawPlane, R, rawBox.x0, P.x0, P.x1, grid[2], k.presmooth);
    let box: Box = { ...R, x0: P.x0, x1: P.x1 };
    cur = this.passY(cur, box, P.y0, P.y1, grid[1], k.presmooth);
    box = { ...box, y0: P.y0, y1: P.y1 };
    if (threeD) {
      cur = this.passZ(cur, box, P.z0, P.z1, grid[0], k.presmooth);
      box = { ...box, z0: P.z0, z1: P.z1 };
    }
    const smoothed = cur;

    // Gaussian derivatives of the pre-smoothed image over D, shared between features.
    const cache = new Map<string, Ptr>();
    const kernelFor = (o: Order): Kernel1D => (o === "s" ? k.smooth : o === "d" ? k.dog : k.derivative[o]);
    const derivative = (orders: Orders): Ptr => {
      const [oz, oy, ox] = orders;
      const keyX = `${ox}`;
      let px = cache.get(keyX);
      if (px === undefined) {
        px = this.passX(
          smoothed,
          P.x1 - P.x0,
          (P.y1 - P.y0) * (P.x1 - P.x0),
          P,
          P.x0,
          D.x0,
          D.x1,
          grid[2],
          kernelFor(ox),
        );
        cache.set(keyX, px);
      }
      const keyY = `${oy}${ox}`;
      let py = cache.get(keyY);
      if (py === undefined) {
        py = this.passY(px, { ...P, x0: D.x0, x1: D.x1 }, D.y0, D.y1, grid[1], kernelFor(oy));
        cache.set(keyY, py);
      }
      if (!threeD) return py;
      const keyZ = `${oz}${oy}${ox}`;
      let pz = cache.get(keyZ);
      if (pz === undefined) {
        pz = this.passZ(py, { ...D, z0: P.z0, z1: P.z1 }, D.z0, D.z1, grid[0], kernelFor(oz));
        cache.set(keyZ, pz);
      }
      return pz;
    };

    const [dz, dy, dx] = boxShape(D);
    const [bz, by, bx] = boxShape(B);
    const inD = 4 * ((B.z0 - D.z0) * dy * dx + (B.y0 - D.y0) * dx + (B.x0 - D.x0));
    const C = this.plan.channelCount;
    const emit = (kind: CombineKind, sources: Ptr[], feature: keyof ScaleGroup["channels"], sub: number) => {
      const ch = g.channels[feature]! + c * sub;
      this.backend.combine(
        kind,
        sources.map((p) => p + inD),
        dx,
        dy * dx,
        bz,
        by,
        bx,
        outPtr,
        C,
        ch,
      );
    };
    const o3 = (z: Order, y: Order, x: Order): Ptr => derivative([z, y, x]);

    // Sums and tensors list axes in vigra's order (x, y, z): float rounding depends on it.
    if (g.channels.GS !== undefined) emit("copy", [o3("s", "s", "s")], "GS", 1);
    if (g.channels.DoG !== undefined) emit("diff", [o3("s", "s", "s"), o3("d", "d", "d")], "DoG", 1);
    if (g.channels.LoG !== undefined)
      emit(
        threeD ? "sum3" : "sum2",
        threeD ? [o3(0, 0, 2), o3(0, 2, 0), o3(2, 0, 0)] : [o3(0, 0, 2), o3(0, 2, 0)],
        "LoG",
        1,
      );
    // vigra's squared gradient norm sums from the last axis: (z² + y²) + x².
    if (g.channels.GGM !== undefined)
      emit(
        threeD ? "norm3" : "norm2",
        threeD ? [o3(1, 0, 0), o3(0, 1, 0), o3(0, 0, 1)] : [o3(0, 1, 0), o3(0, 0, 1)],
        "GGM",
        1,
      );
    if (g.channels.HoGE !== undefined) {
      if (threeD)
        emit(
          "eig3",
          [o3(0, 0, 2), o3(0, 1, 1), o3(1, 0, 1), o3(0, 2, 0), o3(1, 1, 0), o3(2, 0, 0)],
          "HoGE",
          3,
        );
      else emit("eig2", [o3(0, 0, 2), o3(0, 1, 1), o3(0, 2, 0)], "HoGE", 2);
    }
    if (g.channels.STE !== undefined) {
      // Structure tensor: products of the gradient over D, smoothed at the outer scale down to B.
      const grad = threeD ? [o3(0, 0, 1), o3(0, 1, 0), o3(1, 0, 0)] : [o3(0, 0, 1), o3(0, 1, 0)];
      const n = dz * dy * dx;
      const pairs = threeD
        ? [
            [0, 0],
            [0, 1],
            [0, 2],
            [1, 1],
            [1, 2],
            [2, 2],
          ]
        : [
            [0, 0],
            [0, 1],
            [1, 1],
          ];
      const outer = k.outer!;
      const smoothedProducts = pairs.map(([i, j]) => {
        const prod = this.arena.alloc(n);
        this.backend.mul(grad[i], grad[j], prod, n);
        let p = this.passX(prod, dx, dy * dx, D, D.x0, B.x0, B.x1, grid[2], outer);
        p = this.passY(p, { ...D, x0: B.x0, x1: B.x1 }, B.y0, B.y1, grid[1], outer);
        if (threeD)
          p = this.passZ(p, { ...D, x0: B.x0, x1: B.x1, y0: B.y0, y1: B.y1 }, B.z0, B.z1, grid[0], outer);
        return p;
      });
      const ch = g.channels.STE + c * (threeD ? 3 : 2);
      this.backend.combine(
        threeD ? "eig3" : "eig2",
        smoothedProducts,
        bx,
        by * bx,
        bz,
        by,
        bx,
        outPtr,
        C,
        ch,
      );
    }
  }

  /**
   * Pass along x. `src` points at the first row of box `box` (rows `srcRow` floats apart, planes
   * `srcPlane` apart) whose x = 0 is global `srcX0`; returns a contiguous (box.z, box.y, [x0, x1)) buffer.
   */
  private passX(
    src: Ptr,
    srcRow: number,
    srcPlane: number,
    box: Box,
    srcX0: number,
    x0: number,
    x1: number,
    n: number,
    kernel: Kernel1D,
  ): Ptr {
    const r = kernel.radius;
    const dn = x1 - x0;
    const map = this.arena.alloc(dn + 2 * r);
    const m = this.arena.i32(map, dn + 2 * r);
    for (let p = 0; p < dn + 2 * r; p++) m[p] = reflectIndex(x0 - r + p, n) - srcX0;
    const taps = this.taps(kernel);
    const pad = this.arena.alloc(dn + 2 * r + 16);
    const nz = box.z1 - box.z0;
    const ny = box.y1 - box.y0;
    const dst = this.arena.alloc(nz * ny * dn);
    this.backend.convX(
      src,
      srcRow,
      srcPlane,
      nz,
      ny,
      dst,
      dn,
      map,
      taps,
      r,
      kernel.symmetry,
      pad,
      kernel.arithmetic,
    );
    return dst;
  }

  /** Pass along y over contiguous `src` of `box`; returns (box.z, [y0, y1), box.x). */
  private passY(src: Ptr, box: Box, y0: number, y1: number, n: number, kernel: Kernel1D): Ptr {
    const nz = box.z1 - box.z0;
    const nx = box.x1 - box.x0;
    return this.passLines(src, box.y0, box.y1, y0, y1, n, nz, nx, kernel);
  }

  /** Pass along z over contiguous `src` of `box`; returns ([z0, z1), box.y, box.x). */
  private passZ(src: Ptr, box: Box, z0: number, z1: number, n: number, kernel: Kernel1D): Ptr {
    const len = (box.y1 - box.y0) * (box.x1 - box.x0);
    return this.passLines(src, box.z0, box.z1, z0, z1, n, 1, len, kernel);
  }

  private taps(kernel: Kernel1D): Ptr {
    return kernel.arithmetic === "float"
      ? this.arena.allocF32(kernel.taps)
      : this.arena.allocF64(kernel.taps);
  }

  private passLines(
    src: Ptr,
    s0: number,
    s1: number,
    d0: number,
    d1: number,
    n: number,
    outer: number,
    len: number,
    kernel: Kernel1D,
  ): Ptr {
    const r = kernel.radius;
    const w = 2 * r + 1;
    const dn = d1 - d0;
    const map = this.arena.alloc(dn * w);
    const m = this.arena.i32(map, dn * w);
    for (let i = 0; i < dn; i++)
      for (let j = -r; j <= r; j++) {
        const s = reflectIndex(d0 + i + j, n);
        if (s < s0 || s >= s1) throw new Error(`internal: line ${s} outside source [${s0}, ${s1})`);
        m[i * w + j + r] = s - s0;
      }
    const taps = this.taps(kernel);
    const dst = this.arena.alloc(outer * dn * len);
    this.backend.convLines(
      src,
      s1 - s0,
      dst,
      dn,
      outer,
      len,
      map,
      taps,
      r,
      kernel.symmetry,
      kernel.arithmetic,
    );
    return dst;
  }
}
