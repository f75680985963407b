// Messages between the forest pool (forest-pool.ts, main thread) and its workers (forest-worker.ts).
// Samples, features and probabilities live in SharedArrayBuffers that a worker views once per job; task
// messages carry only tree or pixel ranges. Trained trees come back as copies (structured clone), and a
// forest goes to each worker once (structured clone), then is referred to by its id.

import type { Forest, SplitSearch, Tree } from "@sylva/core";

/** Training options a worker needs (everything but the tree range, which each task carries). */
export interface WorkerTrainOptions {
  readonly trees: number;
  readonly seed: number;
  readonly mtry?: number;
  readonly maxDepth?: number;
  readonly minSplit?: number;
  readonly splits?: SplitSearch | "auto";
}

/** Main thread → worker. */
export type ToForestWorker =
  /** A training job: n × featureCount samples (float32) and n labels (uint8), both shared. */
  | {
      readonly kind: "train";
      readonly job: number;
      readonly samples: SharedArrayBuffer;
      readonly samplesOffset: number;
      readonly labels: SharedArrayBuffer;
      readonly labelsOffset: number;
      readonly sampleCount: number;
      readonly featureCount: number;
      readonly options: WorkerTrainOptions;
    }
  /** Grow trees start … end − 1 of training job `job`. */
  | {
      readonly kind: "trees";
      readonly job: number;
      readonly index: number;
      readonly start: number;
      readonly end: number;
    }
  /** A forest for prediction jobs, compiled by the worker once. */
  | { readonly kind: "forest"; readonly id: number; readonly forest: Forest }
  /** The worker may free forest `id`. */
  | { readonly kind: "drop-forest"; readonly id: number }
  /** A prediction job: n × featureCount float32 features in, n × classCount float32 probabilities out. */
  | {
      readonly kind: "predict";
      readonly job: number;
      readonly forest: number;
      readonly features: SharedArrayBuffer;
      readonly featuresOffset: number;
      readonly pixelCount: number;
      readonly output: SharedArrayBuffer;
      readonly outputOffset: number;
      /** The caller keeps the features buffer alive (e.g. cached): dropping the job frees only the output. */
      readonly inputRetained?: boolean;
    }
  /** Predict pixels start … end − 1 of prediction job `job`. */
  | {
      readonly kind: "pixels";
      readonly job: number;
      readonly index: number;
      readonly start: number;
      readonly end: number;
    }
  /** The job is over: forget its buffers. */
  | { readonly kind: "drop"; readonly job: number };

/** Worker → main thread. */
export type FromForestWorker =
  | { readonly kind: "ready" }
  /** Task `index` of `job` is done; training tasks bring their trees. */
  | { readonly kind: "done"; readonly job: number; readonly index: number; readonly trees?: readonly Tree[] }
  | { readonly kind: "failed"; readonly job: number; readonly index: number; readonly message: string };
