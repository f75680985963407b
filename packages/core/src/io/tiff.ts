// TIFF decoding (via geotiff) and encoding (a small baseline writer of our own), pure: bytes in, Volume out.
//
// Decoding reads every image (IFD) of a classic or BigTIFF file, through the lazy reader of tiff-reader.ts
// (so its hostile-input checks and `limits` apply):
// - one page → axes "yx" (1 sample per pixel) or "yxc" (several samples, contiguous or planar);
// - several pages → a z-stack, "zyx" or "zyxc"; all pages must have the same size, samples and dtype
//   (else an ImageFormatError names the page). Reduced-resolution pages (NewSubfileType bit 0, pyramid
//   levels and thumbnails) are skipped;
// - dtypes uint8/16/32, int8/16/32, float32/64, from SampleFormat (default unsigned) and BitsPerSample;
//   other sample types (1-bit, 12-bit, float16, complex) are rejected with an ImageFormatError;
// - uncompressed, deflate, LZW and PackBits (with or without predictor), striped or tiled, either byte
//   order; samples are returned as stored (a palette image gives its indices, as tifffile does).
//
// Encoding writes an uncompressed, little-endian baseline TIFF, one strip per page: "yx"/"yxc" as one page,
// "zyx"/"zyxc" as one page per z; 3 or 4 channels are tagged RGB (4th = alpha), others gray with extra
// samples; SampleFormat records the dtype, so every dtype above round-trips (tifffile reads it back).

import type { DType, TypedArray } from "../array/dtype.js";
import { bytesPerElement, dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume } from "../array/volume.js";
import { ImageFormatError, UNNAMED_SOURCE } from "./errors.js";
import type { ReadLimits } from "./limits.js";
import { bytesSource } from "./reader.js";
import { isTiffSignature, openTiffReader } from "./tiff-reader.js";

/** Decodes a TIFF file's bytes (all pages). `source` names the file in error messages. */
export async function decodeTiff(bytes: Uint8Array, source?: string, limits?: ReadLimits): Promise<Volume> {
  const name = source ?? UNNAMED_SOURCE;
  if (!isTiffSignature(bytes))
    throw new ImageFormatError(name, "not a TIFF file (no II*/MM* byte-order header)");
  const reader = await openTiffReader(bytesSource(bytes, name), limits);
  try {
    return await reader.read({ start: reader.shape.map(() => 0), stop: reader.shape });
  } finally {
    await reader.close();
  }
}

// ------------------------------------------------------------------------------------------ encoding ----

const SHORT = 3;
const LONG = 4;
const RATIONAL = 5;
const TYPE_SIZE: Record<number, number> = { [SHORT]: 2, [LONG]: 4, [RATIONAL]: 8 };

interface Entry {
  readonly tag: number;
  readonly type: number;
  /** Values; a RATIONAL takes two (numerator, denominator). */
  readonly values: readonly number[];
}

function entryCount(e: Entry): number {
  return e.type === RATIONAL ? e.values.length / 2 : e.values.length;
}

function entryBytes(e: Entry): number {
  return entryCount(e) * TYPE_SIZE[e.type];
}

const SAMPLE_FORMAT: Record<DType, number> = {
  uint8: 1,
  uint16: 1,
  uint32: 1,
  int8: 2,
  int16: 2,
  int32: 2,
  float32: 3,
  float64: 3,
};

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function pad2(n: number): number {
  return n + (n & 1);
}

