// The feature worker pool (src/pool) against the single-threaded `computeFeatures` of @sylva/core: bit
// for bit equal whatever the block shape and worker count, the calling thread's event loop kept free,
// and the error, abort and close paths. Worker threads need JavaScript, so the pool is loaded from the
// compiled dist/ (`npm run build -w @sylva/compute`; turbo's test task builds first).

import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { FeatureEntry, TypedArray, Volume5 } from "@sylva/core";
import {
  allocate,
  computeFeatures,
  DEFAULT_SCALES,
  FEATURE_IDS,
  planFeatures,
  selectionEntries,
  WasmBackend,
} from "@sylva/core";
import { afterAll, describe, expect, it } from "vitest";
import type * as PoolModule from "../src/pool/features-pool.js";

const DIST = new URL("../dist/pool/features-pool.js", import.meta.url);
if (!existsSync(fileURLToPath(DIST)))
  throw new Error(`${fileURLToPath(DIST)} is missing: run "npm run build -w @sylva/compute" first`);
const { chooseBlockShape, computeFeaturesParallel, FeaturePool } = (await import(
  DIST.href
)) as typeof PoolModule;

const ALL_3D = selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: false });
const ALL_2D = selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: true });

/** Deterministic pseudo-random values (an LCG) with some smooth structure, so that features are not noise. */
function fill(data: TypedArray, shape: readonly number[], max: number, seed: number): void {
  let s = seed >>> 0;
  const [, , Y, X] = shape;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const y = Math.floor(i / X) % Y;
    const x = i % X;
    const smooth = 0.5 + 0.25 * Math.sin(x / 7) + 0.2 * Math.cos(y / 11);
    const v = max * (0.8 * smooth + 0.2 * (s / 2 ** 32));
    data[i] = Number.isInteger(max) ? Math.floor(v) : v;
  }
}

function image2d(): Volume5<Uint16Array> {
  const shape = [1, 1, 300, 257, 1] as const;
  const data = new Uint16Array(300 * 257);
  fill(data, shape, 65535, 7);
  return { data, shape, axes: "tzyxc" };
}

function volume3d(): Volume5<Float32Array> {
  const shape = [1, 40, 50, 60, 1] as const;
  const data = new Float32Array(40 * 50 * 60);
  fill(data, shape, 1.5, 11);
  return { data, shape, axes: "tzyxc" };
}

async function reference(input: Volume5, entries: readonly FeatureEntry[]): Promise<Float32Array> {
  return computeFeatures(await WasmBackend.create(), input, planFeatures(entries, input.shape));
}

/** Bitwise equality of two float32 arrays (NaN-safe, -0 ≠ +0), with the first difference in the message. */
function expectBitIdentical(actual: Float32Array, expected: Float32Array): void {
  expect(actual.length).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const b = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  let differ = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i]) {
      differ++;
      if (first < 0) first = i;
    }
  expect(differ, differ ? `first at ${first}: ${actual[first]} vs ${expected[first]}` : "").toBe(0);
}

