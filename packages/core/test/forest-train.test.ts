// The random forest engine on small synthetic problems: the PRNG, determinism, tree-range partitions,
// growth rules (pure leaves, thresholds that separate exactly), label handling, and prediction.

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Forest, Tree } from "../src/index.js";
import {
  AUTO_HISTOGRAM_SAMPLES,
  ceilFloat32,
  checkForest,
  defaultMtry,
  ForestPredictor,
  predictForest,
  prepareSamples,
  segmentation,
  splitThreshold,
  trainForest,
  uncertainty,
  Xoshiro128,
} from "../src/index.js";

/** A deterministic LCG for test data (independent of the code under test). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** n samples × F features; class = 1 + (which of `classes` bands feature 0 + 0.3 · feature 1 falls in), noisy. */
function problem(n: number, F: number, classes: number, seed: number, noise = 0.1) {
  const rnd = lcg(seed);
  const samples = new Float32Array(n * F);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) samples[i * F + f] = rnd();
    const v = samples[i * F] + 0.3 * samples[i * F + 1] + noise * (rnd() - 0.5);
    labels[i] = 1 + Math.max(0, Math.min(classes - 1, Math.floor((v / 1.3) * classes)));
  }
  return { samples, labels };
}

function digest(forest: Forest): string {
  const h = createHash("sha256");
  h.update(`${forest.featureCount} ${forest.classCount} ${forest.trees.length}`);
  for (const t of forest.trees)
    for (const a of [t.feature, t.threshold, t.left, t.right, t.leaf, t.leafValues])
      h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest("hex");
}

function sameTree(a: Tree, b: Tree): void {
  expect(a.feature).toEqual(b.feature);
  expect(a.threshold).toEqual(b.threshold);
  expect(a.left).toEqual(b.left);
  expect(a.right).toEqual(b.right);
  expect(a.leaf).toEqual(b.leaf);
  expect(a.leafValues).toEqual(b.leafValues);
}

describe("Xoshiro128", () => {
  it("matches the reference xoshiro128** output for state (1, 2, 3, 4)", () => {
    const r = new Xoshiro128(0);
    Object.assign(r, { a: 1, b: 2, c: 3, d: 4 });
    expect(Array.from({ length: 5 }, () => r.u32())).toEqual([11520, 0, 5927040, 70819200, 2031721883]);
  });

  it("is deterministic per (seed, stream), and streams differ", () => {
    const take = (g: Xoshiro128) => Array.from({ length: 8 }, () => g.u32());
    expect(take(Xoshiro128.forStream(5, 3))).toEqual(take(Xoshiro128.forStream(5, 3)));
    const seen = new Set<string>();
    for (const seed of [0, 1, 2])
      for (const stream of [0, 1, 2]) seen.add(take(Xoshiro128.forStream(seed, stream)).join());
    expect(seen.size).toBe(9);
  });

  it("below(n) stays in [0, n) and is roughly uniform; float() in [0, 1)", () => {
    const g = new Xoshiro128(42);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70000; i++) {
      const v = g.below(7);
      expect(v >= 0 && v < 7 && Number.isInteger(v)).toBe(true);
      counts[v]++;
    }
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
    expect(g.below(1)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const f = g.float();
      expect(f >= 0 && f < 1).toBe(true);
    }
  });
});

