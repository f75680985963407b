// Blosc, the chunk codec of Sylva's OME-Zarr (zarr-python's default family, read by every Zarr reader):
// frames in c-blosc 1's format (README_CHUNK_FORMAT.rst of c-blosc), written here around a Zstandard
// stream of byte-shuffled data.
//
// Frame = 16-byte header | one int32 block start | int32 stream size | stream.
//   header: version 2, versionlz 1, flags, typesize, nbytes, blocksize, cbytes (all little-endian);
//   flags: 0x01 byte shuffle (when typesize > 1), 0x10 blocks not split, compressor code 4 (zstd) << 5.
//   One block covers the whole chunk; its stream is a zstd frame, or the shuffled bytes themselves when
//   zstd would not make them smaller (stream size = block size, as c-blosc does).
// Byte shuffle stores byte 0 of every element, then byte 1, …: the high bytes of 16-bit microscopy are
// nearly constant and compress well apart (on EM-like uint16: 0.61 of the raw size, against 0.85 for zlib
// level 1 and 1.0 for LZ4, at ~4× zlib's speed).
//
// Why our own framing: numcodecs' WebAssembly Blosc copies every byte through an embind string (slower
// than the compression itself) and cannot set the typesize, so it cannot shuffle. Frames from other
// writers (any compressor, several blocks, splits) are decoded by numcodecs' Blosc.
//
// Decoding is bounded: the header's decoded size (nbytes) and frame length (cbytes) are checked against
// what the chunk can hold before anything is allocated, so a hostile frame claiming gigabytes is refused.

import { ImageFormatError } from "./errors.js";
import { inflateBombMessage } from "./inflate.js";

/** The compressor entry of Sylva's `.zarray`: Blosc, zstd level 1, byte shuffle. */
export const BLOSC_CONFIG = { id: "blosc", cname: "zstd", clevel: 1, shuffle: 1, blocksize: 0 } as const;

const HEADER = 16;
const VERSION = 2;
const VERSION_LZ = 1;
const FLAG_SHUFFLE = 0x01;
const FLAG_MEMCPYED = 0x02;
const FLAG_BITSHUFFLE = 0x04;
const FLAG_NOSPLIT = 0x10;
const ZSTD_CODE = 4;

interface Zstd {
  compress(buf: Uint8Array, level?: number): Uint8Array;
  decompress(buf: Uint8Array): Uint8Array;
}

let zstd: Promise<Zstd> | undefined;

/** The zstd WebAssembly module, loaded on first use. */
function loadZstd(): Promise<Zstd> {
  zstd ??= import("@bokuweb/zstd-wasm").then(async (m) => {
    await m.init();
    return { compress: m.compress, decompress: m.decompress };
  });
  return zstd;
}

/** Byte shuffle: byte b of element i goes to b × count + i. */
export function shuffleBytes(src: Uint8Array, typesize: number): Uint8Array {
  const count = Math.floor(src.length / typesize);
  const out = new Uint8Array(src.length);
  for (let b = 0; b < typesize; b++) {
    const base = b * count;
    for (let i = 0, j = b; i < count; i++, j += typesize) out[base + i] = src[j];
  }
  out.set(src.subarray(count * typesize), count * typesize); // leftover bytes, as c-blosc keeps them
  return out;
}

/** The inverse of `shuffleBytes`. */
export function unshuffleBytes(src: Uint8Array, typesize: number): Uint8Array {
  const count = Math.floor(src.length / typesize);
  const out = new Uint8Array(src.length);
  for (let b = 0; b < typesize; b++) {
    const base = b * count;
    for (let i = 0, j = b; i < count; i++, j += typesize) out[j] = src[base + i];
  }
  out.set(src.subarray(count * typesize), count * typesize);
  return out;
}

/** Compresses one chunk's bytes into a Blosc frame (zstd level 1, byte shuffle for `typesize` > 1). */
export async function bloscEncode(bytes: Uint8Array, typesize: number): Promise<Uint8Array> {
  const z = await loadZstd();
  const shuffle = typesize > 1 && typesize < 256;
  const block = shuffle ? shuffleBytes(bytes, typesize) : bytes;
  const compressed = bytes.length > 0 ? z.compress(block, BLOSC_CONFIG.clevel) : block;
  const stream = compressed.length < block.length ? compressed : block;
  const cbytes = HEADER + 4 + 4 + stream.length;
  const frame = new Uint8Array(cbytes);
  const view = new DataView(frame.buffer);
  frame[0] = VERSION;
  frame[1] = VERSION_LZ;
  frame[2] = (shuffle ? FLAG_SHUFFLE : 0) | FLAG_NOSPLIT | (ZSTD_CODE << 5);
  frame[3] = shuffle ? typesize : 1;
  view.setUint32(4, bytes.length, true); // nbytes
  view.setUint32(8, bytes.length, true); // blocksize: one block
  view.setUint32(12, cbytes, true);
  view.setInt32(HEADER, HEADER + 4, true); // bstarts[0], from the frame's start
  view.setInt32(HEADER + 4, stream.length, true);
  frame.set(stream, HEADER + 8);
  return frame;
}

interface Header {
  readonly flags: number;
  readonly typesize: number;
  readonly nbytes: number;
  readonly blocksize: number;
  readonly cbytes: number;
}

function readHeader(frame: Uint8Array, container: string): Header {
  if (frame.byteLength < HEADER)
    throw new ImageFormatError(
      container,
      `corrupt blosc data: ${frame.byteLength} bytes, shorter than its header`,
    );
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    flags: frame[2],
    typesize: frame[3],
    nbytes: view.getUint32(4, true),
    blocksize: view.getUint32(8, true),
    cbytes: view.getUint32(12, true),
  };
}

