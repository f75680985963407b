// The ONNX export of a forest (exportForestOnnx, @sylva/core) run by onnxruntime-node against the forest's
// own prediction (the sum over trees of the reached leaves' class weights, normalized per sample): the
// probabilities within 1e-6 and the same argmax label. Forests built by hand (splits on thresholds that
// are and are not float32 values, features sitting on and next to them, unnormalized and all-zero leaves, a
// single-leaf tree, extreme thresholds, NaN and ±∞ features), a random 49-feature 100-tree forest, and a
// forest trained by trainForest. Timing on 1 Mpx × 49 features × 100 trees: SYLVA_ONNX_TIMING=1.

import type { Forest, Tree } from "@sylva/core";
import { ceilFloat32, exportForestOnnx, trainForest } from "@sylva/core";
import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";

// ---- the reference: model.ts's prediction, summed in double ----

/** The leaf node a sample reaches in a tree (x: the sample's features at offset o). */
function reach(t: Tree, x: Float32Array, o: number): number {
  let i = 0;
  while (t.feature[i] >= 0) i = x[o + t.feature[i]] < t.threshold[i] ? t.left[i] : t.right[i];
  return i;
}

interface Prediction {
  /** n × classCount. */
  readonly p: Float64Array;
  /** Argmax + 1 (first maximum). */
  readonly label: Int32Array;
  /** Per sample: the two largest probabilities' difference (how near the argmax is to a tie). */
  readonly margin: Float64Array;
}

function predictReference(forest: Forest, x: Float32Array): Prediction {
  const { featureCount: F, classCount: C } = forest;
  const n = x.length / F;
  const p = new Float64Array(n * C);
  const label = new Int32Array(n);
  const margin = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const row = p.subarray(s * C, (s + 1) * C);
    for (const t of forest.trees) {
      const l = t.leaf[reach(t, x, s * F)] * C;
      for (let k = 0; k < C; k++) row[k] += t.leafValues[l + k];
    }
    let sum = 0;
    for (let k = 0; k < C; k++) sum += row[k];
    let best = 0;
    for (let k = 0; k < C; k++) {
      row[k] /= sum;
      if (row[k] > row[best]) best = k;
    }
    let second = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < C; k++) if (k !== best && row[k] > second) second = row[k];
    label[s] = best + 1;
    margin[s] = row[best] - second;
  }
  return { p, label, margin };
}

// ---- onnxruntime ----

async function runOnnx(model: Uint8Array, x: Float32Array, F: number, threads = 1) {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  try {
    const n = x.length / F;
    const out = await session.run({ features: new ort.Tensor("float32", x, [n, F]) });
    const p = out.probabilities;
    const label = out.label;
    return {
      p: p.data as Float32Array,
      pDims: p.dims,
      label: label.data as BigInt64Array,
      labelDims: label.dims,
    };
  } finally {
    await session.release();
  }
}

interface Comparison {
  readonly maxDiff: number;
  /** Samples whose labels differ: [sample, reference label, onnx label, reference margin]. */
  readonly labelMismatches: [number, number, number, number][];
}

