// The live section of `npm run bench`: how long after a stroke arrives in the project document the
// painter sees updated probability tiles, against ilastik's reference doing the same work.
//
//   input      the ISBI 2012 slice 00 mirrored to 1024 × 1024 uint8 (as the features section), imported
//              as a dataset into a temporary file-system BlobStore; the project's default feature
//              selection (all six features at ilastik's seven default scales: 49 channels in 2D);
//   viewer     one subscriber whose view is the whole 1024² at level 0 (16 tiles of 256²), probabilities,
//              looking at it before any stroke, so its features are cached (prefetched) by then;
//   strokes    scribble-like strokes made from the slice's ground truth (mirrored the same way): thin
//              (1 px) walks along membranes for class 1, 5 px walks inside cells for class 2
//              (`scribbleStrokes`), appended one by one as a client's stroke arrives;
//   measured   from the append (the stroke's arrival in the document) to (a) the first frame of the new
//              generation and (b) all 16 tiles of the viewport in that generation, with the longest
//              event-loop stall meanwhile (perf_hooks.monitorEventLoopDelay):
//              - first training: three class-1 strokes are there ("waiting-for-labels"), the first class-2
//                stroke arrives; once with cold worker pools (the process's first training), then for
//                FIRST_RUNS new projects (warm pools, shared feature cache; median);
//              - retraining: RETRAIN_STROKES further strokes, classes alternating, each after the previous
//                generation was fully shown (samples growing; median and slowest);
//              - final labels: FINAL_RUNS more retrainings on the final labels (an eraser stroke where
//                nothing is labeled changes no label but retrains; median);
//   reference  ../shared/reference/ilastik_ref.py classify on the same image with the same labels (the
//              strokes rasterized into a label PNG), --threads 2: train_seconds + predict_seconds (its
//              features excluded, as ours are cached), median of 3, for the labels of the first training
//              and for the final labels.
// Targets: first tile ≤ 0.3 s; full viewport ≤ 1 × the reference. Figures go to .bench/live.json.

import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { promisify } from "node:util";
import type { LabelBlock } from "@sylva/core";
import { encodePng, memoryReader, rasterizeStrokes, TILE_SIZE } from "@sylva/core";
import type { Stroke, TileFrame, View } from "@sylva/shared";
import { appendStroke, datasetIdSchema, initProjectDoc } from "@sylva/shared";
import * as Y from "yjs";
import { importVolume } from "../datasets/import.js";
import { FeatureCache } from "../live/feature-cache.js";
import { DEFAULT_DEBOUNCE_MS, LiveProject } from "../live/live-project.js";
import { FeaturePool } from "../pool/features-pool.js";
import { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import { FsBlobStore } from "../storage/fs-store.js";
import { median, mirroredSlice, random, sharedDir } from "./inputs.js";

export const LIVE_TARGETS = { firstTileSeconds: 0.3, viewportRatio: 1 } as const;

const SIZE = 1024;

export interface ScribbleOptions {
  readonly datasetId: string;
  readonly classId: 1 | 2;
  readonly count: number;
  readonly seed: number;
  /** Points per stroke (default 40). */
  readonly length?: number;
  readonly author?: string;
}

/**
 * Strokes a person might paint on an EM slice, from its ground truth (`gt`: 0 membrane, 255 inside cells;
 * `width` × `height`): class 1 walks along membrane pixels with a 1 px brush, class 2 walks through
 * pixels at least 4 px inside a cell with a 5 px brush. Deterministic for a seed.
 */
export function scribbleStrokes(gt: Uint8Array, width: number, height: number, o: ScribbleOptions): Stroke[] {
  const rnd = random(o.seed);
  const length = o.length ?? 40;
  const membrane = o.classId === 1;
  // Class-2 strokes stay 4 px away from any membrane: a distance test on a small square.
  const inside = (x: number, y: number, margin: number) => {
    for (let dy = -margin; dy <= margin; dy++)
      for (let dx = -margin; dx <= margin; dx++) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= width || yy >= height || gt[yy * width + xx] === 0) return false;
      }
    return true;
  };
  const ok = (x: number, y: number) =>
    x >= 2 &&
    y >= 2 &&
    x < width - 2 &&
    y < height - 2 &&
    (membrane ? gt[y * width + x] === 0 : inside(x, y, 4));
  const step = membrane ? 1 : 2;
  const strokes: Stroke[] = [];
  for (let s = 0; s < o.count; s++) {
    let x = 0;
    let y = 0;
    for (let tries = 0; tries < 10000; tries++) {
      x = Math.floor(rnd() * width);
      y = Math.floor(rnd() * height);
      if (ok(x, y)) break;
    }
    const points: [number, number][] = [[x, y]];
    let dx = 0;
    let dy = 0;
    for (let i = 1; i < length; i++) {
      // Prefer going on in the same direction; try a few random turns otherwise.
      let moved = false;
      for (let tries = 0; tries < 12 && !moved; tries++) {
        const ndx = tries === 0 && (dx || dy) ? dx : Math.round(rnd() * 2 - 1) * step;
        const ndy = tries === 0 && (dx || dy) ? dy : Math.round(rnd() * 2 - 1) * step;
        if ((ndx === 0 && ndy === 0) || !ok(x + ndx, y + ndy)) continue;
        const seen = points.some(([px, py]) => px === x + ndx && py === y + ndy);
        if (seen) continue;
        x += ndx;
        y += ndy;
        dx = ndx;
        dy = ndy;
        moved = true;
      }
      if (!moved) break;
      points.push([x, y]);
    }
    strokes.push({
      id: `${o.classId === 1 ? "m" : "c"}${o.seed}-${s}`,
      datasetId: datasetIdSchema.parse(o.datasetId),
      author: o.author ?? "bench",
      classId: o.classId,
      plane: "xy",
      t: 0,
      slice: 0,
      diameter: membrane ? 1 : 5,
      points,
    });
  }
  return strokes;
}

