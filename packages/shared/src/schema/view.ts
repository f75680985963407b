// What a client is looking at (zod): published in its awareness state, so the compute service knows which
// probability tiles to compute first and which work to cancel when a view moves. `view` is the view the
// user works in (presence shows its slice); `views` lists every view on screen (the xy, xz and yz views
// of a 3D dataset, the active one first, at most MAX_VIEWS) — the service sends tiles for all of them,
// the first one first. A client that publishes only `view` gets tiles for that one.

import { z } from "zod";
import { datasetIdSchema } from "./dataset.js";
import { planeSchema } from "./stroke.js";

/** Live layers a client can ask for; each arrives as its own tile frame (see tile.ts). */
export const LIVE_LAYERS = ["probabilities", "uncertainty", "segmentation"] as const;
export const liveLayerSchema = z.enum(LIVE_LAYERS);
export type LiveLayer = z.infer<typeof liveLayerSchema>;

const coord = z.number().int().min(0).max(1e7);

export const viewSchema = z
  .object({
    datasetId: datasetIdSchema,
    plane: planeSchema,
    t: z.number().int().min(0),
    /** z for xy, y for xz, x for yz (level-0 voxels). */
    slice: z.number().int().min(0),
    /** Pyramid level shown (0 = full resolution); tiles come at this level. */
    level: z.number().int().min(0).max(30),
    /** Visible rectangle in level-0 plane coordinates (u, v), end exclusive: (x, y), (x, z) or (y, z). */
    viewport: z.object({ u0: coord, v0: coord, u1: coord, v1: coord }),
    layers: z.array(liveLayerSchema).max(LIVE_LAYERS.length).default(["probabilities"]),
  })
  .refine((v) => v.viewport.u1 > v.viewport.u0 && v.viewport.v1 > v.viewport.v0, "the viewport is empty");
export type View = z.infer<typeof viewSchema>;

/** The most views one client may ask tiles for (the three planes of a 3D dataset). */
export const MAX_VIEWS = 3;

/** The views a client's awareness state asks tiles for, valid ones only, in its order. */
export function viewsOfState(state: unknown): View[] {
  const s = (typeof state === "object" && state !== null ? state : {}) as { view?: unknown; views?: unknown };
  const raw = Array.isArray(s.views) ? s.views.slice(0, MAX_VIEWS) : [s.view];
  const out: View[] = [];
  for (const v of raw) {
    const parsed = viewSchema.safeParse(v);
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}
