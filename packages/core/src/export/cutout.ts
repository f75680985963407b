// Cutouts (ilastik's "Cutout Subregion" export option): a sub-box of the volume, chosen per axis.
//
// Syntax of a `--cutout` spec: comma-separated entries `AXIS=START:STOP`, AXIS one of t, z, y, x, c, each
// at most once; e.g. "x=10:200,y=0:128,t=0:1". Ranges are half-open, [START, STOP) in pixels counted from 0,
// like Python slices and ilastik's region start/stop. START or STOP may be left out ("x=10:" runs to the
// end, "x=:64" starts at 0); a single index "z=5" means "z=5:6" (the axis is kept, with size 1). Axes not
// named keep their full extent. An axis the volume does not have counts as size 1, so "t=0:1" is accepted
// for a 2D image. Whitespace around entries is ignored; an empty spec selects everything.
//
// Bounds are validated, not clipped: a START or STOP outside 0..size, or START ≥ STOP, is an ExportError
// naming the axis, the value and the axis size. (ilastik clips a region beyond the image to its bounds with
// a warning; a command line should rather say that the request was wrong.)

import type { TypedArray } from "../array/dtype.js";
import type { AxisKey, Volume } from "../array/volume.js";
import { AXES, checkVolume, elementCount } from "../array/volume.js";
import { ExportError } from "./errors.js";

/** One axis's requested range; a missing bound means 0 (start) or the axis size (stop). */
export interface AxisRange {
  readonly start?: number;
  readonly stop?: number;
}

/** The requested range per axis; axes left out keep their full extent. */
export type CutoutSpec = Readonly<Partial<Record<AxisKey, AxisRange>>>;

/** A resolved cutout: [start, stop) for every axis of the volume (keyed by axis letter). */
export type CutoutBox = Readonly<Record<string, readonly [number, number]>>;

function parseBound(text: string, entry: string, which: string): number | undefined {
  if (text === "") return undefined;
  if (!/^[+]?\d+$/.test(text))
    throw new ExportError(
      `--cutout "${entry}": ${which} "${text}" is not a whole number of pixels ≥ 0 (form: AXIS=START:STOP, e.g. x=10:200)`,
    );
  return Number(text);
}

/** Parses a `--cutout` spec such as "x=10:200,y=0:128,t=0:1" (syntax above). */
export function parseCutout(spec: string): CutoutSpec {
  const out: Partial<Record<AxisKey, AxisRange>> = {};
  const entries = spec
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  for (const entry of entries) {
    const m = /^([^=\s]*)\s*=\s*(.*)$/.exec(entry);
    if (!m)
      throw new ExportError(
        `--cutout "${entry}": expected AXIS=START:STOP (e.g. "x=10:200,y=0:128"), axes t, z, y, x, c`,
      );
    const axis = m[1].toLowerCase();
    if (!(AXES as readonly string[]).includes(axis))
      throw new ExportError(`--cutout "${entry}": unknown axis "${m[1]}" (axes are t, z, y, x, c)`);
    if (out[axis as AxisKey] !== undefined)
      throw new ExportError(`--cutout: axis "${axis}" is given twice (in "${spec}")`);
    const range = m[2].trim();
    const parts = range.split(":").map((p) => p.trim());
    if (parts.length > 2 || range === "")
      throw new ExportError(`--cutout "${entry}": expected ${axis}=START:STOP or ${axis}=INDEX`);
    if (parts.length === 1) {
      const index = parseBound(parts[0], entry, "index");
      out[axis as AxisKey] = { start: index, stop: (index as number) + 1 };
    } else {
      out[axis as AxisKey] = {
        start: parseBound(parts[0], entry, "start"),
        stop: parseBound(parts[1], entry, "stop"),
      };
    }
  }
  return out;
}

function describeRange(axis: string, r: AxisRange): string {
  return `${axis}=${r.start ?? ""}:${r.stop ?? ""}`;
}

