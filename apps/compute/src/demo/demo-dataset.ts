// The demo dataset "Demo cells": the synthetic EM volume (synthetic-em.ts) imported into the store like
// any other source (importVolume from a memory reader), or the one an earlier start already imported
// (found in the catalog by its source name), so restarts never import it twice.

import { createHash } from "node:crypto";
import { memoryReader } from "@sylva/core";
import type { DatasetManifest } from "@sylva/shared";
import { listDatasets } from "../datasets/catalog.js";
import { importVolume } from "../datasets/import.js";
import type { BlobStore } from "../storage/blob-store.js";
import { DEMO_SEED, DEMO_SHAPE, syntheticEm } from "./synthetic-em.js";

export const DEMO_DATASET_NAME = "Demo cells";
/** The source name recorded in the manifest: what identifies the demo dataset in the catalog. */
export const DEMO_SOURCE = "sylva demo generator (synthetic EM, v1)";

export interface DemoDatasetOptions {
  readonly shape?: readonly [number, number, number];
  readonly seed?: number;
  readonly createdBy?: string;
}

export async function ensureDemoDataset(
  store: BlobStore,
  options: DemoDatasetOptions = {},
): Promise<{ manifest: DatasetManifest; created: boolean }> {
  const shape = options.shape ?? DEMO_SHAPE;
  const seed = options.seed ?? DEMO_SEED;
  const { datasets } = await listDatasets(store);
  const existing = datasets.find(
    (d) =>
      d.name === DEMO_DATASET_NAME &&
      d.sources.length === 1 &&
      d.sources[0] === DEMO_SOURCE &&
      d.shape.join() === shape.join(),
  );
  if (existing) return { manifest: existing, created: false };
  const { volume } = syntheticEm({ shape, seed });
  const reader = memoryReader(volume, DEMO_SOURCE);
  try {
    const manifest = await importVolume(store, {
      reader,
      name: DEMO_DATASET_NAME,
      sources: [DEMO_SOURCE],
      resumeKey: createHash("sha256")
        .update(`${DEMO_SOURCE}|${seed}|${shape.join("x")}`)
        .digest("hex"),
      createdBy: options.createdBy,
    });
    return { manifest, created: true };
  } finally {
    await reader.close();
  }
}
