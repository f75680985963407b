// `npm run bench` (apps/compute): ilastik's filter features, ours against the reference, in one run.
//
//   (a) the ISBI 2012 slice 00 mirrored to 1024 × 1024 uint8, all 6 features at the 7 default scales
//       (49 channels);
//   (b) a synthetic 128³ uint8 volume (Gaussian blobs + noise), all features in true 3D (61 channels).
//
// For each: the WebAssembly SIMD backend on the worker pool (all cores; warm pool median of 3, and the
// cold first run including the pool's start), the same backend on one thread, the plain-JS backend on
// one thread (one run), and the reference (../shared/reference/ilastik_ref.py on vigra; its own reported
// compute time, without file I/O; median of 3 for (a), one run for (b)). Prints a table with the ratios
// ours / reference (the target is ≤ 0.25) and writes the figures to apps/compute/.bench/features.json.
//
// Then the random forest (bench/forest.ts): training, 1 Mpx prediction and the whole ISBI pipeline, ours
// against the reference (targets ≤ 1, ≤ 0.5, ≤ 0.5), written to apps/compute/.bench/forest.json.
//
// Then the datasets (bench/datasets.ts): `sylva import` of a 1 GiB uint16 stack (128 TIFFs, and one HDF5
// dataset; generated once into apps/compute/.bench/import-inputs/) through the CLI in a child process —
// seconds, MB/s and peak RSS (target < 1 GiB) — against the same conversion with python3-zarr 2.13 (level 0
// only, so the ratio ours / reference is conservative), and the latency of 256 × 256 tile reads at level 0
// from the file system and from S3 (s3rver on loopback); written to apps/compute/.bench/datasets.json.
//
// Environment: SYLVA_BENCH_JS=0 skips the plain-JS backend (the slowest part); SYLVA_BENCH_PYTHON
// names another interpreter for the reference (default /usr/bin/python3, Debian's, which has vigra);
// SYLVA_BENCH_SECTIONS=features, =forest, =datasets or =live (comma-separated; or the same names as
// arguments: `node dist/bench/main.js live`) runs those sections (default all).
//
// Then live update (bench/live.ts): stroke → first updated tile and → all 16 tiles of a 1024² viewport,
// against the reference's train + predict on the same labels (targets ≤ 0.3 s and ≤ 1 ×), written to
// apps/compute/.bench/live.json.

import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { FeatureEntry, FeaturePlan, Volume5 } from "@sylva/core";
import {
  computeFeatures,
  DEFAULT_SCALES,
  encodePng,
  FEATURE_IDS,
  JsBackend,
  planFeatures,
  selectionEntries,
  WasmBackend,
  writeHdf5,
} from "@sylva/core";
import { chooseBlockShape, FeaturePool } from "../pool/features-pool.js";
import { benchDatasets, datasetsTable } from "./datasets.js";
import { benchForest, FOREST_TARGETS, forestTable } from "./forest.js";
import {
  collectGarbage,
  median,
  mirroredSlice,
  repoRoot,
  sharedDir,
  syntheticVolume,
  timed,
} from "./inputs.js";
import { benchLive, LIVE_TARGETS, liveTable } from "./live.js";

const TARGET = 0.25;
const PYTHON = process.env.SYLVA_BENCH_PYTHON || "/usr/bin/python3";
const INSTALL = "apt-get install -y python3-vigra python3-h5py python3-pil python3-tifffile";
const runJs = process.env.SYLVA_BENCH_JS !== "0";

interface Figure {
  /** Median of `runs` (seconds). */
  readonly seconds: number;
  readonly runs: readonly number[];
}

interface CaseResult {
  readonly name: string;
  readonly description: string;
  readonly shape: readonly number[];
  readonly channels: number;
  readonly poolWorkers: number;
  readonly poolBlockShape: readonly number[];
  readonly singleBlockShape: readonly number[];
  readonly poolWarm: Figure;
  readonly poolCold: Figure;
  readonly wasmSingle: Figure;
  readonly jsSingle: Figure | null;
  readonly reference: (Figure & { readonly shape: readonly number[] }) | null;
}

/** Ratios are shown and judged at 3 decimals, so that the verdict matches the printed figure. */
function ratio3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function figure(runs: number[]): Figure {
  return { seconds: median(runs), runs };
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Whether the reference can run here; the reason if not. */
function referenceProblem(): string | null {
  const script = path.join(sharedDir(), "reference/ilastik_ref.py");
  if (!existsSync(script)) return `${script} not found`;
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    execFileSync(PYTHON, ["-c", "import vigra, h5py, PIL, numpy"], { stdio: "pipe" });
    return null;
  } catch (e) {
    const err = (e as { stderr?: Buffer }).stderr?.toString().trim().split("\n").at(-1);
    return `${PYTHON} cannot import vigra, h5py and PIL (${err ?? String(e)})`;
  }
}

