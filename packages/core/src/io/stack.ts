// Stacking 2D images into a z-stack, as a folder or a comma-separated list of slices is read, and the
// natural file order ("2.png" before "10.png") in which a folder's slices are stacked.

import { dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume } from "../array/volume.js";
import { ImageFormatError } from "./errors.js";

function describe(v: Volume): string {
  return `${v.axes} [${v.shape.join(", ")}] ${dtypeOf(v.data)}`;
}

/**
 * Stacks 2D images ("yx" or "yxc") along a new first axis z: "zyx" or "zyxc". `sources` names each image
 * (its file) for error messages; every image must match the first one in axes, shape and dtype.
 */
export function stackImages(volumes: readonly Volume[], sources: readonly string[]): Volume {
  if (volumes.length !== sources.length)
    throw new Error(`stackImages: ${volumes.length} images but ${sources.length} source names`);
  if (volumes.length === 0) throw new ImageFormatError("image stack", "no images to stack");
  const first = volumes[0];
  for (const [i, v] of volumes.entries()) {
    checkVolume(v, sources[i]);
    if (v.axes !== "yx" && v.axes !== "yxc")
      throw new ImageFormatError(
        sources[i],
        `is not a 2D image (axes "${v.axes}", shape [${v.shape.join(", ")}]); only 2D images can be stacked along z`,
      );
    const sameShape = v.axes === first.axes && v.shape.every((s, k) => s === first.shape[k]);
    if (!sameShape || dtypeOf(v.data) !== dtypeOf(first.data))
      throw new ImageFormatError(
        sources[i],
        `is ${describe(v)} but ${sources[0]} is ${describe(first)}; all images of a stack must have the same shape and dtype`,
      );
  }
  const sliceLength = first.data.length;
  const C = first.data.constructor as new (n: number) => typeof first.data;
  const data = new C(sliceLength * volumes.length);
  for (const [z, v] of volumes.entries()) data.set(v.data, z * sliceLength);
  return { data, shape: [volumes.length, ...first.shape], axes: `z${first.axes}` };
}

/**
 * Natural order of names: runs of digits compare as numbers, the rest by code point, as the reference's
 * `_natural` key does ("2.png" < "10.png" < "a1" < "a02" < "b"). Ties (e.g. "1" and "01") fall back to
 * plain code-point order so the result is total and deterministic.
 */
export function naturalCompare(a: string, b: string): number {
  const ta = a.split(/(\d+)/);
  const tb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    // Even positions are text (possibly empty), odd positions digit runs, in both lists.
    const c = i % 2 === 1 ? compareDigits(ta[i], tb[i]) : compareText(ta[i], tb[i]);
    if (c !== 0) return c;
  }
  if (ta.length !== tb.length) return ta.length - tb.length;
  return compareText(a, b);
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, "");
  const y = b.replace(/^0+(?=\d)/, "");
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareText(a: string, b: string): number {
  // Python compares str by code point; JS `<` compares UTF-16 units, which differs only for astral characters.
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) ?? 0) - (y[i].codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}
