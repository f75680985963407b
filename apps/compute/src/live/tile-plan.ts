// Which tiles a view needs, in which order, and where each tile lies: tiles are TILE_SIZE × TILE_SIZE
// squares of a plane (xy, xz, yz) at one pyramid level, at one slice and time point, numbered (tu, tv)
// along the plane's (u, v) axes. A level-0 tile is also the unit of feature computation: its (z, y, x)
// box is a slab one voxel thick across the plane (an xy tile of a 3D volume is 1 × 256 × 256), so the
// features of what someone looks at, and of the strokes painted there, are computed once and shared.
//
// A tile at level k > 0 is the mean of the level-0 probabilities under it (see layers.ts): it is built
// from the level-0 tiles it covers (`coveringTiles`), at the view's slice.

import type { Box, Plane } from "@sylva/core";
import { TILE_SIZE } from "@sylva/core";
import type { View } from "@sylva/shared";
import type { DatasetGeometry } from "./geometry.js";
import { PLANE_AXES, planeAllowed, planeSize } from "./geometry.js";

export interface TileAddress {
  readonly datasetId: string;
  readonly t: number;
  readonly plane: Plane;
  /** The slice in level-0 voxels (z for xy, y for xz, x for yz). */
  readonly slice: number;
  readonly level: number;
  readonly tu: number;
  readonly tv: number;
}

/** A rectangle of a plane at some level: first column and row, width and height, in that level's pixels. */
export interface TileRect {
  readonly u0: number;
  readonly v0: number;
  readonly width: number;
  readonly height: number;
}

export function tileKey(a: TileAddress): string {
  return `${a.datasetId}/${a.t}/${a.plane}/${a.slice}/${a.level}/${a.tu}/${a.tv}`;
}

/** The tile's pixels at its level (clipped to the plane). */
export function tileRect(g: DatasetGeometry, a: TileAddress): TileRect {
  const { width, height } = planeSize(g, a.plane, a.level);
  const u0 = a.tu * TILE_SIZE;
  const v0 = a.tv * TILE_SIZE;
  return { u0, v0, width: Math.min(TILE_SIZE, width - u0), height: Math.min(TILE_SIZE, height - v0) };
}

/** The (z, y, x) box of a level-0 tile: the slab its features and predictions cover. */
export function tileBox(g: DatasetGeometry, a: TileAddress): Box {
  if (a.level !== 0) throw new RangeError(`tileBox takes a level-0 tile, got level ${a.level}`);
  const r = tileRect(g, a);
  const axes = PLANE_AXES[a.plane];
  const lo = [0, 0, 0];
  const hi = [0, 0, 0];
  lo[axes.u] = r.u0;
  hi[axes.u] = r.u0 + r.width;
  lo[axes.v] = r.v0;
  hi[axes.v] = r.v0 + r.height;
  lo[axes.slice] = a.slice;
  hi[axes.slice] = a.slice + 1;
  return { z0: lo[0], z1: hi[0], y0: lo[1], y1: hi[1], x0: lo[2], x1: hi[2] };
}

/** The level-0 tile holding plane position (u, v) of a slice. */
export function level0TileAt(
  datasetId: string,
  t: number,
  plane: Plane,
  slice: number,
  u: number,
  v: number,
): TileAddress {
  return {
    datasetId,
    t,
    plane,
    slice,
    level: 0,
    tu: Math.floor(u / TILE_SIZE),
    tv: Math.floor(v / TILE_SIZE),
  };
}

/** Level-0 voxels per level pixel along the plane's u and v axes at `level`. */
export function planeScale(g: DatasetGeometry, plane: Plane, level: number): { su: number; sv: number } {
  const s = g.levels[level].scale;
  const axes = PLANE_AXES[plane];
  return { su: s[axes.u], sv: s[axes.v] };
}

