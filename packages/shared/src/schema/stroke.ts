// Strokes (zod): the unit of labeling shared through the project's Y.Doc. Rasterized by @sylva/core's
// `rasterizeStroke` (labels/rasterize.ts documents the geometry) in document order, so every client and
// the compute service derive identical label volumes from the same strokes.

import { z } from "zod";
import { MAX_CLASSES } from "./classes.js";
import { datasetIdSchema } from "./dataset.js";

/** ilastik's brush diameters, in voxels (its brush-size menu). */
export const BRUSH_SIZES = [1, 3, 5, 7, 11, 23, 31, 61] as const;
export const DEFAULT_BRUSH_SIZE = 3;
/** The largest brush accepted from a client. */
export const MAX_BRUSH_SIZE = 61;
/** The most points one stroke may carry (a long drag is split into several strokes by the client). */
export const MAX_STROKE_POINTS = 4096;

export const PLANES = ["xy", "xz", "yz"] as const;
export const planeSchema = z.enum(PLANES);

const coordinate = z.number().finite().min(-1e6).max(1e7);

export const strokeSchema = z.object({
  id: z.string().min(1).max(64),
  datasetId: datasetIdSchema,
  /** The user who painted it. */
  author: z.string().min(1).max(64),
  /** 1…N: the class painted; 0: the eraser. */
  classId: z.number().int().min(0).max(MAX_CLASSES),
  plane: planeSchema,
  t: z.number().int().min(0),
  slice: z.number().int().min(0),
  diameter: z.number().int().min(1).max(MAX_BRUSH_SIZE),
  /** (u, v) plane coordinates in voxels: (x, y) for xy, (x, z) for xz, (y, z) for yz. */
  points: z
    .array(z.tuple([coordinate, coordinate]))
    .min(1)
    .max(MAX_STROKE_POINTS),
});
export type Stroke = z.infer<typeof strokeSchema>;
