// A lazy NumPy .npy reader over range reads, and the .npy header parsing it shares with decodeNpy.
//
// Opening reads the header only (its claimed shape is checked against the limits, and the file must hold
// all the data it claims); `read(region)` reads just the region's bytes: C-order arrays as contiguous runs
// (one read of the bounding span when the region is nearly contiguous), big-endian data byte-swapped.
// Fortran-order arrays are read whole once (refused if larger than `limits.maxDecodedBytes`), transposed
// to C order and kept until `close`. Dtypes: u1 u2 u4 i1 i2 i4 f4 f8 in either byte order; float16,
// (u)int64, bool, complex, strings and objects are an ImageFormatError naming the dtype.

import type { DType, TypedArray } from "../array/dtype.js";
import { bytesPerElement, dtypeOf, typedArrayConstructor } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { elementCount } from "../array/volume.js";
import { parseAxesSpec } from "./axes.js";
import { ImageFormatError } from "./errors.js";
import { guessAxes } from "./hdf5.js";
import type { ReadLimits } from "./limits.js";
import { checkClaimedShape, checkDecodeSize, DEFAULT_READ_LIMITS } from "./limits.js";
import type { ByteSource, Region, VolumeReader } from "./reader.js";
import { checkRegion, cropVolume } from "./reader.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest header accepted: numpy itself refuses more than 10 000 bytes unless told otherwise. */
const MAX_HEADER_BYTES = 1 << 20;

const KINDS: Record<string, Partial<Record<number, DType>>> = {
  u: { 1: "uint8", 2: "uint16", 4: "uint32" },
  i: { 1: "int8", 2: "int16", 4: "int32" },
  f: { 4: "float32", 8: "float64" },
};

const SUPPORTED = "uint8, uint16, uint32, int8, int16, int32, float32, float64";

export function hasNpySignature(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && MAGIC.every((b, i) => bytes[i] === b);
}

/** What a .npy header says. */
export interface NpyHeader {
  /** The numpy type string, e.g. "<u2". */
  readonly descr: string;
  readonly dtype: DType;
  readonly littleEndian: boolean;
  readonly fortranOrder: boolean;
  readonly shape: readonly number[];
  /** Byte offset of the array data (the header's end). */
  readonly dataOffset: number;
}

/** numpy's name for a type string Sylva does not read, for messages ("<f2" → "float16"). */
function numpyName(descr: string): string | undefined {
  const m = /^[<>|=]?([a-zA-Z])(\d*)$/.exec(descr);
  if (!m) return descr.startsWith("[") || descr.startsWith("(") ? "structured" : undefined;
  const [, kind, n] = m;
  const bits = Number(n) * 8;
  switch (kind) {
    case "f":
      return `float${bits}`;
    case "i":
      return `int${bits}`;
    case "u":
      return `uint${bits}`;
    case "c":
      return `complex${bits}`;
    case "b":
    case "?":
      return "bool";
    case "O":
      return "object";
    case "U":
    case "S":
    case "a":
      return "string";
    case "V":
      return "void";
    case "M":
      return "datetime64";
    case "m":
      return "timedelta64";
    default:
      return undefined;
  }
}

/**
 * The byte offset where a .npy file's data starts (= the header's end), from its first 12 bytes (fewer
 * if the file is shorter); checks the magic and version.
 */
export function npyDataOffset(first: Uint8Array, source?: string): number {
  if (!hasNpySignature(first))
    throw new ImageFormatError(source, "not a NumPy .npy file (no \\x93NUMPY signature)");
  const major = first[6];
  if (major < 1 || major > 3)
    throw new ImageFormatError(
      source,
      `unsupported .npy format version ${major}.${first[7]} (supported: 1.0, 2.0, 3.0)`,
    );
  const prefix = major === 1 ? 10 : 12;
  if (first.length < prefix) throw new ImageFormatError(source, ".npy header is truncated");
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES)
    throw new ImageFormatError(
      source,
      `.npy header claims ${headerLength} bytes, more than the ${MAX_HEADER_BYTES} accepted; corrupt file?`,
    );
  return prefix + headerLength;
}

