// The forest section of `npm run bench`: our random forest against ilastik's reference on ISBI 2012,
// the same inputs on both sides (the raw PNGs and the scribbles of sections 00–02, all 49 default 2D
// features, 100 trees):
//
//   training    the 1 563 scribbled pixels of sections 00–02: ours on the warm forest pool and on one
//               thread (medians of 5: a run takes tenths of a second), against the reference's own train_seconds with vigra (2 threads, as
//               ilastik) and scikit-learn (2 threads);
//   prediction  1 Mpx × 49 features (sections 20–23): ours on the warm pool (median of 3) and on one
//               thread (WebAssembly and plain JS engines), against the reference's predict_seconds for
//               the same four sections (vigra, 2 threads);
//   pipeline    the whole ISBI job: read the PNGs, features of 00–02, train, features of 20–29, predict,
//               uncertainty and segmentation, write an HDF5 like the reference's; ours with both pools
//               started inside the timing, against the reference's total_seconds (vigra, 2 threads).
//
// Ratios ours / reference; targets: prediction and pipeline ≤ 0.5, training ≤ 1. Membrane F1 of both on
// sections 20–29 is printed as a sanity check. About 50 s on the 2-core machine here.
//
// The one-thread figures are taken on the main thread; when the features section ran before in the same
// process, its WebAssembly memory growth (a detached ArrayBuffer) makes V8 slow down typed-array code in
// this thread for good (~8 % for training, ~25 % for the JS walk): compare one-thread figures from
// SYLVA_BENCH_SECTIONS=forest runs. Pool figures are unaffected (fresh worker threads).

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { FeatureEntry, Forest, Hdf5DatasetSpec } from "@sylva/core";
import {
  DEFAULT_SCALES,
  decodePng,
  FEATURE_IDS,
  ForestPredictor,
  planFeatures,
  readHdf5,
  segmentation,
  selectionEntries,
  trainForest,
  uncertainty,
  writeHdf5,
} from "@sylva/core";
import { FeaturePool } from "../pool/features-pool.js";
import { ForestPool } from "../pool/forest-pool.js";
import { collectGarbage, median, sharedDir, timed } from "./inputs.js";

export const FOREST_TARGETS = { training: 1, prediction: 0.5, pipeline: 0.5 } as const;

const TRAIN = ["00", "01", "02"];
const PREDICT_1MPX = ["20", "21", "22", "23"];
const PIPELINE = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29"];
const SIZE = 512 * 512;

export interface Figure {
  readonly seconds: number;
  readonly runs: readonly number[];
}

export interface ReferenceRun {
  readonly samples: number;
  readonly train_seconds: number;
  readonly predict_seconds: number;
  readonly feature_seconds: number;
  readonly total_seconds: number;
}

export interface ForestBenchResult {
  readonly samples: number;
  readonly features: number;
  readonly workers: number;
  readonly training: {
    readonly poolWarm: Figure;
    readonly single: Figure;
    readonly vigra: Figure | null;
    readonly sklearn: Figure | null;
  };
  readonly prediction: {
    readonly pixels: number;
    readonly poolWarm: Figure;
    readonly wasmSingle: Figure;
    readonly jsSingle: Figure;
    readonly vigra: Figure | null;
  };
  readonly pipeline: {
    readonly ours: Figure;
    readonly oursBreakdown: { readonly features: number; readonly train: number; readonly predict: number };
    readonly vigra: Figure | null;
    readonly f1: { readonly ours: number; readonly vigra: number | null };
  };
}

function figure(runs: number[]): Figure {
  return { seconds: median(runs), runs };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function isbi(kind: "raw" | "scribbles" | "gt", section: string): string {
  return path.join(sharedDir(), "data/isbi2012", kind, `${section}.png`);
}

function readGray(file: string): Uint8Array {
  const img = decodePng(new Uint8Array(readFileSync(file)), file);
  if (!(img.data instanceof Uint8Array) || img.shape.length !== 2 || img.shape[0] * img.shape[1] !== SIZE)
    throw new Error(`${file}: expected a 512 × 512 8-bit grayscale PNG`);
  return img.data;
}

function entries(): FeatureEntry[] {
  return selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: true });
}

async function sliceFeatures(pool: FeaturePool, raw: Uint8Array): Promise<Float32Array> {
  const { features } = await pool.compute(
    { data: raw, shape: [1, 1, 512, 512, 1], axes: "tzyxc" },
    entries(),
  );
  return features;
}