/** The label image (height × width uint8) of strokes on a 2D dataset, rasterized in order. */
export function labelImage(strokes: readonly Stroke[], width: number, height: number): Uint8Array {
  const block: LabelBlock = {
    data: new Uint8Array(width * height),
    t: 0,
    origin: [0, 0, 0],
    shape: [1, height, width],
  };
  rasterizeStrokes(block, strokes);
  return block.data;
}

/** Imports an in-memory 2D or 3D volume into `store` as a dataset; returns its id. */
export async function importMemoryVolume(
  store: BlobStore,
  data: Uint8Array,
  shape: readonly number[],
  axes: string,
  name: string,
): Promise<string> {
  const reader = memoryReader({ data, shape, axes }, name);
  const manifest = await importVolume(store, {
    reader,
    name,
    sources: [name],
    resumeKey: createHash("sha256")
      .update(`${name}/${shape.join("x")}/${axes}`)
      .digest("hex"),
  });
  return manifest.id;
}

// ------------------------------------------------------------------------------------------ the bench --

interface Latency {
  /** Seconds from the stroke's append to the first frame of the new generation. */
  readonly firstTile: number;
  /** … to all tiles of the viewport in that generation. */
  readonly viewport: number;
  readonly trainMs: number | null;
  readonly samples: number;
  /** Longest event-loop delay meanwhile (ms). */
  readonly maxLoopDelayMs: number;
}

interface ReferenceFigure {
  readonly seconds: number;
  readonly runs: readonly number[];
  readonly train: number;
  readonly predict: number;
  readonly samples: number;
}

/** Medians of several measurements of the same case. */
interface Summary {
  readonly firstTile: number;
  readonly viewport: number;
  readonly samples: number;
  readonly runs: readonly Latency[];
}

export interface LiveBenchResult {
  readonly size: number;
  readonly tiles: number;
  readonly channels: number;
  readonly debounceMs: number;
  readonly prefetchSeconds: number;
  /** The first training of the process (cold worker pools). */
  readonly firstTrainingCold: Latency;
  /** The first training of a new project, pools warm (median of FIRST_RUNS). */
  readonly firstTraining: Summary;
  /** Retraining after each further stroke, samples growing. */
  readonly retraining: readonly Latency[];
  readonly retrainingMedian: { readonly firstTile: number; readonly viewport: number };
  /** The slowest first tile of any retraining. */
  readonly retrainingWorstFirstTile: number;
  /** Retraining on the final labels (a no-op eraser stroke), median of FINAL_RUNS. */
  readonly finalLabels: Summary;
  readonly reference: { readonly first: ReferenceFigure | null; readonly last: ReferenceFigure | null };
}

const FIRST_RUNS = 5;
const RETRAIN_STROKES = 10;
const FINAL_RUNS = 5;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function summary(runs: readonly Latency[]): Summary {
  return {
    firstTile: median(runs.map((r) => r.firstTile)),
    viewport: median(runs.map((r) => r.viewport)),
    samples: runs[0]?.samples ?? 0,
    runs,
  };
}