/** Parses a .npy header from the file's first bytes (at least up to the end of the header). */
export function parseNpyHeader(bytes: Uint8Array, source?: string): NpyHeader {
  const dataOffset = npyDataOffset(bytes, source);
  if (dataOffset > bytes.length)
    throw new ImageFormatError(
      source,
      `.npy header is truncated (needs ${dataOffset} bytes, file has ${bytes.length})`,
    );
  const prefix = bytes[6] === 1 ? 10 : 12;
  const headerBytes = bytes.subarray(prefix, dataOffset);
  const header =
    bytes[6] === 3 ? new TextDecoder("utf-8").decode(headerBytes) : String.fromCharCode(...headerBytes);

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new ImageFormatError(source, `.npy header is not a valid dictionary: ${header.trim()}`);
  const m = /^([<>|=]?)([uif])(\d+)$/.exec(descr);
  const dtype = m ? KINDS[m[2]]?.[Number(m[3])] : undefined;
  if (!m || dtype === undefined) {
    const name = numpyName(descr);
    throw new ImageFormatError(
      source,
      `.npy array has unsupported dtype '${descr}'${name ? ` (${name})` : ""} (supported: ${SUPPORTED})`,
    );
  }
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((s) => !Number.isSafeInteger(s) || s < 0))
    throw new ImageFormatError(source, `.npy header has an invalid shape (${shapeText})`);
  if (shape.length === 0) throw new ImageFormatError(source, ".npy file holds a scalar, not an image");
  if (shape.some((s) => s === 0))
    throw new ImageFormatError(source, `.npy array is empty (shape [${shape.join(", ")}])`);
  return { descr, dtype, littleEndian: m[1] !== ">", fortranOrder: fortran === "True", shape, dataOffset };
}

/** The axes of an .npy array: the caller's (checked), or guessed from the shape as ilastik does. */
export function npyAxes(shape: readonly number[], axes: string | undefined, source: string): string {
  if (axes !== undefined) return parseAxesSpec(axes, shape.length, source);
  const guessed = guessAxes(shape);
  if (guessed === undefined)
    throw new ImageFormatError(
      source,
      `.npy array has ${shape.length} dimension${shape.length === 1 ? "" : "s"} (shape [${shape.join(", ")}]); images have 2 to 5 (or give the axes)`,
    );
  return guessed;
}

/** The error for a file shorter than its header claims. */
export function npyTruncated(
  header: NpyHeader,
  fileSize: number,
  source?: string,
): ImageFormatError | undefined {
  const claimed = elementCount(header.shape) * bytesPerElement(header.dtype);
  const holds = Math.max(0, fileSize - header.dataOffset);
  if (holds >= claimed) return undefined;
  return new ImageFormatError(
    source,
    `.npy data is truncated: shape [${header.shape.join(", ")}] ${header.dtype} claims ${claimed} bytes of data, the file holds ${holds}`,
  );
}

/** Reverses the byte order of each `size`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size)
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
}

/** Transposes a C-order array of `shape` (all axes reversed), giving the C-order array of the reversed shape. */
export function reverseAxes(src: TypedArray, shape: readonly number[]): TypedArray {
  const n = shape.length;
  const out = new (typedArrayConstructor(dtypeOf(src)))(src.length);
  const outShape = [...shape].reverse();
  // stride in `src` of each output axis: output axis k is source axis n-1-k
  const srcStrides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    srcStrides[i] = s;
    s *= shape[i];
  }
  const strides = outShape.map((_, k) => srcStrides[n - 1 - k]);
  const index = new Array<number>(n).fill(0);
  for (let o = 0; o < out.length; o++) {
    let at = 0;
    for (let k = 0; k < n; k++) at += index[k] * strides[k];
    out[o] = src[at];
    for (let k = n - 1; k >= 0; k--) {
      if (++index[k] < outShape[k]) break;
      index[k] = 0;
    }
  }
  return out;
}

/** Raw little/big-endian element bytes (a fresh, aligned copy) → a host-order typed array. */
export function npyElements(raw: Uint8Array, dtype: DType, littleEndian: boolean): TypedArray {
  const size = bytesPerElement(dtype);
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytes(raw, size);
  return new (typedArrayConstructor(dtype))(raw.buffer, raw.byteOffset, raw.byteLength / size);
}

/** Read one span instead of many runs when it is at most this many bytes, or twice what is needed. */
const COALESCE_BYTES = 1 << 20;
const PARALLEL_READS = 8;