/** Runs the reference's `features` command on `spec`; returns its own compute time and output shape. */
async function runReference(spec: string, dir: string): Promise<{ seconds: number; shape: number[] }> {
  const out = path.join(dir, "reference-features.h5");
  const script = path.join(sharedDir(), "reference/ilastik_ref.py");
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [script, "features", spec, out], {
      maxBuffer: 1 << 24,
    });
    const line = stdout.trim().split("\n").at(-1) ?? "";
    const parsed = JSON.parse(line) as { seconds?: unknown; shape?: unknown };
    if (typeof parsed.seconds !== "number")
      throw new Error(`no "seconds" in the reference's output: ${line}`);
    return { seconds: parsed.seconds, shape: (parsed.shape as number[]) ?? [] };
  } finally {
    rmSync(out, { force: true });
  }
}

async function benchCase(
  name: string,
  description: string,
  input: Volume5,
  entries: readonly FeatureEntry[],
  referenceInput: ((dir: string) => Promise<string>) | null,
  referenceRuns: number,
  singleRuns: number,
): Promise<CaseResult> {
  const plan: FeaturePlan = planFeatures(entries, input.shape);
  log(`\n${name}: ${description}, ${plan.channelCount} channels`);

  // Pool: the cold first run includes starting the workers; then three warm runs.
  collectGarbage();
  let pool: FeaturePool | undefined;
  const cold = await timed(async () => {
    pool = await FeaturePool.start();
    return (await pool.compute(input, entries)).features.length;
  });
  const workers = pool!.size;
  const poolBlockShape = chooseBlockShape(plan, workers);
  log(`  pool cold (start + first run, ${workers} workers): ${cold.seconds.toFixed(3)} s`);
  const warm: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      collectGarbage();
      warm.push((await timed(() => pool!.compute(input, entries).then((r) => r.features.length))).seconds);
      log(`  pool warm run ${i + 1}: ${warm[i].toFixed(3)} s`);
    }
  } finally {
    await pool!.close();
  }

  // One thread, WebAssembly SIMD, with the single-worker block shape.
  const singleBlockShape = chooseBlockShape(plan, 1);
  const wasm = await WasmBackend.create();
  const single: number[] = [];
  for (let i = 0; i < singleRuns; i++) {
    collectGarbage();
    single.push(
      (await timed(() => computeFeatures(wasm, input, plan, { blockShape: singleBlockShape }).length))
        .seconds,
    );
    log(`  wasm 1 thread run ${i + 1}: ${single[i].toFixed(3)} s`);
  }

  // One thread, plain JavaScript: once.
  let js: Figure | null = null;
  if (runJs) {
    collectGarbage();
    // Sized up front like the WASM backend's memory after the same blocks: JsBackend.ensure can grow its
    // buffer to a size that is not a multiple of 8 and then fails ("byte length of Float64Array should be
    // a multiple of 8"); with the final size reserved it never grows.
    const jsBackend = new JsBackend();
    jsBackend.ensure(wasm.memory().byteLength);
    const t = await timed(
      () => computeFeatures(jsBackend, input, plan, { blockShape: singleBlockShape }).length,
    );
    js = figure([t.seconds]);
    log(`  js 1 thread: ${t.seconds.toFixed(3)} s`);
  }
  collectGarbage();

  // The reference.
  let reference: CaseResult["reference"] = null;
  if (referenceInput) {
    const dir = mkdtempSync(path.join(tmpdir(), "sylva-bench-"));
    try {
      const spec = await referenceInput(dir);
      const runs: number[] = [];
      let shape: number[] = [];
      for (let i = 0; i < referenceRuns; i++) {
        const r = await runReference(spec, dir);
        runs.push(r.seconds);
        shape = r.shape;
        log(`  reference run ${i + 1}: ${r.seconds.toFixed(3)} s (shape [${r.shape.join(", ")}])`);
      }
      reference = { ...figure(runs), shape };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    name,
    description,
    shape: input.shape,
    channels: plan.channelCount,
    poolWorkers: workers,
    poolBlockShape,
    singleBlockShape,
    poolWarm: figure(warm),
    poolCold: figure([cold.seconds]),
    wasmSingle: figure(single),
    jsSingle: js,
    reference,
  };
}

