// Where an export job's files live in the store, and the manifest that publishes them:
//
//   exports/<jobId>/files/<nnnnnn>   each file's bytes (store keys never carry the user's file names)
//   exports/<jobId>/manifest.json    written last: names (relative paths from the filename format),
//                                    keys, sizes and CRC-32s, what the download route zips
//
// Until the manifest exists nothing is published; a failed export deletes the whole prefix.

import type { ExportParams } from "@sylva/shared";
import { z } from "zod";
import type { BlobStore } from "../storage/blob-store.js";

export const EXPORTS_PREFIX = "exports/";

/** Whether an export's result is files (downloaded as a ZIP) rather than an OME-Zarr dataset. */
export function isFileExport(params: Pick<ExportParams, "format">): boolean {
  return params.format !== "ome-zarr";
}

export function exportPrefix(jobId: string): string {
  return `${EXPORTS_PREFIX}${jobId}/`;
}

export function exportFileKey(jobId: string, index: number): string {
  return `${exportPrefix(jobId)}files/${String(index).padStart(6, "0")}`;
}

export function exportManifestKey(jobId: string): string {
  return `${exportPrefix(jobId)}manifest.json`;
}

export const exportFileEntrySchema = z.object({
  name: z.string().min(1).max(1000),
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  crc32: z.number().int().nonnegative().max(0xffffffff),
});
export type ExportFileEntry = z.infer<typeof exportFileEntrySchema>;

export const exportManifestSchema = z.object({
  jobId: z.string(),
  format: z.string(),
  source: z.string(),
  createdAt: z.string(),
  files: z.array(exportFileEntrySchema),
});
export type ExportManifest = z.infer<typeof exportManifestSchema>;

export async function writeExportManifest(store: BlobStore, manifest: ExportManifest): Promise<void> {
  const checked = exportManifestSchema.parse(manifest);
  await store.put(exportManifestKey(checked.jobId), new TextEncoder().encode(JSON.stringify(checked)));
}

/** The published manifest of a job's files, or undefined. */
export async function readExportManifest(
  store: BlobStore,
  jobId: string,
): Promise<ExportManifest | undefined> {
  const bytes = await store.get(exportManifestKey(jobId));
  if (!bytes) return undefined;
  return exportManifestSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}
