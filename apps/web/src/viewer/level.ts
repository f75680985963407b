// Which pyramid level a view shows: the coarsest whose pixels are still no larger than a screen pixel
// (so zoomed out, few and small tiles are fetched; zoomed in, full resolution).
import { type Geometry, type Plane, planeScale } from "./geometry";

export function chooseLevel(g: Geometry, plane: Plane, zoom: number, devicePixelRatio = 1): number {
  // A level pixel spans max(su, sv) level-0 voxels = that × zoom CSS pixels; keep it ≥ 1 device pixel / dpr.
  const limit = 1 / (zoom * Math.max(1, devicePixelRatio * 0.75));
  let best = 0;
  for (let k = 1; k < g.levels.length; k++) {
    const { su, sv } = planeScale(g, plane, k);
    if (Math.max(su, sv) <= limit) best = k;
  }
  return best;
}
