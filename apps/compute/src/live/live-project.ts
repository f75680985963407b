// One project's live classifier, independent of any transport: it watches the project's Y.Doc (strokes
// per dataset, classes, feature selection), keeps each dataset's label blocks current (doc-labels.ts),
// retrains the random forest on everyone's merged labels after a debounce (trainer.ts), and streams the
// probability, uncertainty and segmentation tiles of what each subscriber looks at (tile-scheduler.ts)
// through `sink`, tagged with the classifier generation. The service calls `setViews` whenever
// awareness changes and owns the worker pools, the shared feature cache and the generation counter.
//
// Training: samples are the labeled voxels of every dataset whose manifest has loaded, with features
// from the shared cache (computed where missing), trained with ilastik's forest (100 trees, seed 0, on
// the forest pool). A training needs labels of at least two classes ("waiting-for-labels" before); a
// feature selection the data cannot take (a scale too large for a small axis) is status "error" with
// ilastik's message.

import type { FeatureEntry } from "@sylva/core";
import { selectionEntries } from "@sylva/core";
import type { TileFrame, View } from "@sylva/shared";
import { classesMap, readFeatureSelection, settingsMap, strokeDatasetIds } from "@sylva/shared";
import type * as Y from "yjs";
import { openDataset } from "../datasets/open.js";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import { classIdSet, DocLabels } from "./doc-labels.js";
import type { FeatureCache, FeatureCacheStats } from "./feature-cache.js";
import type { FeatureTileSource } from "./feature-tiles.js";
import { computeFeatureTile, datasetPlan, featureKey } from "./feature-tiles.js";
import { geometryOf } from "./geometry.js";
import { gatherPlannedSamples, planSamples } from "./samples.js";
import type { LiveModel, TileSchedulerStats } from "./tile-scheduler.js";
import { TileScheduler } from "./tile-scheduler.js";
import type { TrainingOutcome, TrainingState } from "./trainer.js";
import { Trainer } from "./trainer.js";

/** How long a dataset that could not be opened is left alone before the next try (ms). */
const DATASET_RETRY_MS = 10_000;

/** Default debounce of label changes (ms). */
export const DEFAULT_DEBOUNCE_MS = 100;

export type { LiveModel } from "./tile-scheduler.js";
export type { TrainingState, TrainingStatus } from "./trainer.js";

export interface LiveProjectOptions {
  /**
   * Debounce of label changes (default 100 ms): a change arriving at rest trains at once, changes during
   * a training wait for this much quiet before the next one (trainer.ts).
   */
  readonly debounceMs?: number;
  /** Longest a burst of changes may postpone training (default 500 ms). */
  readonly maxWaitMs?: number;
  /** Trees of the forest (default 100, as ilastik). */
  readonly trees?: number;
  /** Seed of the forest (default 0). */
  readonly seed?: number;
  /** The generation in force before this project's first training (default 0). */
  readonly initialGeneration?: number;
  /** Tiles computed at once (default 2). */
  readonly maxInFlight?: number;
  /** Ring of tiles around each viewport computed after the visible ones (default 1 tile). */
  readonly ringWidth?: number;
  /** Bound of this project's predicted-tile cache (default 256 MiB). */
  readonly tileCacheBytes?: number;
  /** Compute the features of viewed tiles ahead of any classifier (default true). */
  readonly prefetch?: boolean;
  /** Where problems that fail no call go (a tile that cannot be computed, a dataset that cannot load). */
  readonly log?: (message: string) => void;
}

export interface LiveProjectConfig {
  readonly projectId: string;
  readonly doc: Y.Doc;
  readonly store: BlobStore;
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  /** Shared by every project of the process (bounded by bytes). */
  readonly featureCache: FeatureCache;
  /** Persists and returns the project's next (strictly increasing) classifier generation. */
  readonly nextGeneration: () => Promise<number>;
  /** Receives every tile frame for a subscriber. */
  readonly sink: (subscriberId: string, frame: TileFrame) => void;
  /**
   * Whether the project may use dataset `id` (default: every dataset in the store). The service answers
   * from the project's dataset list, so strokes or views naming another project's dataset train and show
   * nothing.
   */
  readonly datasetAllowed?: (id: string) => Promise<boolean>;
  readonly options?: LiveProjectOptions;
}

