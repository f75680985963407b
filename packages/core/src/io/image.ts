// Decoding a 2D (or multi-page TIFF) image file whatever its format: PNG, JPEG or TIFF.
//
// The format is recognized from the file's first bytes (its magic number), as PIL does, so a JPEG saved
// as ".png" still opens; files whose bytes match no known format are handed to the decoder their extension
// names (.png, .jpg/.jpeg, .tif/.tiff), which reports what is wrong with them. HDF5 files need an internal
// dataset path and are read with `readHdf5`. Anything else is an ImageFormatError naming the file and
// listing the supported formats.

import type { Volume } from "../array/volume.js";
import { ImageFormatError } from "./errors.js";
import { hasHdf5Signature } from "./hdf5.js";
import { decodeJpeg } from "./jpeg.js";
import { decodePng } from "./png.js";
import { decodeTiff } from "./tiff.js";

export type ImageFormat = "png" | "jpeg" | "tiff";

export const SUPPORTED_IMAGE_FORMATS = "PNG (.png), JPEG (.jpg, .jpeg), TIFF (.tif, .tiff)";

const EXTENSIONS: Record<string, ImageFormat> = {
  png: "png",
  jpg: "jpeg",
  jpeg: "jpeg",
  tif: "tiff",
  tiff: "tiff",
};

/** The lower-case extension of a file name or path, without the dot ("" when there is none). */
function extensionOf(filename: string): string {
  const base = filename.slice(Math.max(filename.lastIndexOf("/"), filename.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

/** The format named by a file's extension, if it is one Sylva decodes. */
export function imageFormatFromName(filename: string): ImageFormat | undefined {
  return EXTENSIONS[extensionOf(filename)];
}

/** The format a file's first bytes identify, if any. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const b = bytes;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 4) {
    if (b[0] === 0x49 && b[1] === 0x49 && (b[2] === 42 || b[2] === 43) && b[3] === 0) return "tiff";
    if (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43)) return "tiff";
  }
  return undefined;
}

/** Decodes an image file's bytes; `filename` (a name or path) picks the format and names the file in errors. */
export async function decodeImage(bytes: Uint8Array, filename: string): Promise<Volume> {
  const format = sniffImageFormat(bytes) ?? imageFormatFromName(filename);
  switch (format) {
    case "png":
      return decodePng(bytes, filename);
    case "jpeg":
      return decodeJpeg(bytes, filename);
    case "tiff":
      return decodeTiff(bytes, filename);
    default: {
      if (hasHdf5Signature(bytes) || ["h5", "hdf5", "ilp"].includes(extensionOf(filename)))
        throw new ImageFormatError(
          filename,
          "is an HDF5 file: name the dataset inside it, as FILE.h5/path/to/dataset",
        );
      const ext = extensionOf(filename);
      throw new ImageFormatError(
        filename,
        `unsupported image format${ext ? ` ".${ext}"` : ""} (its bytes match no supported format); supported: ${SUPPORTED_IMAGE_FORMATS}`,
      );
    }
  }
}
