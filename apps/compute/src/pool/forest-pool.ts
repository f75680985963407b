// The random forest on a pool of worker threads (node:worker_threads): training split over the workers
// by tree ranges, prediction split by pixel ranges, both bit-identical to the single-threaded
// `trainForest` / `predictForest` of @sylva/core (a tree depends only on the seed and its index, and a
// pixel's probabilities only on its features).
//
// Memory: samples, labels, features and probabilities live in SharedArrayBuffers (copied into one when
// the caller's are not shared; the feature pool's output already is), so workers read and write them in
// place and messages carry only ranges. Trained trees come back as copies (never transferred: see
// forest-worker.ts). A forest is sent to each worker once and compiled there; the pool keeps the last few forests' ids (FOREST_CACHE).
//
// Scheduling: one FIFO work queue for all jobs, as in features-pool.ts: each worker holds one task at a
// time and gets the next when it reports, so faster workers take more. Training tasks are tree ranges of
// about trees / (3 · workers) trees (each worker sorts the samples once per job, ~0.1 s for 50 000 samples
// × 49 features, then grows its ranges); prediction tasks are pixel ranges of 4096–65 536 pixels, ~4 a
// worker. The calling thread only posts messages.
//
// Streaming: `predict` classifies one block of pixels (n × F features) and may be called block by block
// (the CLI feeds it the feature pool's regions); `predictChunks` pipelines an async sequence of blocks,
// keeping the next block queued while the current one runs, so a volume larger than memory streams
// through with two blocks of features and probabilities alive at a time.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Forest, TrainOptions, Tree } from "@sylva/core";
import { checkForest, defaultMtry, ForestError, MAX_CLASSES } from "@sylva/core";
import type { FromForestWorker, ToForestWorker, WorkerTrainOptions } from "./forest-protocol.js";
import { workerUrl } from "./worker-url.js";

const WORKER_URL = workerUrl("forest-worker.js", import.meta.url);

/** Forests whose compiled form the workers keep (least recently used ones are dropped). */
const FOREST_CACHE = 4;
/** Pixels per prediction task: at least one predictor block, at most 16. */
const MIN_PIXEL_TASK = 4096;
const MAX_PIXEL_TASK = 65536;

export interface ForestPoolOptions {
  /** Worker threads; default `os.availableParallelism()`. */
  readonly workers?: number;
  /** The worker script (default: the compiled ./forest-worker.js beside this module); for tests. */
  readonly workerUrl?: URL;
}

export interface ForestJobOptions {
  /** Called on the calling thread as tasks finish: trees grown or pixels predicted so far, and the total. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Aborting rejects the job with the signal's reason and stops the workers busy with it. */
  readonly signal?: AbortSignal;
  /**
   * On abort, terminate (and replace) the workers busy with the job (true, the default), or let them
   * finish their current task and only drop the job's queued tasks (false: no cold worker afterwards).
   */
  readonly stopWorkersOnAbort?: boolean;
}

export interface PoolTrainOptions extends Omit<TrainOptions, "treeRange">, ForestJobOptions {}

export interface PoolPredictOptions extends ForestJobOptions {
  /** Where to write the n × classCount probabilities (a view of a SharedArrayBuffer is used in place). */
  readonly out?: Float32Array;
  /**
   * The caller keeps `features` (a SharedArrayBuffer view) alive afterwards, e.g. in a cache: the workers
   * then do not count it towards the garbage they collect after jobs (a forced collection costs the next
   * training its optimized code, see forest-worker.ts). Default false.
   */
  readonly inputRetained?: boolean;
}

type Task = { readonly start: number; readonly end: number };

