// A forest worker thread: grows the tree ranges and predicts the pixel ranges the pool (forest-pool.ts)
// hands out, reading samples and features from shared memory and writing probabilities into it.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort } from "node:worker_threads";
import type { PreparedSamples } from "@sylva/core";
import { ForestPredictor, prepareSamples, trainTrees } from "@sylva/core";
import type { FromForestWorker, ToForestWorker, WorkerTrainOptions } from "./forest-protocol.js";
import { lowerThreadPriority } from "./thread-priority.js";

lowerThreadPriority();

const port = parentPort;
if (!port) throw new Error("forest-worker.js must run as a worker thread");

/**
 * A full garbage collection, so that finished jobs' SharedArrayBuffers are freed once the caller drops
 * them (this thread allocates too little for V8 to collect on its own; see feature-worker.ts).
 */
const gc: () => void = (() => {
  setFlagsFromString("--expose-gc");
  const fn: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
  return typeof fn === "function" ? (fn as () => void) : () => {};
})();

/**
 * Shared bytes of dropped jobs not yet collected. Collecting after every job would be simplest, but a
 * forced full collection costs the next training task its optimized code (measured: the first 17 trees
 * after one took 60–90 ms instead of 17 ms), so small jobs are collected in batches of GC_BYTES.
 */
let uncollected = 0;
const GC_BYTES = 64 * 1024 * 1024;

function released(bytes: number): void {
  uncollected += bytes;
  if (uncollected < GC_BYTES) return;
  uncollected = 0;
  // After the message handler returns, when nothing on the stack still refers to the job.
  setImmediate(gc);
}

interface TrainJob {
  readonly kind: "train";
  readonly samples: Float32Array;
  readonly labels: Uint8Array;
  readonly featureCount: number;
  readonly options: WorkerTrainOptions;
  /** Sorted once, on the first task (the expensive part of a small job). */
  prepared?: PreparedSamples;
}

interface PredictJob {
  readonly kind: "predict";
  readonly predictor: ForestPredictor;
  readonly features: Float32Array;
  readonly output: Float32Array;
  /** The caller keeps `features` alive: only the output counts as garbage once the job is dropped. */
  readonly inputRetained: boolean;
}

const jobs = new Map<number, TrainJob | PredictJob | Error>();
const forests = new Map<number, ForestPredictor | Error>();

/**
 * Trees go back as copies, never transferred: transferring detaches buffers, and the first detached
 * ArrayBuffer in a thread makes V8 add detach checks to every optimized typed-array access from then on
 * (the "array buffer detaching protector"); training in this worker ran 20 % slower after it.
 */
function send(msg: FromForestWorker): void {
  port!.postMessage(msg);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function job(id: number): TrainJob | PredictJob {
  const j = jobs.get(id);
  if (j === undefined) throw new Error(`internal: task for unknown job ${id}`);
  if (j instanceof Error) throw j;
  return j;
}

port.on("message", (msg: ToForestWorker) => {
  switch (msg.kind) {
    case "train":
      jobs.set(msg.job, {
        kind: "train",
        samples: new Float32Array(msg.samples, msg.samplesOffset, msg.sampleCount * msg.featureCount),
        labels: new Uint8Array(msg.labels, msg.labelsOffset, msg.sampleCount),
        featureCount: msg.featureCount,
        options: msg.options,
      });
      return;
    case "trees":
      try {
        const j = job(msg.job);
        if (j.kind !== "train") throw new Error(`internal: job ${msg.job} is not a training job`);
        j.prepared ??= prepareSamples(j.samples, j.labels, j.featureCount, j.options.splits ?? "auto");
        const forest = trainTrees(j.prepared, { ...j.options, treeRange: [msg.start, msg.end] });
        send({ kind: "done", job: msg.job, index: msg.index, trees: forest.trees });
      } catch (e) {
        send({ kind: "failed", job: msg.job, index: msg.index, message: message(e) });
      }
      return;
    case "forest":
      try {
        forests.set(msg.id, new ForestPredictor(msg.forest));
      } catch (e) {
        forests.set(msg.id, e instanceof Error ? e : new Error(String(e)));
      }
      return;
    case "drop-forest":
      forests.delete(msg.id);
      return;
    case "predict": {
      const predictor = forests.get(msg.forest);
      if (predictor === undefined) {
        jobs.set(
          msg.job,
          new Error(`internal: prediction job ${msg.job} names unknown forest ${msg.forest}`),
        );
        return;
      }
      if (predictor instanceof Error) {
        jobs.set(msg.job, predictor);
        return;
      }
      jobs.set(msg.job, {
        kind: "predict",
        predictor,
        features: new Float32Array(msg.features, msg.featuresOffset, msg.pixelCount * predictor.featureCount),
        output: new Float32Array(msg.output, msg.outputOffset, msg.pixelCount * predictor.classCount),
        inputRetained: msg.inputRetained === true,
      });
      return;
    }
    case "pixels":
      try {
        const j = job(msg.job);
        if (j.kind !== "predict") throw new Error(`internal: job ${msg.job} is not a prediction job`);
        const { predictor, features, output } = j;
        const F = predictor.featureCount;
        const C = predictor.classCount;
        predictor.predict(
          features.subarray(msg.start * F, msg.end * F),
          output.subarray(msg.start * C, msg.end * C),
        );
        send({ kind: "done", job: msg.job, index: msg.index });
      } catch (e) {
        send({ kind: "failed", job: msg.job, index: msg.index, message: message(e) });
      }
      return;
    case "drop": {
      const j = jobs.get(msg.job);
      jobs.delete(msg.job);
      if (j && !(j instanceof Error))
        released(
          j.kind === "train"
            ? j.samples.byteLength + j.labels.byteLength
            : (j.inputRetained ? 0 : j.features.byteLength) + j.output.byteLength,
        );
      return;
    }
  }
});

send({ kind: "ready" });
