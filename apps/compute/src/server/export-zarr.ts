// An export as OME-Zarr: the source (cut out, renormalized and converted on the fly, transform-reader.ts)
// imported as a new dataset — a published, multiscale OME-Zarr any NGFF tool opens. Atomic as every
// import: nothing is visible before the manifest, and a failure deletes what was written.

import { createHash } from "node:crypto";
import type { VolumeReader } from "@sylva/core";
import { resolveCutout } from "@sylva/core";
import type { DatasetManifest, ExportParams } from "@sylva/shared";
import { importVolume } from "../datasets/import.js";
import type { BlobStore } from "../storage/blob-store.js";
import { transformReader } from "./transform-reader.js";

export interface ZarrExportOptions {
  readonly store: BlobStore;
  readonly jobId: string;
  readonly reader: VolumeReader;
  readonly params: ExportParams;
  /** The new dataset's name. */
  readonly name: string;
  /** Display names of what it came from. */
  readonly sources: readonly string[];
  readonly createdBy?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (fraction: number) => void;
}

export async function writeZarrExport(o: ZarrExportOptions): Promise<DatasetManifest> {
  const box = resolveCutout(o.params.cutout ?? {}, o.reader.axes, o.reader.shape);
  const reader = transformReader(o.reader, {
    box,
    renormalize: o.params.renormalize,
    dtype: o.params.dtype,
  });
  return importVolume(o.store, {
    reader,
    name: o.name.length > 200 ? `${o.name.slice(0, 199)}…` : o.name,
    sources: o.sources,
    resumeKey: createHash("sha256").update(o.jobId).digest("hex"),
    createdBy: o.createdBy,
    signal: o.signal,
    onProgress: (p) => o.onProgress?.(p.total > 0 ? p.done / p.total : 0),
  });
}
