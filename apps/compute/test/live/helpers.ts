// Shared set-up of the live tests: the compiled modules (worker threads need JavaScript, so the pools
// and everything that starts them come from dist/: build first), ISBI 2012 slices and ground truth,
// datasets imported into a temporary file-system store, and a project document with a recording sink.

import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { decodePng } from "@sylva/core";
import type { TileFrame, View } from "@sylva/shared";
import { datasetIdSchema, initProjectDoc } from "@sylva/shared";
import * as Y from "yjs";
import type * as BenchLive from "../../src/bench/live.js";
import type * as FeatureCacheModule from "../../src/live/feature-cache.js";
import type * as FeatureTilesModule from "../../src/live/feature-tiles.js";
import type * as LiveProjectModule from "../../src/live/live-project.js";
import type { LiveProject, LiveProjectOptions } from "../../src/live/live-project.js";
import type * as FeaturePoolModule from "../../src/pool/features-pool.js";
import type * as ForestPoolModule from "../../src/pool/forest-pool.js";
import type * as FsStoreModule from "../../src/storage/fs-store.js";
import { DATA } from "../helpers/data.js";

const DIST = new URL("../../dist/", import.meta.url);
if (!existsSync(fileURLToPath(new URL("live/live-project.js", DIST))))
  throw new Error(
    `${fileURLToPath(DIST)}live is missing: run "npx tsc -p apps/compute/tsconfig.build.json" first`,
  );
const load = async <T>(p: string): Promise<T> => (await import(new URL(p, DIST).href)) as T;

export const { LiveProject: LiveProjectClass } = await load<typeof LiveProjectModule>("live/live-project.js");
export const { FeatureCache } = await load<typeof FeatureCacheModule>("live/feature-cache.js");
export const { computeFeatureTile } = await load<typeof FeatureTilesModule>("live/feature-tiles.js");
export const { FeaturePool } = await load<typeof FeaturePoolModule>("pool/features-pool.js");
export const { ForestPool } = await load<typeof ForestPoolModule>("pool/forest-pool.js");
export const { FsBlobStore } = await load<typeof FsStoreModule>("storage/fs-store.js");
export const { importMemoryVolume, scribbleStrokes } = await load<typeof BenchLive>("bench/live.js");

export type FeaturePoolT = FeaturePoolModule.FeaturePool;
export type ForestPoolT = ForestPoolModule.ForestPool;
export type FeatureCacheT = FeatureCacheModule.FeatureCache;

/** An ISBI 2012 section, 512 × 512 uint8: raw image or ground truth (0 membrane, 255 cell). */
export function isbi(kind: "raw" | "gt", section: number): Uint8Array {
  const file = path.join(DATA, "isbi2012", kind, `${String(section).padStart(2, "0")}.png`);
  const img = decodePng(new Uint8Array(readFileSync(file)), file);
  if (!(img.data instanceof Uint8Array) || img.shape[0] !== 512 || img.shape[1] !== 512)
    throw new Error(`${file}: expected 512 × 512 uint8`);
  return img.data;
}

export interface Env {
  readonly store: FsStoreModule.FsBlobStore;
  readonly dir: string;
  readonly featurePool: FeaturePoolT;
  readonly forestPool: ForestPoolT;
  cleanup(): Promise<void>;
}

/** A temporary store and two-worker pools. */
export async function createEnv(): Promise<Env> {
  const dir = await mkdtemp(path.join(tmpdir(), "sylva-live-"));
  const [featurePool, forestPool] = await Promise.all([
    FeaturePool.start({ workers: 2 }),
    ForestPool.start({ workers: 2 }),
  ]);
  return {
    store: new FsBlobStore(dir),
    dir,
    featurePool,
    forestPool,
    async cleanup() {
      await Promise.all([featurePool.close(), forestPool.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Session {
  readonly doc: Y.Doc;
  readonly project: LiveProject;
  /** Every frame sent, with its subscriber, in order. */
  readonly frames: { id: string; frame: TileFrame }[];
  /** Generations handed out by nextGeneration. */
  readonly generations: number[];
}

/** A project on a fresh document (two classes, default features unless changed) with a recording sink. */
export function createSession(
  env: Env,
  featureCache: FeatureCacheT,
  options: LiveProjectOptions = {},
  init?: (doc: Y.Doc) => void,
): Session {
  const doc = new Y.Doc();
  initProjectDoc(doc);
  init?.(doc);
  const frames: { id: string; frame: TileFrame }[] = [];
  const generations: number[] = [];
  let next = 0;
  const project = new LiveProjectClass({
    projectId: "test",
    doc,
    store: env.store,
    featurePool: env.featurePool,
    forestPool: env.forestPool,
    featureCache,
    nextGeneration: async () => {
      await new Promise((r) => setTimeout(r, 1)); // as a database round trip
      generations.push(++next);
      return next;
    },
    sink: (id, frame) => frames.push({ id, frame }),
    options,
  });
  return { doc, project, frames, generations };
}

export function xyView(datasetId: string, u1: number, v1: number, extra: Partial<View> = {}): View {
  return {
    datasetId: datasetIdSchema.parse(datasetId),
    plane: "xy",
    t: 0,
    slice: 0,
    level: 0,
    viewport: { u0: 0, v0: 0, u1, v1 },
    layers: ["probabilities"],
    ...extra,
  };
}

/** The plane image (height × width) assembled from the frames of one layer and generation. */
export function assemble(
  frames: readonly TileFrame[],
  layer: TileFrame["layer"],
  generation: number,
  width: number,
  height: number,
  plane = 0,
): { image: Uint8Array; covered: number } {
  const image = new Uint8Array(width * height);
  let covered = 0;
  for (const f of frames) {
    if (f.layer !== layer || f.generation !== generation) continue;
    const n = f.width * f.height;
    for (let v = 0; v < f.height; v++)
      for (let u = 0; u < f.width; u++)
        image[(f.v0 + v) * width + f.u0 + u] = f.data[plane * n + v * f.width + u];
    covered += n;
  }
  return { image, covered };
}

export async function cleanup(env: Env | undefined, sessions: Session[]): Promise<void> {
  for (const s of sessions) s.project.close();
  await env?.cleanup();
}