/** The decoded size a zstd frame states (Frame_Content_Size), or undefined when it does not state one. */
function zstdContentSize(stream: Uint8Array): number | undefined {
  if (
    stream.length < 6 ||
    stream[0] !== 0x28 ||
    stream[1] !== 0xb5 ||
    stream[2] !== 0x2f ||
    stream[3] !== 0xfd
  )
    return undefined;
  const fhd = stream[4];
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const dictBytes = [0, 1, 2, 4][fhd & 3];
  const at = 5 + (single ? 0 : 1) + dictBytes;
  const size = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag];
  if (size === 0 || at + size > stream.length) return undefined;
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  if (size === 1) return view.getUint8(at);
  if (size === 2) return view.getUint16(at, true) + 256;
  if (size === 4) return view.getUint32(at, true);
  return Number(view.getBigUint64(at, true));
}

/** Decodes a frame in the layout `bloscEncode` writes (one unsplit zstd block); undefined for any other. */
async function decodeOwnFrame(
  frame: Uint8Array,
  h: Header,
  container: string,
): Promise<Uint8Array | undefined> {
  const { flags } = h;
  if (flags >> 5 !== ZSTD_CODE || !(flags & FLAG_NOSPLIT) || flags & (FLAG_MEMCPYED | FLAG_BITSHUFFLE))
    return undefined;
  if (h.blocksize !== h.nbytes || frame.byteLength < HEADER + 8) return undefined;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const start = view.getInt32(HEADER, true);
  if (start !== HEADER + 4) return undefined;
  const size = view.getInt32(HEADER + 4, true);
  if (size < 0 || HEADER + 8 + size > frame.byteLength)
    throw new ImageFormatError(
      container,
      `corrupt blosc data: a stream of ${size} bytes in a frame of ${frame.byteLength}`,
    );
  const stream = frame.subarray(HEADER + 8, HEADER + 8 + size);
  let block: Uint8Array;
  if (size === h.blocksize) block = stream;
  else {
    const stated = zstdContentSize(stream);
    if (stated !== h.blocksize)
      throw new ImageFormatError(
        container,
        `corrupt blosc data: its zstd stream states ${stated ?? "no"} decoded bytes, the frame ${h.blocksize}`,
      );
    try {
      block = (await loadZstd()).decompress(stream);
    } catch (e) {
      throw new ImageFormatError(
        container,
        `cannot decode zstd data: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
    }
    if (block.length !== h.blocksize)
      throw new ImageFormatError(
        container,
        `corrupt blosc data: decoded ${block.length} bytes, expected ${h.blocksize}`,
      );
  }
  return flags & FLAG_SHUFFLE && h.typesize > 1 ? unshuffleBytes(block, h.typesize) : block.slice();
}

let numcodecsBlosc: Promise<{ decode(data: Uint8Array): Promise<Uint8Array> }> | undefined;

/** numcodecs' Blosc (c-blosc in WebAssembly), for frames of other layouts. */
function anyBlosc(): Promise<{ decode(data: Uint8Array): Promise<Uint8Array> }> {
  numcodecsBlosc ??= import("numcodecs/blosc").then(({ default: Blosc }) => Blosc.fromConfig({}));
  return numcodecsBlosc;
}

/** Decodes a Blosc frame within a bound: `bloscDecodeBounded`'s contract. */
export type BloscDecoder = (frame: Uint8Array, maxBytes: number, container: string) => Promise<Uint8Array>;

let platformDecoder: BloscDecoder | undefined;

/**
 * Routes the Blosc decoding of Zarr chunks (zarrita reads, `registerBoundedZarrCodecs`) to `decoder`, e.g.
 * a pool of worker threads running `bloscDecodeBounded`; undefined restores decoding on this thread.
 */
export function setBloscDecoder(decoder: BloscDecoder | undefined): void {
  platformDecoder = decoder;
}

/** Decodes a Zarr chunk's Blosc frame with the installed decoder (this thread by default). */
export function bloscDecodeChunk(
  frame: Uint8Array,
  maxBytes: number,
  container: string,
): Promise<Uint8Array> {
  return (platformDecoder ?? bloscDecodeBounded)(frame, maxBytes, container);
}

/** Decompresses a Blosc frame, refusing one that decodes to more than `maxBytes` or lies about its length. */
export async function bloscDecodeBounded(
  frame: Uint8Array,
  maxBytes: number,
  container: string,
): Promise<Uint8Array> {
  const h = readHeader(frame, container);
  if (h.nbytes > maxBytes)
    throw new ImageFormatError(container, inflateBombMessage("blosc", maxBytes, container));
  if (h.cbytes !== frame.byteLength)
    throw new ImageFormatError(
      container,
      `corrupt blosc data: the header states ${h.cbytes} bytes, the chunk holds ${frame.byteLength}`,
    );
  const own = await decodeOwnFrame(frame, h, container);
  if (own) return own;
  try {
    const out = await (await anyBlosc()).decode(frame);
    if (out.length !== h.nbytes)
      throw new Error(`decoded ${out.length} bytes, the header states ${h.nbytes}`);
    return out;
  } catch (e) {
    throw new ImageFormatError(
      container,
      `cannot decode blosc data: ${e instanceof Error ? e.message : String(e)}`,
      {
        cause: e,
      },
    );
  }
}
