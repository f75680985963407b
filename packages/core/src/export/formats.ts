// Export file formats (ilastik's "Output File Info → Format"): a volume in, named files out, with the
// existing codecs (encodeTiff, encodePng, writeHdf5, encodeNpy).
//
// - hdf5 (".h5"): one dataset at `internalPath` (default "exported_data"), the volume's shape and axis
//   order as is, with ilastik's `axistags` attribute (vigra JSON: {"axes": [{"key", "typeFlags",
//   "resolution", "description"}]}) so ilastik, Fiji's ilastik plugin and Sylva read the axes back.
// - npy (".npy"): the array as is (npy stores no axes).
// - tiff (".tiff"): one 2D image, "yx" or "yxc" (any number of channels, as extra samples). Singleton t and
//   z axes are dropped; a result with more than one t or z is an ExportError pointing to multipage-tiff and
//   the sequences.
// - multipage-tiff (".tiff"): one page per z (or per t when the result has no z to speak of); singleton t/z
//   are dropped; a result with both t > 1 and z > 1 is an ExportError (use tiff-sequence: one multipage
//   file per time point, or hdf5).
// - tiff-sequence / png-sequence (".tiff" / ".png"): one file per slice along the slice axis: `sliceAxis`,
//   or by default the first of t, z (in the volume's order) with more than one entry, as ilastik's
//   OpStackWriter steps along the first non-singleton axis; a 2D result gives one file. Each file holds
//   what is left: "yx"/"yxc", or for tiff-sequence over t of a 3D volume a multipage "zyx(c)" TIFF
//   (ilastik's "multipage tiff sequence"). PNG holds uint8 or uint16 with 1 to 4 channels (gray, gray +
//   alpha, RGB, RGBA); anything else is an ExportError that says which --dtype or format to use.
//
// File names come from a filename format (see placeholders.ts) expanded once per file; sequences need
// {slice_index}, numbered from `sliceIndexOffset` (the cutout start) and zero-padded to the number of digits
// of offset + slice count (ilastik's ceil(log10(max + 1)): 10 slices → "00".."09", 9 slices → "0".."8").
// The format's extension is added unless the name already ends with one that fits the format (".tif" or
// ".tiff" for TIFF, ".h5"/".hdf5" for HDF5); an extension of another export format is replaced (ilastik
// replaces any extension; Sylva only replaces known ones, so "cells.v2_Probabilities" keeps its dot).

import { dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { checkVolume } from "../array/volume.js";
import { writeHdf5 } from "../io/hdf5.js";
import { encodeNpy } from "../io/npy.js";
import { encodePng } from "../io/png.js";
import { encodeTiff } from "../io/tiff.js";
import { extractBox } from "./cutout.js";
import { ExportError } from "./errors.js";
import type { PlaceholderValues } from "./placeholders.js";
import { expandPlaceholders, placeholderNames } from "./placeholders.js";

export const EXPORT_FORMATS = [
  "hdf5",
  "tiff",
  "multipage-tiff",
  "tiff-sequence",
  "png-sequence",
  "npy",
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The extension each format adds (without the dot). */
export const FORMAT_EXTENSIONS: Readonly<Record<ExportFormat, string>> = {
  hdf5: "h5",
  tiff: "tiff",
  "multipage-tiff": "tiff",
  "tiff-sequence": "tiff",
  "png-sequence": "png",
  npy: "npy",
};

/** Extensions a name may already end with and keep, per format. */
const ACCEPTED_EXTENSIONS: Readonly<Record<ExportFormat, readonly string[]>> = {
  hdf5: ["h5", "hdf5", "hdf"],
  tiff: ["tiff", "tif"],
  "multipage-tiff": ["tiff", "tif"],
  "tiff-sequence": ["tiff", "tif"],
  "png-sequence": ["png"],
  npy: ["npy"],
};
const KNOWN_EXTENSIONS = new Set(Object.values(ACCEPTED_EXTENSIONS).flat());

const FORMAT_ALIASES: Readonly<Record<string, ExportFormat>> = {
  hdf5: "hdf5",
  h5: "hdf5",
  tiff: "tiff",
  tif: "tiff",
  "multipage-tiff": "multipage-tiff",
  "tiff-sequence": "tiff-sequence",
  "tif-sequence": "tiff-sequence",
  "png-sequence": "png-sequence",
  npy: "npy",
  numpy: "npy",
};

/** Parses a `--format` value: Sylva's names, or ilastik's ("multipage tiff", "tif sequence", "numpy"). */
export function parseExportFormat(s: string): ExportFormat {
  const key = s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-");
  const format = FORMAT_ALIASES[key];
  if (format === undefined)
    throw new ExportError(`unknown export format "${s}"; choose one of ${EXPORT_FORMATS.join(", ")}`);
  return format;
}

export function isSequenceFormat(format: ExportFormat): boolean {
  return format === "tiff-sequence" || format === "png-sequence";
}

/** vigra's typeFlags per axis key: Channels 1, Space 2, Time 8. */
const TYPE_FLAGS: Readonly<Record<string, number>> = { c: 1, x: 2, y: 2, z: 2, t: 8 };

/** ilastik's (vigra's) `axistags` JSON for axes such as "tyxc". */
export function axistagsJson(axes: string): string {
  return JSON.stringify(
    {
      axes: [...axes].map((key) => ({
        key,
        typeFlags: TYPE_FLAGS[key] ?? 32,
        resolution: 0,
        description: "",
      })),
    },
    null,
    2,
  );
}

export interface ExportFile {
  /** The file's path, relative to the export's base folder or absolute, with its extension. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface EncodeExportOptions {
  readonly format: ExportFormat;
  /** HDF5 dataset path (default "exported_data"). */
  readonly internalPath?: string;
  /** Sequences: the axis to step along (default: the first of t, z with more than one entry). */
  readonly sliceAxis?: "t" | "z";
  /** Sequences: added to each slice's index in its name (the cutout's start on the slice axis). */
  readonly sliceIndexOffset?: number;
  /** The filename format (placeholders.ts); default "export", or "export_{slice_index}" for sequences. */
  readonly filename?: string;
  /** Values of the filename format's placeholders ({slice_index} is filled in here). */
  readonly placeholders?: PlaceholderValues;
  /** Extra HDF5 dataset attributes (e.g. ilastik's "drange"). */
  readonly hdf5Attributes?: Readonly<Record<string, string | number | readonly number[]>>;
}

function describe(v: Volume): string {
  return `axes "${v.axes}", shape [${v.shape.join(", ")}]`;
}

/** `v` without the named axes, which must have size 1 (same data). */
function dropAxes(v: Volume, drop: readonly string[]): Volume {
  const keep = [...v.axes].map((a, i) => !drop.includes(a) || v.shape[i] !== 1);
  return {
    data: v.data,
    shape: v.shape.filter((_, i) => keep[i]),
    axes: [...v.axes].filter((_, i) => keep[i]).join(""),
  };
}

/** `v` with singleton t and z dropped. */
function squeezeTZ(v: Volume): Volume {
  return dropAxes(v, ["t", "z"]);
}

/** The size of `axis` in `v` (1 when absent). */
function sizeOf(v: Volume, axis: string): number {
  const i = v.axes.indexOf(axis);
  return i < 0 ? 1 : v.shape[i];
}

/** A "tyx(c)" volume relabelled "zyx(c)" for the TIFF encoder (pages along t). */
function asPages(v: Volume): Volume {
  return v.axes.startsWith("t") ? { ...v, axes: `z${v.axes.slice(1)}` } : v;
}

function checkPng(v: Volume, what: string): void {
  const dtype = dtypeOf(v.data);
  if (dtype !== "uint8" && dtype !== "uint16")
    throw new ExportError(
      `png-sequence holds uint8 or uint16 pixels, but ${what} is ${dtype}; add --dtype uint8 (for probabilities in 0..1 with --renormalize 0,1,0,255) or --dtype uint16, or use tiff-sequence, which keeps ${dtype}`,
    );
  const channels = v.axes.endsWith("c") ? v.shape[v.shape.length - 1] : 1;
  if (channels > 4)
    throw new ExportError(
      `png-sequence holds 1 to 4 channels (gray, gray+alpha, RGB, RGBA), but ${what} has ${channels}; use tiff-sequence, or a cutout such as --cutout c=0:1`,
    );
}

/** The file name `name` with the format's extension (kept when it already fits, else added or replaced). */
export function withExtension(name: string, format: ExportFormat): string {
  const slash = name.lastIndexOf("/");
  const dot = name.lastIndexOf(".");
  if (dot > slash + 1) {
    const ext = name.slice(dot + 1).toLowerCase();
    if (ACCEPTED_EXTENSIONS[format].includes(ext)) return name;
    if (KNOWN_EXTENSIONS.has(ext)) return `${name.slice(0, dot)}.${FORMAT_EXTENSIONS[format]}`;
  }
  return `${name}.${FORMAT_EXTENSIONS[format]}`;
}

/** Which axis a sequence steps along (undefined: a single 2D slice). */
export function sequenceAxis(v: Volume, requested?: "t" | "z"): "t" | "z" | undefined {
  if (requested !== undefined) {
    if (requested !== "t" && requested !== "z")
      throw new ExportError(`sequence slice axis must be "t" or "z", got "${String(requested)}"`);
    if (!v.axes.includes(requested))
      throw new ExportError(
        `cannot slice the sequence along ${requested}: the result has no ${requested} axis (${describe(v)})`,
      );
    return requested;
  }
  const candidates = [...v.axes].filter((a): a is "t" | "z" => a === "t" || a === "z");
  return candidates.find((a) => sizeOf(v, a) > 1) ?? candidates[0];
}

/** Encodes `volume` as the files of `options.format` (see the top of this file). */
export async function encodeExport(
  volume: Volume,
  options: EncodeExportOptions,
): Promise<{ files: ExportFile[] }> {
  checkVolume(volume, "export");
  const { format } = options;
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new ExportError(`unknown export format "${format}"; choose one of ${EXPORT_FORMATS.join(", ")}`);
  const sequence = isSequenceFormat(format);
  const filename = options.filename ?? (sequence ? "export_{slice_index}" : "export");
  const values = options.placeholders ?? {};
  const names = placeholderNames(filename);
  if (sequence && !names.includes("slice_index"))
    throw new ExportError(
      `${format} writes one file per slice, so the filename format needs {slice_index}; got "${filename}" (e.g. "${filename}_{slice_index}")`,
    );
  const unavailable = {
    slice_index: `only exists for the sequence formats (tiff-sequence, png-sequence), not for ${format}`,
  };
  const single = (): string => withExtension(expandPlaceholders(filename, values, { unavailable }), format);

  switch (format) {
    case "hdf5": {
      const internalPath = (options.internalPath ?? "exported_data").trim();
      if (internalPath.split("/").filter(Boolean).length === 0)
        throw new ExportError(`the HDF5 internal path must name a dataset, got "${options.internalPath}"`);
      const bytes = await writeHdf5([
        {
          path: internalPath,
          data: volume.data,
          shape: volume.shape,
          attributes: { axistags: axistagsJson(volume.axes), ...options.hdf5Attributes },
        },
      ]);
      return { files: [{ name: single(), bytes }] };
    }
    case "npy":
      return { files: [{ name: single(), bytes: encodeNpy(volume) }] };
    case "tiff": {
      const v = squeezeTZ(volume);
      for (const axis of ["t", "z"])
        if (v.axes.includes(axis))
          throw new ExportError(
            `tiff holds one 2D image, but the result has ${sizeOf(v, axis)} ${axis === "t" ? "time points" : "z slices"} (${describe(volume)}); use --format multipage-tiff (one page per ${axis}) or tiff-sequence (one file per ${axis}), or a cutout such as --cutout ${axis}=0:1`,
          );
      return { files: [{ name: single(), bytes: encodeTiff(v) }] };
    }
    case "multipage-tiff": {
      const v = squeezeTZ(volume);
      if (v.axes.includes("t") && v.axes.includes("z"))
        throw new ExportError(
          `multipage-tiff holds one 3D stack, but the result has ${sizeOf(v, "t")} time points of ${sizeOf(v, "z")} z slices (${describe(volume)}); use tiff-sequence (one multipage file per time point) or hdf5`,
        );
      return { files: [{ name: single(), bytes: encodeTiff(asPages(v)) }] };
    }
    case "tiff-sequence":
    case "png-sequence": {
      const axis = sequenceAxis(volume, options.sliceAxis);
      const count = axis === undefined ? 1 : sizeOf(volume, axis);
      const offset = options.sliceIndexOffset ?? 0;
      if (!Number.isInteger(offset) || offset < 0)
        throw new ExportError(`slice index offset must be a whole number ≥ 0, got ${offset}`);
      const width = String(offset + count).length;
      // Check the whole result before encoding anything: a bad dtype or layout fails at once.
      const slice0 = squeezeTZ(
        axis === undefined ? volume : dropAxes(extractBox(volume, { [axis]: [0, 1] }), [axis]),
      );
      const what = `the result (${describe(volume)})`;
      if (format === "png-sequence") {
        checkPng(volume, what);
        const left = ["t", "z"].filter((a) => slice0.axes.includes(a));
        if (left.length > 0)
          throw new ExportError(
            `png-sequence writes 2D images, but each ${axis ?? "slice"} of the result still has ${left.map((a) => `${sizeOf(slice0, a)} ${a === "t" ? "time points" : "z slices"}`).join(" and ")} (${describe(volume)}); use tiff-sequence (multipage files) or pick one with --cutout`,
          );
      }
      const files: ExportFile[] = [];
      const seen = new Set<string>();
      for (let k = 0; k < count; k++) {
        const slice =
          axis === undefined
            ? squeezeTZ(volume)
            : squeezeTZ(dropAxes(extractBox(volume, { [axis]: [k, k + 1] }), [axis]));
        const name = withExtension(
          expandPlaceholders(
            filename,
            { ...values, slice_index: offset + k },
            { widths: { slice_index: width } },
          ),
          format,
        );
        if (seen.has(name))
          throw new ExportError(`the filename format "${filename}" gives two slices the same name "${name}"`);
        seen.add(name);
        const bytes = format === "png-sequence" ? encodePng(slice) : encodeTiff(asPages(slice));
        files.push({ name, bytes });
      }
      return { files };
    }
  }
}
