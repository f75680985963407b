// A dataset's geometry as the viewer needs it: sizes along x, y, z, t, c (1 where the axis is absent),
// the pyramid (core's rules, the same the tile routes use), and how planes map onto axes.
import { pyramidLevels, TILE_SIZE } from "@sylva/core";
import type { DatasetManifest } from "@sylva/shared";

export type Plane = "xy" | "xz" | "yz";
export const PLANE_LIST: readonly Plane[] = ["xy", "xz", "yz"];

/** Axis letters of a plane: u (horizontal), v (vertical) and the slice axis. */
export const PLANE_AXES: Record<Plane, { u: "x" | "y"; v: "y" | "z"; slice: "z" | "y" | "x" }> = {
  xy: { u: "x", v: "y", slice: "z" },
  xz: { u: "x", v: "z", slice: "y" },
  yz: { u: "y", v: "z", slice: "x" },
};

export interface LevelInfo {
  /** Level-0 voxels per level voxel along x, y, z. */
  readonly scale: { x: number; y: number; z: number };
  readonly size: { x: number; y: number; z: number };
}

export interface Geometry {
  readonly id: string;
  readonly name: string;
  readonly axes: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly X: number;
  readonly Y: number;
  readonly Z: number;
  readonly T: number;
  readonly C: number;
  readonly is3d: boolean;
  readonly levels: readonly LevelInfo[];
}

export function geometryOf(m: DatasetManifest): Geometry {
  const size = (a: string) => {
    const i = m.axes.indexOf(a);
    return i < 0 ? 1 : m.shape[i];
  };
  const levels = pyramidLevels(m.axes, m.shape).map((lv): LevelInfo => {
    const at = (a: string, arr: readonly number[]) => {
      const i = m.axes.indexOf(a);
      return i < 0 ? 1 : arr[i];
    };
    return {
      scale: { x: at("x", lv.scale), y: at("y", lv.scale), z: at("z", lv.scale) },
      size: { x: at("x", lv.shape), y: at("y", lv.shape), z: at("z", lv.shape) },
    };
  });
  return {
    id: m.id,
    name: m.name,
    axes: m.axes,
    shape: m.shape,
    dtype: m.dtype,
    X: size("x"),
    Y: size("y"),
    Z: size("z"),
    T: size("t"),
    C: size("c"),
    is3d: m.axes.includes("z"),
    levels,
  };
}

export type Axis = "x" | "y" | "z";

export function axisSize(g: Geometry, a: Axis): number {
  return a === "x" ? g.X : a === "y" ? g.Y : g.Z;
}

/** Level-0 extent of a plane: width (u), height (v), and the number of slices. */
export function planeExtent(g: Geometry, plane: Plane): { width: number; height: number; slices: number } {
  const ax = PLANE_AXES[plane];
  return { width: axisSize(g, ax.u), height: axisSize(g, ax.v), slices: axisSize(g, ax.slice) };
}

/** Level-0 voxels per level pixel along u, v and the slice axis. */
export function planeScale(g: Geometry, plane: Plane, level: number): { su: number; sv: number; ss: number } {
  const ax = PLANE_AXES[plane];
  const s = g.levels[level].scale;
  return { su: s[ax.u], sv: s[ax.v], ss: s[ax.slice] };
}

/** A level's size in pixels along u and v. */
export function levelPlaneSize(g: Geometry, plane: Plane, level: number): { width: number; height: number } {
  const ax = PLANE_AXES[plane];
  const s = g.levels[level].size;
  return { width: s[ax.u], height: s[ax.v] };
}

/** The slice index at `level` for a level-0 slice. */
export function levelSlice(g: Geometry, plane: Plane, level: number, slice0: number): number {
  const ax = PLANE_AXES[plane];
  const n = g.levels[level].size[ax.slice];
  return Math.min(n - 1, Math.floor(slice0 / g.levels[level].scale[ax.slice]));
}

/** A tile of a plane at a level: its grid position and its rectangle in level pixels. */
export interface TileRef {
  readonly level: number;
  readonly tu: number;
  readonly tv: number;
  /** First column/row and size in level pixels. */
  readonly u0: number;
  readonly v0: number;
  readonly width: number;
  readonly height: number;
}

export function tileRef(g: Geometry, plane: Plane, level: number, tu: number, tv: number): TileRef {
  const { width, height } = levelPlaneSize(g, plane, level);
  const u0 = tu * TILE_SIZE;
  const v0 = tv * TILE_SIZE;
  return {
    level,
    tu,
    tv,
    u0,
    v0,
    width: Math.min(TILE_SIZE, width - u0),
    height: Math.min(TILE_SIZE, height - v0),
  };
}

/** The tiles of `level` that intersect a level-0 rectangle of the plane (clipped to the plane). */
export function tilesInRect(
  g: Geometry,
  plane: Plane,
  level: number,
  rect: { u0: number; v0: number; u1: number; v1: number },
): TileRef[] {
  const { su, sv } = planeScale(g, plane, level);
  const { width, height } = levelPlaneSize(g, plane, level);
  const lu0 = Math.max(0, Math.floor(rect.u0 / su));
  const lv0 = Math.max(0, Math.floor(rect.v0 / sv));
  const lu1 = Math.min(width, Math.ceil(rect.u1 / su));
  const lv1 = Math.min(height, Math.ceil(rect.v1 / sv));
  const out: TileRef[] = [];
  if (lu0 >= lu1 || lv0 >= lv1) return out;
  for (let tv = Math.floor(lv0 / TILE_SIZE); tv * TILE_SIZE < lv1; tv++)
    for (let tu = Math.floor(lu0 / TILE_SIZE); tu * TILE_SIZE < lu1; tu++)
      out.push(tileRef(g, plane, level, tu, tv));
  return out;
}

/** The level-0 rectangle a tile covers (clipped to the plane). */
export function tileRect0(
  g: Geometry,
  plane: Plane,
  t: TileRef,
): { u0: number; v0: number; u1: number; v1: number } {
  const { su, sv } = planeScale(g, plane, t.level);
  const ext = planeExtent(g, plane);
  return {
    u0: t.u0 * su,
    v0: t.v0 * sv,
    u1: Math.min(ext.width, (t.u0 + t.width) * su),
    v1: Math.min(ext.height, (t.v0 + t.height) * sv),
  };
}

/** A voxel (x, y, z) as plane coordinates (u, v) and slice. */
export function toPlane(
  plane: Plane,
  p: { x: number; y: number; z: number },
): { u: number; v: number; slice: number } {
  if (plane === "xy") return { u: p.x, v: p.y, slice: p.z };
  if (plane === "xz") return { u: p.x, v: p.z, slice: p.y };
  return { u: p.y, v: p.z, slice: p.x };
}

/** Plane coordinates back to a voxel. */
export function fromPlane(
  plane: Plane,
  u: number,
  v: number,
  slice: number,
): { x: number; y: number; z: number } {
  if (plane === "xy") return { x: u, y: v, z: slice };
  if (plane === "xz") return { x: u, y: slice, z: v };
  return { x: slice, y: u, z: v };
}
