// Lazy volume readers: the contract import and every "read a region of an image" path are built on.
//
// A `VolumeReader` knows a source's shape, axes and dtype after reading only its header, and decodes
// regions on demand, so a 1 GiB stack is imported slab by slab with bounded memory. Bytes come through a
// `ByteSource` (a file, an object in a store, an upload held in memory), which reads ranges, so a reader
// can parse a TIFF's directories or a .npy header without loading the whole file.

import { copyBox } from "../array/copy.js";
import type { DType } from "../array/dtype.js";
import { dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume, elementCount } from "../array/volume.js";
import { ImageFormatError } from "./errors.js";

/** Random access to the bytes of one file or object. */
export interface ByteSource {
  /** The file name, path or URL, for messages. */
  readonly name: string;
  /** Total size in bytes. */
  readonly size: number;
  /**
   * `length` bytes from `offset`. Reading past the end is an ImageFormatError naming the source
   * ("truncated"), never a short result.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A ByteSource over bytes already in memory. */
export function bytesSource(bytes: Uint8Array, name: string): ByteSource {
  return {
    name,
    size: bytes.byteLength,
    read: async (offset, length) => {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength)
        throw new ImageFormatError(
          name,
          `truncated file: needs bytes ${offset}..${offset + length} but holds only ${bytes.byteLength}`,
        );
      return bytes.subarray(offset, offset + length);
    },
  };
}

/** Reads a whole ByteSource. */
export async function readAll(source: ByteSource): Promise<Uint8Array> {
  return source.read(0, source.size);
}

/** A half-open region [start[i], stop[i]) per axis, in a reader's own axis order. */
export interface Region {
  readonly start: readonly number[];
  readonly stop: readonly number[];
}

/** Physical size of one voxel along an axis, when the source records it (e.g. TIFF resolution, NGFF scale). */
export interface AxisScale {
  readonly axis: string;
  readonly size: number;
  readonly unit?: string;
}

export interface VolumeReader {
  /** The file, object or URL, for messages. */
  readonly source: string;
  /** Size per axis, in the order of `axes`. */
  readonly shape: readonly number[];
  /** One letter per axis from "tzyxc", in the source's own order (e.g. "zyx", "yxc", "txyzc"). */
  readonly axes: string;
  readonly dtype: DType;
  /** True when `axes` was guessed from the shape (no axistags, NGFF axes or file-format convention). */
  readonly axesGuessed: boolean;
  /** Voxel sizes the source records, if any. */
  readonly scales?: readonly AxisScale[];
  /**
   * The region's voxels, C order, axes and shape as the reader's (shape = stop − start). Rejects with an
   * ImageFormatError naming the source when the data is truncated or corrupt.
   */
  read(region: Region): Promise<Volume>;
  /** Releases files and handles; reading after close is an error. */
  close(): Promise<void>;
}

/** Checks `region` against a reader's shape; throws a RangeError naming the axis otherwise. */
export function checkRegion(reader: Pick<VolumeReader, "shape" | "axes" | "source">, region: Region): void {
  const { shape, axes } = reader;
  if (region.start.length !== shape.length || region.stop.length !== shape.length)
    throw new RangeError(
      `${reader.source}: region has ${region.start.length} axes, the image has ${shape.length} ("${axes}")`,
    );
  for (let i = 0; i < shape.length; i++) {
    const a = region.start[i];
    const b = region.stop[i];
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > shape[i] || a >= b)
      throw new RangeError(
        `${reader.source}: region [${a}, ${b}) on axis "${axes[i]}" is outside [0, ${shape[i]})`,
      );
  }
}

/** Copies `region` of a C-order volume (any axes) into a new volume (the volume itself when it is all of it). */
export function cropVolume(volume: Volume, region: Region): Volume {
  const outShape = region.start.map((s, i) => region.stop[i] - s);
  if (outShape.every((s, i) => s === volume.shape[i])) return volume;
  const C = volume.data.constructor as new (len: number) => typeof volume.data;
  const out = new C(elementCount(outShape));
  copyBox(
    volume,
    region.start,
    { data: out, shape: outShape },
    outShape.map(() => 0),
    outShape,
  );
  return { data: out, shape: outShape, axes: volume.axes };
}

/** A VolumeReader over a volume already decoded in memory. */
export function memoryReader(volume: Volume, source: string, axesGuessed = false): VolumeReader {
  checkVolume(volume, source);
  let closed = false;
  return {
    source,
    shape: volume.shape,
    axes: volume.axes,
    dtype: dtypeOf(volume.data),
    axesGuessed,
    async read(region) {
      if (closed) throw new Error(`${source}: reader is closed`);
      checkRegion(this, region);
      return cropVolume(volume, region);
    },
    async close() {
      closed = true;
    },
  };
}
