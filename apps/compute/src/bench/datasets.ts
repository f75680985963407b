// The datasets section of `npm run bench`: importing microscopy volumes into chunked multiscale OME-Zarr,
// and reading tiles back, from the file system and from S3.
//
//   inputs     a 1 GiB uint16 stack, 128 slices of 2048 × 2048 (smooth EM-like structure: a few
//              low-frequency waves and curved dark "membranes" around 30000, plus Gaussian noise σ = 40),
//              as 128 uncompressed TIFFs (0000.tif …) and as one contiguous HDF5 dataset "/data"; made once
//              by /usr/bin/python3 (numpy, tifffile, h5py), slice by slice, and cached in
//              apps/compute/.bench/import-inputs/ (regenerated when a file is missing or has the wrong size);
//   import     the real CLI, `node bin/sylva.js import … --dataset …`, as a child process into a fresh
//              data folder under .bench (deleted afterwards), for the TIFF folder and for volume.h5/data:
//              wall seconds of the whole process (Node's start included), MB/s of source bytes
//              (1 GiB = 1073.7 MB over those seconds), and its peak RSS, read from
//              process.resourceUsage().maxRSS at exit by a `-r` preload hook; the import must stay under
//              1 GiB. Median of IMPORT_RUNS runs (peak RSS: the largest);
//   reference  the same conversion in Python with Debian's python3-zarr 2.13 + numcodecs: 64-slice slabs
//              (tifffile / h5py) written to a Zarr v2 array, chunks 64³, Zlib level 1, "/" separator; its
//              own time (inside Python, after imports) and peak RSS (getrusage). It writes level 0 only
//              and on one thread, while Sylva also writes the pyramid (about 1/7 more chunks) with
//              compression on libuv's pool: the ratio ours / reference is conservative for the format work;
//   tiles      after the TIFF import, openDataset() in this process on an FsBlobStore of that data folder:
//              60 random 256 × 256 xy tiles at level 0 (random z, y, x; mostly 5 × 5 chunks each) and 20
//              xz tiles (256 x × 64 z), each read once (cold for zarrita, which caches nothing; the OS page
//              cache is warm): median and p95 ms. Then the same on S3 — s3rver on loopback (one
//              Node process, devtools/s3rver.ts), holding a copy of the level-0 chunks with z chunk index
//              0 and the metadata, tiles restricted to z < 64 — which shows the per-request cost of the S3
//              path, not a network's;
//   small      the whole ISBI 2012 stack (30 PNGs of 512², uint8) imported once through the CLI.
//
// Environment: SYLVA_BENCH_PYTHON names the interpreter (default /usr/bin/python3); the ratio needs
// python3-zarr and python3-numcodecs (apt-get install -y python3-zarr python3-tifffile python3-h5py).
// About 4 minutes on the 2-core machine here, plus about a minute for the inputs the first time.