/** Feature vectors and labels at the scribbled pixels of sections 00–02. */
async function trainingSet(
  pool: FeaturePool,
): Promise<{ samples: Float32Array; labels: Uint8Array; F: number }> {
  const F = planFeatures(entries(), [1, 1, 512, 512, 1]).channelCount;
  const rows: Float32Array[] = [];
  const labels: number[] = [];
  for (const s of TRAIN) {
    const f = await sliceFeatures(pool, readGray(isbi("raw", s)));
    const lab = readGray(isbi("scribbles", s));
    for (let p = 0; p < SIZE; p++)
      if (lab[p] > 0) {
        rows.push(f.slice(p * F, (p + 1) * F));
        labels.push(lab[p]);
      }
  }
  const samples = new Float32Array(rows.length * F);
  for (const [i, r] of rows.entries()) samples.set(r, i * F);
  return { samples, labels: Uint8Array.from(labels), F };
}

function membraneF1(seg: Uint8Array, gt: Uint8Array): [number, number, number] {
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  for (let i = 0; i < seg.length; i++) {
    const p = seg[i] === 1;
    const a = gt[i] === 0;
    if (p && a) tp++;
    if (p) predicted++;
    if (a) actual++;
  }
  return [tp, predicted, actual];
}

function f1Of(parts: [number, number, number][]): number {
  const [tp, p, a] = parts.reduce((s, x) => [s[0] + x[0], s[1] + x[1], s[2] + x[2]], [0, 0, 0]);
  return (2 * tp) / (p + a);
}

/** Runs `ilastik_ref.py classify` on the ISBI scribbles; returns its timings (and its output file). */
async function runReference(
  python: string,
  predict: readonly string[],
  engine: "vigra" | "sklearn",
  out: string,
): Promise<ReferenceRun> {
  const script = path.join(sharedDir(), "reference/ilastik_ref.py");
  const { stdout } = await promisify(execFile)(
    python,
    [
      script,
      "classify",
      "--train",
      ...TRAIN.map((s) => isbi("raw", s)),
      "--labels",
      ...TRAIN.map((s) => isbi("scribbles", s)),
      "--predict",
      ...predict.map((s) => isbi("raw", s)),
      "--out",
      out,
      "--engine",
      engine,
      "--threads",
      "2",
    ],
    { maxBuffer: 1 << 24 },
  );
  const line = stdout.trim().split("\n").at(-1) ?? "";
  const parsed = JSON.parse(line) as Partial<ReferenceRun>;
  for (const k of [
    "samples",
    "train_seconds",
    "predict_seconds",
    "feature_seconds",
    "total_seconds",
  ] as const)
    if (typeof parsed[k] !== "number") throw new Error(`no "${k}" in the reference's output: ${line}`);
  return parsed as ReferenceRun;
}

/** Ours, end to end, as the reference's classify does it (see the header). */
async function oursPipeline(out: string): Promise<{
  seconds: number;
  breakdown: ForestBenchResult["pipeline"]["oursBreakdown"];
  segs: Uint8Array[];
}> {
  const t0 = performance.now();
  const [featurePool, forestPool] = await Promise.all([FeaturePool.start(), ForestPool.start()]);
  try {
    let tf = 0;
    let tp = 0;
    let t = performance.now();
    const { samples, labels, F } = await trainingSet(featurePool);
    tf += performance.now() - t;
    t = performance.now();
    const forest = await forestPool.train(samples, labels, F, { trees: 100, seed: 0 });
    const tt = performance.now() - t;
    const datasets: Hdf5DatasetSpec[] = [];
    const segs: Uint8Array[] = [];
    for (const [i, s] of PIPELINE.entries()) {
      t = performance.now();
      const features = await sliceFeatures(featurePool, readGray(isbi("raw", s)));
      tf += performance.now() - t;
      t = performance.now();
      const probs = await forestPool.predict(forest, features);
      const seg = segmentation(probs, forest.classCount);
      const unc = uncertainty(probs, forest.classCount);
      tp += performance.now() - t;
      segs.push(seg);
      datasets.push(
        { path: `${i}/probabilities`, data: probs, shape: [512, 512, forest.classCount] },
        { path: `${i}/uncertainty`, data: unc, shape: [512, 512] },
        { path: `${i}/segmentation`, data: seg, shape: [512, 512] },
      );
    }
    writeFileSync(out, await writeHdf5(datasets));
    return {
      seconds: (performance.now() - t0) / 1000,
      breakdown: { features: tf / 1000, train: tt / 1000, predict: tp / 1000 },
      segs,
    };
  } finally {
    await Promise.all([featurePool.close(), forestPool.close()]);
  }
}

/**
 * Runs the forest benchmark. `python` is the reference's interpreter, or null when the reference is
 * unavailable (then only our own figures are measured).
 */
