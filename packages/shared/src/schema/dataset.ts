// Datasets (zod): the id, name and manifest of an imported volume, and the options of an import. The
// manifest is what the catalog publishes once every chunk of the OME-Zarr is written; its presence is
// what makes a dataset exist.

import { DTYPES, NGFF_AXIS_ORDER, NGFF_VERSION } from "@sylva/core";
import { z } from "zod";
import { prefixedIdSchema, randomId } from "./ids.js";

/** "ds_" + 12 characters of an unambiguous lower-case alphabet (no 0/o, 1/l). */
export const datasetIdSchema = prefixedIdSchema<"DatasetId">("ds", "a dataset id");
export type DatasetId = z.infer<typeof datasetIdSchema>;

export function isDatasetId(s: string): s is DatasetId {
  return datasetIdSchema.safeParse(s).success;
}

/** A fresh random dataset id. */
export function newDatasetId(): DatasetId {
  return datasetIdSchema.parse(randomId("ds"));
}

/** A display name: 1–200 characters, no slashes or control characters (names are never paths). */
export const datasetNameSchema = z
  .string()
  .trim()
  .min(1, "dataset name is empty")
  .max(200, "dataset name is longer than 200 characters")
  .refine((s) => !/[/\\]/.test(s), "dataset name may not contain / or \\ (it is a name, not a path)")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "dataset name may not contain control characters");

/** Axis letters of a stored dataset, in NGFF order (a subsequence of "tczyx" that includes y and x). */
export const datasetAxesSchema = z.string().refine(
  (s) =>
    s.includes("y") &&
    s.includes("x") &&
    NGFF_AXIS_ORDER.split("")
      .filter((a) => s.includes(a))
      .join("") === s,
  "axes must be a subsequence of t, c, z, y, x that includes y and x",
);

const positiveInt = z.number().int().positive();

export const datasetLevelSchema = z.object({
  path: z.string().regex(/^\d+$/),
  shape: z.array(positiveInt),
  chunks: z.array(positiveInt),
  scale: z.array(z.number().positive()),
});

export const voxelSizeSchema = z.object({
  axis: z.enum(["t", "z", "y", "x"]),
  size: z.number().positive(),
  unit: z.string().max(40).optional(),
});

export const datasetManifestSchema = z.object({
  id: datasetIdSchema,
  name: datasetNameSchema,
  axes: datasetAxesSchema,
  shape: z.array(positiveInt),
  dtype: z.enum(DTYPES),
  format: z.object({ ngff: z.literal(NGFF_VERSION), zarr: z.literal(2) }),
  /** Key prefix of the OME-Zarr root in the store, e.g. "datasets/ds_…/". */
  prefix: z.string(),
  levels: z.array(datasetLevelSchema).min(1),
  voxelSizes: z.array(voxelSizeSchema).optional(),
  /** Display names of the imported files, in stacking order (at most the first 1000). */
  sources: z.array(z.string()).max(1000),
  /** Axes of the source as read (after any user override), for the record. */
  sourceAxes: z.string(),
  createdAt: z.iso.datetime(),
  createdBy: z.string().optional(),
});
export type DatasetManifest = z.infer<typeof datasetManifestSchema>;

export const stackAlongSchema = z.enum(["z", "t", "c"]);
export type StackAlong = z.infer<typeof stackAlongSchema>;

/** Options of an import, as the CLI and the upload dialog give them. */
export const importOptionsSchema = z.object({
  name: datasetNameSchema,
  /** The source's axes in its own order, overriding the guess (e.g. "zyx" for a guessed "tyx"). */
  axes: z
    .string()
    .regex(/^[tzyxc]{2,5}$/, "axes are 2 to 5 letters from t, z, y, x, c (e.g. zyx)")
    .optional(),
  stackAlong: stackAlongSchema.default("z"),
});
export type ImportOptions = z.input<typeof importOptionsSchema>;
