// Filter features on a pool of worker threads (node:worker_threads), bit-identical to the single-threaded
// `computeFeatures` of @sylva/core: every worker runs the same BlockComputer on the WebAssembly SIMD
// backend, and a block's numbers do not depend on the block's shape or on who computes it.
//
// Memory: the input is viewed in place when it already lives in a SharedArrayBuffer (copied into one
// otherwise); the output (T, Z, Y, X, C) float32 is one SharedArrayBuffer that workers write blocks into
// directly, so no pixel data is ever posted. Messages carry only block coordinates. Workers collect
// their garbage when a job ends (feature-worker.ts), so a finished job's buffers are freed as soon as
// the caller drops the result.
//
// Scheduling: a work queue. Each worker holds one block at a time and gets the next when it reports the
// previous one done, so faster workers take more blocks; blocks go out largest first so that the small
// edge blocks fill the tail. The calling thread only posts messages and never waits synchronously.
//
// Block shape (`chooseBlockShape`), measured with src/bench/blocks.ts on the 2-core machine here: all
// six features at the 7 default scales, WASM SIMD; seconds, min of 5 (2D) or 3 (3D) interleaved rounds,
// each after a garbage collection. pool = 2 workers, warm, fresh output each run; 1 thread =
// computeFeatures into a reused output (no first-touch cost, see below).
//   2D 1024 × 1024 uint8, 49 channels   pool   1 thread     3D 128³ uint8, 61 channels  pool   1 thread
//     1024 × 1024 (1 block)            0.845   0.753       64 × 128 × 128 (2 blocks) 1.484   2.520
//     512 × 1024                       0.446   0.579       32 × 128 × 128            1.489   2.375
//     256 × 1024                       0.342   0.500       16 × 128 × 128            1.495   2.297
//     128 × 1024                       0.305   0.496       32 × 64 × 128             1.354   2.070
//     64 × 1024                        0.315   0.508       64 × 64 × 64              1.307   1.952
//     1024 × 128                       0.321   0.515       32 × 64 × 64              1.209   2.058
//     512 × 256                        0.314   0.494       128 × 32 × 32             1.163   1.972
//     256 × 512 (chosen)               0.303   0.492       64 × 32 × 64 (chosen)     1.171   1.984
//     256 × 256                        0.306   0.500       64 × 32 × 32              1.214   2.159
//     128 × 128                        0.319   0.506       128 × 16 × 16             1.430   2.580
// Big blocks lose: one block per worker cannot balance, and a block's intermediates (up to ~10 float32
// buffers of the block plus halo) fall out of the 2 MB L2 cache. Halos cost less than one would think,
// as each scale group dilates its block only by its own kernel radii, not by the global halo (38 px at
// σ = 10). In 2D anything from 128 × 128 to 256 × 512 is within the noise (±3 %); 256 × 512 is the
// tile. In 3D, small (y, x) cross-sections win clearly: the z pass strides over whole planes of the
// block, so planes of 32 × 64 floats keep its 71-plane window in cache; 64 × 32 × 64 (and 128 × 32 ×
// 32, equal within noise) is the tile. The pool's remaining gap to a perfect 2× is mostly the first
// touch of the fresh output (0.2 GB in 2D, 0.5 GB in 3D; ~60 ms per 0.2 GB on this machine).

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type {
  BlockSpec,
  FeatureEntry,
  FeaturePlan,
  FeatureRegion,
  Shape3,
  TypedArray,
  Volume5,
} from "@sylva/core";
import {
  allocate,
  dtypeOf,
  FEATURE_TILE_2D,
  FEATURE_TILE_3D,
  filtersWasmModule,
  fullRegion,
  planBlocks,
  planFeatures,
  regionVoxels,
} from "@sylva/core";
import type { FiltersModule, FromWorker, ToWorker } from "./protocol.js";
import { workerUrl } from "./worker-url.js";

const WORKER_URL = workerUrl("feature-worker.js", import.meta.url);

/** Throws unless `region` is a non-empty part of a (t, z, y, x, c) volume of `shape`. */
function checkRegion(r: FeatureRegion, shape: readonly number[]): void {
  const [T, Z, Y, X] = shape;
  const b = r.box;
  const ok =
    Number.isInteger(r.t0) &&
    Number.isInteger(r.t1) &&
    0 <= r.t0 &&
    r.t0 < r.t1 &&
    r.t1 <= T &&
    0 <= b.z0 &&
    b.z0 < b.z1 &&
    b.z1 <= Z &&
    0 <= b.y0 &&
    b.y0 < b.y1 &&
    b.y1 <= Y &&
    0 <= b.x0 &&
    b.x0 < b.x1 &&
    b.x1 <= X;
  if (!ok)
    throw new RangeError(
      `region t ${r.t0}:${r.t1}, z ${b.z0}:${b.z1}, y ${b.y0}:${b.y1}, x ${b.x0}:${b.x1} is empty or outside the volume [${shape.join(", ")}]`,
    );
}