interface Job {
  readonly id: number;
  readonly kind: "train" | "predict";
  readonly tasks: readonly Task[];
  readonly setup: ToForestWorker;
  /** For prediction: the forest id workers need first. */
  readonly forestId?: number;
  readonly forest?: Forest;
  readonly total: number;
  readonly onProgress?: (done: number, total: number) => void;
  readonly finish: (results: (readonly Tree[] | undefined)[]) => void;
  readonly reject: (e: unknown) => void;
  readonly cleanup: () => void;
  readonly results: (readonly Tree[] | undefined)[];
  next: number;
  done: number;
  progress: number;
  settled: boolean;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  retired: boolean;
  current: { job: Job; index: number } | null;
  /** Jobs whose setup this worker has received. */
  known: Set<number>;
  /** Forests this worker holds. */
  forests: Set<number>;
}

function abortReason(signal: AbortSignal, what: string): unknown {
  return signal.reason ?? new DOMException(`${what} aborted`, "AbortError");
}

/** A view of `data` in shared memory: itself when already shared, else a shared copy. */
function shared<T extends Float32Array | Uint8Array>(data: T, make: (n: number) => T): T {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  const copy = make(data.length);
  copy.set(data);
  return copy;
}

function sharedFloat32(n: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}

/**
 * A started set of forest workers that trains and predicts any number of jobs (FIFO; the next job's
 * tasks start as soon as workers free up). Start with `ForestPool.start()`, end with `close()`.
 */
