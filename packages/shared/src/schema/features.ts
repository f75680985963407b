// The feature selection contract (zod): which of ilastik's features, at which scales, in 2D or 3D.
// Feature ids and default scales come from @sylva/core, their one source of truth.

import { DEFAULT_SCALES, FEATURE_IDS, parseFeatureId } from "@sylva/core";
import { z } from "zod";

export const featureIdSchema = z.enum(FEATURE_IDS);

/** A scale (σ in pixels): positive, finite, at most 100 (ilastik's largest preset is 10). */
export const scaleSchema = z
  .number({ error: "a scale must be a number" })
  .finite()
  .positive({ error: "a scale must be > 0" })
  .max(100, { error: "a scale must be at most 100 pixels" });

export const featureSelectionSchema = z
  .object({
    features: z.array(featureIdSchema).min(1, { error: "select at least one feature" }),
    scales: z
      .array(scaleSchema)
      .min(1, { error: "select at least one scale" })
      .refine((s) => new Set(s).size === s.length, { error: "scales must be distinct" }),
    in2d: z.boolean(),
    /** Scales computed in 2D although `in2d` is false (ilastik's per-scale "in 2D"); each must be selected. */
    in2dScales: z.array(scaleSchema).max(100).optional(),
  })
  .refine((s) => (s.in2dScales ?? []).every((x) => s.scales.includes(x)), {
    error: "every 2D scale must be one of the selected scales",
    path: ["in2dScales"],
  });
export type FeatureSelectionInput = z.infer<typeof featureSelectionSchema>;

/** Parses the command-line / form spelling: "all" or "GS,LoG" (ilastik operator names also accepted). */
export function parseFeatureList(text: string | undefined): FeatureSelectionInput["features"] {
  if (text === undefined || text.trim() === "" || text.trim() === "all") return [...FEATURE_IDS];
  return text.split(",").map((s) => parseFeatureId(s.trim()));
}

/** Parses "0.3,0.7,1.0"; undefined gives ilastik's defaults. */
export function parseScaleList(text: string | undefined): number[] {
  if (text === undefined || text.trim() === "") return [...DEFAULT_SCALES];
  return text.split(",").map((s) => {
    const v = Number(s.trim());
    if (s.trim() === "" || Number.isNaN(v)) throw new Error(`invalid scale "${s.trim()}" in "${text}"`);
    return v;
  });
}