export interface FeatureResult {
  /** (T, Z, Y, X, C) float32, channels last, over a SharedArrayBuffer. */
  readonly features: Float32Array;
  readonly plan: FeaturePlan;
}

export interface FeatureJobOptions {
  /** Block shape (z, y, x); default `chooseBlockShape(plan, workers)`. */
  readonly blockShape?: Shape3;
  /** Called on the calling thread after each finished block. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Aborting rejects the job with the signal's reason and stops the workers busy with it. */
  readonly signal?: AbortSignal;
  /**
   * On abort, terminate (and replace) the workers busy with the job (true, the default: the abort is
   * immediate), or let them finish their current block and only drop the job's queued blocks (false:
   * no worker restart, for callers that cancel often, e.g. tiles scrolled out of view).
   */
  readonly stopWorkersOnAbort?: boolean;
  /** Compute only this part of the volume (default: all of it); `features` then holds just the region. */
  readonly region?: FeatureRegion;
}

export interface FeaturePoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly workers?: number;
  /**
   * The worker script (default: the compiled ./feature-worker.js beside this module). Only for tests
   * and instrumented workers; it must speak the protocol of protocol.ts.
   */
  readonly workerUrl?: URL;
}

export interface ParallelFeatureOptions extends FeatureJobOptions, FeaturePoolOptions {}

/** The smallest tiles (z, y, x) `chooseBlockShape` shrinks core's FEATURE_TILE_* to (see the header). */
const MIN_2D: Shape3 = [1, 64, 128];
const MIN_3D: Shape3 = [16, 16, 32];

/**
 * The default block shape (z, y, x) for `plan` on `workers` threads: the measured best tile (2D 256 × 512,
 * 3D 64 × 32 × 64), clipped to the volume, then halved along its longest side while the volume has
 * fewer than `blocksPerWorker` blocks per worker (so the work queue can balance) and the tile is above
 * the minimum (2D 64 × 128, 3D 16 × 16 × 32, below which halos start to cost). See this file's header.
 */
export function chooseBlockShape(plan: FeaturePlan, workers: number, blocksPerWorker = 3): Shape3 {
  const [T, Z, Y, X] = plan.shape;
  const is3d = plan.groups.some((g) => !g.in2d);
  const size = [Z, Y, X];
  const min = is3d ? MIN_3D : MIN_2D;
  const tile = (is3d ? FEATURE_TILE_3D : FEATURE_TILE_2D).map((s, i) => Math.min(s, size[i]));
  const count = () => T * tile.reduce((n, s, i) => n * Math.ceil(size[i] / s), 1);
  const wanted = workers * blocksPerWorker;
  while (count() < wanted) {
    // The longest side that may still be halved.
    let axis = -1;
    for (let i = 0; i < 3; i++)
      if (tile[i] >= 2 * min[i] && (axis < 0 || tile[i] / min[i] > tile[axis] / min[axis])) axis = i;
    if (axis < 0) break;
    tile[axis] = Math.ceil(tile[axis] / 2);
  }
  return [tile[0], tile[1], tile[2]];
}

interface Job {
  readonly id: number;
  readonly plan: FeaturePlan;
  readonly blocks: readonly BlockSpec[];
  readonly setup: Extract<ToWorker, { kind: "job" }>;
  readonly features: Float32Array;
  readonly onProgress?: (done: number, total: number) => void;
  readonly resolve: (r: FeatureResult) => void;
  readonly reject: (e: unknown) => void;
  readonly cleanup: () => void;
  next: number;
  done: number;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  /** Set when we terminate the worker ourselves: its later events are ignored. */
  retired: boolean;
  current: { job: Job; index: number } | null;
  /** Jobs whose setup this worker has received. */
  known: Set<number>;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("feature computation aborted", "AbortError");
}

/**
 * A started set of feature workers that runs any number of jobs (one after another, FIFO; blocks of the
 * next job start as soon as workers free up). Start with `FeaturePool.start()`, end with `close()`.
 */