/** Encodes a "yx", "yxc", "zyx" or "zyxc" volume as an uncompressed baseline TIFF (one page per z). */
export function encodeTiff(volume: Volume): Uint8Array {
  const what = "TIFF encoder";
  checkVolume(volume, what);
  const { axes, shape, data } = volume;
  if (!["yx", "yxc", "zyx", "zyxc"].includes(axes))
    throw new ImageFormatError(
      what,
      `TIFF export takes axes "yx", "yxc", "zyx" or "zyxc", got "${axes}" (shape [${shape.join(", ")}])`,
    );
  const dtype = dtypeOf(data);
  const hasZ = axes[0] === "z";
  const pages = hasZ ? shape[0] : 1;
  const height = shape[hasZ ? 1 : 0];
  const width = shape[hasZ ? 2 : 1];
  const samples = axes.endsWith("c") ? shape[shape.length - 1] : 1;
  if (samples > 65535)
    throw new ImageFormatError(what, `TIFF holds at most 65535 samples per pixel, got ${samples}`);
  const bps = bytesPerElement(dtype);
  const pageBytes = width * height * samples * bps;
  const rgb = samples === 3 || samples === 4;
  const extra = rgb ? samples - 3 : samples - 1;

  const entries: Entry[] = [
    { tag: 254, type: LONG, values: [0] }, // NewSubfileType: full-resolution page
    { tag: 256, type: LONG, values: [width] },
    { tag: 257, type: LONG, values: [height] },
    { tag: 258, type: SHORT, values: new Array(samples).fill(bps * 8) }, // BitsPerSample
    { tag: 259, type: SHORT, values: [1] }, // Compression: none
    { tag: 262, type: SHORT, values: [rgb ? 2 : 1] }, // PhotometricInterpretation: RGB or BlackIsZero
    { tag: 273, type: LONG, values: [0] }, // StripOffsets (patched per page)
    { tag: 277, type: SHORT, values: [samples] },
    { tag: 278, type: LONG, values: [height] }, // RowsPerStrip
    { tag: 279, type: LONG, values: [pageBytes] }, // StripByteCounts
    { tag: 282, type: RATIONAL, values: [1, 1] }, // XResolution
    { tag: 283, type: RATIONAL, values: [1, 1] }, // YResolution
    { tag: 284, type: SHORT, values: [1] }, // PlanarConfiguration: contiguous
    { tag: 296, type: SHORT, values: [1] }, // ResolutionUnit: none
  ];
  if (extra > 0) entries.push({ tag: 338, type: SHORT, values: new Array(extra).fill(rgb ? 2 : 0) }); // ExtraSamples
  entries.push({ tag: 339, type: SHORT, values: new Array(samples).fill(SAMPLE_FORMAT[dtype]) });

  const ifdBytes = 2 + entries.length * 12 + 4;
  const overflowBytes = entries.reduce((n, e) => n + (entryBytes(e) > 4 ? pad2(entryBytes(e)) : 0), 0);
  const pageStride = pad2(pageBytes) + ifdBytes + overflowBytes;
  const total = 8 + pages * pageStride;
  if (total > 0xffffffff)
    throw new ImageFormatError(
      what,
      `volume needs ${total} bytes, more than a classic TIFF can address (4 GiB); export it in pieces or as HDF5`,
    );

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = 0x49; // "II": little-endian
  out[1] = 0x49;
  view.setUint16(2, 42, true);
  view.setUint32(4, 8 + pad2(pageBytes), true); // first IFD follows the first page's pixels

  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let z = 0; z < pages; z++) {
    const dataAt = 8 + z * pageStride;
    const ifdAt = dataAt + pad2(pageBytes);
    if (HOST_LITTLE_ENDIAN) out.set(raw.subarray(z * pageBytes, (z + 1) * pageBytes), dataAt);
    else writeLittleEndian(view, dataAt, data, z * width * height * samples, width * height * samples, dtype);

    view.setUint16(ifdAt, entries.length, true);
    let overflowAt = ifdAt + ifdBytes;
    for (const [k, entry] of entries.entries()) {
      const at = ifdAt + 2 + k * 12;
      const values = entry.tag === 273 ? [dataAt] : entry.values;
      view.setUint16(at, entry.tag, true);
      view.setUint16(at + 2, entry.type, true);
      view.setUint32(at + 4, entryCount(entry), true);
      let valueAt = at + 8;
      if (entryBytes(entry) > 4) {
        view.setUint32(at + 8, overflowAt, true);
        valueAt = overflowAt;
        overflowAt += pad2(entryBytes(entry));
      }
      for (const [i, v] of values.entries()) {
        if (entry.type === SHORT) view.setUint16(valueAt + i * 2, v, true);
        else view.setUint32(valueAt + i * 4, v, true); // LONG, and RATIONAL as two LONGs
      }
    }
    const next = z + 1 < pages ? 8 + (z + 1) * pageStride + pad2(pageBytes) : 0;
    view.setUint32(ifdAt + 2 + entries.length * 12, next, true);
  }
  return out;
}

function writeLittleEndian(
  view: DataView,
  at: number,
  data: TypedArray,
  start: number,
  length: number,
  dtype: DType,
): void {
  const bps = bytesPerElement(dtype);
  for (let i = 0; i < length; i++) {
    const v = data[start + i];
    const p = at + i * bps;
    switch (dtype) {
      case "uint8":
        view.setUint8(p, v);
        break;
      case "int8":
        view.setInt8(p, v);
        break;
      case "uint16":
        view.setUint16(p, v, true);
        break;
      case "int16":
        view.setInt16(p, v, true);
        break;
      case "uint32":
        view.setUint32(p, v, true);
        break;
      case "int32":
        view.setInt32(p, v, true);
        break;
      case "float32":
        view.setFloat32(p, v, true);
        break;
      case "float64":
        view.setFloat64(p, v, true);
        break;
    }
  }
}
