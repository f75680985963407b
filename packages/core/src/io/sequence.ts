// A sequence of 2D images (a folder of slices, a list of files) as one lazy volume: the readers of the
// files stacked along a new axis z, t or c, reading only the files a region needs; and the natural order
// ("2.png" before "10.png") in which a folder's files are stacked.

import { typedArrayConstructor } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { elementCount } from "../array/volume.js";
import { ImageFormatError } from "./errors.js";
import type { Region, VolumeReader } from "./reader.js";
import { checkRegion } from "./reader.js";
import { naturalCompare } from "./stack.js";

/** Sorts file names in natural order (a new array; see naturalCompare). */
export function sortNaturally(names: readonly string[]): string[] {
  return [...names].sort(naturalCompare);
}

function describe(r: VolumeReader): string {
  return `${r.axes} [${r.shape.join(", ")}] ${r.dtype}`;
}

/** How many member files are read at once. */
const PARALLEL = 4;

/**
 * Stacks 2D readers ("yx" or "yxc"; only "yx" along "c") along a new axis: "z" or "t" first ("zyx",
 * "tyxc", ...), "c" last ("yxc"). Every reader must match the first in axes, shape and dtype, else an
 * ImageFormatError names the odd one and both descriptions. Reads touch only the members in the region;
 * closing closes them all.
 */
export function stackReaders(readers: readonly VolumeReader[], along: "z" | "t" | "c"): VolumeReader {
  if (readers.length === 0) throw new ImageFormatError("image stack", "no images to stack");
  const first = readers[0];
  for (const r of readers) {
    if (r.axes !== "yx" && r.axes !== "yxc")
      throw new ImageFormatError(
        r.source,
        `is not a 2D image (axes "${r.axes}", shape [${r.shape.join(", ")}]); only 2D images can be stacked along ${along}`,
      );
    if (along === "c" && r.axes !== "yx")
      throw new ImageFormatError(
        r.source,
        `has channels (axes "${r.axes}", shape [${r.shape.join(", ")}]); only single-channel images can be stacked as channels`,
      );
    const same =
      r.axes === first.axes && r.dtype === first.dtype && r.shape.every((s, k) => s === first.shape[k]);
    if (!same)
      throw new ImageFormatError(
        r.source,
        `is ${describe(r)} but ${first.source} is ${describe(first)}; all images of a stack must have the same axes, shape and dtype`,
      );
  }
  const members = [...readers];
  const n = members.length;
  const onC = along === "c";
  const axes = onC ? "yxc" : `${along}${first.axes}`;
  const shape = onC ? [...first.shape, n] : [n, ...first.shape];
  const scales = first.scales;
  let closed = false;

  /** Reads members [m0, m1) over `sub` (a region of a member), a few at a time, handing each to `put`. */
  const readMembers = async (
    m0: number,
    m1: number,
    sub: Region,
    put: (k: number, v: Volume) => void,
  ): Promise<void> => {
    for (let m = m0; m < m1; m += PARALLEL) {
      const batch = members.slice(m, Math.min(m1, m + PARALLEL));
      const volumes = await Promise.all(batch.map((r) => r.read(sub)));
      for (const [j, v] of volumes.entries()) put(m - m0 + j, v);
    }
  };

  const reader: VolumeReader = {
    source: `${first.source} … (${n} images)`,
    shape,
    axes,
    dtype: first.dtype,
    axesGuessed: members.some((r) => r.axesGuessed),
    ...(scales ? { scales } : {}),
    async read(region: Region): Promise<Volume> {
      if (closed) throw new Error(`${reader.source}: reader is closed`);
      checkRegion(reader, region);
      const outShape = region.start.map((s, i) => region.stop[i] - s);
      const data = new (typedArrayConstructor(first.dtype))(elementCount(outShape));
      if (onC) {
        const [c0, c1] = [region.start[2], region.stop[2]];
        const sub: Region = { start: region.start.slice(0, 2), stop: region.stop.slice(0, 2) };
        const nc = c1 - c0;
        await readMembers(c0, c1, sub, (c, plane) => {
          for (let i = 0; i < plane.data.length; i++) data[i * nc + c] = plane.data[i];
        });
      } else {
        const sub: Region = { start: region.start.slice(1), stop: region.stop.slice(1) };
        const length = elementCount(sub.stop.map((s, i) => s - sub.start[i]));
        await readMembers(region.start[0], region.stop[0], sub, (z, slice) =>
          data.set(slice.data, z * length),
        );
      }
      return { data, shape: outShape, axes };
    },
    async close() {
      closed = true;
      await Promise.all(members.map((r) => r.close()));
    },
  };
  return reader;
}
