// A feature worker thread: one WebAssembly filter backend for its whole life, one BlockComputer per job,
// and blocks computed one at a time as the pool hands them out (features-pool.ts), each written straight
// into the job's shared output.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort } from "node:worker_threads";
import type { BlockSpec, FeatureRegion, TypedArray, Volume5 } from "@sylva/core";
import {
  BlockComputer,
  planFeatures,
  regionVoxels,
  typedArrayConstructor,
  WasmBackend,
  writeBlock,
} from "@sylva/core";
import type { FromWorker, ToWorker } from "./protocol.js";
import { lowerThreadPriority } from "./thread-priority.js";

lowerThreadPriority();

interface WorkerJob {
  readonly computer: BlockComputer;
  readonly input: Volume5<TypedArray>;
  readonly output: Float32Array;
  readonly region: FeatureRegion;
}

const port = parentPort;
if (!port) throw new Error("feature-worker.js must run as a worker thread");

/**
 * A full garbage collection of this (small) heap. A job's SharedArrayBuffers are freed only once every
 * thread that saw them has collected its views, and this thread allocates too little for V8 to collect
 * on its own: without this, each finished job's input and output stay in memory (0.5 GB per 128³ job
 * with all features) until the worker happens to collect.
 */
const collectGarbage: () => void = (() => {
  // The flag is left on: V8 flags are process-wide, and switching it back off here would race with
  // another thread doing the same (the pool's workers and a benchmark's main thread all do this).
  setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext("typeof gc === 'function' ? gc : undefined");
  return typeof gc === "function" ? (gc as () => void) : () => {};
})();

let backend: WasmBackend | undefined;
const jobs = new Map<number, WorkerJob | Error>();

function send(msg: FromWorker): void {
  port!.postMessage(msg);
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

port.on("message", (msg: ToWorker) => {
  switch (msg.kind) {
    case "init":
      WasmBackend.create(msg.module).then(
        (b) => {
          backend = b;
          send({ kind: "ready" });
        },
        (e: unknown) => {
          send({ kind: "init-failed", message: message(e) });
          process.exit(1);
        },
      );
      return;
    case "job": {
      // A job that cannot be set up fails on its first block (the pool checks plans first, so this is rare).
      try {
        const plan = planFeatures(msg.entries, msg.shape);
        const C = typedArrayConstructor(msg.dtype);
        const n = msg.shape.reduce((a, b) => a * b, 1);
        const input: Volume5<TypedArray> = {
          data: new C(msg.input, msg.inputOffset, n),
          shape: msg.shape,
          axes: "tzyxc",
        };
        const output = new Float32Array(msg.output, 0, regionVoxels(msg.region) * plan.channelCount);
        jobs.set(msg.job, { computer: new BlockComputer(backend!, plan), input, output, region: msg.region });
      } catch (e) {
        jobs.set(msg.job, e instanceof Error ? e : new Error(String(e)));
      }
      return;
    }
    case "block": {
      const job = jobs.get(msg.job);
      try {
        if (job === undefined) throw new Error(`internal: block for unknown job ${msg.job}`);
        if (job instanceof Error) throw job;
        const block: BlockSpec = { t: msg.t, box: msg.box };
        writeBlock(job.output, job.computer.plan, block, job.computer.compute(job.input, block), job.region);
        send({ kind: "done", job: msg.job, index: msg.index });
      } catch (e) {
        send({ kind: "failed", job: msg.job, index: msg.index, message: message(e) });
      }
      return;
    }
    case "drop":
      jobs.delete(msg.job);
      // Collect after the message handler returns, when nothing on the stack still refers to the job.
      setImmediate(collectGarbage);
      return;
  }
});