/** The level-0 tiles under a tile of any level (itself at level 0), row by row. */
export function coveringTiles(g: DatasetGeometry, a: TileAddress): TileAddress[] {
  if (a.level === 0) return [a];
  const r = tileRect(g, a);
  const { su, sv } = planeScale(g, a.plane, a.level);
  const base = planeSize(g, a.plane, 0);
  const u0 = r.u0 * su;
  const u1 = Math.min(base.width, (r.u0 + r.width) * su);
  const v0 = r.v0 * sv;
  const v1 = Math.min(base.height, (r.v0 + r.height) * sv);
  const out: TileAddress[] = [];
  for (let tv = Math.floor(v0 / TILE_SIZE); tv * TILE_SIZE < v1; tv++)
    for (let tu = Math.floor(u0 / TILE_SIZE); tu * TILE_SIZE < u1; tu++) out.push({ ...a, level: 0, tu, tv });
  return out;
}

export interface ViewTiles {
  /** Tiles intersecting the viewport, nearest the viewport's centre first. */
  readonly visible: readonly TileAddress[];
  /** The ring of tiles around them (one tile wide by default), nearest first. */
  readonly ring: readonly TileAddress[];
}

/** Whether a view can be served on this dataset (plane, time point, slice and level exist). */
export function viewValid(g: DatasetGeometry, view: View): boolean {
  if (view.datasetId !== g.id || !planeAllowed(g, view.plane)) return false;
  if (view.t >= g.T || view.level >= g.levels.length) return false;
  return view.slice < planeSize(g, view.plane, 0).slices;
}

/** The tiles a view needs (empty when the view is not valid on the dataset). */
export function viewTiles(g: DatasetGeometry, view: View, ringWidth = 1): ViewTiles {
  if (!viewValid(g, view)) return { visible: [], ring: [] };
  const { width, height } = planeSize(g, view.plane, view.level);
  const { su, sv } = planeScale(g, view.plane, view.level);
  const vp = view.viewport;
  // The viewport in level pixels, clipped to the plane.
  const lu0 = Math.max(0, Math.floor(vp.u0 / su));
  const lv0 = Math.max(0, Math.floor(vp.v0 / sv));
  const lu1 = Math.min(width, Math.ceil(vp.u1 / su));
  const lv1 = Math.min(height, Math.ceil(vp.v1 / sv));
  if (lu0 >= lu1 || lv0 >= lv1) return { visible: [], ring: [] };
  const tu0 = Math.floor(lu0 / TILE_SIZE);
  const tu1 = Math.floor((lu1 - 1) / TILE_SIZE);
  const tv0 = Math.floor(lv0 / TILE_SIZE);
  const tv1 = Math.floor((lv1 - 1) / TILE_SIZE);
  const maxTu = Math.ceil(width / TILE_SIZE) - 1;
  const maxTv = Math.ceil(height / TILE_SIZE) - 1;
  const cu = (lu0 + lu1) / 2;
  const cv = (lv0 + lv1) / 2;
  const make = (tu: number, tv: number): TileAddress => ({
    datasetId: view.datasetId,
    t: view.t,
    plane: view.plane,
    slice: view.slice,
    level: view.level,
    tu,
    tv,
  });
  const distance = (a: TileAddress) =>
    ((a.tu + 0.5) * TILE_SIZE - cu) ** 2 + ((a.tv + 0.5) * TILE_SIZE - cv) ** 2;
  const byDistance = (p: TileAddress, q: TileAddress) =>
    distance(p) - distance(q) || p.tv - q.tv || p.tu - q.tu;
  const visible: TileAddress[] = [];
  for (let tv = tv0; tv <= tv1; tv++) for (let tu = tu0; tu <= tu1; tu++) visible.push(make(tu, tv));
  const ring: TileAddress[] = [];
  const ru0 = Math.max(0, tu0 - ringWidth);
  const ru1 = Math.min(maxTu, tu1 + ringWidth);
  const rv0 = Math.max(0, tv0 - ringWidth);
  const rv1 = Math.min(maxTv, tv1 + ringWidth);
  for (let tv = rv0; tv <= rv1; tv++)
    for (let tu = ru0; tu <= ru1; tu++)
      if (tu < tu0 || tu > tu1 || tv < tv0 || tv > tv1) ring.push(make(tu, tv));
  return { visible: visible.sort(byDistance), ring: ring.sort(byDistance) };
}
