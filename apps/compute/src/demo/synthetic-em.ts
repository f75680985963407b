// A synthetic electron-microscopy-like volume for the demo project, generated with our own code (no
// files): cells of a jittered-grid 3D Voronoi tessellation, bright cytoplasm with a per-cell brightness,
// dark membranes ~2–3 px thick along the cell boundaries (a Gaussian dip on the distance to the nearest
// bisecting plane), darker ellipsoidal "mitochondria" with a dark rim inside some cells, a smooth
// intensity variation over the volume, and Gaussian noise. Deterministic for a seed.
//
// With `truth`, also the ground truth per voxel: 1 membrane (within 1.25 px of a boundary),
// 2 cytoplasm, 3 mitochondrion (inside an ellipsoid) — what the tests check a classifier against.

import type { Volume } from "@sylva/core";
import { type Random, seededRandom } from "./random.js";

/** The demo's default size (z, y, x): 7 MiB of uint8. */
export const DEMO_SHAPE: readonly [number, number, number] = [48, 384, 384];
export const DEMO_SEED = 20240607;

/** Ground-truth values. */
export const TRUTH = { membrane: 1, cytoplasm: 2, mitochondrion: 3 } as const;

export interface SyntheticEmOptions {
  /** (z, y, x), default DEMO_SHAPE. */
  readonly shape?: readonly [number, number, number];
  readonly seed?: number;
  /** Spacing of the cell seeds' grid in voxels (default 44: cells ~45 px across). */
  readonly cellSize?: number;
  /** Also return the ground truth. */
  readonly truth?: boolean;
}

export interface SyntheticEm {
  /** uint8, axes "zyx". */
  readonly volume: Volume<Uint8Array>;
  readonly truth?: Uint8Array;
}

interface Blob {
  readonly z: number;
  readonly y: number;
  readonly x: number;
  /** 1 / radius², per axis. */
  readonly iz: number;
  readonly iy: number;
  readonly ix: number;
  readonly rMin: number;
}

/** Membrane darkening: depth and width (px) of the Gaussian dip at a boundary. */
const MEMBRANE_DEPTH = 118;
const MEMBRANE_WIDTH = 1.3;
/** Boundaries farther than this (px) do not darken a voxel. */
const MEMBRANE_REACH = 5;
const MEMBRANE_TRUTH = 1.25;
const CYTOPLASM = 168;
const NOISE = 11;

/** A smooth field over the volume: a few long waves (± ~18 grey levels). */
function smoothField(rnd: Random, Z: number, Y: number, X: number) {
  const waves = Array.from({ length: 4 }, () => ({
    kz: rnd.range(-1, 1) * ((2 * Math.PI) / 160),
    ky: rnd.range(-1, 1) * ((2 * Math.PI) / 300),
    kx: rnd.range(-1, 1) * ((2 * Math.PI) / 300),
    phase: rnd.range(0, 2 * Math.PI),
    amp: rnd.range(4, 7),
  }));
  const plane = new Float32Array(Y * X * waves.length * 2);
  // cos(kz z + ky y + kx x + φ) = cos(a) cos(kz z) − sin(a) sin(kz z) with a = ky y + kx x + φ
  for (let y = 0; y < Y; y++)
    for (let x = 0; x < X; x++)
      for (const [w, wave] of waves.entries()) {
        const a = wave.ky * y + wave.kx * x + wave.phase;
        const i = ((y * X + x) * waves.length + w) * 2;
        plane[i] = wave.amp * Math.cos(a);
        plane[i + 1] = wave.amp * Math.sin(a);
      }
  const cz = Array.from({ length: Z }, (_, z) => waves.map((w) => Math.cos(w.kz * z)));
  const sz = Array.from({ length: Z }, (_, z) => waves.map((w) => Math.sin(w.kz * z)));
  return (z: number, yx: number): number => {
    let v = 0;
    const base = yx * waves.length * 2;
    for (let w = 0; w < waves.length; w++)
      v += plane[base + 2 * w] * cz[z][w] - plane[base + 2 * w + 1] * sz[z][w];
    return v;
  };
}