import { spawn } from "node:child_process";
import { createHash, type Hash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { VolumeReader } from "@sylva/core";
import { datasetIdSchema } from "@sylva/shared";
import { CATALOG_PREFIX, datasetPrefix } from "../datasets/catalog.js";
import { openDataset } from "../datasets/open.js";
import { forEachLimited } from "../datasets/tasks.js";
import { startS3Server } from "../devtools/s3rver.js";
import type { BlobStore } from "../storage/blob-store.js";
import { storeFromEnv } from "../storage/config.js";
import { FsBlobStore } from "../storage/fs-store.js";
import { median, random, repoRoot, sharedDir, timed } from "./inputs.js";

const PYTHON = process.env.SYLVA_BENCH_PYTHON || "/usr/bin/python3";
const SLICES = 128;
const SIDE = 2048;
const SLICE_BYTES = SIDE * SIDE * 2;
const SOURCE_BYTES = SLICES * SLICE_BYTES;
/** An uncompressed TIFF of one slice: the pixels plus at most this much of header and tags. */
const TIFF_OVERHEAD = 64 * 1024;
const HDF5_OVERHEAD = 2 ** 20;
const IMPORT_RUNS = 2;
const RSS_LIMIT_MIB = 1024;
const TILE = 256;
const XZ_DEPTH = 64;
const XY_TILES = 60;
const XZ_TILES = 20;
const S3_COPY_CONCURRENCY = 16;

/** Writes the synthetic stack as TIFFs into argv[1] and/or HDF5 argv[2] ("" skips one), slice by slice. */
const GENERATE_PY = `
import os, sys
import numpy as np

tiff_dir, h5_file, slices, side = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(2012)
y = np.arange(side, dtype=np.float32)
x = np.arange(side, dtype=np.float32)
# Smooth background: waves of 150-900 px wavelength, drifting along z; cos(a + b) = cos a cos b - sin a sin b
# keeps each an outer product.
waves = [(rng.uniform(300, 1200), 2 * np.pi / rng.uniform(150, 900), rng.uniform(0, 2 * np.pi, 3),
          rng.uniform(-1, 1, 3)) for _ in range(6)]
# Curved dark lines ("membranes") where a warped phase crosses a multiple of pi.
membranes = [(2 * np.pi / rng.uniform(90, 250), rng.uniform(0, 2 * np.pi), rng.uniform(-1, 1, 2))
             for _ in range(2)]

def slice_at(z):
    v = np.full((side, side), 30000.0, dtype=np.float32)
    for amp, k, phase, d in waves:
        ay = (k * d[0] * y + phase[0] + 0.01 * d[2] * z).astype(np.float32)
        ax = (k * d[1] * x + phase[1]).astype(np.float32)
        v += amp * (np.outer(np.cos(ay), np.cos(ax)) - np.outer(np.sin(ay), np.sin(ax)))
    for k, phase, d in membranes:
        warp = (40 * np.sin(y / 170 + z / 30)).astype(np.float32)
        c = np.cos(k * (d[0] * (y + warp)[:, None] + d[1] * x[None, :]) + phase + 0.02 * z)
        v -= 5000 * np.exp(-(c * c) / 0.01)
    v += 40 * np.random.default_rng(z).standard_normal((side, side), dtype=np.float32)
    return np.clip(np.rint(v), 0, 65535).astype(np.uint16)

h5 = None
if h5_file:
    import h5py
    h5_temp = os.path.join(os.path.dirname(h5_file), ".tmp-" + os.path.basename(h5_file))
    h5 = h5py.File(h5_temp, "w")
    data = h5.create_dataset("data", shape=(slices, side, side), dtype="uint16")
if tiff_dir:
    import tifffile
    os.makedirs(tiff_dir, exist_ok=True)
for z in range(slices):
    s = slice_at(z)
    if tiff_dir:
        name = "%04d.tif" % z
        temp = os.path.join(tiff_dir, ".tmp-" + name)
        tifffile.imwrite(temp, s)
        os.replace(temp, os.path.join(tiff_dir, name))
    if h5 is not None:
        data[z] = s
    if z % 16 == 15:
        print("  generated %d / %d slices" % (z + 1, slices), file=sys.stderr, flush=True)
if h5 is not None:
    h5.close()
    os.replace(h5_temp, h5_file)
`;

/** The reference conversion: argv = tiff|hdf5, the source (folder, or file), HDF5 dataset, output folder. */
const REFERENCE_PY = `
import json, os, resource, sys, time
import numpy as np
import numcodecs, zarr

kind, source, dataset, out = sys.argv[1:5]
SLAB = 64
t0 = time.perf_counter()
if kind == "tiff":
    import tifffile
    files = sorted(os.path.join(source, f) for f in os.listdir(source) if f.endswith(".tif"))
    first = tifffile.imread(files[0])
    shape, dtype = (len(files),) + first.shape, first.dtype
    def read(z0, z1):
        slab = np.empty((z1 - z0,) + shape[1:], dtype)
        for i, f in enumerate(files[z0:z1]):
            slab[i] = tifffile.imread(f)
        return slab
else:
    import h5py
    h5 = h5py.File(source, "r")
    d = h5[dataset]
    shape, dtype = d.shape, d.dtype
    def read(z0, z1):
        return d[z0:z1]
store = zarr.DirectoryStore(out, dimension_separator="/")
array = zarr.create(shape=shape, chunks=(SLAB, 64, 64), dtype=dtype, compressor=numcodecs.Zlib(level=1),
                    store=store, dimension_separator="/", overwrite=True)
for z0 in range(0, shape[0], SLAB):
    z1 = min(z0 + SLAB, shape[0])
    array[z0:z1] = read(z0, z1)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "shape": list(shape), "zarr": zarr.__version__, "numcodecs": numcodecs.__version__}))
`;

/** Preloaded into the CLI with -r: its peak resident set (KiB) on stderr at exit. */
const MAXRSS_HOOK = `process.on("exit", () => {
  process.stderr.write("\\nsylva-bench-maxrss-kib " + process.resourceUsage().maxRSS + "\\n");
});
`;

export interface ImportFigure {
  /** Median wall seconds of the runs. */
  readonly seconds: number;
  readonly runs: readonly number[];
  /** Source bytes (10⁶) per second, from the median. */
  readonly mbPerSecond: number;
  /** The largest peak RSS of the runs. */
  readonly maxRssMiB: number;
  readonly rssUnderLimit: boolean;
}

export interface ReferenceFigure {
  readonly seconds: number;
  readonly runs: readonly number[];
  readonly mbPerSecond: number;
  readonly maxRssMiB: number;
  readonly versions: string;
}

export interface ImportCase {
  readonly name: string;
  readonly source: string;
  readonly ours: ImportFigure;
  readonly reference: ReferenceFigure | null;
  /** ours / reference seconds. */
  readonly ratio: number | null;
}

export interface Latency {
  readonly tiles: number;
  readonly medianMs: number;
  readonly p95Ms: number;
}

export interface TileFigures {
  readonly xy: Latency;
  readonly xz: Latency;
  /** SHA-256 of every tile's voxels, in order: equal digests mean the same tiles read the same values. */
  readonly digest: string;
}

export interface S3Copy {
  readonly blobs: number;
  readonly bytes: number;
  readonly seconds: number;
}

export interface DatasetsBenchResult {
  readonly source: { readonly shape: readonly number[]; readonly dtype: "uint16"; readonly bytes: number };
  readonly importRuns: number;
  readonly imports: readonly ImportCase[];
  readonly reference: { readonly available: boolean; readonly reason?: string };
  readonly tiles: {
    /** Random z over the whole stack. */
    readonly fs: TileFigures;
    /** z < 64: the very tiles read from S3. */
    readonly fsFirstZChunk: TileFigures;
    readonly s3: (TileFigures & { readonly copy: S3Copy }) | null;
    /** Whether S3 returned the same voxels as the file system for the same tiles. */
    readonly s3MatchesFs?: boolean;
    /** Why S3 was skipped, if it was. */
    readonly s3Problem?: string;
  };
  readonly isbi: { readonly seconds: number; readonly maxRssMiB: number } | null;
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function benchDir(): string {
  return path.join(repoRoot(), "apps/compute/.bench");
}

function mb(bytes: number): number {
  return bytes / 1e6;
}

/** Runs a command to its end; `stderr: "inherit"` shows its stderr live instead of keeping it. */
function runCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stderr?: "inherit" } = {},
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", options.stderr ?? "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
    });
    child.once("error", reject);
    child.once("close", (code) =>
      resolve({ code, stdout, stderr, seconds: (performance.now() - t0) / 1000 }),
    );
  });
}

