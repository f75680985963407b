// Chunk compression for stored OME-Zarr arrays: Zarr's "zlib" codec (RFC 1950 deflate) on Node's zlib,
// asynchronous so chunks compress on libuv's thread pool while the main thread reads the next slab.

import { promisify } from "node:util";
import { deflate, inflate } from "node:zlib";
import { CHUNK_ZLIB_LEVEL } from "@sylva/core";

const deflateAsync = promisify(deflate);
const inflateAsync = promisify(inflate);

/** Compresses one chunk's bytes at Sylva's chunk level. */
export async function compressChunk(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await deflateAsync(bytes, { level: CHUNK_ZLIB_LEVEL });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decompresses one chunk, refusing to produce more than `maxBytes` (a chunk's decoded size): a corrupt or
 * hostile chunk cannot inflate into a memory bomb.
 */
export async function decompressChunk(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const out = await inflateAsync(bytes, { maxOutputLength: maxBytes });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