export interface GenerationEvent {
  readonly generation: number;
  readonly classIds: readonly number[];
  readonly samplesPerClass: Readonly<Record<string, number>>;
  readonly trainMs: number | null;
}

export interface LiveProjectStats {
  readonly tiles: TileSchedulerStats;
  readonly featureCache: FeatureCacheStats;
  /** Feature tiles the trainings had to compute (not cached). */
  readonly trainingFeatureTilesComputed: number;
  readonly trainings: number;
  /** Where the last completed training spent its time (ms). */
  readonly lastTraining: TrainingBreakdown | null;
  /** Label blocks per loaded dataset. */
  readonly labelBlocks: Readonly<Record<string, number>>;
}

export interface TrainingBreakdown {
  readonly samples: number;
  /** Snapshotting the labeled voxels (main thread). */
  readonly planMs: number;
  /** Waiting for their feature tiles (cache, or the feature pool). */
  readonly featuresMs: number;
  /** Copying the samples together (main thread). */
  readonly gatherMs: number;
  /** Growing the forest on the forest pool. */
  readonly forestMs: number;
}

interface LiveEvents {
  generation: (event: GenerationEvent) => void;
  state: (state: TrainingState) => void;
}

type DatasetEntry =
  | { readonly status: "loading" }
  | { readonly status: "failed"; readonly error: string; readonly at: number }
  | { readonly status: "ready"; readonly source: FeatureTileSource; readonly labels: DocLabels };

export class LiveProject {
  readonly projectId: string;
  private readonly config: LiveProjectConfig;
  private readonly datasets = new Map<string, DatasetEntry>();
  private readonly trainer: Trainer;
  private readonly scheduler: TileScheduler;
  private readonly listeners: { [K in keyof LiveEvents]: Set<LiveEvents[K]> } = {
    generation: new Set(),
    state: new Set(),
  };
  private knownClasses: Set<number>;
  private current: LiveModel | null = null;
  private closed = false;
  private trainings = 0;
  private trainingFeatureTiles = 0;
  private lastTraining: TrainingBreakdown | null = null;
  private readonly onAfterTransaction: () => void;
  private readonly onClasses: () => void;
  private readonly onSettings: (event: Y.YMapEvent<unknown>) => void;
  private readonly log: (message: string) => void;

  constructor(config: LiveProjectConfig) {
    this.config = config;
    this.projectId = config.projectId;
    const o = config.options ?? {};
    this.log = o.log ?? (() => {});
    this.scheduler = new TileScheduler(
      {
        featurePool: config.featurePool,
        forestPool: config.forestPool,
        featureCache: config.featureCache,
        dataset: (id) => {
          const d = this.datasets.get(id);
          return d?.status === "ready" ? d.source : undefined;
        },
        sink: config.sink,
        onError: (m) => this.log(`live ${this.projectId}: ${m}`),
      },
      {
        maxInFlight: o.maxInFlight,
        ringWidth: o.ringWidth,
        tileCacheBytes: o.tileCacheBytes,
        prefetch: o.prefetch,
      },
    );
    this.trainer = new Trainer({
      debounceMs: o.debounceMs ?? DEFAULT_DEBOUNCE_MS,
      maxWaitMs: o.maxWaitMs ?? 500,
      initialGeneration: o.initialGeneration ?? 0,
      nextGeneration: config.nextGeneration,
      train: (signal) => this.train(signal, o.trees ?? 100, o.seed ?? 0),
      onStart: () => this.scheduler.setPaused(true),
      onSettled: () => this.scheduler.setPaused(false),
      onModel: (model) => this.publish(model),
      onState: (state) => this.emit("state", state),
    });

    const doc = config.doc;
    this.knownClasses = classIdSet(doc);
    this.onAfterTransaction = () => this.discoverDatasets();
    this.onClasses = () => this.classesChanged();
    this.onSettings = (event) => {
      if (event.keysChanged.has("features")) this.selectionChanged();
    };
    doc.on("afterTransaction", this.onAfterTransaction);
    classesMap(doc).observe(this.onClasses);
    settingsMap(doc).observe(this.onSettings);
    this.scheduler.setEntries(this.currentEntries());
    this.discoverDatasets();
  }

