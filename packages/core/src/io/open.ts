// Opening any single image file lazily, whatever its format: the first bytes say which (PNG, JPEG, TIFF,
// NumPy .npy), as in image.ts, and the matching reader is returned. PNG and JPEG cannot be decoded in
// parts: their shape and dtype come from the header, and the file is decoded on the first read (and kept
// while reads take parts of it; a read of the whole image hands the decode over and keeps nothing, so a
// stack of slices read slab by slab never holds them all). HDF5 needs a dataset path and is opened by the
// compute service; anything else is the supported-formats error of image.ts.

import type { Volume } from "../array/volume.js";
import { withAxes } from "./axes.js";
import { ImageFormatError } from "./errors.js";
import { hasHdf5Signature } from "./hdf5.js";
import type { ImageFormat } from "./image.js";
import { imageFormatFromName, SUPPORTED_IMAGE_FORMATS, sniffImageFormat } from "./image.js";
import type { JpegHeader, PngHeader } from "./image-header.js";
import { probeImageHeader } from "./image-header.js";
import { decodeJpeg } from "./jpeg.js";
import type { ReadLimits } from "./limits.js";
import { checkClaimedShape, checkDecodeSize, DEFAULT_READ_LIMITS } from "./limits.js";
import { hasNpySignature, openNpyReader } from "./npy-reader.js";
import { decodePng } from "./png.js";
import type { ByteSource, Region, VolumeReader } from "./reader.js";
import { checkRegion, cropVolume, readAll } from "./reader.js";
import { openTiffReader } from "./tiff-reader.js";

export interface OpenImageOptions {
  readonly limits?: ReadLimits;
  /** The axes to give the image (checked against its dimensions), instead of the file's own or guessed ones. */
  readonly axes?: string;
}

/** Every format openImageReader reads, for messages. */
export const SUPPORTED_READER_FORMATS = `${SUPPORTED_IMAGE_FORMATS}, NumPy (.npy)`;

const SNIFF_BYTES = 16;

function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

/** A reader over a PNG or JPEG: shape from the header, pixels decoded on first read. */
function decodedImageReader(
  source: ByteSource,
  header: PngHeader | JpegHeader,
  limits: ReadLimits,
): VolumeReader {
  const name = source.name;
  const { width, height, channels, dtype } = header;
  const shape = channels > 1 ? [height, width, channels] : [height, width];
  const axes = channels > 1 ? "yxc" : "yx";
  checkClaimedShape(shape, axes, name, limits);
  checkDecodeSize(
    width * height * channels,
    dtype,
    name,
    `${header.format.toUpperCase()} image (${width} × ${height} × ${channels})`,
    limits,
  );
  let cached: Promise<Volume> | undefined;
  let closed = false;
  const decode = async (): Promise<Volume> => {
    const bytes = await readAll(source);
    const v = header.format === "png" ? decodePng(bytes, name, limits) : decodeJpeg(bytes, name, limits);
    if (v.axes !== axes || v.shape.some((s, i) => s !== shape[i]))
      throw new ImageFormatError(
        name,
        `decoded to ${v.axes} [${v.shape.join(", ")}], but its header promised ${axes} [${shape.join(", ")}]`,
      );
    return v;
  };
  const reader: VolumeReader = {
    source: name,
    shape,
    axes,
    dtype,
    axesGuessed: false,
    async read(region: Region): Promise<Volume> {
      if (closed) throw new Error(`${name}: reader is closed`);
      checkRegion(reader, region);
      const whole = region.start.every((s, i) => s === 0 && region.stop[i] === shape[i]);
      if (whole && !cached) return decode();
      if (!cached) {
        cached = decode();
        cached.catch(() => {
          cached = undefined; // a failed decode is not kept: the next read tries again
        });
      }
      const volume = await cached;
      if (whole) cached = undefined;
      return cropVolume(volume, region);
    },
    async close() {
      closed = true;
      cached = undefined;
    },
  };
  return reader;
}

/**
 * Opens one image file lazily: PNG, JPEG, TIFF (classic or BigTIFF, one page or a z-stack) or NumPy .npy,
 * recognized by its first bytes (the extension only names the format the error should be about when they
 * match none). `axes` renames the image's axes (see parseAxesSpec).
 */
export async function openImageReader(
  source: ByteSource,
  options: OpenImageOptions = {},
): Promise<VolumeReader> {
  const limits = options.limits ?? DEFAULT_READ_LIMITS;
  const name = source.name;
  const head = await source.read(0, Math.min(source.size, SNIFF_BYTES));
  if (hasNpySignature(head)) return openNpyReader(source, options.axes, limits);
  const format: ImageFormat | undefined = sniffImageFormat(head) ?? imageFormatFromName(name);
  let reader: VolumeReader;
  switch (format) {
    case "png":
    case "jpeg":
      reader = decodedImageReader(source, await probeImageHeader(source, format), limits);
      break;
    case "tiff":
      reader = await openTiffReader(source, limits);
      break;
    default: {
      const ext = extensionOf(name);
      if (hasHdf5Signature(head) || ["h5", "hdf5", "ilp"].includes(ext))
        throw new ImageFormatError(
          name,
          "is an HDF5 file: HDF5 needs a dataset path (FILE.h5/path/to/dataset), and HDF5 files are opened by the compute service",
        );
      if (ext === "npy") throw new ImageFormatError(name, "not a NumPy .npy file (no \\x93NUMPY signature)");
      throw new ImageFormatError(
        name,
        `unsupported image format${ext ? ` ".${ext}"` : ""} (its bytes match no supported format); supported: ${SUPPORTED_READER_FORMATS}`,
      );
    }
  }
  return options.axes === undefined ? reader : withAxes(reader, options.axes);
}
