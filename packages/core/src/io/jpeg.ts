// JPEG decoding (via jpeg-js), pure: bytes in, Volume out.
//
// Supports baseline and progressive 8-bit JPEG (what jpeg-js decodes):
// - grayscale (one component, read from the frame header, SOFn) → axes "yx", uint8;
// - colour (three components, YCbCr or RGB; four-component CMYK/YCCK is converted to RGB by jpeg-js)
//   → axes "yxc" with 3 channels, uint8 (the alpha channel jpeg-js can add is never kept).
// Lossless, arithmetic-coded and 12-bit JPEGs are rejected with an ImageFormatError. Decoders differ by a
// level or two per pixel (IDCT and upsampling), so values may be ±1–2 off other readers such as PIL.

import jpeg from "jpeg-js";
import type { Volume } from "../array/volume.js";
import { describeError, ImageFormatError, UNNAMED_SOURCE } from "./errors.js";
import { parseJpegHeader } from "./image-header.js";
import type { ReadLimits } from "./limits.js";
import { checkDecodeSize } from "./limits.js";

/**
 * Decodes a JPEG file's bytes. `source` names the file in error messages. The size the frame header
 * claims is checked against `limits` before decoding.
 */
export function decodeJpeg(bytes: Uint8Array, source?: string, limits?: ReadLimits): Volume<Uint8Array> {
  const frame = parseJpegHeader(bytes, source);
  checkDecodeSize(
    frame.width * frame.height * frame.channels,
    frame.dtype,
    source ?? UNNAMED_SOURCE,
    `JPEG image (${frame.width} × ${frame.height} × ${frame.channels})`,
    limits,
  );
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxResolutionInMP: 1000,
      maxMemoryUsageInMB: 4096,
    });
  } catch (e) {
    throw new ImageFormatError(source, `cannot decode JPEG: ${describeError(e)}`, { cause: e });
  }
  const { width, height, data } = decoded;
  if (width < 1 || height < 1 || data.length !== width * height * 3)
    throw new ImageFormatError(
      source,
      `cannot decode JPEG: decoder returned ${data.length} bytes for ${width} × ${height}`,
    );
  if (frame.components !== 1) return { data, shape: [height, width, 3], axes: "yxc" };
  const gray = new Uint8Array(width * height);
  for (let i = 0, j = 0; i < gray.length; i++, j += 3) gray[i] = data[j];
  return { data: gray, shape: [height, width], axes: "yx" };
}