export function syntheticEm(options: SyntheticEmOptions = {}): SyntheticEm {
  const [Z, Y, X] = options.shape ?? DEMO_SHAPE;
  const G = options.cellSize ?? 44;
  const rnd = seededRandom(options.seed ?? DEMO_SEED);
  const gz = Math.ceil(Z / G);
  const gy = Math.ceil(Y / G);
  const gx = Math.ceil(X / G);
  const n = gz * gy * gx;

  // One seed per grid cell, anywhere in it; a brightness per cell.
  const seeds = new Float64Array(3 * n);
  const brightness = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const iz = Math.floor(i / (gy * gx));
    const iy = Math.floor(i / gx) % gy;
    const ix = i % gx;
    seeds[3 * i] = (iz + rnd.range(0.15, 0.85)) * G;
    seeds[3 * i + 1] = (iy + rnd.range(0.15, 0.85)) * G;
    seeds[3 * i + 2] = (ix + rnd.range(0.15, 0.85)) * G;
    brightness[i] = rnd.normal() * 9;
  }

  // Candidate seeds of each grid cell: its own and its 26 neighbours'.
  const candidates: Int32Array[] = [];
  for (let iz = 0; iz < gz; iz++)
    for (let iy = 0; iy < gy; iy++)
      for (let ix = 0; ix < gx; ix++) {
        const list: number[] = [];
        for (let dz = -1; dz <= 1; dz++)
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const z = iz + dz;
              const y = iy + dy;
              const x = ix + dx;
              if (z >= 0 && y >= 0 && x >= 0 && z < gz && y < gy && x < gx) list.push((z * gy + y) * gx + x);
            }
        candidates.push(Int32Array.from(list));
      }

  // Nearest seed and distance to the nearest boundary (bisecting plane) of a point, into `found`.
  const d2 = new Float64Array(27);
  const found = { cell: 0, boundary: 0 };
  const locate = (z: number, y: number, x: number): typeof found => {
    const at = (v: number, count: number) => Math.max(0, Math.min(count - 1, Math.floor(v / G)));
    const list = candidates[(at(z, gz) * gy + at(y, gy)) * gx + at(x, gx)];
    let a = -1;
    let da = Infinity;
    for (let k = 0; k < list.length; k++) {
      const s = 3 * list[k];
      const ez = z - seeds[s];
      const ey = y - seeds[s + 1];
      const ex = x - seeds[s + 2];
      d2[k] = ez * ez + ey * ey + ex * ex;
      if (d2[k] < da) {
        da = d2[k];
        a = k;
      }
    }
    const sa = 3 * list[a];
    let boundary = Infinity;
    for (let k = 0; k < list.length; k++) {
      if (k === a) continue;
      const gap = d2[k] - da;
      // The distance to the bisector is gap / (2 |a − b|) and |a − b| ≤ 4 G: skip far ones cheaply.
      if (gap > 8 * G * MEMBRANE_REACH) continue;
      const s = 3 * list[k];
      const dz = seeds[s] - seeds[sa];
      const dy = seeds[s + 1] - seeds[sa + 1];
      const dx = seeds[s + 2] - seeds[sa + 2];
      const d = gap / (2 * Math.sqrt(dz * dz + dy * dy + dx * dx));
      if (d < boundary) boundary = d;
    }
    found.cell = list[a];
    found.boundary = boundary;
    return found;
  };

  // Mitochondria: in about 60% of the cells, one to three ellipsoids well inside the cell.
  const blobs: Blob[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    if (rnd.next() > 0.6) continue;
    const count = 1 + Math.floor(rnd.next() * 3);
    for (let tries = 0; tries < 12 && blobs[i].length < count; tries++) {
      const r = [rnd.range(5, 8), rnd.range(5, 12), rnd.range(5, 12)];
      const c = [0, 1, 2].map((k) => seeds[3 * i + k] + rnd.range(-12, 12));
      const at = locate(c[0], c[1], c[2]);
      if (at.cell !== i || at.boundary < Math.max(...r) + 2) continue;
      const m = Math.max(...r) * 2 + 2;
      if (blobs[i].some((o) => Math.hypot(o.z - c[0], o.y - c[1], o.x - c[2]) < m)) continue;
      blobs[i].push({
        z: c[0],
        y: c[1],
        x: c[2],
        iz: 1 / (r[0] * r[0]),
        iy: 1 / (r[1] * r[1]),
        ix: 1 / (r[2] * r[2]),
        rMin: Math.min(...r),
      });
    }
  }

  const field = smoothField(rnd, Z, Y, X);
  const data = new Uint8Array(Z * Y * X);
  const truth = options.truth ? new Uint8Array(Z * Y * X) : undefined;
  const membrane = (d: number) => MEMBRANE_DEPTH * Math.exp(-((d / MEMBRANE_WIDTH) ** 2));
  let i = 0;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++, i++) {
        const { cell, boundary } = locate(z, y, x);
        let v = CYTOPLASM + brightness[cell] + field(z, y * X + x);
        let label: number = boundary < MEMBRANE_TRUTH ? TRUTH.membrane : TRUTH.cytoplasm;
        if (boundary < MEMBRANE_REACH) v -= membrane(boundary);
        for (const m of blobs[cell]) {
          const ez = z - m.z;
          const ey = y - m.y;
          const ex = x - m.x;
          const q = Math.sqrt(ez * ez * m.iz + ey * ey * m.iy + ex * ex * m.ix);
          if (q > 1.6) continue;
          // Darker inside, a dark rim ~2 px wide at the surface.
          const rim = (q - 1) * m.rMin;
          if (q <= 1) {
            v -= 52;
            label = TRUTH.mitochondrion;
          }
          v -= 45 * Math.exp(-((rim / 1.1) ** 2));
        }
        v += rnd.normal() * NOISE;
        data[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
        if (truth) truth[i] = label;
      }
  return { volume: { data, shape: [Z, Y, X], axes: "zyx" }, ...(truth ? { truth } : {}) };
}
