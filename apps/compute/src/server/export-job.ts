// Running an export job: the project's current classifier (trained from its document if nobody has the
// project open) predicts the whole dataset, and the result is imported as a new dataset of the project —
// a published, multiscale OME-Zarr any NGFF tool opens. Progress and the outcome go to the job's record.

import { createHash } from "node:crypto";
import type { ProjectId } from "@sylva/shared";
import { exportParamsSchema } from "@sylva/shared";
import { getDataset } from "../datasets/catalog.js";
import { importVolume } from "../datasets/import.js";
import { openManifest } from "../datasets/open.js";
import type { ExportJobRecord } from "../db/exports.js";
import type { MetadataDb } from "../db/metadata.js";
import { geometryOf } from "../live/geometry.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import type { Rooms } from "../sync/index.js";
import type { LiveRooms } from "./live-rooms.js";
import { type PredictionOutput, predictionReader } from "./prediction-reader.js";

export interface ExportJobDeps {
  readonly job: ExportJobRecord;
  readonly db: MetadataDb;
  readonly store: BlobStore;
  readonly rooms: Rooms;
  readonly live: LiveRooms;
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  readonly log: (message: string) => void;
}

/** Waits (up to `ms`) for the live project of a room that is loading. */
async function liveProject(live: LiveRooms, projectId: ProjectId, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const p = live.project(projectId);
    if (p) return p;
    if (Date.now() > until) throw new Error(`project ${projectId}'s live trainer did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function runExportJob(d: ExportJobDeps): Promise<void> {
  const { job, db } = d;
  const params = exportParamsSchema.parse(job.params);
  const source = params.source;
  const lease = await d.rooms.acquire(job.projectId);
  try {
    await db.exports.update(job.id, { status: "running", progress: 0 });
    if (params.format !== "ome-zarr" || source === "features" || source === "labels")
      throw new Error(
        `exporting ${source} as ${params.format} is not supported yet (only OME-Zarr predictions)`,
      );
    const project = await liveProject(d.live, job.projectId);
    await project.whenIdle();
    const model = project.model();
    if (!model) throw new Error("the project has no classifier yet: label at least two classes first");
    const manifest = await getDataset(d.store, job.datasetId);
    const reader = predictionReader({
      source: { geometry: geometryOf(manifest), dataset: openManifest(d.store, manifest) },
      model,
      output: source as PredictionOutput,
      featurePool: d.featurePool,
      forestPool: d.forestPool,
    });
    let last = 0;
    const result = await importVolume(d.store, {
      reader,
      name: `${manifest.name} — ${source} (generation ${model.generation})`,
      sources: [manifest.name],
      resumeKey: createHash("sha256").update(job.id).digest("hex"),
      createdBy: job.createdBy,
      onProgress: (p) => {
        const f = p.total > 0 ? p.done / p.total : 0;
        if (f - last >= 0.05) {
          last = f;
          db.exports.update(job.id, { progress: f }).catch(() => undefined);
        }
      },
    });
    await db.datasets.add(job.projectId, result.id);
    await db.exports.update(job.id, { status: "done", resultKey: result.prefix });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    d.log(`export ${job.id}: ${message}`);
    await db.exports.update(job.id, { status: "failed", error: message }).catch(() => undefined);
  } finally {
    lease.release();
  }
}
