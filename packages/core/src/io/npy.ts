// NumPy .npy files (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), pure: bytes in,
// Volume out, and back.
//
// Encoding writes format version 1.0 (2.0 when the header outgrows 65535 bytes, which needs thousands of
// dimensions and so never happens for images), little-endian, C order, for all eight Sylva dtypes
// ('|u1', '<u2', '<u4', '|i1', '<i2', '<i4', '<f4', '<f8'); the header is padded with spaces so the data
// starts on a 64-byte boundary, as numpy does. The axes are not stored (npy has no metadata): the array's
// shape is the volume's shape in its axis order, as ilastik's npy export writes it.
//
// Decoding reads versions 1.0, 2.0 and 3.0, either byte order, C or Fortran order (Fortran arrays are
// transposed into C order), for the same eight dtypes; other dtypes (bool, int64, float16, complex,
// structured, object) are an ImageFormatError naming the dtype. Axes are the caller's, or guessed from the
// shape as ilastik guesses them for files without axis tags (2D "yx", 3D "yxc" or "zyx", 4D "zyxc",
// 5D "tzyxc").

import type { DType, TypedArray } from "../array/dtype.js";
import { bytesPerElement, dtypeOf, typedArrayConstructor } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume, elementCount } from "../array/volume.js";
import { ImageFormatError } from "./errors.js";
import { guessAxes } from "./hdf5.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const DESCR: Record<DType, string> = {
  uint8: "|u1",
  uint16: "<u2",
  uint32: "<u4",
  int8: "|i1",
  int16: "<i2",
  int32: "<i4",
  float32: "<f4",
  float64: "<f8",
};

const KINDS: Record<string, Partial<Record<number, DType>>> = {
  u: { 1: "uint8", 2: "uint16", 4: "uint32" },
  i: { 1: "int8", 2: "int16", 4: "int32" },
  f: { 4: "float32", 8: "float64" },
};

export function hasNpySignature(bytes: Uint8Array): boolean {
  return bytes.length >= 10 && MAGIC.every((b, i) => bytes[i] === b);
}

/** Reverses the byte order of each `size`-byte element of `bytes`, in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size)
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
}

/** Encodes `volume` as a .npy file (its shape in its axis order; dtype from its data). */
export function encodeNpy(volume: Volume): Uint8Array {
  checkVolume(volume, "npy encoder");
  const dtype = dtypeOf(volume.data);
  const shape = volume.shape.length === 1 ? `(${volume.shape[0]},)` : `(${volume.shape.join(", ")})`;
  const dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  let version = 1;
  let prefix = 10; // magic, version, 2-byte header length
  let headerLength = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
  if (headerLength > 0xffff) {
    version = 2;
    prefix = 12;
    headerLength = Math.ceil((prefix + dict.length + 1) / 64) * 64 - prefix;
  }
  const header = `${dict.padEnd(headerLength - 1, " ")}\n`;
  const data = volume.data;
  const out = new Uint8Array(prefix + headerLength + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, headerLength, true);
  else view.setUint32(8, headerLength, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  const body = out.subarray(prefix + headerLength);
  body.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (!HOST_LITTLE_ENDIAN) swapBytes(body, bytesPerElement(dtype));
  return out;
}

/** Transposes a C-order array of `shape` (all axes reversed), giving the C-order array of the reversed shape. */
function reverseAxes(src: TypedArray, shape: readonly number[]): TypedArray {
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

/**
 * Decodes a .npy file's bytes. `axes` names the array's axes (default: guessed from the shape, as ilastik
 * does); `source` names the file in error messages.
 */
export function decodeNpy(bytes: Uint8Array, source?: string, axes?: string): Volume {
  if (!hasNpySignature(bytes))
    throw new ImageFormatError(source, "not a NumPy .npy file (no \\x93NUMPY signature)");
  const major = bytes[6];
  if (major < 1 || major > 3)
    throw new ImageFormatError(
      source,
      `unsupported .npy format version ${major}.${bytes[7]} (supported: 1.0, 2.0, 3.0)`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const prefix = major === 1 ? 10 : 12;
  if (bytes.length < prefix) throw new ImageFormatError(source, ".npy header is truncated");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = prefix + headerLength;
  if (dataStart > bytes.length)
    throw new ImageFormatError(
      source,
      `.npy header is truncated (needs ${dataStart} bytes, file has ${bytes.length})`,
    );
  const headerBytes = bytes.subarray(prefix, dataStart);
  const header =
    major === 3 ? new TextDecoder("utf-8").decode(headerBytes) : String.fromCharCode(...headerBytes);

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw new ImageFormatError(source, `.npy header is not a valid dictionary: ${header.trim()}`);
  const m = /^([<>|=]?)([uif])(\d+)$/.exec(descr);
  const dtype = m ? KINDS[m[2]]?.[Number(m[3])] : undefined;
  if (!m || dtype === undefined)
    throw new ImageFormatError(
      source,
      `.npy array has unsupported dtype '${descr}' (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)`,
    );
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  if (shape.some((s) => !Number.isInteger(s) || s < 0))
    throw new ImageFormatError(source, `.npy header has an invalid shape (${shapeText})`);
  if (shape.length === 0) throw new ImageFormatError(source, ".npy file holds a scalar, not an image");
  if (shape.some((s) => s === 0))
    throw new ImageFormatError(source, `.npy array is empty (shape [${shape.join(", ")}])`);
  const resolvedAxes = axes ?? guessAxes(shape);
  if (resolvedAxes === undefined)
    throw new ImageFormatError(
      source,
      `.npy array has ${shape.length} dimension${shape.length === 1 ? "" : "s"} (shape [${shape.join(", ")}]); images have 2 to 5 (or give the axes)`,
    );
  const size = bytesPerElement(dtype);
  const count = elementCount(shape);
  if (bytes.length - dataStart < count * size)
    throw new ImageFormatError(
      source,
      `.npy data is truncated: shape [${shape.join(", ")}] ${dtype} needs ${count * size} bytes, the file holds ${bytes.length - dataStart}`,
    );
  const raw = bytes.slice(dataStart, dataStart + count * size); // a copy, aligned at offset 0
  const fileLittle = m[1] !== ">";
  if (fileLittle !== HOST_LITTLE_ENDIAN) swapBytes(raw, size);
  let data = new (typedArrayConstructor(dtype))(raw.buffer, 0, count);
  if (fortran === "True" && shape.length > 1) data = reverseAxes(data, [...shape].reverse());
  const volume: Volume = { data, shape, axes: resolvedAxes };
  try {
    checkVolume(volume, "npy array");
  } catch (e) {
    throw new ImageFormatError(source, e instanceof Error ? e.message : String(e), { cause: e });
  }
  return volume;
}
