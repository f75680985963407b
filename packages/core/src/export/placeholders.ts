// Export sources and output filename formats with ilastik's placeholders.
//
// A filename format is a path with `{name}` placeholders, as in ilastik's "--output_filename_format"
// (Python str.format syntax, the subset that makes sense for paths):
// - {dataset_dir}: the folder of the input image; {nickname}: the input's file name without its last
//   extension (ilastik's `PathComponents.fileNameBase`; "cells.ome.tif" → "cells.ome"), for an HDF5 input
//   "f.h5/volume/data" the file "f" (the internal path is dropped), "*" removed as ilastik does;
// - {result_type}: ilastik's name of the export source — "Probabilities", "Simple Segmentation",
//   "Uncertainty", "Features", "Labels" (PixelClassificationWorkflow.EXPORT_NAMES; spaces kept, as ilastik
//   writes "cells_Simple Segmentation.h5");
// - {slice_index}: the index of a slice in a sequence export (only there, and required there), counted in
//   the input image's coordinates (a cutout starting at z=10 starts at 10, like ilastik's SliceIndexOffset)
//   and zero-padded to ceil(log10(last index + 2)) digits unless a width is given ("{slice_index:04}");
// - {t_start}, {t_stop}, {z_start}, … {c_stop}: the exported region (after a cutout) in input coordinates,
//   for the axes the exported volume has (ilastik's roi keys).
// "{{" and "}}" stand for literal braces. Integer placeholders take a Python-style width: {x_start:05} or
// {x_start:5d}. An unknown placeholder, an unclosed brace or another format spec is an ExportError that
// names it and lists the known ones.

import { ExportError } from "./errors.js";

/** The results Pixel Classification exports (`--source`). */
export const EXPORT_SOURCES = [
  "probabilities",
  "simple-segmentation",
  "uncertainty",
  "features",
  "labels",
] as const;
export type ExportSource = (typeof EXPORT_SOURCES)[number];

/** ilastik's names of the export sources, used for {result_type} (PixelClassificationWorkflow.EXPORT_NAMES). */
export const RESULT_TYPES: Readonly<Record<ExportSource, string>> = {
  probabilities: "Probabilities",
  "simple-segmentation": "Simple Segmentation",
  uncertainty: "Uncertainty",
  features: "Features",
  labels: "Labels",
};

/** Parses a `--source` value: "simple-segmentation", or ilastik's name in any case ("Simple Segmentation"). */
export function parseExportSource(s: string): ExportSource {
  const key = s
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, "-");
  if ((EXPORT_SOURCES as readonly string[]).includes(key)) return key as ExportSource;
  throw new ExportError(
    `unknown export source "${s}"; choose one of ${EXPORT_SOURCES.join(", ")} (or ilastik's names: ${Object.values(RESULT_TYPES).join(", ")})`,
  );
}

/** ilastik's default output filename format ("{dataset_dir}/{nickname}_{result_type}", then the extension). */
export const DEFAULT_FILENAME_FORMAT = "{dataset_dir}/{nickname}_{result_type}";
/** The default for sequence formats, which need {slice_index}. */
export const DEFAULT_SEQUENCE_FILENAME_FORMAT = "{dataset_dir}/{nickname}_{result_type}_{slice_index}";

/** The HDF5 file part of "FILE.h5/internal/path" (the furthest of the first ".h5/", ".hdf5/", ".ilp/"). */
function hdf5FilePart(spec: string): string {
  const cuts = [".h5/", ".hdf5/", ".ilp/"]
    .filter((m) => spec.includes(m))
    .map((m) => spec.indexOf(m) + m.length - 1);
  return cuts.length === 0 ? spec : spec.slice(0, Math.max(...cuts));
}

/**
 * {dataset_dir} and {nickname} of an input image path or spec (a file, "FILE.h5/internal/path" or a folder).
 * Pass an absolute path to get an absolute {dataset_dir}, as ilastik does; a bare file name gives ".".
 * For a list of files, pass the first one.
 */