export async function benchForest(python: string | null): Promise<ForestBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "sylva-bench-forest-"));
  try {
    log("\nforest: ISBI 2012 scribbles of sections 00–02, 49 features, 100 trees");
    const featurePool = await FeaturePool.start();
    let set: Awaited<ReturnType<typeof trainingSet>>;
    let predictFeatures: Float32Array;
    try {
      set = await trainingSet(featurePool);
      // 1 Mpx: sections 20–23 back to back, in one shared buffer.
      predictFeatures = new Float32Array(new SharedArrayBuffer(4 * SIZE * set.F * PREDICT_1MPX.length));
      for (const [i, s] of PREDICT_1MPX.entries())
        predictFeatures.set(await sliceFeatures(featurePool, readGray(isbi("raw", s))), i * SIZE * set.F);
    } finally {
      await featurePool.close();
    }
    const { samples, labels, F } = set;
    log(`  ${labels.length} samples × ${F} features`);

    // Training.
    const pool = await ForestPool.start();
    let forest: Forest;
    const trainPool: number[] = [];
    const predictPool: number[] = [];
    try {
      forest = await pool.train(samples, labels, F); // warm-up (twice: tenths of a second each)
      await pool.train(samples, labels, F);
      for (let i = 0; i < 5; i++) {
        collectGarbage();
        trainPool.push((await timed(() => pool.train(samples, labels, F))).seconds);
        log(`  train, pool of ${pool.size}, run ${i + 1}: ${trainPool[i].toFixed(3)} s`);
      }
      await pool.predict(forest, predictFeatures.subarray(0, F * 65536)); // warm-up
      for (let i = 0; i < 3; i++) {
        collectGarbage();
        predictPool.push((await timed(() => pool.predict(forest, predictFeatures))).seconds);
        log(`  predict 1 Mpx, pool of ${pool.size}, run ${i + 1}: ${predictPool[i].toFixed(3)} s`);
      }
    } finally {
      await pool.close();
    }
    const workers = pool.size;
    const trainSingle: number[] = [];
    for (let i = 0; i < 5; i++) {
      collectGarbage();
      trainSingle.push((await timed(() => trainForest(samples, labels, F))).seconds);
    }
    log(`  train, 1 thread: ${median(trainSingle).toFixed(3)} s`);
    const wasm = new ForestPredictor(forest);
    const js = new ForestPredictor(forest, { engine: "js" });
    const out = new Float32Array((predictFeatures.length / F) * forest.classCount);
    collectGarbage();
    const wasmSingle = [(await timed(() => wasm.predict(predictFeatures, out))).seconds];
    log(`  predict 1 Mpx, 1 thread, WebAssembly: ${wasmSingle[0].toFixed(3)} s`);
    collectGarbage();
    const jsSingle = [(await timed(() => js.predict(predictFeatures, out))).seconds];
    log(`  predict 1 Mpx, 1 thread, plain JS: ${jsSingle[0].toFixed(3)} s`);

    // The reference: training and 1 Mpx prediction (vigra ×3, scikit-learn ×1).
    let vigraTrain: Figure | null = null;
    let vigraPredict: Figure | null = null;
    let sklearnTrain: Figure | null = null;
    if (python) {
      const tr: number[] = [];
      const pr: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await runReference(python, PREDICT_1MPX, "vigra", path.join(dir, "ref.h5"));
        tr.push(r.train_seconds);
        pr.push(r.predict_seconds);
        log(
          `  reference vigra run ${i + 1}: train ${r.train_seconds.toFixed(3)} s, predict 1 Mpx ${r.predict_seconds.toFixed(3)} s (${r.samples} samples)`,
        );
      }
      vigraTrain = figure(tr);
      vigraPredict = figure(pr);
      try {
        const sk = await runReference(python, PREDICT_1MPX, "sklearn", path.join(dir, "ref.h5"));
        sklearnTrain = figure([sk.train_seconds]);
        log(`  reference scikit-learn: train ${sk.train_seconds.toFixed(3)} s`);
      } catch (e) {
        log(
          `  reference scikit-learn failed (python3-sklearn missing?): ${e instanceof Error ? e.message : e}`,
        );
      }
    }

    // The whole pipeline, twice each.
    const gts = PIPELINE.map((s) => readGray(isbi("gt", s)));
    const oursRuns: number[] = [];
    let breakdown: ForestBenchResult["pipeline"]["oursBreakdown"] = { features: 0, train: 0, predict: 0 };
    let oursF1 = 0;
    for (let i = 0; i < 2; i++) {
      collectGarbage();
      const r = await oursPipeline(path.join(dir, "ours.h5"));
      oursRuns.push(r.seconds);
      if (i === 0 || r.seconds < Math.min(...oursRuns.slice(0, -1))) breakdown = r.breakdown;
      oursF1 = f1Of(r.segs.map((s, j) => membraneF1(s, gts[j])));
      log(`  pipeline, ours, run ${i + 1}: ${r.seconds.toFixed(3)} s`);
    }
    let vigraPipeline: Figure | null = null;
    let vigraF1: number | null = null;
    if (python) {
      const runs: number[] = [];
      for (let i = 0; i < 2; i++) {
        const file = path.join(dir, "ref-pipeline.h5");
        const r = await runReference(python, PIPELINE, "vigra", file);
        runs.push(r.total_seconds);
        log(`  pipeline, reference, run ${i + 1}: ${r.total_seconds.toFixed(3)} s`);
        if (i === 0) {
          const bytes = new Uint8Array(readFileSync(file));
          const parts: [number, number, number][] = [];
          for (const [j] of PIPELINE.entries()) {
            const seg = await readHdf5(bytes, `${j}/segmentation`, file);
            parts.push(membraneF1(seg.data as Uint8Array, gts[j]));
          }
          vigraF1 = f1Of(parts);
        }
      }
      vigraPipeline = figure(runs);
    }

    return {
      samples: labels.length,
      features: F,
      workers,
      training: {
        poolWarm: figure(trainPool),
        single: figure(trainSingle),
        vigra: vigraTrain,
        sklearn: sklearnTrain,
      },
      prediction: {
        pixels: predictFeatures.length / F,
        poolWarm: figure(predictPool),
        wasmSingle: figure(wasmSingle),
        jsSingle: figure(jsSingle),
        vigra: vigraPredict,
      },
      pipeline: {
        ours: figure(oursRuns),
        oursBreakdown: breakdown,
        vigra: vigraPipeline,
        f1: { ours: oursF1, vigra: vigraF1 },
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function ratio3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The forest section's table (ratios at 3 decimals, judged as printed). */
export function forestTable(r: ForestBenchResult): string {
  const lines: string[] = [];
  const label = 52;
  const row = (title: string, f: Figure | null, ref: Figure | null, note = "") => {
    if (!f) {
      lines.push(`${title.padEnd(label)}${"—".padStart(8)}`);
      return;
    }
    const ratio = ref ? ratio3(f.seconds / ref.seconds).toFixed(3) : "";
    lines.push(`${title.padEnd(label)}${f.seconds.toFixed(3).padStart(8)}  ${ratio.padStart(8)}${note}`);
  };
  const verdict = (name: string, f: Figure, ref: Figure | null, target: number) => {
    if (!ref) return;
    const x = ratio3(f.seconds / ref.seconds);
    lines.push(
      `${name}: ours / reference = ${x.toFixed(3)} — target ≤ ${target}: ${x <= target ? "MET" : "NOT MET"}`,
    );
  };
  const { training: t, prediction: p, pipeline: q } = r;
  lines.push(`${"".padEnd(label)}${"seconds".padStart(8)}  ${"ours/ref".padStart(8)}`);
  lines.push(`training: ${r.samples} samples × ${r.features} features, 100 trees`);
  row(`  ours, forest pool (${r.workers} workers), warm, median of 5`, t.poolWarm, t.vigra);
  row("  ours, 1 thread, median of 5", t.single, t.vigra);
  row("  reference vigra (2 threads), median of 3", t.vigra, null);
  row("  reference scikit-learn (2 threads)", t.sklearn, null);
  lines.push(
    `prediction: ${(p.pixels / 2 ** 20).toFixed(0)} Mpx (${p.pixels} pixels) × ${r.features} features`,
  );
  row(`  ours, forest pool (${r.workers} workers), warm, median of 3`, p.poolWarm, p.vigra);
  row("  ours, 1 thread, WebAssembly", p.wasmSingle, p.vigra);
  row("  ours, 1 thread, plain JS", p.jsSingle, p.vigra);
  row("  reference vigra (2 threads), median of 3", p.vigra, null);
  lines.push("pipeline: train on 00–02, predict 20–29 (features + train + predict + HDF5)");
  const b = q.oursBreakdown;
  row(
    "  ours, both pools started inside, median of 2",
    q.ours,
    q.vigra,
    `   (features ${b.features.toFixed(2)}, train ${b.train.toFixed(2)}, predict ${b.predict.toFixed(2)})`,
  );
  row("  reference vigra (2 threads), median of 2", q.vigra, null);
  lines.push(
    `  membrane F1 on 20–29: ours ${q.f1.ours.toFixed(4)}, reference ${q.f1.vigra === null ? "—" : q.f1.vigra.toFixed(4)}`,
  );
  lines.push("");
  verdict("forest training", t.poolWarm, t.vigra, FOREST_TARGETS.training);
  verdict("forest prediction", p.poolWarm, p.vigra, FOREST_TARGETS.prediction);
  verdict("ISBI pipeline", q.ours, q.vigra, FOREST_TARGETS.pipeline);
  return lines.join("\n");
}
