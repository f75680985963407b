// The layout of an exported file's array, as ilastik writes it and `sylva predict` does: the source's
// axes in t, z, y, x, c order (t and z where the dataset has them) with channels always last, even a
// single one (simple segmentation as (z, y, x, 1)). Sources (blockwise readers) are in NGFF order
// (t, c, z, y, x); `readExportSlab` reads a slab of them and returns it in the export layout.

import type { CutoutBox, Volume, VolumeReader } from "@sylva/core";
import { transposeToCanonical } from "@sylva/core";

export interface ExportLayout {
  /** A subsequence of "tzyxc" ending in "c". */
  readonly axes: string;
  readonly shape: readonly number[];
}

export function exportLayout(reader: VolumeReader): ExportLayout {
  const axes = [..."tzyxc"].filter((a) => a === "c" || reader.axes.includes(a)).join("");
  const shape = [...axes].map((a) => {
    const i = reader.axes.indexOf(a);
    return i < 0 ? 1 : reader.shape[i];
  });
  return { axes, shape };
}

/** The [start, stop) of `axis` in `box` ([0, 1) for an axis the layout lacks). */
export function boxRange(box: CutoutBox, axis: string): readonly [number, number] {
  return box[axis] ?? [0, 1];
}

/**
 * Time point `t`, slices [z0, z1) and the box's y, x and channel ranges of `reader`, in the export
 * layout (axes as `layout`, shape of the slab).
 */
export async function readExportSlab(
  reader: VolumeReader,
  layout: ExportLayout,
  box: CutoutBox,
  t: number,
  z0: number,
  z1: number,
): Promise<Volume> {
  const range = (a: string): readonly [number, number] =>
    a === "t" ? [t, t + 1] : a === "z" ? [z0, z1] : boxRange(box, a);
  const region = {
    start: [...reader.axes].map((a) => range(a)[0]),
    stop: [...reader.axes].map((a) => range(a)[1]),
  };
  const v = transposeToCanonical(await reader.read(region));
  const shape = [...layout.axes].map((a) => v.shape["tzyxc".indexOf(a)]);
  return { data: v.data, shape, axes: layout.axes };
}