function check(done: Finished, what: string): Finished {
  if (done.code !== 0)
    throw new Error(
      `${what} failed (exit ${done.code}):\n${(done.stderr || done.stdout).trim().slice(-2000)}`,
    );
  return done;
}

// ---- inputs ----

interface Inputs {
  readonly tiffDir: string;
  readonly h5File: string;
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : -1;
}

function tiffsReady(dir: string): boolean {
  for (let z = 0; z < SLICES; z++) {
    const size = sizeOf(path.join(dir, `${String(z).padStart(4, "0")}.tif`));
    if (size < SLICE_BYTES || size > SLICE_BYTES + TIFF_OVERHEAD) return false;
  }
  return true;
}

function h5Ready(file: string): boolean {
  const size = sizeOf(file);
  return size >= SOURCE_BYTES && size <= SOURCE_BYTES + HDF5_OVERHEAD;
}

/** The cached inputs, generated first where missing or of the wrong size. */
async function prepareInputs(): Promise<Inputs> {
  const dir = path.join(benchDir(), "import-inputs");
  const inputs = { tiffDir: path.join(dir, "tiff"), h5File: path.join(dir, "volume.h5") };
  const tiff = !tiffsReady(inputs.tiffDir);
  const h5 = !h5Ready(inputs.h5File);
  if (!tiff && !h5) {
    log(`inputs: cached in ${path.relative(process.cwd(), dir) || dir}`);
    return inputs;
  }
  const what = [tiff && `${SLICES} TIFFs`, h5 && "volume.h5"].filter(Boolean).join(" and ");
  log(`inputs: generating ${what} (${SLICES} × ${SIDE} × ${SIDE} uint16, 1 GiB each) in ${dir}`);
  if (tiff) rmSync(inputs.tiffDir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const args = ["-c", GENERATE_PY, tiff ? inputs.tiffDir : "", h5 ? inputs.h5File : ""];
  const done = await runCommand(PYTHON, [...args, String(SLICES), String(SIDE)], { stderr: "inherit" });
  check(done, `${PYTHON} (generating the inputs; it needs numpy, tifffile and h5py)`);
  if (!tiffsReady(inputs.tiffDir) || !h5Ready(inputs.h5File))
    throw new Error(`the generated inputs in ${dir} do not have the expected sizes`);
  log(`  done in ${done.seconds.toFixed(1)} s`);
  return inputs;
}

// ---- import through the CLI ----

interface ImportRun {
  readonly id: string;
  readonly seconds: number;
  readonly maxRssMiB: number;
}

/** The `-r` hook file, written into .bench. */
function maxRssHook(): string {
  const file = path.join(benchDir(), "maxrss-hook.cjs");
  writeFileSync(file, MAXRSS_HOOK);
  return file;
}

/** The environment for the CLI: a file-system store in `dataDir`, whatever S3_* the bench runs with. */
function cliEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SYLVA_DATA_DIR: dataDir };
  for (const name of Object.keys(env)) if (name.startsWith("S3_")) delete env[name];
  return env;
}

