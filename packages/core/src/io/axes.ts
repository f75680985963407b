// Axes the user names for a source whose own axes are missing or wrong: parsing an axes string such as
// "zyx" or "tyxc" against the data's dimensions, and a reader wrapper that gives a reader those letters
// (same order, same shape: a reinterpretation, never a transposition).

import type { Volume } from "../array/volume.js";
import { ImageFormatError } from "./errors.js";
import type { AxisScale, Region, VolumeReader } from "./reader.js";

const LETTERS = "tzyxc";

/**
 * Checks a user's axes string against data with `ndim` dimensions: one letter per dimension from "tzyxc"
 * (case-insensitive), each at most once, "y" and "x" included. Returns it in lower case; an
 * ImageFormatError naming `source` and the problem otherwise.
 */
export function parseAxesSpec(spec: string, ndim: number, source: string): string {
  const axes = spec.trim().toLowerCase();
  const shown = `axes "${spec}"`;
  if (axes === "")
    throw new ImageFormatError(
      source,
      `no axes given: name one axis per dimension with letters from "${LETTERS}"`,
    );
  for (const [i, a] of [...axes].entries()) {
    if (!LETTERS.includes(a))
      throw new ImageFormatError(
        source,
        `${shown}: unknown axis "${a}" (axes are letters from "${LETTERS}")`,
      );
    if (axes.indexOf(a) !== i) throw new ImageFormatError(source, `${shown}: axis "${a}" appears twice`);
  }
  if (!axes.includes("y") || !axes.includes("x"))
    throw new ImageFormatError(source, `${shown}: an image needs both a "y" and an "x" axis`);
  if (axes.length !== ndim)
    throw new ImageFormatError(
      source,
      `${shown} name${axes.length === 1 ? "s" : ""} ${axes.length} ax${axes.length === 1 ? "is" : "es"} but the data has ${ndim} dimension${ndim === 1 ? "" : "s"}`,
    );
  return axes;
}

/**
 * `reader` with its axes renamed to `axes` (checked with parseAxesSpec against its dimensions): same
 * shape, order and data, new letters; no longer "guessed". Voxel sizes follow their dimension.
 */
export function withAxes(reader: VolumeReader, axes: string): VolumeReader {
  const renamed = parseAxesSpec(axes, reader.shape.length, reader.source);
  const letterAt = (old: string): string | undefined => {
    const i = reader.axes.indexOf(old);
    return i < 0 ? undefined : renamed[i];
  };
  const scales = reader.scales
    ?.map((s): AxisScale | undefined => {
      const axis = letterAt(s.axis);
      return axis === undefined ? undefined : { ...s, axis };
    })
    .filter((s): s is AxisScale => s !== undefined);
  return {
    source: reader.source,
    shape: reader.shape,
    axes: renamed,
    dtype: reader.dtype,
    axesGuessed: false,
    ...(scales && scales.length > 0 ? { scales } : {}),
    async read(region: Region): Promise<Volume> {
      const v = await reader.read(region);
      return { data: v.data, shape: v.shape, axes: renamed };
    },
    close: () => reader.close(),
  };
}
