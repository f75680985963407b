// The dataset catalog in a BlobStore: where each dataset's OME-Zarr lives and the manifests that make
// datasets visible. A dataset exists once its manifest `catalog/datasets/<id>.json` is written; import
// writes that manifest last, after every chunk and every metadata document, so readers never see a
// half-written dataset. Ids are validated before they become keys, so a request for "../x" is refused.

import type { DatasetId, DatasetManifest } from "@sylva/shared";
import { datasetIdSchema, datasetManifestSchema } from "@sylva/shared";
import type { BlobStore } from "../storage/blob-store.js";

export const CATALOG_PREFIX = "catalog/datasets/";
export const DATA_PREFIX = "datasets/";
/** Records of imports under way (for resuming after a killed process). */
export const IMPORTS_PREFIX = "catalog/imports/";

export class DatasetNotFoundError extends Error {
  override readonly name = "DatasetNotFoundError";
  constructor(
    readonly id: string,
    where: string,
  ) {
    super(`no dataset "${id}" in ${where}`);
  }
}

export class CatalogError extends Error {
  override readonly name = "CatalogError";
}

/** The key prefix of a dataset's OME-Zarr root. */
export function datasetPrefix(id: DatasetId): string {
  return `${DATA_PREFIX}${id}/`;
}

function manifestKey(id: DatasetId): string {
  return `${CATALOG_PREFIX}${id}.json`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * JSON as bytes, non-ASCII characters escaped (\u00d7): every reader decodes it, whatever its locale's
 * default encoding (python3-zarr 2.x under a C locale reads metadata as ASCII).
 */
export function jsonBytes(value: unknown): Uint8Array {
  const text = JSON.stringify(value, null, 1).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return encoder.encode(`${text}\n`);
}

function parseManifest(bytes: Uint8Array, key: string): DatasetManifest {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new CatalogError(`${key}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const parsed = datasetManifestSchema.safeParse(json);
  if (!parsed.success) throw new CatalogError(`${key}: invalid manifest: ${parsed.error.message}`);
  return parsed.data;
}

/** Every published dataset, newest first. Manifests that fail validation are reported, not hidden. */
export async function listDatasets(
  store: BlobStore,
): Promise<{ datasets: DatasetManifest[]; problems: string[] }> {
  const datasets: DatasetManifest[] = [];
  const problems: string[] = [];
  for await (const key of store.list(CATALOG_PREFIX)) {
    if (!key.endsWith(".json")) continue;
    const bytes = await store.get(key);
    if (!bytes) continue; // deleted between list and get
    try {
      datasets.push(parseManifest(bytes, key));
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
    }
  }
  datasets.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  return { datasets, problems };
}

/** The manifest of dataset `id`; a DatasetNotFoundError when `id` is not a dataset id or not published. */
export async function getDataset(store: BlobStore, id: string): Promise<DatasetManifest> {
  const parsed = datasetIdSchema.safeParse(id);
  if (!parsed.success) throw new DatasetNotFoundError(id, store.description);
  const bytes = await store.get(manifestKey(parsed.data));
  if (!bytes) throw new DatasetNotFoundError(id, store.description);
  return parseManifest(bytes, manifestKey(parsed.data));
}

/** Makes a fully written dataset visible: the last write of an import. */
export async function publishDataset(store: BlobStore, manifest: DatasetManifest): Promise<void> {
  const checked = datasetManifestSchema.parse(manifest);
  await store.put(manifestKey(checked.id), jsonBytes(checked));
}

/** Unpublishes a dataset, then deletes its chunks; returns how many blobs were deleted. */
export async function deleteDataset(store: BlobStore, id: string): Promise<number> {
  const manifest = await getDataset(store, id);
  await store.delete(manifestKey(manifest.id));
  return store.deletePrefix(datasetPrefix(manifest.id));
}