  /** The subscribers' views (all of them; a subscriber missing here is dropped). */
  setViews(views: ReadonlyMap<string, View>): void {
    if (this.closed) return;
    for (const v of views.values()) this.ensureDataset(v.datasetId);
    this.scheduler.setViews(views);
  }

  state(): TrainingState {
    return this.trainer.state();
  }

  /** The classifier now published (its generation, forest, classes and features), or null. */
  model(): LiveModel | null {
    return this.current;
  }

  stats(): LiveProjectStats {
    const labelBlocks: Record<string, number> = {};
    for (const [id, d] of this.datasets)
      if (d.status === "ready") labelBlocks[id] = d.labels.index.blockCount;
    return {
      tiles: this.scheduler.stats(),
      featureCache: this.config.featureCache.stats(),
      trainingFeatureTilesComputed: this.trainingFeatureTiles,
      trainings: this.trainings,
      lastTraining: this.lastTraining,
      labelBlocks,
    };
  }

  /** Subscribes to "generation" (a classifier was published) or "state"; returns the unsubscriber. */
  on<K extends keyof LiveEvents>(event: K, listener: LiveEvents[K]): () => void {
    const set = this.listeners[event] as Set<LiveEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Resolves once no dataset loads, no training is scheduled or running, and no tile work runs. */
  async whenIdle(pollMs = 5): Promise<void> {
    for (;;) {
      const loading = [...this.datasets.values()].some((d) => d.status === "loading");
      if (this.closed || (!loading && !this.trainer.busy() && this.scheduler.idle())) return;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Stops watching the document and aborts all work (the pools and the cache stay with their owner). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const doc = this.config.doc;
    doc.off("afterTransaction", this.onAfterTransaction);
    classesMap(doc).unobserve(this.onClasses);
    settingsMap(doc).unobserve(this.onSettings);
    this.trainer.close();
    this.scheduler.close();
    for (const d of this.datasets.values()) if (d.status === "ready") d.labels.destroy();
    this.datasets.clear();
    this.listeners.generation.clear();
    this.listeners.state.clear();
  }

  // ---------------------------------------------------------------------------------- document --

  private discoverDatasets(): void {
    for (const id of strokeDatasetIds(this.config.doc)) this.ensureDataset(id);
  }

  private ensureDataset(id: string): void {
    if (this.closed) return;
    const known = this.datasets.get(id);
    // A dataset that could not be opened is tried again now and then (it may have been imported since).
    if (known && !(known.status === "failed" && performance.now() - known.at > DATASET_RETRY_MS)) return;
    this.datasets.set(id, { status: "loading" });
    const allowed = this.config.datasetAllowed ?? (async () => true);
    allowed(id)
      .then((ok) => {
        if (!ok) throw new Error(`dataset ${id} is not part of project ${this.projectId}`);
        return openDataset(this.config.store, id);
      })
      .then(
        (dataset) => {
          if (this.closed) return;
          const geometry = geometryOf(dataset.manifest);
          const labels = new DocLabels(this.config.doc, id, geometry, () => this.trainer.invalidate());
          this.datasets.set(id, { status: "ready", source: { geometry, dataset }, labels });
          this.scheduler.refresh();
          if (labels.index.blockCount > 0) this.trainer.invalidate();
        },
        (e: unknown) => {
          if (this.closed) return;
          const error = e instanceof Error ? e.message : String(e);
          this.datasets.set(id, { status: "failed", error, at: performance.now() });
          this.log(`live ${this.projectId}: dataset ${id}: ${error}`);
        },
      );
  }

  private classesChanged(): void {
    const ids = classIdSet(this.config.doc);
    if (ids.size === this.knownClasses.size && [...ids].every((i) => this.knownClasses.has(i))) return;
    this.knownClasses = ids;
    // Each dataset's labels follow the classes by themselves (doc-labels.ts); the frames' class list
    // changes even where no label does.
    this.trainer.invalidate();
  }

  private currentEntries(): FeatureEntry[] {
    return selectionEntries(readFeatureSelection(this.config.doc));
  }

  private selectionChanged(): void {
    this.scheduler.setEntries(this.currentEntries());
    this.trainer.invalidate();
  }

  // ---------------------------------------------------------------------------------- training --

  private async train(signal: AbortSignal, trees: number, seed: number): Promise<TrainingOutcome> {
    this.trainings++;
    const doc = this.config.doc;
    const entries = this.currentEntries();
    const classIds = [...classIdSet(doc)].sort((a, b) => a - b);
    const sources = [];
    for (const d of this.datasets.values())
      if (d.status === "ready" && d.labels.index.blockCount > 0)
        sources.push({ geometry: d.source.geometry, index: d.labels.index, source: d.source });
    // Snapshot the labels now; the features come after.
    const t0 = performance.now();
    const plan = planSamples(sources, classIds);
    const t1 = performance.now();
    const labeled = [...plan.perClass.values()].filter((n) => n > 0).length;
    if (labeled < 2) return { kind: "waiting", classIds, samplesPerClass: plan.perClass };
    let channels = -1;
    for (const s of sources) {
      let F: number;
      try {
        F = datasetPlan(s.geometry, entries).channelCount;
      } catch (e) {
        const name = s.source.dataset.manifest.name;
        throw new Error(`${e instanceof Error ? e.message : String(e)} (dataset "${name}")`);
      }
      if (channels >= 0 && F !== channels)
        throw new Error(
          `the labeled datasets give different numbers of features (${channels} and ${F}): label datasets with the same channels and dimensionality`,
        );
      channels = F;
    }
    const bySource = new Map(sources.map((s) => [s.geometry.id, s.source]));
    const features = await Promise.all(
      plan.tiles.map((tile) => {
        const source = bySource.get(tile.geometry.id)!;
        const t = tile.address.t;
        return this.config.featureCache.get(
          featureKey(tile.geometry, entries, t, tile.box),
          (s) => {
            this.trainingFeatureTiles++;
            return computeFeatureTile(this.config.featurePool, source, entries, t, tile.box, s);
          },
          signal,
        );
      }),
    );
    const t2 = performance.now();
    const samples = gatherPlannedSamples(plan, features, channels);
    const t3 = performance.now();
    const forest = await this.config.forestPool.train(samples, plan.labels, channels, {
      trees,
      seed,
      signal,
      stopWorkersOnAbort: false,
    });
    this.lastTraining = {
      samples: plan.count,
      planMs: t1 - t0,
      featuresMs: t2 - t1,
      gatherMs: t3 - t2,
      forestMs: performance.now() - t3,
    };
    return { kind: "model", forest, classIds, entries, samplesPerClass: plan.perClass };
  }

  private publish(model: LiveModel | null): void {
    this.current = model;
    this.scheduler.setModel(model);
    if (!model) return;
    const state = this.trainer.state();
    const event: GenerationEvent = {
      generation: model.generation,
      classIds: model.classIds,
      samplesPerClass: state.samplesPerClass,
      trainMs: state.lastTrainMs,
    };
    this.emit("generation", event);
  }

  /** Calls the listeners of `event`; one that throws is logged, not allowed to break training. */
  private emit<K extends keyof LiveEvents>(event: K, value: Parameters<LiveEvents[K]>[0]): void {
    for (const l of this.listeners[event] as Set<(v: typeof value) => void>) {
      try {
        l(value);
      } catch (e) {
        this.log(
          `live ${this.projectId}: a "${event}" listener failed: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }
}