describe("trainForest", () => {
  const { samples, labels } = problem(600, 6, 3, 1);

  it("uses vigra's RF_SQRT rule for mtry: √F rounded", () => {
    expect(defaultMtry(49)).toBe(7);
    expect(defaultMtry(61)).toBe(8); // √61 = 7.81
    expect(defaultMtry(2)).toBe(1); // √2 = 1.41
    expect(defaultMtry(3)).toBe(2); // √3 = 1.73
    expect(defaultMtry(1)).toBe(1);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const a = trainForest(samples, labels, 6, { trees: 10, seed: 3 });
    const b = trainForest(samples, labels, 6, { trees: 10, seed: 3 });
    const c = trainForest(samples, labels, 6, { trees: 10, seed: 4 });
    expect(digest(a)).toBe(digest(b));
    expect(digest(a)).not.toBe(digest(c));
    // Trees of one forest differ from each other too.
    expect(a.trees[0].threshold).not.toEqual(a.trees[1].threshold);
    checkForest(a);
    expect(a.classCount).toBe(3);
    expect(a.featureCount).toBe(6);
    expect(a.trees).toHaveLength(10);
  });

  it("trains the same trees whatever the partition into tree ranges", () => {
    const whole = trainForest(samples, labels, 6, { trees: 12, seed: 9 });
    for (const cuts of [
      [0, 5, 12],
      [0, 1, 2, 3, 11, 12],
      [0, 12],
    ]) {
      const trees: Tree[] = [];
      for (let i = 0; i + 1 < cuts.length; i++)
        trees.push(
          ...trainForest(samples, labels, 6, { trees: 12, seed: 9, treeRange: [cuts[i], cuts[i + 1]] }).trees,
        );
      expect(trees).toHaveLength(12);
      for (const [i, t] of trees.entries()) sameTree(t, whole.trees[i]);
    }
    expect(trainForest(samples, labels, 6, { trees: 12, seed: 9, treeRange: [4, 4] }).trees).toHaveLength(0);
  });

  it("grows separable data to pure leaves that classify the training set perfectly", () => {
    // Two well separated clusters in feature 2; the other features are noise.
    const rnd = lcg(7);
    const n = 200;
    const s = new Float32Array(n * 4);
    const l = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      l[i] = i % 2 ? 2 : 1;
      for (let f = 0; f < 4; f++) s[i * 4 + f] = rnd();
      s[i * 4 + 2] = l[i] === 1 ? rnd() : 2 + rnd();
    }
    const forest = trainForest(s, l, 4, { trees: 20, seed: 1 });
    for (const t of forest.trees) {
      // Every leaf is pure: one class has all the weight.
      for (let i = 0; i < t.leafValues.length; i += 2)
        expect([t.leafValues[i], t.leafValues[i + 1]].sort()).toEqual([0, 1]);
    }
    const p = predictForest(forest, s);
    const seg = segmentation(p, 2);
    expect(Array.from(seg)).toEqual(Array.from(l));
  });

  it("fits its training data fully: every tree predicts its own in-bag samples' majority", () => {
    // Unique feature vectors, no noise: fully grown trees must reproduce every training label.
    const { samples: s, labels: l } = problem(300, 5, 4, 11, 0);
    const forest = trainForest(s, l, 5, { trees: 30, seed: 2 });
    const p = predictForest(forest, s);
    const seg = segmentation(p, 4);
    let right = 0;
    for (let i = 0; i < l.length; i++) if (seg[i] === l[i]) right++;
    expect(right / l.length).toBeGreaterThan(0.97);
  });

  it("keeps classes without samples: labels 1 and 3 give 3 classes, class 2 has probability 0", () => {
    const l = labels.map((v) => (v === 2 ? 3 : v));
    const forest = trainForest(samples, l, 6, { trees: 10, seed: 0 });
    expect(forest.classCount).toBe(3);
    const probe = problem(500, 6, 3, 99).samples;
    const p = predictForest(forest, probe);
    for (let i = 0; i < 500; i++) {
      expect(p[i * 3 + 1]).toBe(0);
      expect(Math.abs(p[i * 3] + p[i * 3 + 2] - 1)).toBeLessThan(1e-6);
    }
  });

  it("gives probabilities that sum to 1, and leaves that hold class frequencies", () => {
    const forest = trainForest(samples, labels, 6, { trees: 15, seed: 5 });
    for (const t of forest.trees)
      for (let i = 0; i < t.leafValues.length; i += 3) {
        const s = t.leafValues[i] + t.leafValues[i + 1] + t.leafValues[i + 2];
        expect(Math.abs(s - 1)).toBeLessThan(1e-6);
      }
    const probe = problem(1000, 6, 3, 123).samples;
    const p = predictForest(forest, probe);
    for (let i = 0; i < 1000; i++) {
      const s = p[i * 3] + p[i * 3 + 1] + p[i * 3 + 2];
      expect(Math.abs(s - 1)).toBeLessThan(1e-6);
    }
  });

  it("honours maxDepth and minSplit", () => {
    const depthOf = (t: Tree) => {
      const d = new Int32Array(t.feature.length);
      let max = 0;
      for (let i = 0; i < t.feature.length; i++)
        if (t.feature[i] >= 0) {
          d[t.left[i]] = d[t.right[i]] = d[i] + 1;
          max = Math.max(max, d[i] + 1);
        }
      return max;
    };
    const stump = trainForest(samples, labels, 6, { trees: 5, maxDepth: 1 });
    for (const t of stump.trees) expect(depthOf(t)).toBe(1);
    const full = trainForest(samples, labels, 6, { trees: 5 });
    const coarse = trainForest(samples, labels, 6, { trees: 5, minSplit: 50 });
    const nodes = (f: Forest) => f.trees.reduce((n, t) => n + t.feature.length, 0);
    expect(nodes(coarse)).toBeLessThan(nodes(full) / 3);
  });

  it("separates split values exactly, also for values one float32 ulp apart", () => {
    expect(splitThreshold(1, 2)).toBe(1.5);
    const a = Math.fround(1.0000001);
    const b = Math.fround(a + 2 ** -23);
    const t = splitThreshold(a, b);
    expect(a < t && !(b < t)).toBe(true);
    // Doubles one ulp apart: the midpoint rounds to one of them; the upper value is used.
    const x = 1;
    const y = 1 + 2 ** -52;
    const u = splitThreshold(x, y);
    expect(x < u && !(y < u)).toBe(true);
    expect(splitThreshold(-Infinity, 0)).toBe(0);
    expect(splitThreshold(1, Infinity)).toBe(Infinity);

    // Training on two values 1 ulp apart splits them.
    const s = new Float32Array([a, b, a, b]);
    const forest = trainForest(s, [1, 2, 1, 2], 1, { trees: 3 });
    const p = predictForest(forest, new Float32Array([a, b]));
    expect(Array.from(segmentation(p, 2))).toEqual([1, 2]);
  });

  it("treats NaN features as +∞ in training, sent right in prediction", () => {
    const s = new Float32Array([0, 1, 2, Number.NaN, Number.POSITIVE_INFINITY, 3]);
    const l = [1, 1, 1, 2, 2, 2];
    const forest = trainForest(s, l, 1, { trees: 5 });
    const p = predictForest(forest, new Float32Array([0.5, Number.NaN, 1e30]));
    expect(Array.from(segmentation(p, 2))).toEqual([1, 2, 2]);
  });

  it("searches 256-bin histograms on request or from 10 000 samples on, with the same guarantees", () => {
    expect(prepareSamples(samples, labels, 6).splits).toBe("exact");
    const big = problem(AUTO_HISTOGRAM_SAMPLES, 3, 2, 8);
    expect(prepareSamples(big.samples, big.labels, 3).splits).toBe("histogram");
    expect(prepareSamples(big.samples, big.labels, 3, "exact").splits).toBe("exact");

    const opts = { trees: 9, seed: 4, splits: "histogram" } as const;
    const whole = trainForest(samples, labels, 6, opts);
    expect(digest(trainForest(samples, labels, 6, opts))).toBe(digest(whole));
    expect(digest(trainForest(samples, labels, 6, { ...opts, seed: 5 }))).not.toBe(digest(whole));
    expect(digest(whole)).not.toBe(digest(trainForest(samples, labels, 6, { ...opts, splits: "exact" })));
    const parts = [
      ...trainForest(samples, labels, 6, { ...opts, treeRange: [0, 4] }).trees,
      ...trainForest(samples, labels, 6, { ...opts, treeRange: [4, 9] }).trees,
    ];
    for (const [i, t] of parts.entries()) sameTree(t, whole.trees[i]);
    checkForest(whole);

    // Thresholds fall between the bins' values, so training samples are split as the bins were.
    const probe = problem(1000, 6, 3, 55).samples;
    const p = predictForest(whole, probe);
    for (let i = 0; i < 1000; i++)
      expect(Math.abs(p[3 * i] + p[3 * i + 1] + p[3 * i + 2] - 1)).toBeLessThan(1e-6);
    const l13 = labels.map((v) => (v === 2 ? 3 : v));
    const q = predictForest(trainForest(samples, l13, 6, opts), probe);
    for (let i = 0; i < 1000; i++) expect(q[3 * i + 1]).toBe(0);
    // Accuracy close to the exact search on held-out data.
    const test = problem(3000, 6, 3, 56);
    const accuracy = (f: Forest) => {
      const seg = segmentation(predictForest(f, test.samples), 3);
      return seg.reduce((n, v, i) => n + (v === test.labels[i] ? 1 : 0), 0) / 3000;
    };
    const exact = trainForest(samples, labels, 6, { trees: 30 });
    const hist = trainForest(samples, labels, 6, { trees: 30, splits: "histogram" });
    expect(accuracy(hist)).toBeGreaterThan(accuracy(exact) - 0.03);
    expect(() => trainForest(samples, labels, 6, { splits: "fast" as "exact" })).toThrow(/splits must be/);
  });

  it("rejects bad input with clear errors", () => {
    expect(() => trainForest(new Float32Array(7), [1, 2], 3)).toThrow(/not a multiple of 3/);
    expect(() => trainForest(new Float32Array(6), [1, 2, 1], 3)).toThrow(/3 labels for 2 samples/);
    expect(() => trainForest(new Float32Array(6), [1, 0], 3)).toThrow(/label 0 of sample 1/);
    expect(() => trainForest(new Float32Array(6), [1, 100], 3)).toThrow(/label 100/);
    expect(() => trainForest(new Float32Array(0), [], 3)).toThrow(/no samples/);
    expect(() => trainForest(new Float32Array(6), [1, 2], 3, { treeRange: [3, 2], trees: 5 })).toThrow(
      /treeRange/,
    );
    expect(() => trainForest(new Float32Array(6), [1, 2], 3, { mtry: 4 })).toThrow(/mtry/);
  });

  it("trains a single class into leaves of weight 1", () => {
    const forest = trainForest(samples, new Uint8Array(600).fill(1), 6, { trees: 3 });
    expect(forest.classCount).toBe(1);
    for (const t of forest.trees) expect(Array.from(t.feature)).toEqual([-1]);
    const p = predictForest(forest, samples.subarray(0, 60));
    expect(Array.from(p)).toEqual(new Array(10).fill(1));
    expect(Array.from(uncertainty(p, 1))).toEqual(new Array(10).fill(0));
  });
});

