// A codec worker: Blosc frames encoded and decoded off the main thread (see codec-pool.ts).

import { parentPort } from "node:worker_threads";
import { bloscDecodeBounded, bloscEncode, ImageFormatError } from "@sylva/core";
import type { FromCodecWorker, ToCodecWorker } from "./codec-protocol.js";
import { lowerThreadPriority } from "./thread-priority.js";

lowerThreadPriority();

const port = parentPort;
if (!port) throw new Error("codec-worker.ts runs as a worker thread");

/** A standalone ArrayBuffer holding exactly `bytes` (the same one when it already does). */
function own(bytes: Uint8Array): ArrayBuffer {
  const { buffer, byteOffset, byteLength } = bytes;
  return buffer instanceof ArrayBuffer && byteOffset === 0 && byteLength === buffer.byteLength
    ? buffer
    : bytes.slice().buffer;
}

port.on("message", async (m: ToCodecWorker) => {
  let reply: FromCodecWorker;
  const transfer: ArrayBuffer[] = [];
  try {
    if (m.op === "encode") {
      const frame = own(await bloscEncode(new Uint8Array(m.bytes), m.typesize));
      reply = { id: m.id, ok: true, result: frame, returned: m.bytes };
      transfer.push(frame, m.bytes);
    } else {
      const bytes = own(await bloscDecodeBounded(new Uint8Array(m.frame), m.maxBytes, m.container));
      reply = { id: m.id, ok: true, result: bytes };
      transfer.push(bytes);
    }
  } catch (e) {
    reply =
      e instanceof ImageFormatError
        ? { id: m.id, ok: false, source: e.source, problem: e.problem, message: e.message }
        : { id: m.id, ok: false, message: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply, transfer);
});
