// PNG decoding and encoding (via fast-png), pure: bytes in, Volume out, and back.
//
// Decoding supports every PNG colour type and bit depth:
// - grayscale → axes "yx"; gray+alpha, RGB and RGBA → "yxc" with 2, 3 or 4 channels;
// - palette images are expanded to RGB, or RGBA when the PNG has a transparency (tRNS) chunk
//   (like ilastik's reader, vigra, does; note that PIL, used by the reference, returns the indices);
// - 1/2/4-bit grayscale is expanded to uint8 scaled to 0..255 (×255, ×85, ×17), as libpng and PIL do;
// - 8-bit data → uint8, 16-bit → uint16. A tRNS chunk on a non-palette image is ignored (no alpha added).
// Interlaced (Adam7) images are de-interlaced; chunk CRCs are checked. Only the first frame of an APNG.
//
// Encoding writes "yx" or "yxc" (1–4 channels) uint8/uint16 volumes as gray, gray+alpha, RGB or RGBA.

import type { DecodedPng } from "fast-png";
import { decode, encode, hasPngSignature } from "fast-png";
import { dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume } from "../array/volume.js";
import { describeError, ImageFormatError, UNNAMED_SOURCE } from "./errors.js";
import { parsePngHeader } from "./image-header.js";
import type { ReadLimits } from "./limits.js";
import { checkDecodeSize } from "./limits.js";

/**
 * Decodes a PNG file's bytes. `source` names the file in error messages. The size the header claims is
 * checked against `limits` before anything is inflated (a few KB can claim 100000 × 100000 pixels).
 */
export function decodePng(
  bytes: Uint8Array,
  source?: string,
  limits?: ReadLimits,
): Volume<Uint8Array | Uint16Array> {
  if (!hasPngSignature(bytes)) throw new ImageFormatError(source, "not a PNG file (no PNG signature)");
  const header = parsePngHeader(bytes, source);
  checkDecodeSize(
    header.width * header.height * header.channels,
    header.dtype,
    source ?? UNNAMED_SOURCE,
    `PNG image (${header.width} × ${header.height} × ${header.channels})`,
    limits,
  );
  let png: DecodedPng;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (e) {
    throw new ImageFormatError(source, `cannot decode PNG: ${describeError(e)}`, { cause: e });
  }
  const { width, height, depth, channels } = png;
  if (width < 1 || height < 1) throw new ImageFormatError(source, `PNG has no pixels (${width} × ${height})`);
  const packed = depth < 8;
  const rowBytes = packed ? Math.ceil((width * depth) / 8) : width * channels;
  const expected = rowBytes * height;
  if (png.data.length !== expected)
    throw new ImageFormatError(
      source,
      `PNG image data is incomplete (truncated file?): decoded ${png.data.length} samples, ${width} × ${height} × ${channels} at ${depth} bits needs ${expected}`,
    );

  if (png.palette) return expandPalette(png, png.palette, rowBytes, source);
  if (packed) {
    const data = unpackBits(png.data as Uint8Array, width, height, depth, rowBytes);
    const scale = 255 / ((1 << depth) - 1);
    for (let i = 0; i < data.length; i++) data[i] *= scale;
    return { data, shape: [height, width], axes: "yx" };
  }
  const data =
    png.data instanceof Uint16Array
      ? png.data
      : png.data instanceof Uint8ClampedArray
        ? new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length)
        : png.data;
  if (channels === 1) return { data, shape: [height, width], axes: "yx" };
  return { data, shape: [height, width, channels], axes: "yxc" };
}

/** Unpacks 1/2/4-bit samples (rows padded to whole bytes) into one byte per pixel, values unscaled. */
function unpackBits(
  src: Uint8Array,
  width: number,
  height: number,
  depth: number,
  rowBytes: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = y * rowBytes;
    for (let x = 0; x < width; x++) {
      const byte = src[row + Math.floor(x / perByte)];
      const shift = 8 - depth * ((x % perByte) + 1);
      out[o++] = (byte >> shift) & mask;
    }
  }
  return out;
}

function expandPalette(
  png: DecodedPng,
  palette: number[][],
  rowBytes: number,
  source?: string,
): Volume<Uint8Array> {
  const { width, height, depth } = png;
  if (palette.length === 0) throw new ImageFormatError(source, "palette PNG has an empty palette (PLTE)");
  const indices = depth < 8 ? unpackBits(png.data as Uint8Array, width, height, depth, rowBytes) : png.data;
  const nc = palette.some((c) => c.length === 4) ? 4 : 3;
  const data = new Uint8Array(width * height * nc);
  for (let i = 0, o = 0; i < indices.length; i++) {
    const color = palette[indices[i]];
    if (color === undefined)
      throw new ImageFormatError(
        source,
        `palette index ${indices[i]} at pixel (y=${Math.floor(i / width)}, x=${i % width}) is outside the ${palette.length}-colour palette`,
      );
    data[o++] = color[0];
    data[o++] = color[1];
    data[o++] = color[2];
    if (nc === 4) data[o++] = color.length === 4 ? color[3] : 255;
  }
  return { data, shape: [height, width, nc], axes: "yxc" };
}

/** Encodes a "yx" or "yxc" (1–4 channels) uint8 or uint16 volume as a PNG file. */
export function encodePng(volume: Volume): Uint8Array {
  const what = "PNG encoder";
  checkVolume(volume, what);
  const dtype = dtypeOf(volume.data);
  if (volume.axes !== "yx" && volume.axes !== "yxc")
    throw new ImageFormatError(
      what,
      `PNG holds 2D images with axes "yx" or "yxc", got axes "${volume.axes}" (shape [${volume.shape.join(", ")}])`,
    );
  const [height, width] = volume.shape;
  const channels = volume.axes === "yxc" ? volume.shape[2] : 1;
  if (channels > 4)
    throw new ImageFormatError(
      what,
      `PNG holds 1 to 4 channels (gray, gray+alpha, RGB, RGBA), got ${channels}`,
    );
  if (volume.data instanceof Uint8Array)
    return encode({ width, height, data: volume.data, depth: 8, channels });
  if (volume.data instanceof Uint16Array)
    return encode({ width, height, data: volume.data, depth: 16, channels });
  throw new ImageFormatError(what, `PNG holds uint8 or uint16 pixels, got ${dtype}`);
}
