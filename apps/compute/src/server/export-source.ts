// What an export job reads: the lazy VolumeReader of its source over one dataset of the project —
// probabilities, simple segmentation or uncertainty from the project's current classifier (trained from
// its document if nobody has the project open), the selected features, or the labels rasterized from the
// document's strokes (a snapshot taken when the job starts).

import type { VolumeReader } from "@sylva/core";
import { selectionEntries } from "@sylva/core";
import type { DatasetManifest, ExportParams, ProjectId } from "@sylva/shared";
import { readFeatureSelection, readStrokes } from "@sylva/shared";
import type * as Y from "yjs";
import { openManifest } from "../datasets/open.js";
import { geometryOf } from "../live/geometry.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import { featureReader } from "./feature-reader.js";
import { labelsReader } from "./labels-reader.js";
import type { LiveRooms } from "./live-rooms.js";
import { predictionReader } from "./prediction-reader.js";

export interface ExportSourceDeps {
  readonly store: BlobStore;
  readonly manifest: DatasetManifest;
  readonly projectId: ProjectId;
  /** The project's document (its room is held by the job). */
  readonly doc: Y.Doc;
  readonly live: LiveRooms;
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  readonly signal?: AbortSignal;
}

export interface ExportSource {
  readonly reader: VolumeReader;
  /** For the name of an OME-Zarr result: "probabilities (generation 7)", "labels". */
  readonly description: string;
}

/** Waits (up to `ms`, or until `signal` aborts) for the live project of a room that is loading. */
async function liveProject(live: LiveRooms, projectId: ProjectId, signal?: AbortSignal, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    signal?.throwIfAborted();
    const p = live.project(projectId);
    if (p) return p;
    if (Date.now() > until) throw new Error(`project ${projectId}'s live trainer did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function openExportSource(
  source: ExportParams["source"],
  d: ExportSourceDeps,
): Promise<ExportSource> {
  const geometry = geometryOf(d.manifest);
  if (source === "labels")
    return {
      reader: labelsReader({ geometry, strokes: readStrokes(d.doc, d.manifest.id), signal: d.signal }),
      description: "labels",
    };
  const tiles = { geometry, dataset: openManifest(d.store, d.manifest) };
  if (source === "features")
    return {
      reader: featureReader({
        source: tiles,
        entries: selectionEntries(readFeatureSelection(d.doc)),
        featurePool: d.featurePool,
        signal: d.signal,
      }),
      description: "features",
    };
  const project = await liveProject(d.live, d.projectId, d.signal);
  await project.whenIdle();
  d.signal?.throwIfAborted();
  const model = project.model();
  if (!model) throw new Error("the project has no classifier yet: label at least two classes first");
  return {
    reader: predictionReader({
      source: tiles,
      model,
      output: source,
      featurePool: d.featurePool,
      forestPool: d.forestPool,
      signal: d.signal,
    }),
    description: `${source} (generation ${model.generation})`,
  };
}
