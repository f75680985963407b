// Blosc encoding and decoding on worker threads: an import compresses thousands of chunks and a tile read
// decodes dozens, and zstd in WebAssembly is synchronous, so on the main thread it would serialize them
// and stall the event loop. Jobs go to the worker with the fewest in flight; buffers are transferred, not
// copied. `installCodecPool` routes @sylva/core's Blosc decoding (zarrita reads of our datasets) here.
//
// A worker that dies fails its jobs with an error and is replaced. Workers are unref'd: an idle pool
// never keeps the process alive.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { ImageFormatError, setBloscDecoder } from "@sylva/core";
import type { FromCodecWorker, ToCodecWorker } from "./codec-protocol.js";
import { workerUrl } from "./worker-url.js";

/**
 * The compiled worker beside this module; when this module runs from source (vitest runs src/*.ts), the
 * compiled one in dist/ (built before the tests).
 */
const WORKER_URL = workerUrl("codec-worker.js", import.meta.url);

/** A message without its id (distributed over the union's members). */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

interface Slot {
  worker: Worker;
  inFlight: Map<number, { resolve: (m: FromCodecWorker) => void; reject: (e: Error) => void }>;
}

export class CodecPool {
  readonly #slots: Slot[] = [];
  #next = 1;

  constructor(readonly size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) this.#slots.push(this.#start());
  }

  #start(): Slot {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, inFlight: new Map() };
    worker.on("message", (m: FromCodecWorker) => {
      const job = slot.inFlight.get(m.id);
      slot.inFlight.delete(m.id);
      if (slot.inFlight.size === 0) worker.unref();
      job?.resolve(m);
    });
    const fail = (e: Error) => {
      for (const job of slot.inFlight.values()) job.reject(e);
      slot.inFlight.clear();
      const at = this.#slots.indexOf(slot);
      if (at >= 0) this.#slots[at] = this.#start();
    };
    worker.on("error", (e) => fail(new Error(`codec worker failed: ${e.message}`)));
    worker.on("exit", (code) => {
      if (slot.inFlight.size > 0) fail(new Error(`codec worker exited (code ${code})`));
    });
    // After the listeners: adding a "message" listener refs the worker's port again.
    worker.unref();
    return slot;
  }

  #run(message: WithoutId<ToCodecWorker>, transfer: ArrayBuffer[]): Promise<FromCodecWorker & { ok: true }> {
    const slot = this.#slots.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      slot.inFlight.set(id, {
        resolve: (m) => {
          if (m.ok) resolve(m);
          else if (m.source !== undefined && m.problem !== undefined)
            reject(new ImageFormatError(m.source, m.problem));
          else reject(new Error(m.message));
        },
        reject,
      });
      slot.worker.ref();
      slot.worker.postMessage({ ...message, id } as ToCodecWorker, transfer);
    });
  }

  /**
   * Encodes a chunk's bytes (which must own their whole ArrayBuffer: it is transferred) into a Blosc frame;
   * resolves with the frame and the chunk's buffer, handed back for reuse.
   */
  async encode(bytes: Uint8Array, typesize: number): Promise<{ frame: Uint8Array; buffer: ArrayBuffer }> {
    const buffer = bytes.buffer;
    if (!(buffer instanceof ArrayBuffer) || bytes.byteOffset !== 0 || bytes.byteLength !== buffer.byteLength)
      throw new Error("CodecPool.encode: the bytes must span their whole (non-shared) ArrayBuffer");
    const m = await this.#run({ op: "encode", bytes: buffer, typesize }, [buffer]);
    if (!m.returned) throw new Error("codec worker did not return the chunk buffer");
    return { frame: new Uint8Array(m.result), buffer: m.returned };
  }

  /** Decodes a Blosc frame (copied to the worker), bounded by `maxBytes` like bloscDecodeBounded. */
  async decode(frame: Uint8Array, maxBytes: number, container: string): Promise<Uint8Array> {
    const copy = frame.slice().buffer;
    const m = await this.#run({ op: "decode", frame: copy, maxBytes, container }, [copy]);
    return new Uint8Array(m.result);
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots.length = 0;
  }
}

let shared: CodecPool | undefined;

/** The process's codec pool (started on first use), also decoding @sylva/core's Blosc reads. */
export function codecPool(): CodecPool {
  if (!shared) {
    const pool = new CodecPool();
    shared = pool;
    setBloscDecoder((frame, maxBytes, container) => pool.decode(frame, maxBytes, container));
  }
  return shared;
}
