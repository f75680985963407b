// PNG and JPEG headers without decoding: width, height, channels and dtype of the volume the decoder will
// return, read from the first bytes of the file (PNG: the IHDR chunk, plus a tRNS chunk for palette images;
// JPEG: the frame header, SOFn). Lets a lazy reader know a file's shape before decoding it, and lets the
// decoders refuse a decompression bomb (a few KB claiming 100000 × 100000 pixels) before inflating it.

import type { DType } from "../array/dtype.js";
import { ImageFormatError } from "./errors.js";
import type { ByteSource } from "./reader.js";

/** What a PNG or JPEG file will decode to, from its header alone. */
export interface ImageHeader {
  readonly format: "png" | "jpeg";
  readonly width: number;
  readonly height: number;
  /** Channels of the decoded volume: 1 gives axes "yx", more "yxc". */
  readonly channels: number;
  /** Bits per stored sample (PNG bit depth, JPEG sample precision). */
  readonly bitDepth: number;
  /** The decoded volume's dtype. */
  readonly dtype: DType;
}

export interface PngHeader extends ImageHeader {
  readonly format: "png";
  /** 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA. */
  readonly colorType: number;
  readonly interlaced: boolean;
}

/** What the JPEG frame header (SOFn marker) says about the image. */
export interface JpegFrame {
  readonly marker: number;
  readonly precision: number;
  readonly height: number;
  readonly width: number;
  readonly components: number;
}

export interface JpegHeader extends ImageHeader, JpegFrame {
  readonly format: "jpeg";
}

// ------------------------------------------------------------------------------------------------ PNG ----

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function hasPngSignatureBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

const PNG_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

let crcTable: Uint32Array | undefined;

function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

function chunkType(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
}

/**
 * Parses a PNG header. `bytes` is the whole file, or (with `complete` false) its first bytes: then a
 * palette image whose transparency (tRNS) chunk may lie beyond them gives `undefined`, meaning "read
 * more". A whole file is also checked for chunks running past its end (a truncated file).
 */
export function scanPngHeader(
  bytes: Uint8Array,
  source: string | undefined,
  complete: boolean,
): PngHeader | undefined {
  if (!hasPngSignatureBytes(bytes)) throw new ImageFormatError(source, "not a PNG file (no PNG signature)");
  if (bytes.length < 33)
    throw new ImageFormatError(
      source,
      `truncated PNG: the header (IHDR chunk) needs 33 bytes, the file has ${bytes.length}`,
    );
  if (u32(bytes, 8) !== 13 || chunkType(bytes, 12) !== "IHDR")
    throw new ImageFormatError(source, "corrupt PNG: the first chunk is not a 13-byte IHDR header");
  const crc = u32(bytes, 29);
  if (crc32(bytes.subarray(12, 29)) !== crc)
    throw new ImageFormatError(source, "corrupt PNG: the header (IHDR chunk) fails its CRC check");
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  const bitDepth = bytes[24];
  const colorType = bytes[25];
  const interlace = bytes[28];
  if (width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff)
    throw new ImageFormatError(source, `PNG has no pixels or an invalid size (${width} × ${height})`);
  const depths = PNG_DEPTHS[colorType];
  if (depths === undefined)
    throw new ImageFormatError(source, `corrupt PNG: invalid colour type ${colorType} in the header`);
  if (!depths.includes(bitDepth))
    throw new ImageFormatError(
      source,
      `corrupt PNG: invalid bit depth ${bitDepth} for colour type ${colorType} (allowed: ${depths.join(", ")})`,
    );
  if (bytes[26] !== 0 || bytes[27] !== 0 || interlace > 1)
    throw new ImageFormatError(
      source,
      `corrupt PNG: unknown compression, filter or interlace method (${bytes[26]}, ${bytes[27]}, ${interlace})`,
    );

  // Walk the chunks: a palette image's channel count depends on a tRNS chunk (before the image data); a
  // whole file must not have a chunk that runs past its end.
  let channels = PNG_CHANNELS[colorType];
  let paletteKnown = colorType !== 3;
  let at = 33;
  for (;;) {
    if (at + 8 > bytes.length) {
      if (!complete) break;
      if (at === bytes.length) break; // ends on a chunk boundary: the decoder says whether IEND is missing
      throw new ImageFormatError(
        source,
        `truncated PNG: a chunk header at byte ${at} is cut off by the end of the file (${bytes.length} bytes)`,
      );
    }
    const length = u32(bytes, at);
    const type = chunkType(bytes, at + 4);
    if (type === "IDAT" || type === "IEND") paletteKnown = true;
    if (type === "tRNS" && colorType === 3) {
      channels = 4;
      paletteKnown = true;
    }
    const end = at + 12 + length;
    if (end > bytes.length) {
      if (!complete) break;
      throw new ImageFormatError(
        source,
        `truncated PNG: chunk "${type}" at byte ${at} needs bytes up to ${end}, the file has ${bytes.length}`,
      );
    }
    if (type === "IEND" || (!complete && paletteKnown)) break;
    at = end;
  }
  if (!paletteKnown && !complete) return undefined;
  return {
    format: "png",
    width,
    height,
    channels,
    bitDepth,
    dtype: bitDepth === 16 ? "uint16" : "uint8",
    colorType,
    interlaced: interlace === 1,
  };
}