export class ForestPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextJob = 1;
  private nextForest = 1;
  /** Forest ids, least recently used first. */
  private readonly forestIds = new Map<Forest, number>();
  private closed = false;
  private broken: Error | undefined;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void } | undefined;

  private constructor(
    workers: number,
    private readonly workerUrl: URL,
  ) {
    for (let i = 0; i < workers; i++) this.slots.push(this.spawn());
  }

  /** Starts `workers` threads and resolves once each is ready. */
  static async start(options: ForestPoolOptions = {}): Promise<ForestPool> {
    const n = options.workers ?? availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`workers must be a positive integer, got ${n}`);
    const pool = new ForestPool(n, options.workerUrl ?? WORKER_URL);
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
   * Trains a forest on `samples` (n × featureCount float32, row major) and `labels` (1 … 99 per sample),
   * equal bit for bit to `trainForest` with the same options: the trees are split into ranges grown by
   * the workers and put back in order.
   */
  train(
    samples: Float32Array,
    labels: ArrayLike<number>,
    featureCount: number,
    options: PoolTrainOptions = {},
  ): Promise<Forest> {
    try {
      this.usable();
      const { signal } = options;
      if (signal?.aborted) throw abortReason(signal, "training");
      if (!(Number.isInteger(featureCount) && featureCount >= 1))
        throw new RangeError(`featureCount must be a positive integer, got ${featureCount}`);
      if (samples.length % featureCount !== 0)
        throw new RangeError(
          `samples hold ${samples.length} values, not a multiple of ${featureCount} features`,
        );
      const n = samples.length / featureCount;
      if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} samples`);
      if (n === 0) throw new RangeError("no samples to train on");
      let classCount = 0;
      const labels8 = new Uint8Array(new SharedArrayBuffer(n));
      for (let i = 0; i < n; i++) {
        const l = labels[i];
        if (!(Number.isInteger(l) && l >= 1 && l <= MAX_CLASSES))
          throw new RangeError(
            `label ${l} of sample ${i} is not a class (labels are 1 … ${MAX_CLASSES}; 0 means unlabeled)`,
          );
        labels8[i] = l;
        if (l > classCount) classCount = l;
      }
      const trees = options.trees ?? 100;
      if (!(Number.isInteger(trees) && trees >= 1))
        throw new RangeError(`trees must be a positive integer, got ${trees}`);
      const seed = options.seed ?? 0;
      if (!(Number.isInteger(seed) && seed >= -(2 ** 31) && seed <= 2 ** 32 - 1))
        throw new RangeError(`seed must be a 32-bit integer, got ${seed}`);
      const mtry = options.mtry ?? defaultMtry(featureCount);
      if (!(Number.isInteger(mtry) && mtry >= 1 && mtry <= featureCount))
        throw new RangeError(`mtry must be an integer in [1, ${featureCount}], got ${mtry}`);
      const workerOptions: WorkerTrainOptions = {
        trees,
        seed,
        mtry,
        ...(options.maxDepth !== undefined && { maxDepth: options.maxDepth }),
        ...(options.minSplit !== undefined && { minSplit: options.minSplit }),
        ...(options.splits !== undefined && { splits: options.splits }),
      };
      if (options.splits !== undefined && !["exact", "histogram", "auto"].includes(options.splits))
        throw new RangeError(
          `splits must be "exact", "histogram" or "auto", got ${JSON.stringify(options.splits)}`,
        );
      const data = shared(samples, sharedFloat32);
      // Tree ranges: about 3 per worker, so that the queue balances and progress moves.
      const per = Math.max(1, Math.ceil(trees / (3 * this.slots.length)));
      const tasks: Task[] = [];
      for (let s = 0; s < trees; s += per) tasks.push({ start: s, end: Math.min(trees, s + per) });
      const id = this.nextJob++;
      return new Promise<Forest>((resolve, reject) => {
        this.enqueue({
          id,
          kind: "train",
          tasks,
          setup: {
            kind: "train",
            job: id,
            samples: data.buffer as SharedArrayBuffer,
            samplesOffset: data.byteOffset,
            labels: labels8.buffer as SharedArrayBuffer,
            labelsOffset: 0,
            sampleCount: n,
            featureCount,
            options: workerOptions,
          },
          total: trees,
          onProgress: options.onProgress,
          finish: (results) => {
            const all: Tree[] = [];
            for (const r of results) all.push(...(r ?? []));
            resolve({ featureCount, classCount, trees: all });
          },
          reject,
          signal,
          stopWorkersOnAbort: options.stopWorkersOnAbort,
          what: "training",
        });
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Class probabilities of n pixels: `features` holds n × forest.featureCount float32 (row major; views
   * of a SharedArrayBuffer are read in place). Resolves to n × classCount float32 over a
   * SharedArrayBuffer (or `options.out`), equal bit for bit to `predictForest`.
   */
  predict(
    forest: Forest,
    features: Float32Array,
    n: number = features.length / forest.featureCount,
    options: PoolPredictOptions = {},
  ): Promise<Float32Array> {
    try {
      this.usable();
      const { signal } = options;
      if (signal?.aborted) throw abortReason(signal, "prediction");
      const F = forest.featureCount;
      const C = forest.classCount;
      if (forest.trees.length === 0) throw new ForestError("the forest has no trees");
      if (!(Number.isInteger(n) && n >= 0))
        throw new RangeError(`pixel count must be a non-negative integer, got ${n}`);
      if (features.length < n * F)
        throw new RangeError(
          `features hold ${features.length} values; ${n} pixels × ${F} features need ${n * F}`,
        );
      const input = shared(features.subarray(0, n * F), sharedFloat32);
      const out = options.out ?? sharedFloat32(n * C);
      if (out.length !== n * C)
        throw new RangeError(`out holds ${out.length} values; ${n} × ${C} classes need ${n * C}`);
      const target = out.buffer instanceof SharedArrayBuffer ? out : sharedFloat32(n * C);
      const size = Math.min(
        MAX_PIXEL_TASK,
        Math.max(MIN_PIXEL_TASK, Math.ceil(n / (4 * this.slots.length) / MIN_PIXEL_TASK) * MIN_PIXEL_TASK),
      );
      const tasks: Task[] = [];
      for (let s = 0; s < n; s += size) tasks.push({ start: s, end: Math.min(n, s + size) });
      const forestId = this.forestId(forest);
      const id = this.nextJob++;
      return new Promise<Float32Array>((resolve, reject) => {
        this.enqueue({
          id,
          kind: "predict",
          tasks,
          setup: {
            kind: "predict",
            job: id,
            forest: forestId,
            features: input.buffer as SharedArrayBuffer,
            featuresOffset: input.byteOffset,
            pixelCount: n,
            output: target.buffer as SharedArrayBuffer,
            outputOffset: target.byteOffset,
            inputRetained: options.inputRetained === true && input.buffer === features.buffer,
          },
          forestId,
          forest,
          total: n,
          onProgress: options.onProgress,
          finish: () => {
            if (target !== out) out.set(target);
            resolve(out);
          },
          reject,
          signal,
          stopWorkersOnAbort: options.stopWorkersOnAbort,
          what: "prediction",
        });
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Predicts a sequence of feature blocks (each n_i × featureCount float32), yielding each block's
   * probabilities in order. The next block is requested and queued while the current one is predicted,
   * so at most two blocks are in flight.
   */
  async *predictChunks(
    forest: Forest,
    blocks: AsyncIterable<Float32Array> | Iterable<Float32Array>,
    options: Omit<PoolPredictOptions, "out" | "onProgress"> = {},
  ): AsyncGenerator<Float32Array> {
    let pending: Promise<Float32Array> | undefined;
    try {
      for await (const block of blocks) {
        const next = this.predict(forest, block, undefined, options);
        // Keep the rejection handled until it is awaited below.
        next.catch(() => {});
        if (pending) yield await pending;
        pending = next;
      }
      if (pending) {
        const last = pending;
        pending = undefined;
        yield await last;
      }
    } finally {
      pending?.catch(() => {});
    }
  }

  /** Rejects pending jobs and terminates the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new Error("forest pool closed");
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

  private usable(): void {
    if (this.closed) throw new Error("forest pool is closed");
    if (this.broken) throw this.broken;
  }

  /**
   * The id of `forest`, registering it (checked once with checkForest) and dropping the least recently
   * used beyond FOREST_CACHE.
   */
  private forestId(forest: Forest): number {
    let id = this.forestIds.get(forest);
    if (id !== undefined) {
      this.forestIds.delete(forest);
      this.forestIds.set(forest, id);
      return id;
    }
    checkForest(forest);
    id = this.nextForest++;
    this.forestIds.set(forest, id);
    while (this.forestIds.size > FOREST_CACHE) {
      const [oldest, oldId] = this.forestIds.entries().next().value as [Forest, number];
      // Still needed by a queued job? Keep it for now (it is dropped later).
      if (this.queue.some((j) => j.forestId === oldId)) break;
      this.forestIds.delete(oldest);
      for (const slot of this.slots)
        if (slot.forests.delete(oldId) && !slot.retired)
          slot.worker.postMessage({ kind: "drop-forest", id: oldId } satisfies ToForestWorker);
    }
    return id;
  }

  private enqueue(
    spec: Omit<Job, "results" | "next" | "done" | "progress" | "settled" | "cleanup"> & {
      signal?: AbortSignal;
      stopWorkersOnAbort?: boolean;
      what: string;
    },
  ): void {
    const { signal, stopWorkersOnAbort, what, ...rest } = spec;
    const onAbort = () => this.fail(job, abortReason(signal!, what), stopWorkersOnAbort ?? true);
    const job: Job = {
      ...rest,
      results: new Array(spec.tasks.length),
      cleanup: () => signal?.removeEventListener("abort", onAbort),
      next: 0,
      done: 0,
      progress: 0,
      settled: false,
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    if (job.tasks.length === 0) {
      job.settled = true;
      job.cleanup();
      job.finish(job.results);
      return;
    }
    this.queue.push(job);
    this.schedule();
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl);
    const slot: Slot = {
      worker,
      ready: false,
      retired: false,
      current: null,
      known: new Set(),
      forests: new Set(),
    };
    worker.on("message", (msg: FromForestWorker) => {
      if (!slot.retired) this.onMessage(slot, msg);
    });
    worker.on("error", (e: Error) => {
      if (!slot.retired) this.onCrash(slot, `forest worker crashed: ${e.message}`);
    });
    worker.on("exit", (code) => {
      if (!slot.retired) this.onCrash(slot, `forest worker exited unexpectedly (code ${code})`);
    });
    return slot;
  }

  private onMessage(slot: Slot, msg: FromForestWorker): void {
    switch (msg.kind) {
      case "ready":
        slot.ready = true;
        this.checkReady();
        this.schedule();
        return;
      case "done": {
        const cur = slot.current;
        slot.current = null;
        if (cur && cur.job.id === msg.job && !cur.job.settled) {
          const job = cur.job;
          job.results[msg.index] = msg.trees;
          job.done++;
          const t = job.tasks[msg.index];
          job.progress += t.end - t.start;
          try {
            job.onProgress?.(job.progress, job.total);
          } catch (e) {
            this.fail(job, e, false);
          }
          if (job.done === job.tasks.length) this.finish(job);
        }
        this.schedule();
        return;
      }
      case "failed": {
        const cur = slot.current;
        slot.current = null;
        if (cur && cur.job.id === msg.job && !cur.job.settled) {
          const t = cur.job.tasks[msg.index];
          const where =
            cur.job.kind === "train" ? `trees ${t.start}–${t.end - 1}` : `pixels ${t.start}–${t.end - 1}`;
          this.fail(cur.job, new Error(`forest worker failed on ${where}: ${msg.message}`), false);
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
    try {
      job.finish(job.results);
    } catch (e) {
      job.reject(e);
    }
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
        slot.worker.postMessage({ kind: "drop", job: job.id } satisfies ToForestWorker);
  }

  /** Gives every idle, ready worker the next task of the oldest job that has tasks left. */
  private schedule(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (!slot.ready || slot.retired || slot.current) continue;
      const job = this.queue.find((j) => j.next < j.tasks.length);
      if (!job) break;
      const index = job.next++;
      const task = job.tasks[index];
      if (job.forestId !== undefined && !slot.forests.has(job.forestId)) {
        slot.forests.add(job.forestId);
        slot.worker.postMessage({
          kind: "forest",
          id: job.forestId,
          forest: job.forest!,
        } satisfies ToForestWorker);
      }
      if (!slot.known.has(job.id)) {
        slot.known.add(job.id);
        slot.worker.postMessage(job.setup);
      }
      slot.current = { job, index };
      slot.worker.postMessage({
        kind: job.kind === "train" ? "trees" : "pixels",
        job: job.id,
        index,
        start: task.start,
        end: task.end,
      } satisfies ToForestWorker);
    }
    // Idle workers do not keep the process alive; busy (or starting) ones do.
    for (const slot of this.slots) {
      if (slot.retired) continue;
      if (slot.current || !slot.ready) slot.worker.ref();
      else slot.worker.unref();
    }
  }
}

export interface ParallelTrainOptions extends PoolTrainOptions, ForestPoolOptions {}

/**
 * One-shot convenience: starts a pool of `workers` threads (default: all cores, at most one per 8
 * trees), trains, and terminates the workers. For repeated training keep a `ForestPool`.
 */
export async function trainForestParallel(
  samples: Float32Array,
  labels: ArrayLike<number>,
  featureCount: number,
  options: ParallelTrainOptions = {},
): Promise<Forest> {
  if (options.signal?.aborted) throw abortReason(options.signal, "training");
  const trees = options.trees ?? 100;
  const workers = options.workers ?? Math.max(1, Math.min(availableParallelism(), Math.ceil(trees / 8)));
  const pool = await ForestPool.start({ workers, workerUrl: options.workerUrl });
  try {
    return await pool.train(samples, labels, featureCount, options);
  } finally {
    await pool.close();
  }
}

export interface ParallelPredictOptions extends PoolPredictOptions, ForestPoolOptions {}

/** One-shot convenience: starts a pool, predicts `features` (n × featureCount), terminates the workers. */
export async function predictForestParallel(
  forest: Forest,
  features: Float32Array,
  options: ParallelPredictOptions = {},
): Promise<Float32Array> {
  if (options.signal?.aborted) throw abortReason(options.signal, "prediction");
  const pool = await ForestPool.start({ workers: options.workers, workerUrl: options.workerUrl });
  try {
    return await pool.predict(forest, features, undefined, options);
  } finally {
    await pool.close();
  }
}
