// "Suggest where to label": among the live tiles received for a dataset and time point, the block of
// pixels with the highest mean uncertainty (from uncertainty tiles, or from probability tiles as
// 1 − (p_max − p_second)), as a plane, slice and level-0 rectangle to show.
import type { TileFrame } from "@sylva/shared";
import type { Geometry, Plane } from "./geometry";
import { planeScale } from "./geometry";
import type { LiveTileStore } from "./live-tiles";

const BLOCK = 64;

export interface Suggestion {
  readonly plane: Plane;
  readonly slice: number;
  readonly rect: { u0: number; v0: number; u1: number; v1: number };
  readonly uncertainty: number;
}

function uncertaintyAt(f: TileFrame, i: number): number {
  if (f.layer === "uncertainty") return f.data[i] / 255;
  const n = f.classIds.length;
  const size = f.width * f.height;
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    const p = f.data[k * size + i];
    if (p > a) {
      b = a;
      a = p;
    } else if (p > b) b = p;
  }
  return 1 - (a - b) / 255;
}

export function suggestRegion(live: LiveTileStore, g: Geometry, t: number): Suggestion | null {
  let frames = [...live.all(g.id, "uncertainty")].map((x) => x.frame);
  if (frames.length === 0) frames = [...live.all(g.id, "probabilities")].map((x) => x.frame);
  let best: Suggestion | null = null;
  for (const f of frames) {
    if (f.t !== t || f.level >= g.levels.length) continue;
    const { su, sv } = planeScale(g, f.plane, f.level);
    for (let bv = 0; bv < f.height; bv += BLOCK)
      for (let bu = 0; bu < f.width; bu += BLOCK) {
        let sum = 0;
        let n = 0;
        for (let v = bv; v < Math.min(f.height, bv + BLOCK); v++)
          for (let u = bu; u < Math.min(f.width, bu + BLOCK); u++) {
            sum += uncertaintyAt(f, v * f.width + u);
            n++;
          }
        const mean = n > 0 ? sum / n : 0;
        if (!best || mean > best.uncertainty)
          best = {
            plane: f.plane,
            slice: f.slice,
            uncertainty: mean,
            rect: {
              u0: (f.u0 + bu) * su,
              v0: (f.v0 + bv) * sv,
              u1: (f.u0 + Math.min(f.width, bu + BLOCK)) * su,
              v1: (f.v0 + Math.min(f.height, bv + BLOCK)) * sv,
            },
          };
      }
  }
  return best;
}