/** Parses the header of a whole PNG file (see `scanPngHeader`). */
export function parsePngHeader(bytes: Uint8Array, source?: string): PngHeader {
  const header = scanPngHeader(bytes, source, true);
  if (!header) throw new Error("internal: a complete PNG always has a known header");
  return header;
}

// ----------------------------------------------------------------------------------------------- JPEG ----

function hex(n: number): string {
  return n.toString(16).padStart(2, "0").toUpperCase();
}

/**
 * Walks the marker segments of a JPEG up to the first frame header. Returns `undefined` when `bytes`
 * (not the whole file: `complete` false) end before it.
 */
export function scanJpegFrame(
  bytes: Uint8Array,
  source: string | undefined,
  complete: boolean,
): JpegFrame | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    throw new ImageFormatError(source, "not a JPEG file (no start-of-image marker FFD8)");
  let p = 2;
  let endOfData = false;
  while (p < bytes.length) {
    if (bytes[p] !== 0xff)
      throw new ImageFormatError(
        source,
        `corrupt JPEG: expected a marker at byte ${p}, found 0x${hex(bytes[p])}`,
      );
    while (p < bytes.length && bytes[p] === 0xff) p++; // fill bytes
    if (p >= bytes.length) {
      endOfData = true;
      break;
    }
    const marker = bytes[p++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) break; // end of image or start of scan before any frame
    if (p + 2 > bytes.length) {
      endOfData = true;
      break;
    }
    const length = (bytes[p] << 8) | bytes[p + 1];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (p + 8 > bytes.length) {
        endOfData = true;
        break;
      }
      return {
        marker,
        precision: bytes[p + 2],
        height: (bytes[p + 3] << 8) | bytes[p + 4],
        width: (bytes[p + 5] << 8) | bytes[p + 6],
        components: bytes[p + 7],
      };
    }
    if (length < 2)
      throw new ImageFormatError(
        source,
        `corrupt JPEG: segment FF${hex(marker)} at byte ${p - 2} has length ${length}`,
      );
    p += length;
  }
  if (!complete && (endOfData || p >= bytes.length)) return undefined;
  throw new ImageFormatError(source, "corrupt JPEG: no frame header (SOF marker) found; truncated file?");
}

const SUPPORTED_FRAMES = new Set([0xc0, 0xc1, 0xc2]); // baseline, extended sequential, progressive (Huffman)

/** Checks that a frame is one jpeg-js decodes (8-bit Huffman, 1, 3 or 4 components) and gives its header. */
export function jpegHeaderOf(frame: JpegFrame, source?: string): JpegHeader {
  if (!SUPPORTED_FRAMES.has(frame.marker))
    throw new ImageFormatError(
      source,
      `unsupported JPEG coding (frame marker FF${hex(frame.marker)}); only baseline and progressive Huffman JPEG are read`,
    );
  if (frame.precision !== 8)
    throw new ImageFormatError(source, `unsupported ${frame.precision}-bit JPEG; only 8-bit JPEG is read`);
  if (frame.components !== 1 && frame.components !== 3 && frame.components !== 4)
    throw new ImageFormatError(
      source,
      `unsupported JPEG with ${frame.components} components (1, 3 or 4 are read)`,
    );
  if (frame.width < 1 || frame.height < 1)
    throw new ImageFormatError(
      source,
      `JPEG frame header gives no size (${frame.width} × ${frame.height}); a height set later by a DNL marker is not supported`,
    );
  return {
    ...frame,
    format: "jpeg",
    channels: frame.components === 1 ? 1 : 3,
    bitDepth: frame.precision,
    dtype: "uint8",
  };
}

/** Parses (and checks support for) the frame header of a JPEG file's bytes. */
export function parseJpegHeader(bytes: Uint8Array, source?: string): JpegHeader {
  const frame = scanJpegFrame(bytes, source, true);
  if (!frame) throw new Error("internal: a complete JPEG always has a frame or an error");
  return jpegHeaderOf(frame, source);
}

// --------------------------------------------------------------------------------------------- probing ----

const PROBE_BYTES = 64 * 1024;

/**
 * Reads a PNG or JPEG file's header through range reads: the first 64 KiB, then more (doubling) only when
 * the header lies further in (a JPEG with large metadata segments, a palette PNG with big chunks first).
 */
export async function probeImageHeader(
  source: ByteSource,
  format: "png" | "jpeg",
): Promise<PngHeader | JpegHeader> {
  let length = Math.min(source.size, PROBE_BYTES);
  for (;;) {
    const bytes = await source.read(0, length);
    const complete = length === source.size;
    if (format === "png") {
      const header = scanPngHeader(bytes, source.name, complete);
      if (header) return header;
    } else {
      const frame = scanJpegFrame(bytes, source.name, complete);
      if (frame) return jpegHeaderOf(frame, source.name);
    }
    length = Math.min(source.size, length * 4);
  }
}
