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

/**
 * The same voxels with axes reordered to `axes` (a permutation of `v.axes`); a copy unless the order is
 * already `axes`. The innermost loop runs along the target's last axis.
 */
export function permuteAxes<A extends TypedArray>(v: Volume<A>, axes: string): Volume<A> {
  checkVolume(v);
  if (axes === v.axes) return v;
  if (axes.length !== v.axes.length || [...axes].some((a) => !v.axes.includes(a)))
    throw new AxesError(`cannot reorder axes "${v.axes}" to "${axes}": not a permutation`);
  const n = axes.length;
  const srcStrides = new Array<number>(n);
  let stride = 1;
  for (let i = n - 1; i >= 0; i--) {
    srcStrides[i] = stride;
    stride *= v.shape[i];
  }
  const perm = [...axes].map((a) => v.axes.indexOf(a));
  const shape = perm.map((p) => v.shape[p]);
  const strides = perm.map((p) => srcStrides[p]);
  const C = v.data.constructor as new (len: number) => A;
  const out = new C(v.data.length);
  const inner = shape[n - 1];
  const innerStride = strides[n - 1];
  const idx = new Array<number>(n).fill(0);
  const rows = v.data.length / inner;
  let o = 0;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < n - 1; i++) s += idx[i] * strides[i];
    for (let k = 0; k < inner; k++) out[o++] = v.data[s + k * innerStride];
    for (let i = n - 2; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape, axes };
}

/** Copies `v` into canonical (t, z, y, x, c) order (a plain view when the order already is canonical). */
export function transposeToCanonical<A extends TypedArray>(v: Volume<A>): Volume5<A> {
  const canonical = AXES.filter((a) => v.axes.includes(a)).join("");
  return toVolume5(permuteAxes(v, canonical));
}