function table(results: readonly CaseResult[], referenceNote: string | null): string {
  const rows: [string, (r: CaseResult) => Figure | null][] = [
    ["WASM SIMD, worker pool, warm (median of 3)", (r) => r.poolWarm],
    ["WASM SIMD, worker pool, cold (incl. start)", (r) => r.poolCold],
    ["WASM SIMD, 1 thread", (r) => r.wasmSingle],
    ["plain JS, 1 thread (1 run)", (r) => r.jsSingle],
    ["reference ilastik_ref.py (vigra, 1 thread)", (r) => r.reference],
  ];
  const label = 44;
  const col = 24;
  const lines: string[] = [];
  const head = results.map((r) => r.name.padEnd(col)).join("");
  lines.push(`${"".padEnd(label)}${head}`);
  lines.push(`${"".padEnd(label)}${results.map(() => "seconds  ours/ref".padEnd(col)).join("")}`);
  for (const [title, get] of rows) {
    const cells = results.map((r) => {
      const f = get(r);
      if (!f) return "—".padStart(7).padEnd(col);
      const ref = r.reference?.seconds;
      const ratio = get === rows[4][1] ? "" : ref ? ratio3(f.seconds / ref).toFixed(3) : "n/a";
      return `${f.seconds.toFixed(3).padStart(7)}  ${ratio.padStart(8)}`.padEnd(col);
    });
    lines.push(`${title.padEnd(label)}${cells.join("")}`);
  }
  lines.push("");
  for (const r of results) {
    const ref = r.reference?.seconds;
    if (!ref) continue;
    const pool = ratio3(r.poolWarm.seconds / ref);
    const single = ratio3(r.wasmSingle.seconds / ref);
    lines.push(
      `${r.name}: ours (warm pool) / reference = ${pool.toFixed(3)} — target ≤ ${TARGET}: ${pool <= TARGET ? "MET" : "NOT MET"}` +
        ` (1 thread: ${single.toFixed(3)}, ${single <= TARGET ? "met" : "not met"})`,
    );
  }
  if (referenceNote) lines.push(referenceNote);
  return lines.join("\n");
}

function gitCommit(root: string): string | null {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, stdio: "pipe" })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

/** The machine line of every section's title. */
function machine(): string {
  return `${availableParallelism()} CPUs (${cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}`;
}