function describe(l: Latency): string {
  return `first tile ${l.firstTile.toFixed(3)} s, all tiles ${l.viewport.toFixed(3)} s (train ${l.trainMs?.toFixed(0)} ms, ${l.samples} samples, longest event-loop stall ${l.maxLoopDelayMs.toFixed(1)} ms)`;
}

async function referenceRun(
  python: string,
  image: string,
  labels: string,
  dir: string,
): Promise<ReferenceFigure> {
  const script = path.join(sharedDir(), "reference/ilastik_ref.py");
  const runs: { train: number; predict: number; samples: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const { stdout } = await promisify(execFile)(
      python,
      [
        script,
        "classify",
        "--train",
        image,
        "--labels",
        labels,
        "--predict",
        image,
        "--out",
        path.join(dir, "ref.h5"),
        "--threads",
        "2",
      ],
      { maxBuffer: 1 << 24 },
    );
    const line = stdout.trim().split("\n").at(-1) ?? "";
    const parsed = JSON.parse(line) as {
      train_seconds?: unknown;
      predict_seconds?: unknown;
      samples?: unknown;
    };
    if (typeof parsed.train_seconds !== "number" || typeof parsed.predict_seconds !== "number")
      throw new Error(`no train_seconds / predict_seconds in the reference's output: ${line}`);
    runs.push({
      train: parsed.train_seconds,
      predict: parsed.predict_seconds,
      samples: Number(parsed.samples),
    });
    log(
      `  reference run ${i + 1}: train ${parsed.train_seconds.toFixed(3)} s + predict ${parsed.predict_seconds.toFixed(3)} s (${parsed.samples} samples)`,
    );
  }
  const totals = runs.map((r) => r.train + r.predict);
  const m = median(totals);
  const at = runs[totals.indexOf(m)] ?? runs[0];
  return { seconds: m, runs: totals, train: at.train, predict: at.predict, samples: at.samples };
}

/**
 * Runs the live benchmark (see the header). `python` is the reference's interpreter, or null when the
 * reference is unavailable.
 */
