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

import type { DType } from "../array/dtype.js";
import { bytesPerElement, dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume, elementCount } from "../array/volume.js";
import { ImageFormatError, UNNAMED_SOURCE } from "./errors.js";
import {
  HOST_LITTLE_ENDIAN,
  npyAxes,
  npyElements,
  npyTruncated,
  parseNpyHeader,
  reverseAxes,
  swapBytes,
} from "./npy-reader.js";

export { hasNpySignature } from "./npy-reader.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

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

/**
 * Decodes a .npy file's bytes. `axes` names the array's axes (default: guessed from the shape, as ilastik
 * does); `source` names the file in error messages.
 */
export function decodeNpy(bytes: Uint8Array, source?: string, axes?: string): Volume {
  const header = parseNpyHeader(bytes, source);
  const { shape, dtype, dataOffset } = header;
  const resolvedAxes = npyAxes(shape, axes, source ?? UNNAMED_SOURCE);
  const truncated = npyTruncated(header, bytes.length, source);
  if (truncated) throw truncated;
  const count = elementCount(shape);
  const raw = bytes.slice(dataOffset, dataOffset + count * bytesPerElement(dtype)); // a copy, aligned at 0
  let data = npyElements(raw, dtype, header.littleEndian);
  if (header.fortranOrder && shape.length > 1) data = reverseAxes(data, [...shape].reverse());
  const volume: Volume = { data, shape, axes: resolvedAxes };
  try {
    checkVolume(volume, "npy array");
  } catch (e) {
    throw new ImageFormatError(source, e instanceof Error ? e.message : String(e), { cause: e });
  }
  return volume;
}
