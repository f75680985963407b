// Image codecs and readers: PNG, JPEG, TIFF, HDF5, NumPy .npy, Zarr / OME-Zarr, format dispatch, z-stacking,
// and the lazy, hostile-input-safe readers import streams through.

// Lazy readers (explicit lists: their modules also hold helpers shared with the decoders above).
export { parseAxesSpec, withAxes } from "./axes.js";
export type { BloscDecoder } from "./blosc.js";
export {
  BLOSC_CONFIG,
  bloscDecodeBounded,
  bloscDecodeChunk,
  bloscEncode,
  setBloscDecoder,
  shuffleBytes,
  unshuffleBytes,
} from "./blosc.js";
export * from "./errors.js";
export * from "./hdf5.js";
export * from "./image.js";
export type { ImageHeader, JpegFrame, JpegHeader, PngHeader } from "./image-header.js";
export { parseJpegHeader, parsePngHeader, probeImageHeader } from "./image-header.js";
export type { InflateImplementation } from "./inflate.js";
export { inflateBombMessage, inflateBounded, setInflateImplementation } from "./inflate.js";
export * from "./jpeg.js";
export * from "./limits.js";
export * from "./npy.js";
export type { NpyHeader } from "./npy-reader.js";
export { openNpyReader, parseNpyHeader } from "./npy-reader.js";
export type { OpenImageOptions } from "./open.js";
export { openImageReader, SUPPORTED_READER_FORMATS } from "./open.js";
export * from "./png.js";
export * from "./reader.js";
export { sortNaturally, stackReaders } from "./sequence.js";
export * from "./stack.js";
export * from "./tiff.js";
export { openTiffReader } from "./tiff-reader.js";
export type { ZarrReaderOptions } from "./zarr-reader.js";
export { openZarrReader, registerBoundedZarrCodecs } from "./zarr-reader.js";
