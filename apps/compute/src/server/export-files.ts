// An export in one of ilastik's file formats (hdf5, tiff, multipage-tiff, tiff-sequence, png-sequence,
// npy), written into the store under exports/<jobId>/ (export-manifest.ts), through core's export
// pipeline (cutout, renormalize, dtype, formats, filename placeholders) — never a copy of it:
//
// 1. Preflight: core's `exportVolume` runs on a stand-in of the result with the real t, z and channel
//    extents but one pixel in y and x, with the real cutout. Every option is checked before any pixel is
//    computed (a 3D result as "tiff", float32 as PNG, a bad placeholder), and the files it names are the
//    names of the real export, {slice_index} numbering and padding included.
// 2. The result is produced one file at a time: a slice of a sequence, a time point of a "multipage
//    TIFF per time point" sequence, or the whole cutout for single-file formats — read from the source in
//    slabs of z (predictions are computed block by block when read), in the export layout
//    (export-layout.ts), then encoded by `exportVolume`. Memory is bounded by a slab plus one file's
//    array, and a file's array may not exceed `maxFileBytes` (1 GiB): beyond that the job fails at once,
//    naming the size and what to do instead (a cutout, a sequence format, OME-Zarr).
// 3. Each file goes to the store under a numbered key with its size and CRC-32; the manifest, written
//    last, publishes them. The caller deletes the prefix when anything fails.

import type { ExportFormat, Volume, VolumeReader } from "@sylva/core";
import {
  allocate,
  bytesPerElement,
  ExportError,
  exportVolume,
  extractBox,
  isSequenceFormat,
  resolveCutout,
  sequenceAxis,
} from "@sylva/core";
import type { ExportParams } from "@sylva/shared";
import type { BlobStore } from "../storage/blob-store.js";
import { crc32 } from "./crc32.js";
import { boxRange, exportLayout, readExportSlab } from "./export-layout.js";
import {
  type ExportFileEntry,
  type ExportManifest,
  exportFileKey,
  writeExportManifest,
} from "./export-manifest.js";

/** The largest array one exported file is made from. */
export const MAX_FILE_BYTES = 1024 ** 3;
/** Source values read at once (at most 16 slices, the prediction blocks' depth). */
const SLAB_BYTES = 256 * 1024 ** 2;
const SLAB_SLICES = 16;

/** ilastik's default names without {dataset_dir}: a download has no folder of its own. */
export const SERVICE_FILENAME_FORMAT = "{nickname}_{result_type}";
export const SERVICE_SEQUENCE_FILENAME_FORMAT = "{nickname}_{result_type}_{slice_index}";

export interface FileExportOptions {
  readonly store: BlobStore;
  readonly jobId: string;
  readonly reader: VolumeReader;
  readonly params: ExportParams;
  /** {nickname}: the dataset's name. */
  readonly nickname: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
  readonly maxFileBytes?: number;
}

/** What one file is made of: time points [t0, t1) and slices [z0, z1) of the cutout. */
interface Unit {
  readonly t0: number;
  readonly t1: number;
  readonly z0: number;
  readonly z1: number;
}

/** A relative path inside the download; a name that would leave it is an ExportError. */
export function archiveName(name: string): string {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (name.startsWith("/") || parts.length === 0 || parts.includes("..") || /[\\\u0000-\u001f]/.test(name))
    throw new ExportError(
      `the filename format gives "${name}": names in an export are relative paths without "..", backslashes or control characters`,
    );
  return parts.join("/");
}

function describeBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export async function writeFileExport(o: FileExportOptions): Promise<ExportManifest> {
  const { reader, params } = o;
  if (params.format === "ome-zarr") throw new Error("internal: OME-Zarr is not a file export");
  const format: ExportFormat = params.format;
  const sequence = isSequenceFormat(format);
  const layout = exportLayout(reader);
  const box = resolveCutout(params.cutout ?? {}, layout.axes, layout.shape);
  const placeholders: Record<string, string | number> = { nickname: o.nickname, dataset_dir: "." };
  for (const [axis, [start, stop]] of Object.entries(box)) {
    placeholders[`${axis}_start`] = start;
    placeholders[`${axis}_stop`] = stop;
  }
  const common = {
    format,
    dtype: params.dtype,
    renormalize: params.renormalize,
    source: params.source,
    placeholders,
  };

  // 1. Preflight on a stand-in one pixel wide and high: validates everything and names the files.
  const standIn: Volume = {
    data: allocate(
      reader.dtype,
      layout.shape.reduce((n, s, i) => n * (layout.axes[i] === "y" || layout.axes[i] === "x" ? 1 : s), 1),
    ),
    shape: layout.shape.map((s, i) => (layout.axes[i] === "y" || layout.axes[i] === "x" ? 1 : s)),
    axes: layout.axes,
  };
  const preflight = await exportVolume(standIn, {
    ...common,
    filenameFormat:
      params.filenameFormat ?? (sequence ? SERVICE_SEQUENCE_FILENAME_FORMAT : SERVICE_FILENAME_FORMAT),
    cutout: Object.fromEntries(
      Object.entries(box)
        .filter(([a]) => a !== "y" && a !== "x")
        .map(([a, [start, stop]]) => [a, { start, stop }]),
    ),
  });
  const names = preflight.files.map((f) => archiveName(f.name));
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new ExportError(`the filename format gives two files the same name "${n}"`);
    seen.add(n);
  }
  // The axis core stepped along (sequences): the first of t, z with more than one entry.
  const sliceAxis = sequence ? sequenceAxis(preflight.volume) : undefined;

  // 2. The files' units, checked against the size limit before any work.
  const [t0, t1] = boxRange(box, "t");
  const [z0, z1] = boxRange(box, "z");
  const units: Unit[] = [];
  if (sliceAxis === "z") for (let z = z0; z < z1; z++) units.push({ t0, t1, z0: z, z1: z + 1 });
  else if (sliceAxis === "t") for (let t = t0; t < t1; t++) units.push({ t0: t, t1: t + 1, z0, z1 });
  else units.push({ t0, t1, z0, z1 });
  if (units.length !== names.length)
    throw new Error(`internal: ${units.length} files planned, the export pipeline names ${names.length}`);
  const plane = ["y", "x", "c"].reduce((n, a) => n * (boxRange(box, a)[1] - boxRange(box, a)[0]), 1);
  const unitElements = (units[0].t1 - units[0].t0) * (units[0].z1 - units[0].z0) * plane;
  const perElement = Math.max(
    bytesPerElement(reader.dtype),
    bytesPerElement(preflight.options.dtype ?? reader.dtype),
  );
  const limit = o.maxFileBytes ?? MAX_FILE_BYTES;
  if (unitElements * perElement > limit)
    throw new ExportError(
      `one ${format} file of this export would hold ${describeBytes(unitElements * perElement)} (${unitElements} values), more than the ${describeBytes(limit)} an export file may; export a cutout${sequence ? "" : ", a sequence (tiff-sequence, png-sequence)"} or OME-Zarr instead`,
    );
  const step = Math.max(
    1,
    Math.min(SLAB_SLICES, Math.floor(SLAB_BYTES / (plane * bytesPerElement(reader.dtype)))),
  );

  // Slices of a sequence come from slabs of `step` slices, read once.
  let slab: { t: number; z0: number; z1: number; volume: Volume } | undefined;
  // Progress counts slices (of all time points) read and encoded; encoding is the last 10% of a file.
  const totalSlices = (t1 - t0) * (z1 - z0);
  let slicesDone = 0;
  const progress = (extra = 0) => o.onProgress?.(Math.min(1, (slicesDone + extra) / totalSlices));
  const readUnit = async (u: Unit): Promise<Volume> => {
    if (u.t1 - u.t0 === 1 && u.z1 - u.z0 === 1) {
      if (!slab || slab.t !== u.t0 || u.z0 < slab.z0 || u.z0 >= slab.z1) {
        const end = Math.min(z1, u.z0 + step);
        slab = {
          t: u.t0,
          z0: u.z0,
          z1: end,
          volume: await readExportSlab(reader, layout, box, u.t0, u.z0, end),
        };
      }
      const at = u.z0 - slab.z0;
      return layout.axes.includes("z") ? extractBox(slab.volume, { z: [at, at + 1] }) : slab.volume;
    }
    const data = allocate(reader.dtype, unitElements);
    let offset = 0;
    for (let t = u.t0; t < u.t1; t++)
      for (let z = u.z0; z < u.z1; z += step) {
        o.signal?.throwIfAborted();
        const v = await readExportSlab(reader, layout, box, t, z, Math.min(u.z1, z + step));
        data.set(v.data, offset);
        offset += v.data.length;
        progress(0.9 * (offset / unitElements) * (u.t1 - u.t0) * (u.z1 - u.z0));
      }
    const size: Record<string, number> = { t: u.t1 - u.t0, z: u.z1 - u.z0 };
    return {
      data,
      shape: [...layout.axes].map((a) => size[a] ?? boxRange(box, a)[1] - boxRange(box, a)[0]),
      axes: layout.axes,
    };
  };

  // 3. Encode, store, publish.
  const files: ExportFileEntry[] = [];
  for (const [k, unit] of units.entries()) {
    o.signal?.throwIfAborted();
    const volume = await readUnit(unit);
    const encoded = await exportVolume(volume, {
      ...common,
      filenameFormat: sequence ? "file_{slice_index}" : "file",
      sliceAxis,
    });
    if (encoded.files.length !== 1)
      throw new Error(`internal: one file's part of the export gave ${encoded.files.length} files`);
    const bytes = encoded.files[0].bytes;
    const key = exportFileKey(o.jobId, k);
    await o.store.put(key, bytes);
    files.push({ name: names[k], key, size: bytes.length, crc32: crc32(bytes) });
    slicesDone += (unit.t1 - unit.t0) * (unit.z1 - unit.z0);
    progress();
  }
  const manifest: ExportManifest = {
    jobId: o.jobId,
    format,
    source: params.source,
    createdAt: new Date().toISOString(),
    files,
  };
  await writeExportManifest(o.store, manifest);
  return manifest;
}