export class FeaturePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextJob = 1;
  private closed = false;
  private broken: Error | undefined;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(
    private readonly module: FiltersModule,
    workers: number,
    private readonly workerUrl: URL,
  ) {
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  /** Starts `workers` threads and resolves once each has instantiated its WebAssembly backend. */
  static async start(options: FeaturePoolOptions = {}): Promise<FeaturePool> {
    const n = options.workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`workers must be a positive integer, got ${n}`);
    const pool = new FeaturePool(await filtersWasmModule(), n, options.workerUrl ?? WORKER_URL);
    try {
      await new Promise<void>((resolve, reject) => {
        pool.readyWaiters = { resolve, reject };
        pool.checkReady();
      });
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Number of worker threads. */
  get size(): number {
    return this.slots.length;
  }

  /**
   * Computes every channel of `entries` on `input` (t, z, y, x, c); the result equals `computeFeatures`
   * bit for bit. Rejects with the plan's error for an invalid selection, with a worker's error message
   * if a block fails, and with the signal's reason when aborted.
   */
  compute(
    input: Volume5<TypedArray>,
    entries: readonly FeatureEntry[],
    options: FeatureJobOptions = {},
  ): Promise<FeatureResult> {
    try {
      if (this.closed) throw new Error("feature pool is closed");
      if (this.broken) throw this.broken;
      const { signal } = options;
      if (signal?.aborted) throw abortReason(signal);
      const shape = [...input.shape] as [number, number, number, number, number];
      if (shape.length !== 5 || input.axes !== "tzyxc")
        throw new RangeError(`input must be a (t, z, y, x, c) volume, got axes "${input.axes}"`);
      const n = shape.reduce((a, b) => a * b, 1);
      if (input.data.length !== n)
        throw new RangeError(
          `input holds ${input.data.length} values, shape [${shape.join(", ")}] needs ${n}`,
        );
      const plan = planFeatures(entries, shape);
      const blockShape = options.blockShape ?? chooseBlockShape(plan, this.slots.length);
      if (blockShape.length !== 3 || blockShape.some((s) => !Number.isInteger(s) || s < 1))
        throw new RangeError(`invalid block shape [${blockShape.join(", ")}]`);
      const region = options.region ?? fullRegion(plan);
      checkRegion(region, shape);
      const blocks = planBlocks(plan, blockShape, region)
        .map((b, i) => ({ b, i, v: (b.box.z1 - b.box.z0) * (b.box.y1 - b.box.y0) * (b.box.x1 - b.box.x0) }))
        .sort((p, q) => q.v - p.v || p.i - q.i)
        .map((p) => p.b);

      const dtype = dtypeOf(input.data);
      let data = input.data;
      if (!(data.buffer instanceof SharedArrayBuffer)) {
        const copy = allocate(dtype, n, true);
        copy.set(data);
        data = copy;
      }
      const outBuffer = new SharedArrayBuffer(regionVoxels(region) * plan.channelCount * 4);
      const features = new Float32Array(outBuffer);
      const id = this.nextJob++;

      return new Promise<FeatureResult>((resolve, reject) => {
        const onAbort = () => this.fail(job, abortReason(signal!), options.stopWorkersOnAbort ?? true);
        const job: Job = {
          id,
          plan,
          blocks,
          setup: {
            kind: "job",
            job: id,
            input: data.buffer as SharedArrayBuffer,
            inputOffset: data.byteOffset,
            dtype,
            shape,
            entries: entries.map((e) => ({ feature: e.feature, scale: e.scale, in2d: e.in2d })),
            output: outBuffer,
            region,
          },
          features,
          onProgress: options.onProgress,
          resolve,
          reject,
          cleanup: () => signal?.removeEventListener("abort", onAbort),
          next: 0,
          done: 0,
          settled: false,
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        if (blocks.length === 0) {
          job.cleanup();
          resolve({ features, plan });
          return;
        }
        this.queue.push(job);
        this.schedule();
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Rejects pending jobs and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("feature pool closed");
    for (const job of [...this.queue]) this.fail(job, err, false);
    this.readyWaiters?.reject(err);
    this.readyWaiters = undefined;
    await Promise.all(
      this.slots.map((s) => {
        s.retired = true;
        return s.worker.terminate();
      }),
    );
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl);
    const slot: Slot = { worker, ready: false, retired: false, current: null, known: new Set() };
    worker.on("message", (msg: FromWorker) => {
      if (!slot.retired) this.onMessage(slot, msg);
    });
    worker.on("error", (e: Error) => {
      if (!slot.retired) this.onCrash(slot, `feature worker crashed: ${e.message}`);
    });
    worker.on("exit", (code) => {
      if (!slot.retired) this.onCrash(slot, `feature worker exited unexpectedly (code ${code})`);
    });
    worker.postMessage({ kind: "init", module: this.module } satisfies ToWorker);
    return slot;
  }

  private onMessage(slot: Slot, msg: FromWorker): void {
    switch (msg.kind) {
      case "ready":
        slot.ready = true;
        this.checkReady();
        this.schedule();
        return;
      case "init-failed":
        this.onCrash(slot, `feature worker could not start: ${msg.message}`);
        return;
      case "done": {
        const cur = slot.current;
        slot.current = null;
        if (cur && cur.job.id === msg.job && !cur.job.settled) {
          const job = cur.job;
          job.done++;
          try {
            job.onProgress?.(job.done, job.blocks.length);
          } catch (e) {
            // A throwing callback fails its job rather than the whole process.
            this.fail(job, e, false);
          }
          if (job.done === job.blocks.length) this.finish(job);
        }
        this.schedule();
        return;
      }
      case "failed": {
        const cur = slot.current;
        slot.current = null;
        if (cur && cur.job.id === msg.job && !cur.job.settled) {
          const b = cur.job.blocks[msg.index];
          const where = `t ${b.t}, z ${b.box.z0}–${b.box.z1}, y ${b.box.y0}–${b.box.y1}, x ${b.box.x0}–${b.box.x1}`;
          this.fail(cur.job, new Error(`feature worker failed on block ${where}: ${msg.message}`), false);
        }
        this.schedule();
        return;
      }
    }
  }

  /** A worker died (or could not start): fail its job and replace it, or give up if it never started. */
  private onCrash(slot: Slot, message: string): void {
    slot.retired = true;
    void slot.worker.terminate();
    const err = new Error(message);
    const cur = slot.current;
    slot.current = null;
    if (!slot.ready) {
      // A worker that cannot even start will not start on a retry either.
      this.broken = err;
      this.readyWaiters?.reject(err);
      this.readyWaiters = undefined;
      for (const job of [...this.queue]) this.fail(job, err, false);
      return;
    }
    if (cur && !cur.job.settled) this.fail(cur.job, err, false);
    if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    this.schedule();
  }

  private checkReady(): void {
    if (this.readyWaiters && this.slots.every((s) => s.ready)) {
      this.readyWaiters.resolve();
      this.readyWaiters = undefined;
    }
  }

  private finish(job: Job): void {
    if (job.settled) return;
    job.settled = true;
    job.cleanup();
    this.forget(job);
    job.resolve({ features: job.features, plan: job.plan });
  }

  /** Rejects `job`; with `stopWorkers`, workers busy with it are terminated and replaced. */
  private fail(job: Job, reason: unknown, stopWorkers: boolean): void {
    if (job.settled) return;
    job.settled = true;
    job.cleanup();
    if (stopWorkers && !this.closed) {
      for (const [i, slot] of this.slots.entries())
        if (slot.current?.job === job) {
          slot.retired = true;
          void slot.worker.terminate();
          this.slots[i] = this.spawn();
        }
    }
    this.forget(job);
    job.reject(reason);
    this.schedule();
  }

  private forget(job: Job): void {
    const q = this.queue.indexOf(job);
    if (q >= 0) this.queue.splice(q, 1);
    for (const slot of this.slots)
      if (slot.known.delete(job.id) && !slot.retired)
        slot.worker.postMessage({ kind: "drop", job: job.id } satisfies ToWorker);
  }

  /** Gives every idle, ready worker the next block of the oldest job that has blocks left. */
  private schedule(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.retired || slot.current) continue;
      const job = this.queue.find((j) => j.next < j.blocks.length);
      if (!job) break;
      const index = job.next++;
      const block = job.blocks[index];
      if (!slot.known.has(job.id)) {
        slot.known.add(job.id);
        slot.worker.postMessage(job.setup);
      }
      slot.current = { job, index };
      slot.worker.postMessage({
        kind: "block",
        job: job.id,
        index,
        t: block.t,
        box: block.box,
      } satisfies ToWorker);
    }
    // Idle workers do not keep the process alive; busy (or starting) ones do.
    for (const slot of this.slots) {
      if (slot.retired) continue;
      if (slot.current || !slot.ready) slot.worker.ref();
      else slot.worker.unref();
    }
  }
}

/**
 * One-shot convenience: starts a pool of `workers` threads, computes, and terminates the workers. For
 * many jobs, keep a `FeaturePool` instead (starting workers costs tens of milliseconds each).
 */
export async function computeFeaturesParallel(
  input: Volume5<TypedArray>,
  entries: readonly FeatureEntry[],
  options: ParallelFeatureOptions = {},
): Promise<FeatureResult> {
  // Validate before starting any thread, so that a bad selection fails fast.
  planFeatures(entries, input.shape);
  if (options.signal?.aborted) throw abortReason(options.signal);
  const pool = await FeaturePool.start({ workers: options.workers, workerUrl: options.workerUrl });
  try {
    return await pool.compute(input, entries, options);
  } finally {
    await pool.close();
  }
}
