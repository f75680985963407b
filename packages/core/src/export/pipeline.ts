// The prediction export pipeline, as ilastik's OpFormattedDataExport runs it:
//
//   result volume (axes ⊆ t, z, y, x, c in that order, y and x present)
//     → cutout (a sub-box, validated)
//     → renormalize [inMin, inMax] → [outMin, outMax] (float64) and convert to the export dtype
//       (rounded half to even and clipped for integer dtypes; see dtype.ts, renormalize.ts)
//     → encode as the export format, files named by the filename format (formats.ts, placeholders.ts).
//
// Defaults follow ilastik: format hdf5, internal path "exported_data", dtype = the result's own dtype
// (float32 for probabilities), axes as the result has them (channels last), filename format
// "{dataset_dir}/{nickname}_{result_type}" ("…_{slice_index}" for sequences), source "probabilities".
// Every option is checked before any pixel is touched, so a bad flag fails fast with an ExportError.

import type { DType } from "../array/dtype.js";
import { DTYPES, dtypeOf, isDType } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { AXES, checkVolume } from "../array/volume.js";
import type { CutoutBox, CutoutSpec } from "./cutout.js";
import { applyCutout, parseCutout, resolveCutout } from "./cutout.js";
import type { Rounding } from "./dtype.js";
import { convertDType, ROUNDINGS, valueConverter } from "./dtype.js";
import { ExportError } from "./errors.js";
import type { ExportFile, ExportFormat } from "./formats.js";
import { encodeExport, isSequenceFormat, parseExportFormat, sequenceAxis } from "./formats.js";
import type { ExportSource, PlaceholderValues } from "./placeholders.js";
import {
  DEFAULT_FILENAME_FORMAT,
  DEFAULT_SEQUENCE_FILENAME_FORMAT,
  datasetPlaceholders,
  parseExportSource,
  placeholderNames,
  RESULT_TYPES,
} from "./placeholders.js";
import type { RenormalizeRange } from "./renormalize.js";
import { checkRenormalizeRange, parseRenormalize, renormalize } from "./renormalize.js";

export interface ExportOptions {
  /** `--format`: a format or ilastik's name for it (default "hdf5"). */
  readonly format?: ExportFormat | string;
  /** `--dtype` (default: the result's dtype, as in ilastik). */
  readonly dtype?: DType | string;
  /** `--renormalize`: the range, or its "IN_MIN,IN_MAX,OUT_MIN,OUT_MAX" text. */
  readonly renormalize?: RenormalizeRange | string;
  /** How floats become integers (default "half-even"; "truncate" reproduces ilastik's cast). */
  readonly rounding?: Rounding;
  /** `--cutout`: a parsed spec or its text ("x=10:200,y=0:128"). */
  readonly cutout?: CutoutSpec | string;
  /** `--output-filename-format` (default "{dataset_dir}/{nickname}_{result_type}", plus "_{slice_index}" for sequences). */
  readonly filenameFormat?: string;
  /** `--internal-path`: the HDF5 dataset (default "exported_data"). */
  readonly internalPath?: string;
  /** Sequences: the axis to step along (default: the first of t, z with more than one entry). */
  readonly sliceAxis?: "t" | "z";
  /** The input image's path or spec, for {dataset_dir} and {nickname} (pass it absolute for an absolute dir). */
  readonly image?: string;
  /** `--source` (default "probabilities"), for {result_type}. */
  readonly source?: ExportSource | string;
  /** Extra placeholder values, or overrides of the derived ones ({nickname}: "cells"). */
  readonly placeholders?: PlaceholderValues;
}

/** Every option parsed and defaulted. */
export interface ResolvedExportOptions {
  readonly format: ExportFormat;
  readonly dtype: DType | undefined;
  readonly renormalize: RenormalizeRange | undefined;
  readonly rounding: Rounding;
  readonly cutout: CutoutSpec;
  readonly filenameFormat: string;
  readonly internalPath: string;
  readonly sliceAxis: "t" | "z" | undefined;
  readonly source: ExportSource;
  readonly placeholders: PlaceholderValues;
}

export interface ExportResult {
  /** The files to write (names relative to the caller's base folder unless absolute), in slice order. */
  readonly files: ExportFile[];
  /** The exported volume: after cutout, renormalization and dtype conversion. */
  readonly volume: Volume;
  /** The cutout box in the input's coordinates (the full extent when no cutout was asked for). */
  readonly box: CutoutBox;
  readonly options: ResolvedExportOptions;
}

