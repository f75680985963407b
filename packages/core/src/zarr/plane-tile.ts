// Plane tiles: where a TILE_SIZE² tile of an xy, xz or yz view lies in a pyramid level's array. The one
// geometry the raw tile route, the live tile scheduler and the viewer share.
//
// A view of plane P at `slice` (level-0 voxels: z for xy, y for xz, x for yz) and time t shows, at level
// k, the level's voxels at slice ⌊slice / s⌋ (s: the level's scale along the slice axis). Tile (tu, tv)
// covers level columns [tu·T, (tu + 1)·T) along u and rows [tv·T, (tv + 1)·T) along v, clipped to the
// level's shape; u and v are (x, y) for xy, (x, z) for xz and (y, z) for yz. The region spans every channel.

import { pyramidLevels, TILE_SIZE } from "./layout.js";

export type TilePlane = "xy" | "xz" | "yz";

const PLANE_AXES: Record<TilePlane, { u: string; v: string; slice: string }> = {
  xy: { u: "x", v: "y", slice: "z" },
  xz: { u: "x", v: "z", slice: "y" },
  yz: { u: "y", v: "z", slice: "x" },
};

export interface PlaneTile {
  /** Region of the level's array, in its axis order (end exclusive). */
  readonly start: number[];
  readonly stop: number[];
  /** Level pixels along u and v; the region read is (c, v, u) once singleton axes are dropped. */
  readonly width: number;
  readonly height: number;
  /** First level column and row of the tile. */
  readonly u0: number;
  readonly v0: number;
  /** Channels (1 when the dataset has no c axis). */
  readonly channels: number;
}

export class TileRangeError extends RangeError {
  override readonly name = "TileRangeError";
}

/** The level's size along the view's u and v axes (a 2D dataset has no z: xz and yz are refused). */
export function planeSize(axes: string, shape0: readonly number[], level: number, plane: TilePlane) {
  const lv = pyramidLevels(axes, shape0)[level];
  if (!lv)
    throw new TileRangeError(
      `level ${level} does not exist (the dataset has levels 0 to ${pyramidLevels(axes, shape0).length - 1})`,
    );
  const { u, v } = PLANE_AXES[plane];
  const iu = axes.indexOf(u);
  const iv = axes.indexOf(v);
  if (iu < 0 || iv < 0) throw new TileRangeError(`a dataset with axes "${axes}" has no ${plane} plane`);
  return { width: lv.shape[iu], height: lv.shape[iv], level: lv };
}

/** The region of tile (tu, tv) of `plane` at `slice` and `t`, on pyramid level `level`. */
export function planeTile(
  axes: string,
  shape0: readonly number[],
  q: { level: number; plane: TilePlane; t: number; slice: number; tu: number; tv: number },
): PlaneTile {
  const { width: W, height: H, level } = planeSize(axes, shape0, q.level, q.plane);
  const names = PLANE_AXES[q.plane];
  const start: number[] = [];
  const stop: number[] = [];
  const u0 = q.tu * TILE_SIZE;
  const v0 = q.tv * TILE_SIZE;
  if (!(Number.isInteger(q.tu) && Number.isInteger(q.tv) && q.tu >= 0 && q.tv >= 0 && u0 < W && v0 < H))
    throw new TileRangeError(
      `tile (${q.tu}, ${q.tv}) is outside the ${W} × ${H} ${q.plane} plane of level ${q.level}`,
    );
  let channels = 1;
  for (const [i, a] of [...axes].entries()) {
    const n = level.shape[i];
    if (a === "c") {
      start.push(0);
      stop.push(n);
      channels = n;
    } else if (a === "t") {
      if (!(Number.isInteger(q.t) && q.t >= 0 && q.t < n))
        throw new TileRangeError(`t ${q.t} is outside 0…${n - 1}`);
      start.push(q.t);
      stop.push(q.t + 1);
    } else if (a === names.u) {
      start.push(u0);
      stop.push(Math.min(W, u0 + TILE_SIZE));
    } else if (a === names.v) {
      start.push(v0);
      stop.push(Math.min(H, v0 + TILE_SIZE));
    } else if (a === names.slice) {
      const n0 = shape0[i];
      if (!(Number.isInteger(q.slice) && q.slice >= 0 && q.slice < n0))
        throw new TileRangeError(`${a} ${q.slice} is outside 0…${n0 - 1}`);
      const s = Math.min(n - 1, Math.floor(q.slice / level.scale[i]));
      start.push(s);
      stop.push(s + 1);
    }
  }
  if (q.slice !== 0 && !axes.includes(names.slice))
    throw new TileRangeError(`a dataset with axes "${axes}" has only slice 0`);
  if (q.t !== 0 && !axes.includes("t"))
    throw new TileRangeError(`a dataset with axes "${axes}" has only t 0`);
  return {
    start,
    stop,
    u0,
    v0,
    width: Math.min(W, u0 + TILE_SIZE) - u0,
    height: Math.min(H, v0 + TILE_SIZE) - v0,
    channels,
  };
}