function compare(ref: Prediction, onnx: { p: Float32Array; label: BigInt64Array }): Comparison {
  expect(onnx.p.length).toBe(ref.p.length);
  expect(onnx.label.length).toBe(ref.label.length);
  let maxDiff = 0;
  for (let i = 0; i < ref.p.length; i++) {
    const d = Math.abs(onnx.p[i] - ref.p[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  const labelMismatches: [number, number, number, number][] = [];
  for (let s = 0; s < ref.label.length; s++)
    if (Number(onnx.label[s]) !== ref.label[s])
      labelMismatches.push([s, ref.label[s], Number(onnx.label[s]), ref.margin[s]]);
  return { maxDiff, labelMismatches };
}

// ---- forests ----

/** A tree described as nested splits [feature, threshold, left, right] and leaves (class weight arrays). */
type Desc = number[] | { f: number; t: number; l: Desc; r: Desc };

function buildTree(desc: Desc, classCount: number): Tree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const leaf: number[] = [];
  const leafValues: number[] = [];
  const visit = (d: Desc): number => {
    const i = feature.length;
    feature.push(-1);
    threshold.push(0);
    left.push(-1);
    right.push(-1);
    leaf.push(-1);
    if (Array.isArray(d)) {
      if (d.length !== classCount) throw new Error("leaf size");
      leaf[i] = leafValues.length / classCount;
      leafValues.push(...d);
    } else {
      feature[i] = d.f;
      threshold[i] = d.t;
      left[i] = visit(d.l);
      right[i] = visit(d.r);
    }
    return i;
  };
  visit(desc);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    leaf: Int32Array.from(leaf),
    leafValues: Float32Array.from(leafValues),
  };
}

const FLT_MAX = 3.4028234663852886e38;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The next float32 after a finite float32 f, towards +∞ (up) or −∞. */
function nextFloat32(f: number, up: boolean): number {
  if (f === 0) return up ? 2 ** -149 : -(2 ** -149);
  f32[0] = f;
  u32[0] += f > 0 === up ? 1 : -1;
  return f32[0];
}

/** Deterministic uniform numbers in [0, 1) (an LCG; 32 bits). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Thresholds: 0.7 and −0.3 round down to float32 (so rounding to nearest would move decisions),
// 0.1 rounds up, Math.fround(0.7) is a float32, 1e-50 is below the smallest subnormal, ±1e300 beyond
// FLT_MAX. Leaves are unnormalized; one leaf is all zero; tree 1 is a single leaf.
const T_07 = 0.7;
const T_M03 = -0.3;
const T_TINY = 1e-50;
const HAND: Forest = {
  featureCount: 3,
  classCount: 4,
  trees: [
    {
      f: 0,
      t: T_07,
      l: { f: 1, t: T_TINY, l: [2, 0, 1, 0], r: [0, 0, 0, 0] },
      r: { f: 2, t: T_M03, l: [0, 5, 0, 0], r: [0.25, 0, 0, 3] },
    },
    [1, 1, 1, 1],
    { f: 0, t: Math.fround(T_07), l: [0, 0, 7, 0], r: { f: 1, t: 0.1, l: [1, 2, 3, 4], r: [0, 0, 0, 0.5] } },
    { f: 2, t: 1e300, l: [0, 1, 0, 0], r: [0, 0, 0, 9] },
    { f: 1, t: -1e300, l: [100, 0, 0, 0], r: [0, 0, 1, 0] },
    { f: 2, t: T_07, l: { f: 0, t: T_M03, l: [0, 0.125, 0, 0], r: [0, 0, 0.375, 0] }, r: [0.5, 0, 0, 0] },
  ].map((d) => buildTree(d as Desc, 4)),
};

/** Values of a feature on and around each threshold t: fround(t), its neighbours, ceilFloat32(t) and below. */
function around(ts: number[]): number[] {
  const out: number[] = [];
  for (const t of ts) {
    const near = Math.fround(t);
    const c = ceilFloat32(t);
    out.push(near, c);
    if (Number.isFinite(near)) out.push(nextFloat32(near, true), nextFloat32(near, false));
    if (Number.isFinite(c)) out.push(nextFloat32(c, false));
  }
  return out;
}

const SPECIAL = [0, -0, 2 ** -149, -(2 ** -149), FLT_MAX, -FLT_MAX, Infinity, -Infinity, Number.NaN, 0.5, -2];

/** Every combination of the candidate values of each feature. */
function grid(candidates: number[][]): Float32Array {
  let all: number[][] = [[]];
  for (const values of candidates) all = all.flatMap((r) => [...new Set(values)].map((v) => [...r, v]));
  return Float32Array.from(all.flat());
}

/** A random tree: splits drawn inside the path's feature intervals (so all leaves are reachable). */
function randomTree(rand: () => number, F: number, maxDepth: number, weights: () => number[]): Desc {
  const lo = new Float64Array(F);
  const hi = new Float64Array(F).fill(1);
  const grow = (depth: number): Desc => {
    if (depth >= maxDepth || (depth > 2 && rand() < 0.12)) return weights();
    const f = Math.floor(rand() * F);
    const t = lo[f] + (hi[f] - lo[f]) * (0.05 + 0.9 * rand()); // a double: almost never a float32
    const [a, b] = [lo[f], hi[f]];
    hi[f] = t;
    const l = grow(depth + 1);
    hi[f] = b;
    lo[f] = t;
    const r = grow(depth + 1);
    lo[f] = a;
    return { f, t, l, r };
  };
  return grow(0);
}

/** Random features (uniform in [0, 1), or base(f)); a fifth snapped onto or next to one of the thresholds. */
function randomFeatures(
  rand: () => number,
  forest: Forest,
  n: number,
  base: (f: number) => number = () => rand(),
): Float32Array {
  const F = forest.featureCount;
  const byFeature: number[][] = Array.from({ length: F }, () => []);
  for (const t of forest.trees)
    for (let i = 0; i < t.feature.length; i++)
      if (t.feature[i] >= 0) byFeature[t.feature[i]].push(t.threshold[i]);
  const x = new Float32Array(n * F);
  for (let s = 0; s < n; s++)
    for (let f = 0; f < F; f++) {
      const ts = byFeature[f];
      if (ts.length && rand() < 0.2) {
        const t = ts[Math.floor(rand() * ts.length)];
        const c = ceilFloat32(t);
        const options = [Math.fround(t), c, nextFloat32(c, false), nextFloat32(c, true)];
        x[s * F + f] = options[Math.floor(rand() * options.length)];
      } else x[s * F + f] = base(f);
    }
  return x;
}

/** How many (sample, node) decisions would change with thresholds rounded to the nearest float32. */
function naiveFlips(forest: Forest, x: Float32Array): number {
  const F = forest.featureCount;
  let flips = 0;
  for (let o = 0; o < x.length; o += F)
    for (const t of forest.trees) {
      let i = 0;
      while (t.feature[i] >= 0) {
        const v = x[o + t.feature[i]];
        const exact = v < t.threshold[i];
        if (exact !== v < Math.fround(t.threshold[i])) flips++;
        i = exact ? t.left[i] : t.right[i];
      }
    }
  return flips;
}

// ---- tests ----

describe("exportForestOnnx run by onnxruntime-node", () => {
  it("predicts a hand-built forest exactly, on and around every threshold", async () => {
    const x = grid([
      [...around([T_07, Math.fround(T_07), T_M03]), ...SPECIAL],
      [...around([T_TINY, 0.1, -1e300]), ...SPECIAL],
      [...around([T_M03, 1e300, T_07]), ...SPECIAL],
    ]);
    const n = x.length / 3;
    expect(n).toBeGreaterThan(2000);
    // The grid does test the float64 → float32 threshold conversion: rounding to nearest would misroute.
    expect(naiveFlips(HAND, x)).toBeGreaterThan(1000);
    const ref = predictReference(HAND, x);
    const model = exportForestOnnx(HAND);
    for (const threads of [1, 2]) {
      const onnx = await runOnnx(model, x, 3, threads);
      expect(onnx.pDims).toEqual([n, 4]);
      expect(onnx.labelDims).toEqual([n]);
      const { maxDiff, labelMismatches } = compare(ref, onnx);
      expect(labelMismatches).toEqual([]);
      expect(maxDiff).toBeLessThanOrEqual(1e-7); // sums of these weights are exact in float32
    }
  });

  it("handles one and two classes and a forest of single leaves", async () => {
    const rand = lcg(7);
    for (const C of [1, 2]) {
      const weights = () => Array.from({ length: C }, () => Math.floor(rand() * 4));
      const forest: Forest = {
        featureCount: 5,
        classCount: C,
        trees: Array.from({ length: 12 }, (_, i) =>
          buildTree(i === 3 ? Array(C).fill(1) : randomTree(rand, 5, 6, weights), C),
        ),
      };
      const x = randomFeatures(rand, forest, 3000);
      const ref = predictReference(forest, x);
      const onnx = await runOnnx(exportForestOnnx(forest), x, 5);
      expect(onnx.pDims).toEqual([3000, C]);
      const { maxDiff, labelMismatches } = compare(ref, onnx);
      expect(labelMismatches).toEqual([]);
      expect(maxDiff).toBeLessThanOrEqual(1e-7);
    }
    const leaves: Forest = {
      featureCount: 2,
      classCount: 3,
      trees: [
        [1, 0, 2],
        [0, 0, 1],
      ].map((w) => buildTree(w, 3)),
    };
    const onnx = await runOnnx(exportForestOnnx(leaves), Float32Array.of(0, 1, Number.NaN, 5), 2);
    expect(Array.from(onnx.p)).toEqual([0.25, 0, 0.75, 0.25, 0, 0.75]);
    expect(Array.from(onnx.label)).toEqual([3n, 3n]);
  });

  it("predicts a random 49-feature, 100-tree forest with unnormalized leaves", async () => {
    const rand = lcg(2024);
    const C = 4;
    const weights = () => {
      const w = Array.from({ length: C }, () => (rand() < 0.5 ? 0 : rand() * 10));
      if (rand() < 0.3) w.fill(0)[Math.floor(rand() * C)] = 1 + Math.floor(rand() * 30); // pure leaves
      return w;
    };
    const forest: Forest = {
      featureCount: 49,
      classCount: C,
      trees: Array.from({ length: 100 }, () => buildTree(randomTree(rand, 49, 14, weights), C)),
    };
    const x = randomFeatures(rand, forest, 20000);
    expect(naiveFlips(forest, x)).toBeGreaterThan(100);
    const ref = predictReference(forest, x);
    const model = exportForestOnnx(forest);
    for (const threads of [1, 2]) {
      const { maxDiff, labelMismatches } = compare(ref, await runOnnx(model, x, 49, threads));
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
      // The sums are float32 in onnxruntime: only a near tie (closer than float rounding) may flip.
      for (const [, , , margin] of labelMismatches) expect(margin).toBeLessThan(1e-6);
      expect(labelMismatches).toEqual([]);
    }
  });

  it("predicts a forest trained by trainForest (49 features, 100 trees)", async () => {
    const rand = lcg(99);
    const F = 49;
    const n = 3000;
    const samples = new Float32Array(n * F);
    const labels = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      for (let f = 0; f < F; f++) samples[s * F + f] = rand() * (f + 1);
      // Classes from a few features, with 15 % label noise so the trees grow deep.
      const score = samples[s * F] / 1 + samples[s * F + 7] / 8 - samples[s * F + 20] / 21;
      labels[s] = rand() < 0.15 ? 1 + Math.floor(rand() * 3) : score < 0.3 ? 1 : score < 0.9 ? 2 : 3;
    }
    const forest = trainForest(samples, labels, F, { trees: 100, seed: 5 });
    expect(forest.trees.length).toBe(100);
    // The training samples (every threshold is a midpoint between two of their values), then new ones.
    const fresh = randomFeatures(rand, forest, 20000, (f) => rand() * (f + 1));
    const x = new Float32Array(samples.length + fresh.length);
    x.set(samples);
    x.set(fresh, samples.length);
    expect(naiveFlips(forest, x)).toBeGreaterThan(100);
    const ref = predictReference(forest, x);
    const model = exportForestOnnx(forest);
    for (const threads of [1, 2]) {
      const { maxDiff, labelMismatches } = compare(ref, await runOnnx(model, x, F, threads));
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
      for (const [, , , margin] of labelMismatches) expect(margin).toBeLessThan(1e-6);
      expect(labelMismatches).toEqual([]);
    }
  });

  it.skipIf(!process.env.SYLVA_ONNX_TIMING)("times 1 Mpx × 49 features × 100 trees", async () => {
    const rand = lcg(1);
    const F = 49;
    const n = 5000;
    const samples = new Float32Array(n * F);
    const labels = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      for (let f = 0; f < F; f++) samples[s * F + f] = rand() * (f + 1);
      const score = samples[s * F] + samples[s * F + 7] / 8 - samples[s * F + 20] / 21;
      labels[s] = rand() < 0.15 ? 1 + Math.floor(rand() * 3) : score < 0.3 ? 1 : score < 0.9 ? 2 : 3;
    }
    const forest = trainForest(samples, labels, F, { trees: 100, seed: 5 });
    const nodes = forest.trees.reduce((a, t) => a + t.feature.length, 0);
    const N = 1 << 20;
    const x = new Float32Array(N * F);
    for (let i = 0; i < x.length; i++) x[i] = rand() * ((i % F) + 1);
    const model = exportForestOnnx(forest);
    console.log(`forest: ${nodes} nodes in 100 trees; model ${(model.length / 1e6).toFixed(2)} MB`);
    for (const threads of [1, 2]) {
      const session = await ort.InferenceSession.create(model, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
      });
      const feeds = { features: new ort.Tensor("float32", x, [N, F]) };
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t0 = performance.now();
        await session.run(feeds);
        times.push(performance.now() - t0);
      }
      await session.release();
      times.sort((a, b) => a - b);
      console.log(
        `onnxruntime-node, ${threads} intra-op thread(s): ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s (median ${(times[1] / 1000).toFixed(2)} s)`,
      );
    }
  });
});
