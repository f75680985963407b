// Messages between the feature pool (features-pool.ts, main thread) and its workers (feature-worker.ts).
// Pixel data never travels in messages: input and output live in SharedArrayBuffers that the worker
// views once per job; a block message carries only the block's coordinates.

import type { Box, DType, FeatureEntry, FeatureRegion, filtersWasmModule } from "@sylva/core";

/** The compiled filter module (WebAssembly.Module; named through core, as this package has no DOM lib). */
export type FiltersModule = Awaited<ReturnType<typeof filtersWasmModule>>;

/** Main thread → worker. */
export type ToWorker =
  /** First message: the compiled filter module; the worker answers "ready" once its backend exists. */
  | { readonly kind: "init"; readonly module: FiltersModule }
  /** A job's data and selection; sent to a worker before its first block of that job. */
  | {
      readonly kind: "job";
      readonly job: number;
      readonly input: SharedArrayBuffer;
      /** Byte offset of the input's first element in `input`. */
      readonly inputOffset: number;
      readonly dtype: DType;
      readonly shape: readonly [number, number, number, number, number];
      readonly entries: readonly FeatureEntry[];
      /** The region's (t, z, y, x, C) float32, from byte 0. */
      readonly output: SharedArrayBuffer;
      /** The part of the volume the output holds. */
      readonly region: FeatureRegion;
    }
  /** Compute block `index` of job `job` and write it into the job's output. */
  | {
      readonly kind: "block";
      readonly job: number;
      readonly index: number;
      readonly t: number;
      readonly box: Box;
    }
  /** The job is over: forget its buffers. */
  | { readonly kind: "drop"; readonly job: number };

/** Worker → main thread. */
export type FromWorker =
  | { readonly kind: "ready" }
  | { readonly kind: "done"; readonly job: number; readonly index: number }
  | { readonly kind: "failed"; readonly job: number; readonly index: number; readonly message: string }
  /** Init failed (e.g. the module could not be instantiated); the worker exits. */
  | { readonly kind: "init-failed"; readonly message: string };
