// Benchmark inputs and helpers shared by the feature benchmarks: the repository and shared folders, the
// ISBI slice mirrored to 1024 × 1024, a deterministic synthetic 128³ volume, and timing helpers.

import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { Volume5 } from "@sylva/core";
import { decodePng } from "@sylva/core";

/** The repository root: the nearest folder above this file holding turbo.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "turbo.json"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no turbo.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The shared folder beside the repository (data sets, the reference script). */
export function sharedDir(): string {
  return path.resolve(repoRoot(), "../shared");
}

/**
 * A 2D grayscale PNG tiled with its mirror images to `size` × `size` (ilastik-style reflection, edge
 * pixel not repeated), as (t, z, y, x, c) = (1, 1, size, size, 1) uint8.
 */
export function mirroredSlice(file: string, size: number): Volume5<Uint8Array> {
  const img = decodePng(readFileSync(file), file);
  const [h, w] = img.shape;
  const channels = img.axes === "yxc" ? img.shape[2] : 1;
  if (!(img.data instanceof Uint8Array) || channels !== 1)
    throw new Error(`${file}: expected an 8-bit grayscale PNG, got axes "${img.axes}"`);
  const reflect = (i: number, n: number): number => {
    const p = 2 * n - 2;
    const m = i % p;
    return m < n ? m : p - m;
  };
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    const sy = reflect(y, h) * w;
    for (let x = 0; x < size; x++) out[y * size + x] = img.data[sy + reflect(x, w)];
  }
  return { data: out, shape: [1, 1, size, size, 1], axes: "tzyxc" };
}

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A deterministic synthetic n³ uint8 volume: a sum of Gaussian blobs (cell-like, radii 3–12 voxels,
 * bright and dark) on a gradient, plus uniform noise, scaled to 0–255.
 */
export function syntheticVolume(n: number, seed = 1): Volume5<Uint8Array> {
  const rnd = random(seed);
  const v = new Float32Array(n * n * n);
  for (let z = 0; z < n; z++)
    for (let y = 0; y < n; y++)
      for (let x = 0; x < n; x++) v[(z * n + y) * n + x] = (0.3 * (x + y + z)) / (3 * n);
  const blobs = Math.round((60 * n * n * n) / 128 ** 3);
  for (let b = 0; b < blobs; b++) {
    const cz = rnd() * n;
    const cy = rnd() * n;
    const cx = rnd() * n;
    const r = 3 + rnd() * 9;
    const amp = rnd() < 0.75 ? 0.5 + rnd() * 0.5 : -(0.2 + rnd() * 0.3);
    const e = Math.ceil(3 * r);
    const k = -1 / (2 * r * r);
    for (let z = Math.max(0, Math.floor(cz - e)); z < Math.min(n, Math.ceil(cz + e)); z++)
      for (let y = Math.max(0, Math.floor(cy - e)); y < Math.min(n, Math.ceil(cy + e)); y++)
        for (let x = Math.max(0, Math.floor(cx - e)); x < Math.min(n, Math.ceil(cx + e)); x++) {
          const d2 = (z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2;
          v[(z * n + y) * n + x] += amp * Math.exp(k * d2);
        }
  }
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < v.length; i++) {
    v[i] += 0.15 * (rnd() - 0.5);
    lo = Math.min(lo, v[i]);
    hi = Math.max(hi, v[i]);
  }
  const out = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.round((255 * (v[i] - lo)) / (hi - lo));
  return { data: out, shape: [1, n, n, n, 1], axes: "tzyxc" };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Runs `f` and returns its result and wall time in seconds. */
export async function timed<R>(f: () => R | Promise<R>): Promise<{ result: R; seconds: number }> {
  const t0 = performance.now();
  const result = await f();
  return { result, seconds: (performance.now() - t0) / 1000 };
}

/**
 * A full garbage collection, so that each timed run starts with the previous runs' buffers (hundreds of
 * MB of SharedArrayBuffers) freed: on this virtual machine, memory the guest has not touched before is
 * several times slower to fault in, and timings drift upward as the heap grows otherwise.
 */
export const collectGarbage: () => void = (() => {
  // The flag is left on: V8 flags are process-wide, and switching it back off here would race with
  // another thread doing the same (the pool's workers and a benchmark's main thread all do this).
  setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
  return typeof gc === "function" ? (gc as () => void) : () => {};
})();
