// A dataset's geometry as live prediction sees it: sizes along t, c, z, y, x (1 where the dataset has no
// such axis), the pyramid levels' spatial shapes and scales, how the planes (xy, xz, yz) map onto the
// axes, and regions of (t, z, y, x) boxes in the dataset's own NGFF axis order for VolumeReader.read.

import type { Box, Plane, Region } from "@sylva/core";
import type { DatasetManifest } from "@sylva/shared";

/** One pyramid level: spatial shape and, per spatial axis, how many level-0 voxels a voxel spans. */
export interface LevelGeometry {
  readonly shape: readonly [number, number, number];
  readonly scale: readonly [number, number, number];
}

export interface DatasetGeometry {
  readonly id: string;
  /** The dataset's axes, NGFF order (a subsequence of "tczyx"). */
  readonly axes: string;
  readonly T: number;
  readonly C: number;
  readonly Z: number;
  readonly Y: number;
  readonly X: number;
  readonly levels: readonly LevelGeometry[];
}

const SPATIAL = ["z", "y", "x"] as const;
type SpatialAxis = (typeof SPATIAL)[number];

export function geometryOf(manifest: DatasetManifest): DatasetGeometry {
  const size = (a: string) => {
    const i = manifest.axes.indexOf(a);
    return i < 0 ? 1 : manifest.shape[i];
  };
  const levels = manifest.levels.map((l): LevelGeometry => {
    const pick = (values: readonly number[], a: SpatialAxis) => {
      const i = manifest.axes.indexOf(a);
      return i < 0 ? 1 : values[i];
    };
    return {
      shape: [pick(l.shape, "z"), pick(l.shape, "y"), pick(l.shape, "x")],
      scale: [pick(l.scale, "z"), pick(l.scale, "y"), pick(l.scale, "x")],
    };
  });
  return {
    id: manifest.id,
    axes: manifest.axes,
    T: size("t"),
    C: size("c"),
    Z: size("z"),
    Y: size("y"),
    X: size("x"),
    levels,
  };
}

/** The canonical (t, z, y, x, c) shape of level 0. */
export function shape5(g: DatasetGeometry): [number, number, number, number, number] {
  return [g.T, g.Z, g.Y, g.X, g.C];
}

/** A reader region (NGFF axis order, all channels) for time point `t` and a (z, y, x) box. */
export function readRegion(g: DatasetGeometry, t: number, box: Box): Region {
  const range: Record<string, [number, number]> = {
    t: [t, t + 1],
    c: [0, g.C],
    z: [box.z0, box.z1],
    y: [box.y0, box.y1],
    x: [box.x0, box.x1],
  };
  return { start: [...g.axes].map((a) => range[a][0]), stop: [...g.axes].map((a) => range[a][1]) };
}

/** Which spatial axis (index into z, y, x) is u, v and the slice of each plane. */
export const PLANE_AXES: Readonly<Record<Plane, { u: number; v: number; slice: number }>> = {
  xy: { u: 2, v: 1, slice: 0 },
  xz: { u: 2, v: 0, slice: 1 },
  yz: { u: 1, v: 0, slice: 2 },
};

/** Planes a dataset can be viewed in: xy only for 2D data (z of size 1). */
export function planeAllowed(g: DatasetGeometry, plane: Plane): boolean {
  return plane === "xy" || g.Z > 1;
}

/** The plane's size at `level`: width (u), height (v), in level pixels, and its slice count at level 0. */
export function planeSize(
  g: DatasetGeometry,
  plane: Plane,
  level: number,
): { width: number; height: number; slices: number } {
  const a = PLANE_AXES[plane];
  const shape = g.levels[level].shape;
  const base = [g.Z, g.Y, g.X];
  return { width: shape[a.u], height: shape[a.v], slices: base[a.slice] };
}