/**
 * Opens a .npy file lazily. `axes` names its dimensions (checked with parseAxesSpec); without them they
 * are guessed from the shape (axesGuessed true) as ilastik guesses them.
 */
export async function openNpyReader(
  source: ByteSource,
  axes?: string,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<VolumeReader> {
  const name = source.name;
  const first = await source.read(0, Math.min(source.size, 12));
  const dataOffset = npyDataOffset(first, name);
  if (dataOffset > source.size)
    throw new ImageFormatError(
      name,
      `.npy header is truncated (needs ${dataOffset} bytes, file has ${source.size})`,
    );
  const header = parseNpyHeader(await source.read(0, dataOffset), name);
  const { shape, dtype, littleEndian, fortranOrder } = header;
  const resolvedAxes = npyAxes(shape, axes, name);
  checkClaimedShape(shape, resolvedAxes, name, limits);
  const size = bytesPerElement(dtype);
  const count = elementCount(shape);
  if (fortranOrder && shape.length > 1)
    checkDecodeSize(count, dtype, name, "Fortran-order .npy array (read whole)", limits);
  const truncated = npyTruncated(header, source.size, name);
  if (truncated) throw truncated;

  let closed = false;
  let whole: Promise<Volume> | undefined;
  const readWhole = (): Promise<Volume> => {
    whole ??= (async () => {
      const raw = (await source.read(dataOffset, count * size)).slice();
      const data = reverseAxes(npyElements(raw, dtype, littleEndian), [...shape].reverse());
      return { data, shape, axes: resolvedAxes };
    })();
    return whole;
  };

  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }

  /** The region of a C-order array, read as contiguous runs. */
  const readRuns = async (region: Region): Promise<Volume> => {
    const n = shape.length;
    const outShape = region.start.map((s, i) => region.stop[i] - s);
    const needed = elementCount(outShape);
    // Axes after k are read whole: one run covers axis k's range and everything inside it.
    let k = n - 1;
    while (k > 0 && region.start[k] === 0 && region.stop[k] === shape[k]) k--;
    const runLength = outShape[k] * strides[k];
    let first = 0;
    let last = 0;
    for (let i = 0; i < n; i++) {
      first += region.start[i] * strides[i];
      last += (region.stop[i] - 1) * strides[i];
    }
    const spanBytes = (last + 1 - first) * size;
    const out = new Uint8Array(needed * size);
    const runs: number[] = []; // element offset of each run, in order
    const idx = region.start.slice(0, k);
    for (let r = 0; r < needed / runLength; r++) {
      let at = region.start[k] * strides[k];
      for (let i = 0; i < k; i++) at += idx[i] * strides[i];
      runs.push(at);
      for (let i = k - 1; i >= 0; i--) {
        if (++idx[i] < region.stop[i]) break;
        idx[i] = region.start[i];
      }
    }
    if (runs.length === 1 || spanBytes <= Math.max(COALESCE_BYTES, 2 * needed * size)) {
      const span = await source.read(dataOffset + first * size, spanBytes);
      for (const [r, at] of runs.entries())
        out.set(span.subarray((at - first) * size, (at - first + runLength) * size), r * runLength * size);
    } else {
      for (let r0 = 0; r0 < runs.length; r0 += PARALLEL_READS) {
        const batch = runs.slice(r0, r0 + PARALLEL_READS);
        const parts = await Promise.all(
          batch.map((at) => source.read(dataOffset + at * size, runLength * size)),
        );
        for (const [j, part] of parts.entries()) out.set(part, (r0 + j) * runLength * size);
      }
    }
    return { data: npyElements(out, dtype, littleEndian), shape: outShape, axes: resolvedAxes };
  };

  const reader: VolumeReader = {
    source: name,
    shape,
    axes: resolvedAxes,
    dtype,
    axesGuessed: axes === undefined,
    async read(region: Region): Promise<Volume> {
      if (closed) throw new Error(`${name}: reader is closed`);
      checkRegion(reader, region);
      if (fortranOrder && shape.length > 1) return cropVolume(await readWhole(), region);
      return readRuns(region);
    },
    async close() {
      closed = true;
      whole = undefined;
    },
  };
  return reader;
}
