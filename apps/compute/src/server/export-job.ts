// Running an export job: the source (export-source.ts: a prediction from the project's current
// classifier, the selected features, or the labels) of one dataset, written as an OME-Zarr dataset of the
// project (export-zarr.ts) or as files in one of ilastik's formats under exports/<jobId>/ in the store
// (export-files.ts), downloadable as a ZIP once done. Progress and the outcome go to the job's record;
// a failed or interrupted file export deletes what it wrote.

import type { ExportParams } from "@sylva/shared";
import { exportParamsSchema } from "@sylva/shared";
import { getDataset } from "../datasets/catalog.js";
import type { ExportJobRecord } from "../db/exports.js";
import type { MetadataDb } from "../db/metadata.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import type { Rooms } from "../sync/index.js";
import { writeFileExport } from "./export-files.js";
import { exportPrefix, isFileExport } from "./export-manifest.js";
import { openExportSource } from "./export-source.js";
import { writeZarrExport } from "./export-zarr.js";
import type { LiveRooms } from "./live-rooms.js";

export interface ExportJobDeps {
  readonly job: ExportJobRecord;
  readonly db: MetadataDb;
  readonly store: BlobStore;
  readonly rooms: Rooms;
  readonly live: LiveRooms;
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  readonly log: (message: string) => void;
  /** Aborted when the service shuts down. */
  readonly signal?: AbortSignal;
  /** The largest array one exported file may be made from (default 1 GiB). */
  readonly maxFileBytes?: number;
}

export async function runExportJob(d: ExportJobDeps): Promise<void> {
  const { job, db } = d;
  let params: ExportParams | undefined;
  const lease = await d.rooms.acquire(job.projectId);
  try {
    params = exportParamsSchema.parse(job.params);
    await db.exports.update(job.id, { status: "running", progress: 0 });
    const manifest = await getDataset(d.store, job.datasetId);
    const source = await openExportSource(params.source, {
      store: d.store,
      manifest,
      projectId: job.projectId,
      doc: lease.room.doc,
      live: d.live,
      featurePool: d.featurePool,
      forestPool: d.forestPool,
      signal: d.signal,
    });
    let last = 0;
    const onProgress = (f: number) => {
      if (f - last < 0.02 || f >= 1) return;
      last = f;
      db.exports.update(job.id, { progress: f }).catch(() => undefined);
    };
    let resultKey: string;
    if (isFileExport(params)) {
      await writeFileExport({
        store: d.store,
        jobId: job.id,
        reader: source.reader,
        params,
        nickname: manifest.name,
        signal: d.signal,
        onProgress,
        maxFileBytes: d.maxFileBytes,
      });
      resultKey = exportPrefix(job.id);
    } else {
      const result = await writeZarrExport({
        store: d.store,
        jobId: job.id,
        reader: source.reader,
        params,
        name: `${manifest.name} — ${source.description}`,
        sources: [manifest.name],
        createdBy: job.createdBy,
        signal: d.signal,
        onProgress,
      });
      await db.datasets.add(job.projectId, result.id);
      resultKey = result.prefix;
    }
    await db.exports.update(job.id, { status: "done", resultKey });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    d.log(`export ${job.id}: ${message}`);
    if (!params || isFileExport(params))
      await d.store.deletePrefix(exportPrefix(job.id)).catch(() => undefined);
    const status = d.signal?.aborted ? "cancelled" : "failed";
    await db.exports.update(job.id, { status, error: message }).catch(() => undefined);
  } finally {
    lease.release();
  }
}