describe("computeFeaturesParallel", () => {
  it("equals computeFeatures bit for bit on a 2D uint16 image (odd blocks, 3 workers)", async () => {
    const input = image2d();
    const progress: [number, number][] = [];
    const { features, plan } = await computeFeaturesParallel(input, ALL_3D, {
      workers: 3,
      blockShape: [1, 37, 101],
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(plan.channelCount).toBe(49);
    expect(features.buffer).toBeInstanceOf(SharedArrayBuffer);
    expectBitIdentical(features, await reference(input, ALL_3D));
    expect(progress.length).toBe(9 * 3);
    expect(progress.at(-1)).toEqual([27, 27]);
  });

  it("equals computeFeatures bit for bit on a 3D float32 volume (odd blocks, 2 workers)", async () => {
    const input = volume3d();
    const { features, plan } = await computeFeaturesParallel(input, ALL_3D, {
      workers: 2,
      blockShape: [13, 17, 23],
    });
    expect(plan.channelCount).toBe(61);
    expectBitIdentical(features, await reference(input, ALL_3D));
  });

  it("equals computeFeatures on several time points and channels, filtered in 2D, default blocks", async () => {
    const shape = [2, 3, 45, 38, 2] as const;
    const data = new Uint8Array(2 * 3 * 45 * 38 * 2);
    fill(data, shape, 255, 3);
    const input: Volume5 = { data, shape, axes: "tzyxc" };
    const { features } = await computeFeaturesParallel(input, ALL_2D, { workers: 2 });
    expectBitIdentical(features, await reference(input, ALL_2D));
  });

  it("keeps the calling thread's event loop running while it computes", async () => {
    const input = image2d();
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
      // Three rounds so that the computation clearly outlasts many timer periods.
      for (let i = 0; i < 3; i++) await computeFeaturesParallel(input, ALL_3D, { workers: 2 });
    } finally {
      clearInterval(timer);
    }
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThan(100);
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
    expect(longestGap).toBeLessThan(Math.max(100, elapsed / 3));
  });

  it("rejects an invalid selection with the plan's message", async () => {
    const small: Volume5 = { data: new Uint8Array(20 * 30), shape: [1, 1, 20, 30, 1], axes: "tzyxc" };
    await expect(computeFeaturesParallel(small, ALL_3D)).rejects.toThrow(
      "scale 10.0 is too large for the image: it needs 36 pixels along y, the image has 20",
    );
    await expect(computeFeaturesParallel(small, [])).rejects.toThrow("no features selected");
    const unknown = [{ feature: "Sobel", scale: 1, in2d: false }] as unknown as FeatureEntry[];
    await expect(computeFeaturesParallel(small, unknown)).rejects.toThrow('unknown feature "Sobel"');
  });

  it("rejects bad options and inputs", async () => {
    const input = image2d();
    await expect(computeFeaturesParallel(input, ALL_3D, { workers: 0 })).rejects.toThrow(
      "workers must be a positive integer",
    );
    await expect(computeFeaturesParallel(input, ALL_3D, { blockShape: [1, 0, 5] })).rejects.toThrow(
      "invalid block shape",
    );
    const short: Volume5 = { data: new Uint8Array(10), shape: [1, 1, 300, 257, 1], axes: "tzyxc" };
    await expect(computeFeaturesParallel(short, ALL_3D)).rejects.toThrow("input holds 10 values");
  });

  it("rejects with the signal's reason when aborted, and when onProgress throws", async () => {
    const controller = new AbortController();
    const job = computeFeaturesParallel(volume3d(), ALL_3D, {
      workers: 2,
      blockShape: [8, 16, 16],
      signal: controller.signal,
      onProgress: (done) => {
        if (done === 2) controller.abort(new Error("stop it"));
      },
    });
    await expect(job).rejects.toThrow("stop it");
    await expect(
      computeFeaturesParallel(image2d(), ALL_3D, {
        onProgress: () => {
          throw new Error("progress bar broke");
        },
      }),
    ).rejects.toThrow("progress bar broke");
    const aborted = AbortSignal.abort();
    await expect(computeFeaturesParallel(image2d(), ALL_3D, { signal: aborted })).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});

describe("FeaturePool", () => {
  it("runs concurrent jobs on one pool, reads shared input in place, survives an abort", async () => {
    const pool = await FeaturePool.start({ workers: 2 });
    try {
      expect(pool.size).toBe(2);
      const img = image2d();
      const vol = volume3d();
      const shared = allocate("float32", vol.data.length, true) as Float32Array;
      shared.set(vol.data);
      const sharedVol: Volume5<Float32Array> = { ...vol, data: shared };
      const [a, b] = await Promise.all([
        pool.compute(img, ALL_3D, { blockShape: [1, 64, 64] }),
        pool.compute(sharedVol, ALL_3D),
      ]);
      expectBitIdentical(a.features, await reference(img, ALL_3D));
      const expected3d = await reference(vol, ALL_3D);
      expectBitIdentical(b.features, expected3d);

      // Abort mid-job: the busy workers are replaced and the pool keeps working.
      const controller = new AbortController();
      const aborted = pool.compute(vol, ALL_3D, {
        blockShape: [8, 8, 60],
        signal: controller.signal,
        onProgress: (done) => {
          if (done === 1) controller.abort();
        },
      });
      await expect(aborted).rejects.toMatchObject({ name: "AbortError" });
      expect(pool.size).toBe(2);
      expectBitIdentical((await pool.compute(vol, ALL_3D, { blockShape: [7, 50, 60] })).features, expected3d);
      await expect(pool.compute(img, [])).rejects.toThrow("no features selected");
    } finally {
      await pool.close();
    }
  });

  it("rejects pending jobs on close, and new ones after", async () => {
    const pool = await FeaturePool.start({ workers: 1 });
    const pending = expect(pool.compute(volume3d(), ALL_3D, { blockShape: [10, 10, 10] })).rejects.toThrow(
      "feature pool closed",
    );
    await pool.close();
    await pending;
    await expect(pool.compute(image2d(), ALL_3D)).rejects.toThrow("feature pool is closed");
  });

  it("chooses blocks that give every worker work", () => {
    const plan2d = planFeatures(ALL_3D, [1, 1, 1024, 1024, 1]);
    expect(chooseBlockShape(plan2d, 2)).toEqual([1, 256, 512]);
    expect(chooseBlockShape(plan2d, 16)).toEqual([1, 64, 256]);
    const plan3d = planFeatures(ALL_3D, [1, 128, 128, 128, 1]);
    expect(chooseBlockShape(plan3d, 2)).toEqual([64, 32, 64]);
    // Small images stop at the smallest tile (64 × 128) rather than cut into slivers.
    const small = planFeatures(ALL_3D, [1, 1, 300, 257, 1]);
    expect(chooseBlockShape(small, 1)).toEqual([1, 128, 257]);
    expect(chooseBlockShape(small, 4)).toEqual([1, 64, 129]);
    const flat = planFeatures(ALL_2D, [1, 40, 50, 60, 1]);
    expect(chooseBlockShape(flat, 16)).toEqual([1, 50, 60]);
  });
});

describe("worker failures", () => {
  // Stand-in workers that speak the pool's protocol (src/pool/protocol.ts) but fail on purpose.
  const dir = mkdtempSync(path.join(tmpdir(), "sylva-pool-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const fakeWorker = (
    name: string,
    onBlock: string,
    onInit = 'parentPort.postMessage({ kind: "ready" });',
  ) => {
    const file = path.join(dir, `${name}.mjs`);
    writeFileSync(
      file,
      `import { parentPort } from "node:worker_threads";
parentPort.on("message", (msg) => {
  if (msg.kind === "init") { ${onInit} }
  if (msg.kind === "block") { ${onBlock} }
});
`,
    );
    return pathToFileURL(file);
  };

  it("rejects with the worker's message when a block fails", async () => {
    const workerUrl = fakeWorker(
      "fails",
      'parentPort.postMessage({ kind: "failed", job: msg.job, index: msg.index, message: "out of cheese" });',
    );
    await expect(
      computeFeaturesParallel(image2d(), ALL_3D, { workers: 2, blockShape: [1, 300, 257], workerUrl }),
    ).rejects.toThrow("feature worker failed on block t 0, z 0–1, y 0–300, x 0–257: out of cheese");
  });

  it("rejects when a worker dies, and replaces it", async () => {
    const workerUrl = fakeWorker("dies", "process.exit(3);");
    const pool = await FeaturePool.start({ workers: 1, workerUrl });
    try {
      await expect(pool.compute(image2d(), ALL_3D)).rejects.toThrow(
        "feature worker exited unexpectedly (code 3)",
      );
      await expect(pool.compute(image2d(), ALL_3D)).rejects.toThrow("exited unexpectedly");
      const throws = fakeWorker("throws", 'throw new Error("wires crossed");');
      await expect(computeFeaturesParallel(image2d(), ALL_3D, { workerUrl: throws })).rejects.toThrow(
        "feature worker crashed: wires crossed",
      );
    } finally {
      await pool.close();
    }
  });

  it("fails to start when a worker cannot start", async () => {
    const workerUrl = fakeWorker(
      "no-start",
      "",
      'parentPort.postMessage({ kind: "init-failed", message: "no SIMD here" }); process.exit(1);',
    );
    await expect(FeaturePool.start({ workers: 2, workerUrl })).rejects.toThrow(
      "feature worker could not start: no SIMD here",
    );
  });
});

describe("regions", () => {
  it("computes only a region, bit-identical to the single-threaded region", async () => {
    const input = volume3d();
    const plan = planFeatures(ALL_3D, input.shape);
    const region = { t0: 0, t1: 1, box: { z0: 7, z1: 29, y0: 3, y1: 41, x0: 11, x1: 60 } };
    const expected = computeFeatures(await WasmBackend.create(), input, plan, { region });
    const { features } = await computeFeaturesParallel(input, ALL_3D, {
      workers: 2,
      region,
      blockShape: [9, 13, 17],
    });
    expectBitIdentical(features, expected);
  });

  it("refuses a region outside the volume", async () => {
    const input = volume3d();
    const region = { t0: 0, t1: 1, box: { z0: 0, z1: 999, y0: 0, y1: 5, x0: 0, x1: 5 } };
    await expect(computeFeaturesParallel(input, ALL_3D, { workers: 1, region })).rejects.toThrow(
      /region t 0:1, z 0:999, y 0:5, x 0:5 is empty or outside the volume/,
    );
  });
});