describe("predictForest", () => {
  /**
   * A hand-made forest in an "imported" layout (children not adjacent, nodes out of breadth-first order,
   * unnormalized leaf weights): tree 0 splits feature 1 at 0.5, then feature 0 at −1 on the right; tree 1
   * is a single leaf.
   */
  const handmade: Forest = {
    featureCount: 2,
    classCount: 3,
    trees: [
      {
        feature: new Int32Array([1, 0, -1, -1, -1]),
        threshold: new Float64Array([0.5, -1, 0, 0, 0]),
        left: new Int32Array([3, 4, -1, -1, -1]),
        right: new Int32Array([1, 2, -1, -1, -1]),
        leaf: new Int32Array([-1, -1, 2, 0, 1]),
        leafValues: new Float32Array([2, 0, 0, 0, 3, 1, 0, 0, 4]),
      },
      {
        feature: new Int32Array([-1]),
        threshold: new Float64Array([0]),
        left: new Int32Array([-1]),
        right: new Int32Array([-1]),
        leaf: new Int32Array([0]),
        leafValues: new Float32Array([0, 2, 0]),
      },
    ],
  };

  it("walks hand-made trees as model.ts defines (x < t goes left, NaN goes right)", () => {
    checkForest(handmade);
    const x = new Float32Array([
      0.2,
      0.4, // f1 < 0.5 → node 3 → leaf 0 [2, 0, 0]; + tree 1 [0, 2, 0] → [0.5, 0.5, 0]
      -2,
      0.5, // f1 = 0.5 → right (node 1); f0 < −1 → node 4 → leaf 1 [0, 3, 1] + [0, 2, 0] → [0, 5/6, 1/6]
      -1,
      7, // f0 = −1 → right → node 2 → leaf 2 [0, 0, 4] + [0, 2, 0] → [0, 1/3, 2/3]
      0,
      Number.NaN, // NaN → right; f0 = 0 → right → leaf 2
    ]);
    for (const engine of ["wasm", "js"] as const) {
      const p = predictForest(handmade, x, undefined, { engine });
      const expected = [0.5, 0.5, 0, 0, 5 / 6, 1 / 6, 0, 1 / 3, 2 / 3, 0, 1 / 3, 2 / 3].map(Math.fround);
      expect(Array.from(p)).toEqual(expected);
    }
  });

  it("gives identical results on the WebAssembly and JavaScript engines, any pixel count", () => {
    const { samples, labels } = problem(2000, 7, 4, 21);
    const forest = trainForest(samples, labels, 7, { trees: 25, seed: 1 });
    const wasm = new ForestPredictor(forest);
    const js = new ForestPredictor(forest, { engine: "js" });
    expect(wasm.engine).toBe("wasm");
    expect(js.engine).toBe("js");
    for (const n of [0, 1, 7, 8, 9, 4095, 4096, 4097, 10001]) {
      const probe = problem(n, 7, 4, 1000 + n).samples;
      const a = wasm.predict(probe);
      const b = js.predict(probe);
      expect(a.length).toBe(n * 4);
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      // Pixels are independent: predicting a sub-range gives the same numbers.
      if (n > 9)
        expect(Array.from(wasm.predict(probe.subarray(7 * 3, 7 * 9)))).toEqual(
          Array.from(a.subarray(12, 36)),
        );
    }
  });

  it("gives identical results on both engines for every class count (unrolled and looped kernels)", () => {
    for (const classes of [1, 2, 3, 5, 7]) {
      const { samples, labels } = problem(800, 4, classes, 30 + classes);
      const forest = trainForest(samples, labels, 4, { trees: 12, seed: classes });
      expect(forest.classCount).toBe(classes);
      const probe = problem(3001, 4, classes, 60 + classes).samples;
      const a = predictForest(forest, probe);
      const b = predictForest(forest, probe, undefined, { engine: "js" });
      expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
      for (let i = 0; i < 3001; i += 100) {
        let sum = 0;
        for (let k = 0; k < classes; k++) sum += a[i * classes + k];
        expect(Math.abs(sum - 1)).toBeLessThan(1e-6);
      }
    }
  });

  it("writes into `out` and checks sizes", () => {
    const out = new Float32Array(9);
    const x = new Float32Array([0.2, 0.4, -2, 0.5, -1, 7]);
    expect(predictForest(handmade, x, out)).toBe(out);
    expect(() => predictForest(handmade, new Float32Array(5))).toThrow(/multiple of 2/);
    expect(() => predictForest(handmade, x, new Float32Array(6))).toThrow(/need 9/);
  });

  it("compares in float32 exactly as in float64: ⌈t⌉₃₂", () => {
    const rnd = lcg(5);
    for (let i = 0; i < 20000; i++) {
      const t = (rnd() - 0.5) * 10 ** Math.floor(rnd() * 80 - 40);
      const c = ceilFloat32(t);
      expect(c >= t && Math.fround(c) === c).toBe(true);
      const x = Math.fround(t);
      const near = [x, Math.fround(x * (1 + 2 ** -23)), Math.fround(x * (1 - 2 ** -23)), Math.fround(c)];
      for (const v of near) expect(v < t).toBe(v < c);
    }
    expect(ceilFloat32(Number.NaN)).toBeNaN();
    expect(ceilFloat32(Infinity)).toBe(Infinity);
    expect(ceilFloat32(4e38)).toBe(Infinity);
    expect(ceilFloat32(1e-50)).toBe(2 ** -149);
    expect(Object.is(ceilFloat32(-1e-50), -0)).toBe(true);
  });
});