/**
 * The box `spec` selects in a volume of `axes` and `shape`, validated against the sizes (axes the volume
 * lacks count as size 1 and must select [0, 1)).
 */
export function resolveCutout(spec: CutoutSpec, axes: string, shape: readonly number[]): CutoutBox {
  const box: Record<string, [number, number]> = {};
  for (const key of Object.keys(spec)) {
    if (!(AXES as readonly string[]).includes(key))
      throw new ExportError(`cutout: unknown axis "${key}" (axes are t, z, y, x, c)`);
  }
  for (const axis of AXES) {
    const r = spec[axis];
    const i = axes.indexOf(axis);
    const size = i >= 0 ? shape[i] : 1;
    if (r === undefined) {
      if (i >= 0) box[axis] = [0, size];
      continue;
    }
    const what = describeRange(axis, r);
    const sizeText =
      i >= 0 ? `the image's ${axis} axis has size ${size}` : `the image has no ${axis} axis (size 1)`;
    for (const [name, v] of [
      ["start", r.start],
      ["stop", r.stop],
    ] as const)
      if (v !== undefined && (!Number.isInteger(v) || v < 0))
        throw new ExportError(`cutout ${what}: ${name} ${v} is not a whole number ≥ 0`);
    const start = r.start ?? 0;
    const stop = r.stop ?? size;
    if (start >= size)
      throw new ExportError(
        `cutout ${what}: start ${start} is outside the image; ${sizeText}, so start must be below ${size}`,
      );
    if (stop > size)
      throw new ExportError(
        `cutout ${what}: stop ${stop} is beyond the image; ${sizeText}, so stop can be at most ${size}`,
      );
    if (start >= stop)
      throw new ExportError(`cutout ${what}: start ${start} must be below stop ${stop} (the range is empty)`);
    if (i >= 0) box[axis] = [start, stop];
  }
  return box;
}

/** Copies the sub-box `box` (one [start, stop) per axis of `v`) out of `v`, in C order. */
export function extractBox<A extends TypedArray>(v: Volume<A>, box: CutoutBox): Volume<A> {
  checkVolume(v, "cutout input");
  const n = v.shape.length;
  const starts = [...v.axes].map((a) => box[a]?.[0] ?? 0);
  const stops = [...v.axes].map((a, i) => box[a]?.[1] ?? v.shape[i]);
  const shape = starts.map((s, i) => stops[i] - s);
  if (shape.every((s, i) => s === v.shape[i])) return v;
  const strides = new Array<number>(n);
  let stride = 1;
  for (let i = n - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= v.shape[i];
  }
  // Copy contiguous runs: axis m and every axis after it, where the axes after m are selected whole.
  let m = n - 1;
  while (m > 0 && shape[m] === v.shape[m]) m--;
  const run = shape[m] * strides[m];
  const C = v.data.constructor as new (length: number) => A;
  const out = new C(elementCount(shape));
  const index = new Array<number>(m).fill(0); // position among the axes before m, relative to starts
  for (let o = 0; o < out.length; o += run) {
    let src = starts[m] * strides[m];
    for (let i = 0; i < m; i++) src += (starts[i] + index[i]) * strides[i];
    if (run < 32) for (let k = 0; k < run; k++) out[o + k] = v.data[src + k];
    else out.set(v.data.subarray(src, src + run) as A, o);
    for (let i = m - 1; i >= 0; i--) {
      if (++index[i] < shape[i]) break;
      index[i] = 0;
    }
  }
  return { data: out, shape, axes: v.axes };
}

/** `v` cut to `spec` (a parsed spec or the `--cutout` text), with the box it was cut to. */
export function applyCutout<A extends TypedArray>(
  v: Volume<A>,
  spec: CutoutSpec | string,
): { volume: Volume<A>; box: CutoutBox } {
  checkVolume(v, "cutout input");
  const parsed = typeof spec === "string" ? parseCutout(spec) : spec;
  const box = resolveCutout(parsed, v.axes, v.shape);
  return { volume: extractBox(v, box), box };
}