/** `sylva import spec --dataset name` into `dataDir`: the dataset id, wall time and peak RSS. */
async function cliImport(spec: string, name: string, dataDir: string): Promise<ImportRun> {
  const cli = path.join(repoRoot(), "apps/compute/bin/sylva.js");
  const args = ["-r", maxRssHook(), cli, "import", spec, "--dataset", name];
  const done = check(
    await runCommand(process.execPath, args, { env: cliEnv(dataDir) }),
    `sylva import ${spec}`,
  );
  const rss = /sylva-bench-maxrss-kib (\d+)/.exec(done.stderr);
  const id = done.stdout.trim().split("\n").at(-1)?.split("\t")[0];
  if (!rss || !id)
    throw new Error(`unexpected output of sylva import ${spec}:\n${done.stdout}\n${done.stderr}`);
  return { id, seconds: done.seconds, maxRssMiB: Number(rss[1]) / 1024 };
}

/** Imports `spec` into a fresh data folder under .bench, calls `use` with it, then deletes it. */
async function withImport<T>(
  spec: string,
  name: string,
  use: (run: ImportRun, dataDir: string) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(path.join(benchDir(), "import-data-"));
  try {
    return await use(await cliImport(spec, name, dataDir), dataDir);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function importFigure(runs: readonly ImportRun[], bytes: number): ImportFigure {
  const seconds = median(runs.map((r) => r.seconds));
  const maxRssMiB = Math.max(...runs.map((r) => r.maxRssMiB));
  return {
    seconds,
    runs: runs.map((r) => r.seconds),
    mbPerSecond: mb(bytes) / seconds,
    maxRssMiB,
    rssUnderLimit: maxRssMiB < RSS_LIMIT_MIB,
  };
}

// ---- the reference ----

interface ReferenceRun {
  readonly seconds: number;
  readonly max_rss_kib: number;
  readonly zarr: string;
  readonly numcodecs: string;
}

/** Why the reference cannot run here, or null. */
async function referenceProblem(): Promise<string | null> {
  const done = await runCommand(PYTHON, ["-c", "import zarr, numcodecs, tifffile, h5py"]).catch(
    (e: Error) => ({ code: 1, stdout: "", stderr: e.message, seconds: 0 }),
  );
  if (done.code === 0) return null;
  return `${PYTHON} cannot import zarr, numcodecs, tifffile and h5py (${done.stderr.trim().split("\n").at(-1)})`;
}

/** One reference conversion of `kind` into a temporary folder under .bench (deleted afterwards). */
async function referenceRun(kind: "tiff" | "hdf5", source: string, dataset: string): Promise<ReferenceRun> {
  const out = mkdtempSync(path.join(benchDir(), "reference-zarr-"));
  try {
    const done = check(
      await runCommand(PYTHON, ["-c", REFERENCE_PY, kind, source, dataset, out]),
      `the reference (${kind})`,
    );
    const parsed = JSON.parse(done.stdout.trim().split("\n").at(-1) ?? "") as Partial<ReferenceRun>;
    if (typeof parsed.seconds !== "number" || typeof parsed.max_rss_kib !== "number")
      throw new Error(`unexpected output of the reference: ${done.stdout}`);
    return parsed as ReferenceRun;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function referenceFigure(runs: readonly ReferenceRun[]): ReferenceFigure {
  const seconds = median(runs.map((r) => r.seconds));
  return {
    seconds,
    runs: runs.map((r) => r.seconds),
    mbPerSecond: mb(SOURCE_BYTES) / seconds,
    maxRssMiB: Math.max(...runs.map((r) => r.max_rss_kib)) / 1024,
    versions: `python3-zarr ${runs[0].zarr}, numcodecs ${runs[0].numcodecs}`,
  };
}

// ---- tile reads ----

/** Nearest-rank percentile. */
function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

function latency(ms: readonly number[]): Latency {
  return { tiles: ms.length, medianMs: median(ms), p95Ms: percentile(ms, 95) };
}

/**
 * Reads `count` random tiles of `size` (z, y, x) from a zyx reader, z below `zLimit` (the same tiles for
 * the same seed and limit); the ms of each read, and each tile's voxels hashed into `hash` after its timing.
 */
async function readTiles(
  reader: VolumeReader,
  size: readonly [number, number, number],
  count: number,
  zLimit: number,
  seed: number,
  hash: Hash,
): Promise<number[]> {
  if (reader.axes !== "zyx") throw new Error(`expected a zyx dataset, got "${reader.axes}"`);
  const rnd = random(seed);
  const limits = [Math.min(zLimit, reader.shape[0]), reader.shape[1], reader.shape[2]];
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = limits.map((n, a) => Math.floor(rnd() * (n - size[a] + 1)));
    const stop = start.map((s, a) => s + size[a]);
    const { result, seconds } = await timed(() => reader.read({ start, stop }));
    ms.push(seconds * 1000);
    const { buffer, byteOffset, byteLength } = result.data;
    hash.update(new Uint8Array(buffer, byteOffset, byteLength));
  }
  return ms;
}

/** xy and xz tile latencies of dataset `id` at level 0, z below `zLimit`. */
async function tileLatencies(store: BlobStore, id: string, zLimit: number): Promise<TileFigures> {
  const reader = await (await openDataset(store, id)).level(0);
  const hash = createHash("sha256");
  const xy = await readTiles(reader, [1, TILE, TILE], XY_TILES, zLimit, 11, hash);
  const xz = await readTiles(reader, [XZ_DEPTH, 1, TILE], XZ_TILES, zLimit, 12, hash);
  return { xy: latency(xy), xz: latency(xz), digest: hash.digest("hex") };
}

/** The blobs an S3 copy of dataset `id` needs for tiles at z < 64: metadata and z-chunk 0 of level 0. */
async function blobsForFirstZChunk(store: BlobStore, id: string): Promise<string[]> {
  const prefix = datasetPrefix(datasetIdSchema.parse(id));
  const keys = [`${CATALOG_PREFIX}${id}.json`, `${prefix}.zgroup`, `${prefix}.zattrs`, `${prefix}0/.zarray`];
  for await (const key of store.list(`${prefix}0/0/`)) keys.push(key);
  return keys;
}

async function copyBlobs(from: BlobStore, to: BlobStore, keys: readonly string[]): Promise<S3Copy> {
  let bytes = 0;
  const { seconds } = await timed(() =>
    forEachLimited(keys, S3_COPY_CONCURRENCY, async (key) => {
      const data = await from.get(key);
      if (!data) throw new Error(`${key} disappeared from ${from.description}`);
      bytes += data.byteLength;
      await to.put(key, data);
    }),
  );
  return { blobs: keys.length, bytes, seconds };
}

/** Tile latencies on s3rver, holding the first z chunk row of dataset `id` copied from `fs`. */
async function s3TileLatencies(fs: BlobStore, id: string): Promise<TileFigures & { copy: S3Copy }> {
  const server = await startS3Server({ bucket: "sylva-bench" });
  try {
    const s3 = storeFromEnv(server.env);
    const keys = await blobsForFirstZChunk(fs, id);
    log(`  copying ${keys.length} blobs to s3rver at ${server.endpoint} …`);
    const copy = await copyBlobs(fs, s3, keys);
    log(`  copied ${mb(copy.bytes).toFixed(0)} MB in ${copy.seconds.toFixed(1)} s`);
    return { ...(await tileLatencies(s3, id, XZ_DEPTH)), copy };
  } finally {
    await server.stop();
  }
}

type Tiles = DatasetsBenchResult["tiles"];

/**
 * Tile latencies from the file system (whole stack, then z < 64), then the z < 64 tiles from s3rver
 * (skipped with the reason if it cannot start).
 */
async function benchTiles(dataDir: string, id: string): Promise<Tiles> {
  const fs = new FsBlobStore(dataDir);
  log("tile reads, file system …");
  const all = await tileLatencies(fs, id, SLICES);
  const fsFirstZChunk = await tileLatencies(fs, id, XZ_DEPTH);
  log("tile reads, S3 (s3rver on loopback) …");
  try {
    const s3 = await s3TileLatencies(fs, id);
    return { fs: all, fsFirstZChunk, s3, s3MatchesFs: s3.digest === fsFirstZChunk.digest };
  } catch (e) {
    const problem = e instanceof Error ? e.message : String(e);
    log(`  S3 skipped: ${problem}`);
    return { fs: all, fsFirstZChunk, s3: null, s3Problem: problem };
  }
}

// ---- the section ----

interface Source {
  readonly name: string;
  readonly spec: string;
  readonly kind: "tiff" | "hdf5";
  readonly file: string;
  readonly dataset: string;
}

/** Our runs and the reference's, alternating; `afterLast` sees the data folder of our last run. */
async function benchImport(
  source: Source,
  withReference: boolean,
  afterLast?: (dataDir: string, id: string) => Promise<void>,
): Promise<ImportCase> {
  const ours: ImportRun[] = [];
  const reference: ReferenceRun[] = [];
  for (let i = 0; i < IMPORT_RUNS; i++) {
    const last = i === IMPORT_RUNS - 1;
    const run = await withImport(source.spec, `bench ${source.kind}`, async (r, dir) => {
      if (last && afterLast) await afterLast(dir, r.id);
      return r;
    });
    ours.push(run);
    log(
      `${source.name} run ${i + 1}: sylva import ${run.seconds.toFixed(2)} s, peak RSS ${run.maxRssMiB.toFixed(0)} MiB`,
    );
    if (!withReference) continue;
    const ref = await referenceRun(source.kind, source.file, source.dataset);
    reference.push(ref);
    log(
      `${source.name} run ${i + 1}: reference ${ref.seconds.toFixed(2)} s, peak RSS ${(ref.max_rss_kib / 1024).toFixed(0)} MiB`,
    );
  }
  const oursFigure = importFigure(ours, SOURCE_BYTES);
  const refFigure = reference.length > 0 ? referenceFigure(reference) : null;
  return {
    name: source.name,
    source: path.relative(repoRoot(), source.spec),
    ours: oursFigure,
    reference: refFigure,
    ratio: refFigure ? oursFigure.seconds / refFigure.seconds : null,
  };
}

/** The ISBI 2012 raw stack (30 PNGs) imported once, or null when the data is not there. */
async function benchIsbi(): Promise<DatasetsBenchResult["isbi"]> {
  const dir = path.join(sharedDir(), "data/isbi2012/raw");
  if (!existsSync(dir) || readdirSync(dir).length === 0) return null;
  const run = await withImport(dir, "bench isbi", async (r) => r);
  log(`ISBI 2012 (30 PNGs): ${run.seconds.toFixed(2)} s`);
  return { seconds: run.seconds, maxRssMiB: run.maxRssMiB };
}

/** Runs the datasets benchmark (inputs generated on first use). */
export async function benchDatasets(): Promise<DatasetsBenchResult> {
  mkdirSync(benchDir(), { recursive: true });
  const inputs = await prepareInputs();
  const problem = await referenceProblem();
  if (problem) log(`the reference is unavailable: ${problem}`);
  let tiles: Tiles | undefined;
  const tiff = await benchImport(
    { name: "TIFF folder", spec: inputs.tiffDir, kind: "tiff", file: inputs.tiffDir, dataset: "" },
    !problem,
    async (dir, id) => {
      tiles = await benchTiles(dir, id);
    },
  );
  const h5 = await benchImport(
    { name: "HDF5 /data", spec: `${inputs.h5File}/data`, kind: "hdf5", file: inputs.h5File, dataset: "data" },
    !problem,
  );
  if (!tiles) throw new Error("internal: the tile reads did not run");
  return {
    source: { shape: [SLICES, SIDE, SIDE], dtype: "uint16", bytes: SOURCE_BYTES },
    importRuns: IMPORT_RUNS,
    imports: [tiff, h5],
    reference: problem ? { available: false, reason: problem } : { available: true },
    tiles,
    isbi: await benchIsbi(),
  };
}

// ---- the table ----

type Previous = Partial<Pick<DatasetsBenchResult, "imports" | "tiles" | "isbi">> & {
  readonly commit?: string | null;
  readonly date?: string;
};

function cell(value: string, width: number): string {
  return value.padStart(width);
}

function num(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined ? "—" : x.toFixed(digits);
}

/** One import row: seconds, MB/s, peak RSS, the RSS verdict, ours / reference, the previous seconds. */
function importRow(
  label: string,
  f: ImportFigure | ReferenceFigure,
  verdict: string,
  ratio: string,
  previous: number | undefined,
): string {
  return (
    `  ${label.padEnd(40)}${cell(f.seconds.toFixed(2), 9)}${cell(f.mbPerSecond.toFixed(1), 9)}` +
    `${cell(f.maxRssMiB.toFixed(0), 10)}${cell(verdict, 10)}${cell(ratio, 10)}${cell(num(previous, 2), 10)}`
  );
}

function importRows(c: ImportCase, previous: ImportCase | undefined): string[] {
  const o = c.ours;
  const lines = [
    `${c.name} (${c.source})`,
    importRow(
      "sylva import (CLI, level 0 + pyramid)",
      o,
      o.rssUnderLimit ? "pass" : "FAIL",
      num(c.ratio, 3),
      previous?.ours.seconds,
    ),
  ];
  if (c.reference)
    lines.push(
      importRow(
        "reference (zarr 2.13, level 0 only)",
        c.reference,
        "",
        "1.000",
        previous?.reference?.seconds,
      ),
    );
  return lines;
}

/** xy and xz rows of one store's tile figures; `versus` (the fs figures of the same tiles) adds a ratio. */
function tileRows(
  label: string,
  t: TileFigures,
  previous: TileFigures | undefined,
  versus?: TileFigures,
): string[] {
  const row = (what: string, l: Latency, p: Latency | undefined, v: Latency | undefined) =>
    `  ${`${label} ${what}`.padEnd(40)}${cell(l.medianMs.toFixed(1), 9)}${cell(l.p95Ms.toFixed(1), 9)}` +
    `${cell(String(l.tiles), 7)}${cell(v ? (l.medianMs / v.medianMs).toFixed(2) : "", 10)}${cell(num(p?.medianMs, 1), 10)}`;
  return [
    row(`xy ${TILE} × ${TILE}`, t.xy, previous?.xy, versus?.xy),
    row(`xz ${TILE} x × ${XZ_DEPTH} z`, t.xz, previous?.xz, versus?.xz),
  ];
}

function tileTable(t: Tiles, previous: Tiles | undefined): string[] {
  const lines = [
    "Tile reads at level 0 after the TIFF import, each tile read once (cold: zarrita caches nothing; the OS page cache is warm)",
    `  ${"".padEnd(40)}${cell("median", 9)}${cell("p95 ms", 9)}${cell("tiles", 7)}${cell("S3/fs", 10)}${cell("previous", 10)}`,
    ...tileRows("fs, any z,", t.fs, previous?.fs),
    ...tileRows("fs, z < 64,", t.fsFirstZChunk, previous?.fsFirstZChunk),
  ];
  if (!t.s3) return [...lines, `S3 skipped: ${t.s3Problem}`];
  const c = t.s3.copy;
  return [
    ...lines,
    ...tileRows("S3, z < 64,", t.s3, previous?.s3 ?? undefined, t.fsFirstZChunk),
    `S3 is s3rver on loopback (one Node process), so this is the S3 path's per-request cost, not a network's; it holds ` +
      `${c.blobs} blobs, the metadata and the level-0 chunks with z < 64 (${mb(c.bytes).toFixed(0)} MB, copied ${S3_COPY_CONCURRENCY} at once in ${c.seconds.toFixed(1)} s). ` +
      `The same tiles as "fs, z < 64"; same voxels: ${t.s3MatchesFs ? "yes" : "NO"}.`,
  ];
}

/** The section's table, with the previous run's figures beside this run's. */
export function datasetsTable(r: DatasetsBenchResult, previous: Previous | undefined): string {
  const runs = r.importRuns === 1 ? "one run each" : `median of ${r.importRuns} runs each`;
  const lines: string[] = [];
  lines.push(
    `Import of ${r.source.shape.join(" × ")} ${r.source.dtype} (${(r.source.bytes / 2 ** 30).toFixed(0)} GiB = ${mb(r.source.bytes).toFixed(1)} MB), ${runs}; MB/s of source bytes; peak RSS limit ${RSS_LIMIT_MIB} MiB`,
  );
  lines.push(
    `  ${"".padEnd(40)}${cell("seconds", 9)}${cell("MB/s", 9)}${cell("RSS MiB", 10)}${cell("< 1 GiB", 10)}${cell("ours/ref", 10)}${cell("previous", 10)}`,
  );
  for (const c of r.imports)
    lines.push(
      ...importRows(
        c,
        previous?.imports?.find((p) => p.name === c.name),
      ),
    );
  if (r.isbi)
    lines.push(
      `ISBI 2012 raw, 30 PNGs 512² uint8: ${r.isbi.seconds.toFixed(2)} s, peak RSS ${r.isbi.maxRssMiB.toFixed(0)} MiB` +
        (previous?.isbi ? ` (previous ${previous.isbi.seconds.toFixed(2)} s)` : ""),
    );
  lines.push(
    r.reference.available
      ? `The reference writes level 0 only, on one thread; Sylva also writes the pyramid (the ratio is conservative). Ours: the CLI's whole process, Node's start included; the reference: timed inside Python.`
      : `The reference is unavailable: ${r.reference.reason}.`,
  );
  lines.push("", ...tileTable(r.tiles, previous?.tiles));
  if (previous) lines.push(`previous: the run of ${previous.commit ?? "?"}, ${previous.date ?? "?"}`);
  return lines.join("\n");
}
