// Export requests (zod): what the Prediction Export panel sends and an export job records — ilastik's
// export options (source, cutout, dtype, renormalization, format, filename pattern) plus OME-Zarr, which
// the service writes as a new dataset of the project. Sources, formats and dtypes come from @sylva/core,
// their one source of truth; presets include the ilastik tutorial's recipe for Fiji.

import { DTYPES, EXPORT_FORMATS, EXPORT_SOURCES } from "@sylva/core";
import { z } from "zod";
import { datasetIdSchema } from "./dataset.js";

/** Every format the service writes: ilastik's file formats, and an OME-Zarr dataset in the store. */
export const SERVICE_EXPORT_FORMATS = [...EXPORT_FORMATS, "ome-zarr"] as const;
export type ServiceExportFormat = (typeof SERVICE_EXPORT_FORMATS)[number];

const bound = z.number().int().min(0).max(1e7);
const range = z.object({ start: bound.optional(), stop: bound.optional() });
const finite = z.number().finite();

export const exportParamsSchema = z.object({
  datasetId: datasetIdSchema,
  source: z.enum(EXPORT_SOURCES),
  format: z.enum(SERVICE_EXPORT_FORMATS).default("ome-zarr"),
  /** Convert to this type (default: the result's own). */
  dtype: z.enum(DTYPES).optional(),
  /** Map [inMin, inMax] linearly onto [outMin, outMax] before converting. */
  renormalize: z
    .object({ inMin: finite, inMax: finite, outMin: finite, outMax: finite })
    .refine((r) => r.inMax !== r.inMin, "the input range of renormalize is empty")
    .optional(),
  /** Per axis [start, stop) in level-0 voxels; axes left out are exported whole. */
  cutout: z.object({ t: range, z: range, y: range, x: range, c: range }).partial().optional(),
  /** ilastik's filename placeholders ({nickname}, {result_type}, {slice_index}) for file formats. */
  filenameFormat: z.string().min(1).max(500).optional(),
});
export type ExportParams = z.infer<typeof exportParamsSchema>;
export type ExportParamsInput = z.input<typeof exportParamsSchema>;

export interface ExportPreset {
  readonly id: string;
  readonly label: string;
  readonly params: Omit<ExportParamsInput, "datasetId">;
}

export const EXPORT_PRESETS: readonly ExportPreset[] = [
  {
    id: "fiji",
    label: "Fiji: 8-bit TIFF slices of the probabilities (0–1 → 0–255)",
    params: {
      source: "probabilities",
      format: "tiff-sequence",
      dtype: "uint8",
      renormalize: { inMin: 0, inMax: 1, outMin: 0, outMax: 255 },
    },
  },
  {
    id: "ome-zarr",
    label: "OME-Zarr dataset of the probabilities",
    params: { source: "probabilities", format: "ome-zarr" },
  },
  {
    id: "segmentation",
    label: "Simple segmentation as a multipage TIFF",
    params: { source: "simple-segmentation", format: "multipage-tiff" },
  },
];
