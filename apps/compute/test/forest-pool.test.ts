// The forest worker pool (src/pool/forest-pool.ts) against the single-threaded trainForest and
// predictForest of @sylva/core: bit for bit equal whatever the worker count, streaming, the calling
// thread's event loop kept free, and the error, abort and close paths. Worker threads need JavaScript,
// so the pool is loaded from the compiled dist/ (`npm run build -w @sylva/compute`).

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Forest } from "@sylva/core";
import { predictForest, trainForest } from "@sylva/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as PoolModule from "../src/pool/forest-pool.js";

const DIST = new URL("../dist/pool/forest-pool.js", import.meta.url);
if (!existsSync(fileURLToPath(DIST)))
  throw new Error(`${fileURLToPath(DIST)} is missing: run "npm run build -w @sylva/compute" first`);
const { ForestPool, predictForestParallel, trainForestParallel } = (await import(
  DIST.href
)) as typeof PoolModule;

/** n samples × F features in 3 noisy classes (an LCG, so the data are fixed). */
function problem(n: number, F: number, seed: number) {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const samples = new Float32Array(n * F);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < F; f++) samples[i * F + f] = rnd();
    const v = samples[i * F] + 0.5 * samples[i * F + 1] + 0.2 * (rnd() - 0.5);
    labels[i] = v < 0.5 ? 1 : v < 1 ? 2 : 3;
  }
  return { samples, labels };
}

function bytes(a: ArrayBufferView): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

function expectSameForest(a: Forest, b: Forest): void {
  expect(a.featureCount).toBe(b.featureCount);
  expect(a.classCount).toBe(b.classCount);
  expect(a.trees.length).toBe(b.trees.length);
  a.trees.forEach((t, i) => {
    for (const k of ["feature", "threshold", "left", "right", "leaf", "leafValues"] as const)
      expect(bytes(t[k]).equals(bytes(b.trees[i][k])), `tree ${i} ${k}`).toBe(true);
  });
}

function shared(a: Float32Array): Float32Array {
  const s = new Float32Array(new SharedArrayBuffer(a.byteLength));
  s.set(a);
  return s;
}

const data = problem(1500, 9, 3);
const probe = problem(20000, 9, 77).samples;

