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
import { describeError, ImageFormatError } from "./errors.js";

/** What the JPEG frame header (SOFn marker) says about the image. */
interface JpegFrame {
  readonly marker: number;
  readonly precision: number;
  readonly height: number;
  readonly width: number;
  readonly components: number;
}

/** Walks the marker segments up to the first frame header. */
function readJpegFrame(bytes: Uint8Array, source?: string): JpegFrame {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    throw new ImageFormatError(source, "not a JPEG file (no start-of-image marker FFD8)");
  let p = 2;
  while (p < bytes.length) {
    if (bytes[p] !== 0xff)
      throw new ImageFormatError(
        source,
        `corrupt JPEG: expected a marker at byte ${p}, found 0x${hex(bytes[p])}`,
      );
    while (p < bytes.length && bytes[p] === 0xff) p++; // fill bytes
    if (p >= bytes.length) break;
    const marker = bytes[p++];
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // no length
    if (marker === 0xd9 || marker === 0xda) break; // end of image or start of scan before any frame
    if (p + 2 > bytes.length) break;
    const length = (bytes[p] << 8) | bytes[p + 1];
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (p + 8 > bytes.length) break;
      return {
        marker,
        precision: bytes[p + 2],
        height: (bytes[p + 3] << 8) | bytes[p + 4],
        width: (bytes[p + 5] << 8) | bytes[p + 6],
        components: bytes[p + 7],
      };
    }
    p += length;
  }
  throw new ImageFormatError(source, "corrupt JPEG: no frame header (SOF marker) found; truncated file?");
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0").toUpperCase();
}

const SUPPORTED_FRAMES = new Set([0xc0, 0xc1, 0xc2]); // baseline, extended sequential, progressive (Huffman)

/** Decodes a JPEG file's bytes. `source` names the file in error messages. */
export function decodeJpeg(bytes: Uint8Array, source?: string): Volume<Uint8Array> {
  const frame = readJpegFrame(bytes, source);
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