describe("uncertainty and segmentation", () => {
  it("computes 1 − (p_max − p_second) and argmax + 1 on hand-made probabilities", () => {
    const p = new Float32Array([0.7, 0.2, 0.1, 0.1, 0.1, 0.8, 1 / 3, 1 / 3, 1 / 3, 0.4, 0.4, 0.2, 0, 0, 1]);
    const u = uncertainty(p, 3);
    const expected = [1 - (0.7 - 0.2), 1 - (0.8 - 0.1), 1, 1, 0].map((v) => Math.fround(v));
    for (let i = 0; i < 5; i++) expect(u[i]).toBeCloseTo(expected[i], 6);
    expect(u[2]).toBe(1);
    expect(u[4]).toBe(0);
    // numpy's argmax: the first maximum on ties.
    expect(Array.from(segmentation(p, 3))).toEqual([1, 3, 1, 1, 3]);
    expect(Array.from(uncertainty(new Float32Array([0.25, 0.75]), 2))).toEqual([0.5]);
    expect(Array.from(uncertainty(new Float32Array([1, 1, 1]), 1))).toEqual([0, 0, 0]);
    expect(Array.from(segmentation(new Float32Array([1, 1]), 1))).toEqual([1, 1]);
    expect(() => uncertainty(new Float32Array(5), 2)).toThrow(/multiple of 2/);
    expect(() => segmentation(new Float32Array(4), 2, new Uint8Array(3))).toThrow(/3 values for 2 pixels/);
  });
});