describe("ForestPool", () => {
  let pool: PoolModule.ForestPool;
  let reference: Forest;
  beforeAll(async () => {
    pool = await ForestPool.start({ workers: 2 });
    reference = trainForest(data.samples, data.labels, 9, { trees: 23, seed: 5 });
  });
  afterAll(() => pool.close());

  it("trains the same forest as trainForest, bit for bit, on any number of workers", async () => {
    expect(pool.size).toBe(2);
    const progress: number[] = [];
    const forest = await pool.train(data.samples, data.labels, 9, {
      trees: 23,
      seed: 5,
      onProgress: (done, total) => {
        expect(total).toBe(23);
        progress.push(done);
      },
    });
    expectSameForest(forest, reference);
    expect(progress.at(-1)).toBe(23);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
    for (const workers of [1, 3]) {
      const f = await trainForestParallel(shared(data.samples), Array.from(data.labels), 9, {
        trees: 23,
        seed: 5,
        workers,
      });
      expectSameForest(f, reference);
    }
    // Other options travel too.
    const opts = { trees: 6, seed: 1, mtry: 2, maxDepth: 4, minSplit: 3 };
    const hist = { trees: 5, seed: 2, splits: "histogram" } as const;
    expectSameForest(
      await pool.train(data.samples, data.labels, 9, hist),
      trainForest(data.samples, data.labels, 9, hist),
    );
    expectSameForest(
      await pool.train(data.samples, data.labels, 9, opts),
      trainForest(data.samples, data.labels, 9, opts),
    );
  });

  it("predicts the same probabilities as predictForest, bit for bit, shared input or not", async () => {
    const expected = predictForest(reference, probe);
    const a = await pool.predict(reference, probe);
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(bytes(a).equals(bytes(expected))).toBe(true);
    // A shared input is read in place, and `n` may cover only its beginning.
    const sharedProbe = shared(probe);
    const b = await pool.predict(reference, sharedProbe, 12345);
    expect(b.length).toBe(12345 * 3);
    expect(bytes(b).equals(bytes(expected.subarray(0, 12345 * 3)))).toBe(true);
    // Into a caller's buffer (shared or not); empty input.
    const out = new Float32Array(20000 * 3);
    expect(await pool.predict(reference, probe, undefined, { out })).toBe(out);
    expect(bytes(out).equals(bytes(expected))).toBe(true);
    expect((await pool.predict(reference, probe, 0)).length).toBe(0);
    const one = await predictForestParallel(reference, probe.subarray(0, 9 * 5), { workers: 1 });
    expect(bytes(one).equals(bytes(expected.subarray(0, 15)))).toBe(true);
  });

  it("runs concurrent jobs and several forests on one pool", async () => {
    const other = trainForest(data.samples, data.labels, 9, { trees: 7, seed: 99 });
    const forests = [reference, other, trainForest(data.samples, data.labels, 9, { trees: 3, seed: 1 })];
    // More forests than the workers keep compiled (4), interleaved with training.
    for (let i = 0; i < 3; i++)
      forests.push(trainForest(data.samples, data.labels, 9, { trees: 2, seed: 10 + i }));
    const results = await Promise.all([
      ...forests.map((f) => pool.predict(f, probe.subarray(0, 9 * 3000))),
      pool.train(data.samples, data.labels, 9, { trees: 7, seed: 99 }),
      ...forests.map((f) => pool.predict(f, probe.subarray(0, 9 * 3000))),
    ]);
    const n = forests.length;
    forests.forEach((f, i) => {
      const expected = predictForest(f, probe.subarray(0, 9 * 3000));
      expect(bytes(results[i] as Float32Array).equals(bytes(expected))).toBe(true);
      expect(bytes(results[n + 1 + i] as Float32Array).equals(bytes(expected))).toBe(true);
    });
    expectSameForest(results[n] as Forest, other);
  });

  it("streams blocks through predictChunks, in order", async () => {
    const sizes = [5000, 1, 0, 8191, 6808];
    async function* blocks() {
      let at = 0;
      for (const s of sizes) {
        await new Promise((r) => setTimeout(r, 1));
        yield probe.subarray(at * 9, (at + s) * 9);
        at += s;
      }
    }
    const expected = predictForest(reference, probe);
    let at = 0;
    let count = 0;
    for await (const p of pool.predictChunks(reference, blocks())) {
      expect(p.length).toBe(sizes[count] * 3);
      expect(bytes(p).equals(bytes(expected.subarray(at * 3, at * 3 + p.length)))).toBe(true);
      at += sizes[count];
      count++;
    }
    expect(count).toBe(sizes.length);
  });

  it("keeps the calling thread's event loop running while it trains and predicts", async () => {
    const big = problem(6000, 20, 8);
    const pixels = problem(200000, 20, 9).samples;
    let ticks = 0;
    let longestGap = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const t0 = performance.now();
    try {
      const forest = await pool.train(big.samples, big.labels, 20, { trees: 40 });
      await pool.predict(forest, pixels);
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
    expect(longestGap).toBeLessThan(Math.max(100, elapsed / 3));
  });

  it("rejects bad input with clear messages and stays usable", async () => {
    await expect(pool.train(data.samples, [1, 2], 9)).rejects.toThrow("2 labels for 1500 samples");
    const zero = Uint8Array.from(data.labels);
    zero[7] = 0;
    await expect(pool.train(data.samples, zero, 9)).rejects.toThrow("label 0 of sample 7");
    await expect(pool.train(data.samples, data.labels, 7)).rejects.toThrow("not a multiple of 7");
    await expect(pool.train(data.samples, data.labels, 9, { mtry: 10 })).rejects.toThrow("mtry");
    await expect(pool.predict(reference, probe.subarray(0, 10))).rejects.toThrow("pixel count");
    await expect(pool.predict(reference, probe, 30000)).rejects.toThrow("need 270000");
    await expect(pool.predict(reference, probe, 10, { out: new Float32Array(3) })).rejects.toThrow("need 30");
    await expect(pool.predict({ ...reference, featureCount: 2 }, probe, 10)).rejects.toThrow(
      /feature \d+ ≥ 2/,
    );
    const forest = await pool.train(data.samples, data.labels, 9, { trees: 4 });
    expect(forest.trees).toHaveLength(4);
  });

  it("rejects with the signal's reason when aborted, and when onProgress throws", async () => {
    const controller = new AbortController();
    const job = pool.train(data.samples, data.labels, 9, {
      trees: 60,
      signal: controller.signal,
      onProgress: () => controller.abort(new Error("stop it")),
    });
    await expect(job).rejects.toThrow("stop it");
    await expect(
      pool.predict(reference, probe, undefined, {
        onProgress: () => {
          throw new Error("progress bar broke");
        },
      }),
    ).rejects.toThrow("progress bar broke");
    await expect(
      pool.predict(reference, probe, undefined, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      name: "AbortError",
    });
    // Workers replaced after the abort still give the right answers.
    const again = await pool.train(data.samples, data.labels, 9, { trees: 23, seed: 5 });
    expectSameForest(again, reference);
  });

  it("rejects pending jobs on close", async () => {
    const p = await ForestPool.start({ workers: 1 });
    const pending = expect(p.train(data.samples, data.labels, 9, { trees: 50 })).rejects.toThrow(
      "forest pool closed",
    );
    await p.close();
    await pending;
    await expect(p.predict(reference, probe)).rejects.toThrow("forest pool is closed");
    await expect(ForestPool.start({ workers: 0 })).rejects.toThrow("workers must be a positive integer");
  });
});