export function datasetPlaceholders(image: string): { dataset_dir: string; nickname: string } {
  let file = hdf5FilePart(image);
  while (file.length > 1 && file.endsWith("/")) file = file.slice(0, -1);
  const slash = file.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
  const name = file.slice(slash + 1);
  const dot = name.lastIndexOf(".");
  const base = dot > 0 ? name.slice(0, dot) : name;
  return { dataset_dir: dir, nickname: base.replaceAll("*", "") };
}

export type PlaceholderValues = Readonly<Record<string, string | number>>;

export interface ExpandOptions {
  /** Placeholders to leave in place (spec included) for a later expansion, e.g. ["slice_index"]. */
  readonly keep?: readonly string[];
  /** Default zero-padded width of integer placeholders given without a width. */
  readonly widths?: Readonly<Record<string, number>>;
  /** Placeholders that exist but are not available here, with the reason (for a precise message). */
  readonly unavailable?: Readonly<Record<string, string>>;
  /** What the format is, for messages (default "filename format"). */
  readonly what?: string;
}

function formatValue(name: string, value: string | number, spec: string, width: number | undefined): string {
  if (spec === "") {
    if (typeof value === "number" && width !== undefined) return String(value).padStart(width, "0");
    return String(value);
  }
  const m = /^(0?)(\d*)d?$/.exec(spec);
  if (!m || typeof value !== "number" || !Number.isInteger(value))
    throw new ExportError(
      `placeholder {${name}:${spec}}: unsupported format "${spec}" (integer placeholders take a width such as {${name}:04})`,
    );
  const digits = String(Math.abs(value));
  const w = m[2] === "" ? 0 : Number(m[2]);
  const sign = value < 0 ? "-" : "";
  if (m[1] === "0") return sign + digits.padStart(Math.max(0, w - sign.length), "0");
  return (sign + digits).padStart(w, " ");
}

/** The placeholder names (without spec) used in `format`, in order of appearance. */
export function placeholderNames(format: string): string[] {
  const names: string[] = [];
  expandPlaceholders(format, {}, { keep: undefined, collect: names });
  return names;
}

/**
 * `format` with every {name} replaced by `values[name]` (see the syntax above). Unknown names are an
 * ExportError listing the known ones.
 */
export function expandPlaceholders(
  format: string,
  values: PlaceholderValues,
  options: ExpandOptions & { collect?: string[] } = {},
): string {
  const what = options.what ?? "filename format";
  const keep = new Set(options.keep ?? []);
  let out = "";
  let i = 0;
  while (i < format.length) {
    const ch = format[i];
    if (ch === "}") {
      if (format[i + 1] === "}") {
        out += "}";
        i += 2;
        continue;
      }
      throw new ExportError(
        `${what} "${format}": single "}" at position ${i} (write "}}" for a literal brace)`,
      );
    }
    if (ch !== "{") {
      out += ch;
      i++;
      continue;
    }
    if (format[i + 1] === "{") {
      out += "{";
      i += 2;
      continue;
    }
    const close = format.indexOf("}", i + 1);
    if (close < 0)
      throw new ExportError(
        `${what} "${format}": "{" at position ${i} is never closed (write "{{" for a literal brace)`,
      );
    const field = format.slice(i + 1, close);
    const colon = field.indexOf(":");
    const name = (colon < 0 ? field : field.slice(0, colon)).trim();
    const spec = colon < 0 ? "" : field.slice(colon + 1);
    if (name.includes("{"))
      throw new ExportError(`${what} "${format}": "{" inside the placeholder at position ${i}`);
    if (options.collect) {
      options.collect.push(name);
      out += format.slice(i, close + 1);
    } else if (keep.has(name)) out += format.slice(i, close + 1);
    else if (Object.hasOwn(values, name))
      out += formatValue(name, values[name], spec, options.widths?.[name]);
    else if (options.unavailable && Object.hasOwn(options.unavailable, name))
      throw new ExportError(`${what} "${format}": {${name}} ${options.unavailable[name]}`);
    else {
      const known = [...new Set([...Object.keys(values), ...keep])].map((k) => `{${k}}`);
      throw new ExportError(
        `${what} "${format}": unknown placeholder {${name}}${known.length > 0 ? `; known placeholders: ${known.join(", ")}` : ""}`,
      );
    }
    i = close + 1;
  }
  return out;
}
