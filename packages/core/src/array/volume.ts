// Volumes: typed pixel data with named axes. Sylva's canonical layout is (t, z, y, x, c), C order,
// channels last; images read from files carry the subset of axes they really have.

import type { DType, TypedArray } from "./dtype.js";
import { dtypeOf } from "./dtype.js";

/** Axis keys in canonical order. */
export const AXES = ["t", "z", "y", "x", "c"] as const;
export type AxisKey = (typeof AXES)[number];

/** An n-d array in C order whose axes are named, e.g. "yx", "yxc", "zyx", "tzyxc". */
export interface Volume<A extends TypedArray = TypedArray> {
  readonly data: A;
  readonly shape: readonly number[];
  /** One letter per axis of `shape`, from "tzyxc", each at most once, in any order. */
  readonly axes: string;
}

/** A 5-d volume in canonical (t, z, y, x, c) order. */
export interface Volume5<A extends TypedArray = TypedArray> extends Volume<A> {
  readonly shape: readonly [number, number, number, number, number];
  readonly axes: "tzyxc";
}

export class AxesError extends Error {
  override readonly name = "AxesError";
}

export function volumeDType(v: Volume): DType {
  return dtypeOf(v.data);
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

/** Checks that `axes` names distinct known axes matching `shape`, and that data has the right length. */
export function checkVolume(v: Volume, what = "volume"): void {
  if (v.axes.length !== v.shape.length)
    throw new AxesError(`${what}: axes "${v.axes}" do not match shape [${v.shape.join(", ")}]`);
  for (const [i, a] of [...v.axes].entries()) {
    if (!(AXES as readonly string[]).includes(a)) throw new AxesError(`${what}: unknown axis "${a}"`);
    if (v.axes.indexOf(a) !== i) throw new AxesError(`${what}: axis "${a}" appears twice in "${v.axes}"`);
  }
  for (const [i, s] of v.shape.entries())
    if (!Number.isInteger(s) || s < 1)
      throw new AxesError(`${what}: axis "${v.axes[i]}" has invalid size ${s}`);
  if (v.data.length !== elementCount(v.shape))
    throw new AxesError(
      `${what}: data holds ${v.data.length} elements, shape [${v.shape.join(", ")}] needs ${elementCount(v.shape)}`,
    );
}

/**
 * The same data viewed as (t, z, y, x, c). Missing axes get size 1. Axes must already be in canonical
 * relative order (a transposition would need a copy: use `transposeToCanonical`).
 */
export function toVolume5<A extends TypedArray>(v: Volume<A>): Volume5<A> {
  checkVolume(v);
  let last = -1;
  const shape: [number, number, number, number, number] = [1, 1, 1, 1, 1];
  for (const [i, a] of [...v.axes].entries()) {
    const k = AXES.indexOf(a as AxisKey);
    if (k < last) throw new AxesError(`axes "${v.axes}" are not in t, z, y, x, c order; transpose first`);
    last = k;
    shape[k] = v.shape[i];
  }
  return { data: v.data, shape, axes: "tzyxc" };
}

/** Copies `v` into canonical (t, z, y, x, c) order (a plain view when the order already is canonical). */
export function transposeToCanonical<A extends TypedArray>(v: Volume<A>): Volume5<A> {
  checkVolume(v);
  const order = [...v.axes].map((a) => AXES.indexOf(a as AxisKey));
  if (order.every((k, i) => i === 0 || order[i - 1] < k)) return toVolume5(v);
  const shape5: [number, number, number, number, number] = [1, 1, 1, 1, 1];
  const srcStride5 = [0, 0, 0, 0, 0];
  let stride = 1;
  for (let i = v.shape.length - 1; i >= 0; i--) {
    shape5[order[i]] = v.shape[i];
    srcStride5[order[i]] = stride;
    stride *= v.shape[i];
  }
  const C = v.data.constructor as new (n: number) => A;
  const out = new C(v.data.length);
  const [T, Z, Y, X, Cn] = shape5;
  let o = 0;
  for (let t = 0; t < T; t++)
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++)
          for (let c = 0; c < Cn; c++)
            out[o++] =
              v.data[
                t * srcStride5[0] +
                  z * srcStride5[1] +
                  y * srcStride5[2] +
                  x * srcStride5[3] +
                  c * srcStride5[4]
              ];
  return { data: out, shape: shape5, axes: "tzyxc" };
}