export async function benchLive(python: string | null): Promise<LiveBenchResult> {
  const dir = mkdtempSync(path.join(tmpdir(), "sylva-bench-live-"));
  const featurePool = await FeaturePool.start();
  const forestPool = await ForestPool.start();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const projects: LiveProject[] = [];
  try {
    const shared = sharedDir();
    const raw = mirroredSlice(path.join(shared, "data/isbi2012/raw/00.png"), SIZE);
    const gt = mirroredSlice(path.join(shared, "data/isbi2012/gt/00.png"), SIZE).data;
    const store = new FsBlobStore(path.join(dir, "store"));
    const datasetId = await importMemoryVolume(store, raw.data, [SIZE, SIZE], "yx", "isbi-00-1024");
    const membrane = scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 1, count: 12, seed: 1 });
    const cells = scribbleStrokes(gt, SIZE, SIZE, { datasetId, classId: 2, count: 12, seed: 2 });
    const featureCache = new FeatureCache();
    const view: View = {
      datasetId: datasetIdSchema.parse(datasetId),
      plane: "xy",
      t: 0,
      slice: 0,
      level: 0,
      viewport: { u0: 0, v0: 0, u1: SIZE, v1: SIZE },
      layers: ["probabilities"],
    };
    const tiles = (SIZE / TILE_SIZE) ** 2;
    let generation = 0;
    const frames: { at: number; frame: TileFrame }[] = [];

    /** A new project with the viewer looking at the whole image and three class-1 strokes painted. */
    const start = async () => {
      const doc = new Y.Doc();
      initProjectDoc(doc);
      const project = new LiveProject({
        projectId: `bench-${projects.length}`,
        doc,
        store,
        featurePool,
        forestPool,
        featureCache,
        nextGeneration: async () => ++generation,
        sink: (_id, frame) => frames.push({ at: performance.now(), frame }),
      });
      projects.push(project);
      project.setViews(new Map([["viewer", view]]));
      for (const s of membrane.slice(0, 3)) appendStroke(doc, s);
      await project.whenIdle();
      if (project.state().status !== "waiting-for-labels")
        throw new Error(
          `expected "waiting-for-labels" before any class-2 stroke, got ${project.state().status}`,
        );
      return { doc, project };
    };

    /** Appends `stroke` and times the new generation's tiles. */
    const measure = async (doc: Y.Doc, project: LiveProject, stroke: Stroke): Promise<Latency> => {
      const before = generation;
      frames.length = 0;
      delay.reset();
      delay.enable();
      const t0 = performance.now();
      appendStroke(doc, stroke);
      const mine = () => frames.filter((f) => f.frame.generation > before);
      while (new Set(mine().map((f) => `${f.frame.u0}/${f.frame.v0}`)).size < tiles) {
        if (project.state().status === "error") throw new Error(`training failed: ${project.state().error}`);
        await new Promise((r) => setTimeout(r, 1));
      }
      delay.disable();
      const got = mine();
      const state = project.state();
      const b = project.stats().lastTraining;
      if (b)
        log(
          `    training: plan ${b.planMs.toFixed(1)} ms, features ${b.featuresMs.toFixed(1)} ms, gather ${b.gatherMs.toFixed(1)} ms, forest ${b.forestMs.toFixed(1)} ms`,
        );
      const latency: Latency = {
        firstTile: (got[0].at - t0) / 1000,
        viewport: (got[got.length - 1].at - t0) / 1000,
        trainMs: state.lastTrainMs,
        samples: Object.values(state.samplesPerClass).reduce((a, c) => a + c, 0),
        maxLoopDelayMs: delay.max / 1e6,
      };
      await project.whenIdle();
      return latency;
    };

    // The very first training of the process: cold pools; the viewer's features prefetched before.
    const t0 = performance.now();
    let session = await start();
    const prefetchSeconds = (performance.now() - t0) / 1000;
    log(
      `live: 1024² ISBI, 49 features; the viewport's features prefetched in ${prefetchSeconds.toFixed(2)} s`,
    );
    const firstTrainingCold = await measure(session.doc, session.project, cells[0]);
    log(`  first training, cold pools: ${describe(firstTrainingCold)}`);
    // The first training of further projects (warm pools, features cached).
    const firstRuns: Latency[] = [];
    for (let i = 0; i < FIRST_RUNS; i++) {
      session.project.close();
      session = await start();
      firstRuns.push(await measure(session.doc, session.project, cells[0]));
      log(`  first training of a new project: ${describe(firstRuns[i])}`);
    }
    const painted: Stroke[] = [...membrane.slice(0, 3), cells[0]];
    const firstLabels = labelImage(painted, SIZE, SIZE);

    // Retraining: further strokes, alternating the classes as a person corrects the classifier.
    const order: Stroke[] = [];
    for (let i = 0; order.length < RETRAIN_STROKES; i++) order.push(membrane[3 + i], cells[1 + i]);
    const retraining: Latency[] = [];
    for (const s of order.slice(0, RETRAIN_STROKES)) {
      painted.push(s);
      const l = await measure(session.doc, session.project, s);
      retraining.push(l);
      log(`  retraining (stroke ${painted.length}, class ${s.classId}): ${describe(l)}`);
    }
    const lastLabels = labelImage(painted, SIZE, SIZE);
    // The final labels again: an eraser stroke where nothing is labeled retrains on the same samples.
    let spot = 0;
    while (lastLabels[spot] !== 0) spot++;
    const finalRuns: Latency[] = [];
    for (let i = 0; i < FINAL_RUNS; i++) {
      const eraser: Stroke = {
        ...order[0],
        id: `eraser-${i}`,
        classId: 0,
        diameter: 1,
        points: [[spot % SIZE, Math.floor(spot / SIZE)]],
      };
      finalRuns.push(await measure(session.doc, session.project, eraser));
      log(`  retraining on the final labels: ${describe(finalRuns[i])}`);
    }
    session.project.close();

    let first: ReferenceFigure | null = null;
    let last: ReferenceFigure | null = null;
    if (python) {
      const image = path.join(dir, "image.png");
      writeFileSync(image, encodePng({ data: raw.data, shape: [SIZE, SIZE], axes: "yx" }));
      const write = (name: string, labels: Uint8Array) => {
        const file = path.join(dir, name);
        writeFileSync(file, encodePng({ data: labels, shape: [SIZE, SIZE], axes: "yx" }));
        return file;
      };
      log("  reference, labels of the first training:");
      first = await referenceRun(python, image, write("labels-first.png", firstLabels), dir);
      log("  reference, the final labels:");
      last = await referenceRun(python, image, write("labels-last.png", lastLabels), dir);
    }
    return {
      size: SIZE,
      tiles,
      channels: 49,
      debounceMs: DEFAULT_DEBOUNCE_MS,
      prefetchSeconds,
      firstTrainingCold,
      firstTraining: summary(firstRuns),
      retraining,
      retrainingMedian: {
        firstTile: median(retraining.map((r) => r.firstTile)),
        viewport: median(retraining.map((r) => r.viewport)),
      },
      retrainingWorstFirstTile: Math.max(...retraining.map((r) => r.firstTile)),
      finalLabels: summary(finalRuns),
      reference: { first, last },
    };
  } finally {
    delay.disable();
    for (const p of projects) p.close();
    await Promise.all([featurePool.close(), forestPool.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

function ratio3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The live section's table. */
export function liveTable(r: LiveBenchResult): string {
  const lines: string[] = [];
  const label = 62;
  const row = (title: string, seconds: number, ref: number | null, note = "") => {
    const ratio = ref ? ratio3(seconds / ref).toFixed(3) : "";
    lines.push(`${title.padEnd(label)}${seconds.toFixed(3).padStart(8)}  ${ratio.padStart(8)}${note}`);
  };
  const { first, last } = r.reference;
  lines.push(`${"".padEnd(label)}${"seconds".padStart(8)}  ${"ours/ref".padStart(8)}`);
  lines.push(
    `the viewer sees ${r.tiles} tiles of 256² (features cached); a lone stroke trains at once, bursts wait ${r.debounceMs} ms`,
  );
  lines.push(`first training (${r.firstTraining.samples} samples):`);
  row(
    `  stroke → first updated tile, median of ${r.firstTraining.runs.length}`,
    r.firstTraining.firstTile,
    first?.seconds ?? null,
  );
  row(
    `  stroke → all ${r.tiles} tiles, median of ${r.firstTraining.runs.length}`,
    r.firstTraining.viewport,
    first?.seconds ?? null,
  );
  row(
    "  stroke → first updated tile, cold worker pools",
    r.firstTrainingCold.firstTile,
    first?.seconds ?? null,
  );
  row(
    `  stroke → all ${r.tiles} tiles, cold worker pools`,
    r.firstTrainingCold.viewport,
    first?.seconds ?? null,
  );
  if (first)
    row(
      "  reference train + predict (vigra, 2 threads), median of 3",
      first.seconds,
      null,
      `   (train ${first.train.toFixed(3)}, predict ${first.predict.toFixed(3)})`,
    );
  lines.push(
    `retraining after each of ${r.retraining.length} more strokes (${r.retraining[0]?.samples ?? 0} … ${r.retraining.at(-1)?.samples ?? 0} samples):`,
  );
  row("  stroke → first updated tile, median", r.retrainingMedian.firstTile, null);
  row("  stroke → first updated tile, slowest", r.retrainingWorstFirstTile, null);
  row(`  stroke → all ${r.tiles} tiles, median`, r.retrainingMedian.viewport, null);
  lines.push(`retraining on the final labels (${r.finalLabels.samples} samples):`);
  row(
    `  stroke → first updated tile, median of ${r.finalLabels.runs.length}`,
    r.finalLabels.firstTile,
    last?.seconds ?? null,
  );
  row(
    `  stroke → all ${r.tiles} tiles, median of ${r.finalLabels.runs.length}`,
    r.finalLabels.viewport,
    last?.seconds ?? null,
  );
  if (last)
    row(
      "  reference train + predict (vigra, 2 threads), median of 3",
      last.seconds,
      null,
      `   (train ${last.train.toFixed(3)}, predict ${last.predict.toFixed(3)})`,
    );
  const all = [r.firstTrainingCold, ...r.firstTraining.runs, ...r.retraining, ...r.finalLabels.runs];
  lines.push(
    `longest event-loop stall during any measurement: ${Math.max(...all.map((l) => l.maxLoopDelayMs)).toFixed(1)} ms`,
  );
  lines.push("");
  const firstTile = Math.max(
    r.firstTraining.firstTile,
    r.retrainingMedian.firstTile,
    r.finalLabels.firstTile,
  );
  lines.push(
    `first tile: ${firstTile.toFixed(3)} s (worst of the medians; slowest single stroke ${Math.max(...all.map((l) => l.firstTile)).toFixed(3)} s) — target ≤ ${LIVE_TARGETS.firstTileSeconds} s: ${firstTile <= LIVE_TARGETS.firstTileSeconds ? "MET" : "NOT MET"}`,
  );
  if (first && last) {
    const x = Math.max(
      ratio3(r.firstTraining.viewport / first.seconds),
      ratio3(r.finalLabels.viewport / last.seconds),
    );
    const cold = ratio3(r.firstTrainingCold.viewport / first.seconds);
    lines.push(
      `full viewport / reference: ${x.toFixed(3)} (worse of first and final labels; cold pools ${cold.toFixed(3)}) — target ≤ ${LIVE_TARGETS.viewportRatio}: ${x <= LIVE_TARGETS.viewportRatio ? "MET" : "NOT MET"}`,
    );
  }
  return lines.join("\n");
}