/** Writes a section's figures, with what they were measured on, to apps/compute/.bench/<name>.json. */
function writeReport(name: string, figures: Record<string, unknown>): void {
  const root = repoRoot();
  const file = path.join(root, `apps/compute/.bench/${name}.json`);
  mkdirSync(path.dirname(file), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    commit: gitCommit(root),
    node: process.version,
    cpus: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown CPU",
    ...figures,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nFigures written to ${path.relative(process.cwd(), file) || file}`);
}

async function featuresSection(): Promise<void> {
  const root = repoRoot();
  const shared = sharedDir();
  const problem = referenceProblem();
  const referenceNote = problem
    ? `The reference is unavailable: ${problem}.\nInstall it with: ${INSTALL} (Debian's /usr/bin/python3).`
    : null;
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  log(
    `Sylva feature benchmark: ${availableParallelism()} CPUs (${cpu}), Node ${process.version}` +
      (problem ? `\n${referenceNote}` : ""),
  );

  const all = (in2d: boolean) =>
    selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d });

  const isbi = path.join(shared, "data/isbi2012/raw/00.png");
  const img = mirroredSlice(isbi, 1024);
  const a = await benchCase(
    "(a) 1024² uint8",
    "ISBI 2012 slice 00 mirrored to 1024 × 1024",
    img,
    all(false),
    problem
      ? null
      : async (dir) => {
          const file = path.join(dir, "input.png");
          writeFileSync(file, encodePng({ data: img.data, shape: [1024, 1024], axes: "yx" }));
          return file;
        },
    3,
    3,
  );

  const vol = syntheticVolume(128);
  const b = await benchCase(
    "(b) 128³ uint8",
    "synthetic blobs + noise, true 3D",
    vol,
    all(false),
    problem
      ? null
      : async (dir) => {
          const file = path.join(dir, "input.h5");
          writeFileSync(file, await writeHdf5([{ path: "data", data: vol.data, shape: [128, 128, 128] }]));
          return `${file}/data`;
        },
    1,
    3,
  );

  const results = [a, b];
  const previousFile = path.join(root, "apps/compute/.bench/features.json");
  let previous: { date?: string; commit?: string; cases?: CaseResult[] } | undefined;
  try {
    previous = JSON.parse(readFileSync(previousFile, "utf8"));
  } catch {
    previous = undefined;
  }

  console.log(
    `\nSylva filter features vs ilastik's reference — ${availableParallelism()} CPUs (${cpu}), Node ${process.version}, ` +
      `pool of ${a.poolWorkers} workers; blocks: pool ${a.poolBlockShape.join("×")} / ${b.poolBlockShape.join("×")}, ` +
      `1 thread ${a.singleBlockShape.join("×")} / ${b.singleBlockShape.join("×")}`,
  );
  console.log(table(results, referenceNote));
  if (previous?.cases)
    for (const r of results) {
      const p = previous.cases.find((c) => c.name === r.name);
      if (p)
        console.log(
          `${r.name}: warm pool ${r.poolWarm.seconds.toFixed(3)} s, previous run (${previous.commit ?? "?"}, ${previous.date ?? "?"}) ${p.poolWarm.seconds.toFixed(3)} s`,
        );
    }

  mkdirSync(path.dirname(previousFile), { recursive: true });
  const report = {
    date: new Date().toISOString(),
    commit: gitCommit(root),
    node: process.version,
    cpus: availableParallelism(),
    cpu,
    target: TARGET,
    reference: problem ? { available: false, reason: problem } : { available: true },
    cases: results,
    ratios: Object.fromEntries(
      results.map((r) => {
        const ref = r.reference?.seconds;
        const ratio = (f: Figure | null) => (ref && f ? f.seconds / ref : null);
        return [
          r.name,
          {
            poolWarm: ratio(r.poolWarm),
            poolCold: ratio(r.poolCold),
            wasmSingle: ratio(r.wasmSingle),
            jsSingle: ratio(r.jsSingle),
            targetMet: ref ? ratio3(r.poolWarm.seconds / ref) <= TARGET : null,
          },
        ];
      }),
    ),
  };
  writeFileSync(previousFile, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nFigures written to ${path.relative(process.cwd(), previousFile) || previousFile}`);
}

/** The forest section: its table, and the figures in apps/compute/.bench/forest.json. */
async function forestSection(): Promise<void> {
  const problem = referenceProblem();
  const result = await benchForest(problem ? null : PYTHON);
  console.log(`\nSylva random forest vs ilastik's reference — ${machine()}`);
  console.log(forestTable(result));
  if (problem)
    console.log(`The reference is unavailable: ${problem}.\nInstall it with: ${INSTALL} python3-sklearn`);
  writeReport("forest", {
    targets: FOREST_TARGETS,
    reference: problem ? { available: false, reason: problem } : { available: true },
    ...result,
  });
}

/** The datasets section: its table beside the previous run's, and apps/compute/.bench/datasets.json. */
async function datasetsSection(): Promise<void> {
  const file = path.join(repoRoot(), "apps/compute/.bench/datasets.json");
  let previous: Parameters<typeof datasetsTable>[1];
  try {
    previous = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    previous = undefined;
  }
  const result = await benchDatasets();
  console.log(`\nSylva dataset import and tile reads — ${machine()}`);
  console.log(datasetsTable(result, previous));
  writeReport("datasets", { ...result });
}

/** The live section: stroke-to-tile latency against the reference, and apps/compute/.bench/live.json. */
async function liveSection(): Promise<void> {
  const problem = referenceProblem();
  const result = await benchLive(problem ? null : PYTHON);
  console.log(`\nSylva live update (stroke → probability tiles) vs ilastik's reference — ${machine()}`);
  console.log(liveTable(result));
  if (problem) console.log(`The reference is unavailable: ${problem}.\nInstall it with: ${INSTALL}`);
  writeReport("live", {
    targets: LIVE_TARGETS,
    referenceAvailable: problem ? { available: false, reason: problem } : { available: true },
    ...result,
  });
}

// Sections: from SYLVA_BENCH_SECTIONS, or the command line (`node dist/bench/main.js live`).
const chosen =
  process.argv.slice(2).join(",") || process.env.SYLVA_BENCH_SECTIONS || "features,forest,datasets,live";
const sections = new Set(chosen.split(","));
if (sections.has("features")) await featuresSection();
if (sections.has("forest")) await forestSection();
if (sections.has("datasets")) await datasetsSection();
if (sections.has("live")) await liveSection();