/** Parses and checks the options (no pixel work): what `exportVolume` will do. */
export function resolveExportOptions(options: ExportOptions = {}): ResolvedExportOptions {
  const format = parseExportFormat(options.format ?? "hdf5");
  let dtype: DType | undefined;
  if (options.dtype !== undefined) {
    const d = options.dtype.trim().toLowerCase();
    if (!isDType(d))
      throw new ExportError(`unknown export dtype "${options.dtype}"; choose one of ${DTYPES.join(", ")}`);
    dtype = d;
  }
  let range: RenormalizeRange | undefined;
  if (options.renormalize !== undefined) {
    range =
      typeof options.renormalize === "string" ? parseRenormalize(options.renormalize) : options.renormalize;
    checkRenormalizeRange(range);
  }
  const rounding = options.rounding ?? "half-even";
  if (!ROUNDINGS.includes(rounding))
    throw new ExportError(`unknown rounding "${rounding}"; choose one of ${ROUNDINGS.join(", ")}`);
  const cutout = typeof options.cutout === "string" ? parseCutout(options.cutout) : (options.cutout ?? {});
  const source = parseExportSource(options.source ?? "probabilities");
  const filenameFormat =
    options.filenameFormat ??
    (isSequenceFormat(format) ? DEFAULT_SEQUENCE_FILENAME_FORMAT : DEFAULT_FILENAME_FORMAT);
  if (filenameFormat.trim() === "") throw new ExportError("the output filename format is empty");
  const derived: Record<string, string | number> = { result_type: RESULT_TYPES[source] };
  if (options.image !== undefined) Object.assign(derived, datasetPlaceholders(options.image));
  const placeholders = { ...derived, ...options.placeholders };
  for (const name of placeholderNames(filenameFormat))
    if ((name === "dataset_dir" || name === "nickname") && !Object.hasOwn(placeholders, name))
      throw new ExportError(
        `the filename format "${filenameFormat}" uses {${name}}, which comes from the input image's path; none was given`,
      );
  const internalPath = options.internalPath ?? "exported_data";
  if (format === "hdf5" && internalPath.split("/").filter((p) => p.trim() !== "").length === 0)
    throw new ExportError(`the HDF5 internal path must name a dataset, got "${internalPath}"`);
  if (options.sliceAxis !== undefined && options.sliceAxis !== "t" && options.sliceAxis !== "z")
    throw new ExportError(`the sequence slice axis must be t or z, got "${String(options.sliceAxis)}"`);
  return {
    format,
    dtype,
    renormalize: range,
    rounding,
    cutout,
    filenameFormat,
    internalPath,
    sliceAxis: options.sliceAxis,
    source,
    placeholders,
  };
}

function checkResultAxes(v: Volume): void {
  checkVolume(v, "export result");
  const order = [...v.axes].map((a) => AXES.indexOf(a as (typeof AXES)[number]));
  if (!v.axes.includes("y") || !v.axes.includes("x") || order.some((k, i) => i > 0 && order[i - 1] >= k))
    throw new ExportError(
      `an export result needs axes in t, z, y, x, c order with y and x present, got "${v.axes}"`,
    );
}

/**
 * Runs the export pipeline on a result volume (probabilities, segmentation, uncertainty or features, axes
 * ⊆ "tzyxc" in that order) and returns the files to write with `writeExportFiles` (apps/compute).
 */
export async function exportVolume(volume: Volume, options: ExportOptions = {}): Promise<ExportResult> {
  checkResultAxes(volume);
  const resolved = resolveExportOptions(options);
  // Validate the cutout against the shape before any work.
  resolveCutout(resolved.cutout, volume.axes, volume.shape);
  const { volume: cut, box } = applyCutout(volume, resolved.cutout);
  const dtype = resolved.dtype ?? dtypeOf(volume.data);
  const data = resolved.renormalize
    ? renormalize(cut.data, resolved.renormalize, { dtype, rounding: resolved.rounding })
    : convertDType(cut.data, dtype, { rounding: resolved.rounding });
  const result: Volume = { data, shape: cut.shape, axes: cut.axes };

  const placeholders: Record<string, string | number> = {};
  for (const [axis, [start, stop]] of Object.entries(box)) {
    placeholders[`${axis}_start`] = start;
    placeholders[`${axis}_stop`] = stop;
  }
  Object.assign(placeholders, resolved.placeholders);
  const hdf5Attributes: Record<string, readonly number[]> = {};
  if (resolved.renormalize) {
    // ilastik records the exported data range as "drange" (in the export dtype) when it renormalizes.
    const convert = valueConverter(dtype, resolved.rounding);
    hdf5Attributes.drange = [convert(resolved.renormalize.outMin), convert(resolved.renormalize.outMax)];
  }
  // Slices are numbered in the input's coordinates: a cutout from z=10 starts at {slice_index} 10.
  const sliceAxis = isSequenceFormat(resolved.format) ? sequenceAxis(result, resolved.sliceAxis) : undefined;
  const { files } = await encodeExport(result, {
    format: resolved.format,
    internalPath: resolved.internalPath,
    sliceAxis,
    sliceIndexOffset: sliceAxis === undefined ? 0 : (box[sliceAxis]?.[0] ?? 0),
    filename: resolved.filenameFormat,
    placeholders,
    hdf5Attributes,
  });
  return { files, volume: result, box, options: resolved };
}
