// The tile scheduler: which probability tiles to compute for the subscribers' views, in which order,
// and what to stop computing when views move or a newer classifier generation arrives.
//
// - Wanted tiles: per subscriber, the tiles under its viewport (nearest the viewport's centre first),
//   then a ring of tiles around them (tile-plan.ts). Over all subscribers a tile takes its best rank, and
//   visible tiles of everyone come before any ring tile.
// - At most `maxInFlight` tiles are computed at once (default 2: one predicting on the forest pool while
//   the next one's features are computed or its prediction is queued behind, so the pools never idle
//   between tiles). A tile of level 0 is its feature slab (from the shared feature cache, computed on
//   the feature pool if missing) through the forest (forest pool); a tile of level k > 0 is the mean of
//   the level-0 tiles under it, each predicted in turn and kept in the tile cache as well.
// - Cancellation: a tile no subscriber wants any more is aborted — queued work is dropped, work running
//   on a pool worker finishes its current block and is discarded (no worker restart). A new generation
//   aborts every tile of the previous one. Frames carry the generation they were predicted with and only
//   the current generation's are ever sent, so no subscriber sees an older generation after a newer one.
// - The tile cache holds the current generation's predicted tiles (float probabilities, byte-bounded LRU);
//   a subscriber coming back to a tile, or a second subscriber on the same tile, gets it from there.
//   Each subscriber is sent each (tile, layer) once per generation while the tile stays in its view
//   (ring tiles included: the client has them when it pans).
// - While training runs (`setPaused(true)`) no tile is predicted; instead, and whenever there is no
//   classifier yet, the features of wanted tiles are computed ahead (prefetch) so that the next
//   generation's tiles, and training on strokes painted there, find them in the cache.

import type { FeatureEntry, Forest } from "@sylva/core";
import type { LiveLayer, TileFrame, View } from "@sylva/shared";
import type { FeaturePool } from "../pool/features-pool.js";
import type { ForestPool } from "../pool/forest-pool.js";
import { ByteLru } from "./byte-lru.js";
import type { FeatureCache } from "./feature-cache.js";
import type { FeatureTileSource } from "./feature-tiles.js";
import { computeFeatureTile, datasetPlan, featureKey } from "./feature-tiles.js";
import { layerBytes, MeanAccumulator } from "./layers.js";
import { checkModelFits } from "./model-fit.js";
import type { TileAddress, TileRect } from "./tile-plan.js";
import { coveringTiles, planeScale, tileBox, tileKey, tileRect, viewTiles } from "./tile-plan.js";

/** A trained classifier, as the scheduler predicts with it. */
export interface LiveModel {
  readonly generation: number;
  readonly forest: Forest;
  /** The classes of the frames, in id order; forest output column k is classIds[k]. */
  readonly classIds: readonly number[];
  readonly entries: readonly FeatureEntry[];
}

export interface TileSchedulerOptions {
  /** Tiles computed at once (default 2). */
  readonly maxInFlight?: number;
  /** Width of the ring of tiles around the viewport computed after the visible ones (default 1). */
  readonly ringWidth?: number;
  /** Bound of the predicted-tile cache (default 256 MiB). */
  readonly tileCacheBytes?: number;
  /** Compute wanted tiles' features while there is no classifier or training runs (default true). */
  readonly prefetch?: boolean;
}

export interface TileSchedulerDeps {
  readonly featurePool: FeaturePool;
  readonly forestPool: ForestPool;
  readonly featureCache: FeatureCache;
  /** A loaded dataset, or undefined while it loads (call `refresh()` once it has). */
  readonly dataset: (id: string) => FeatureTileSource | undefined;
  readonly sink: (subscriberId: string, frame: TileFrame) => void;
  readonly onError?: (message: string) => void;
}

export interface TileSchedulerStats {
  /** Feature tiles whose computation this scheduler started (cache misses). */
  readonly featureTilesComputed: number;
  /** Level-0 tiles run through the forest. */
  readonly tilesPredicted: number;
  /** Tiles (any level) finished and cached. */
  readonly tilesCompleted: number;
  /** Tiles aborted (view moved, new generation, training started). */
  readonly tilesCancelled: number;
  readonly framesSent: number;
  /** Frames sent from the tile cache of tiles computed for an earlier request. */
  readonly framesFromCache: number;
}

interface Subscriber {
  view: View;
  /** Wanted tile keys → priority (lower first). */
  wanted: Map<string, number>;
  /** "tileKey|layer" sent in the current generation. */
  sent: Set<string>;
}

interface Wanted {
  readonly key: string;
  readonly address: TileAddress;
  readonly priority: number;
}

interface Task {
  readonly controller: AbortController;
}

interface TileProbs {
  readonly address: TileAddress;
  readonly rect: TileRect;
  readonly probs: Float32Array;
  readonly columns: number;
  readonly layers: Map<LiveLayer, Uint8Array>;
}

const RING_PRIORITY = 1e9;

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function whileNotAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === "AbortError";
}

export class TileScheduler {
  private readonly subs = new Map<string, Subscriber>();
  private wantList: Wanted[] = [];
  private wantKeys = new Set<string>();
  private model: LiveModel | null = null;
  private entries: readonly FeatureEntry[] | null = null;
  private paused = false;
  private closed = false;
  private readonly tasks = new Map<string, Task>();
  /** Level-0 predictions running, by tile key (see `level0`). */
  private readonly running = new Map<string, { model: LiveModel; promise: Promise<Float32Array> }>();
  private readonly fetches = new Map<string, AbortController>();
  private readonly cache: ByteLru<TileProbs>;
  private readonly failed = new Set<string>();
  private readonly failedFeatures = new Set<string>();
  private readonly maxInFlight: number;
  private readonly ringWidth: number;
  private readonly prefetch: boolean;
  private counters = {
    featureTilesComputed: 0,
    tilesPredicted: 0,
    tilesCompleted: 0,
    tilesCancelled: 0,
    framesSent: 0,
    framesFromCache: 0,
  };

  constructor(
    private readonly deps: TileSchedulerDeps,
    options: TileSchedulerOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 2;
    this.ringWidth = options.ringWidth ?? 1;
    this.prefetch = options.prefetch ?? true;
    this.cache = new ByteLru(options.tileCacheBytes ?? 256 * 2 ** 20);
  }

  stats(): TileSchedulerStats {
    return { ...this.counters };
  }

  /** No tile or feature work running (what is wanted is computed, failed, or waits for a classifier). */
  idle(): boolean {
    return this.tasks.size === 0 && this.fetches.size === 0;
  }

  /** The subscribers' views (replacing the previous set). */
  setViews(views: ReadonlyMap<string, View>): void {
    for (const id of [...this.subs.keys()]) if (!views.has(id)) this.subs.delete(id);
    for (const [id, view] of views) {
      const sub = this.subs.get(id);
      if (sub) sub.view = view;
      else this.subs.set(id, { view, wanted: new Map(), sent: new Set() });
    }
    this.refresh();
  }

  /** The classifier to predict with (null: none); a new one supersedes every tile of the previous. */
  setModel(model: LiveModel | null): void {
    if (model === this.model) return;
    this.model = model;
    this.abortTasks();
    this.cache.clear();
    this.failed.clear();
    for (const sub of this.subs.values()) sub.sent.clear();
    this.pump();
  }

  /** The feature selection to prefetch with (null: none, e.g. invalid). */
  setEntries(entries: readonly FeatureEntry[] | null): void {
    this.entries = entries;
    this.failedFeatures.clear();
    this.pump();
  }

  /** While paused (training), tiles are not predicted; running ones are aborted. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (paused) this.abortTasks();
    this.pump();
  }

  /** Recomputes what each view wants (after views change, or a dataset finished loading). */
  refresh(): void {
    if (this.closed) return;
    const best = new Map<string, Wanted>();
    for (const sub of this.subs.values()) {
      const source = this.deps.dataset(sub.view.datasetId);
      sub.wanted = new Map();
      if (source) {
        const { visible, ring } = viewTiles(source.geometry, sub.view, this.ringWidth);
        const add = (address: TileAddress, priority: number) => {
          const key = tileKey(address);
          sub.wanted.set(key, priority);
          const prev = best.get(key);
          if (!prev || priority < prev.priority) best.set(key, { key, address, priority });
        };
        for (const [i, a] of visible.entries()) add(a, i);
        for (const [i, a] of ring.entries()) add(a, RING_PRIORITY + i);
      }
      // Forget what was sent of tiles that left the view (or layers no longer shown), so that coming
      // back sends them again (from the cache).
      for (const s of [...sub.sent]) {
        const bar = s.lastIndexOf("|");
        if (!sub.wanted.has(s.slice(0, bar)) || !sub.view.layers.includes(s.slice(bar + 1) as LiveLayer))
          sub.sent.delete(s);
      }
    }
    this.wantList = [...best.values()].sort((a, b) => a.priority - b.priority);
    this.wantKeys = new Set(best.keys());
    for (const [key, task] of [...this.tasks])
      if (!this.wantKeys.has(key)) {
        this.tasks.delete(key);
        this.counters.tilesCancelled++;
        task.controller.abort(new DOMException("tile left every view", "AbortError"));
      }
    const features = this.fetches.size > 0 ? this.wantedFeatureKeys() : new Set<string>();
    for (const [key, controller] of [...this.fetches])
      if (!features.has(key)) {
        this.fetches.delete(key);
        controller.abort(new DOMException("features no longer wanted", "AbortError"));
      }
    for (const w of this.wantList) {
      const entry = this.cache.get(w.key);
      if (entry) this.deliver(w.key, entry, true);
    }
    this.pump();
  }

  close(): void {
    this.closed = true;
    this.abortTasks();
    for (const c of this.fetches.values()) c.abort(new DOMException("closed", "AbortError"));
    this.fetches.clear();
    this.cache.clear();
    this.subs.clear();
  }

  private abortTasks(): void {
    for (const task of this.tasks.values()) {
      this.counters.tilesCancelled++;
      task.controller.abort(new DOMException("tile superseded", "AbortError"));
    }
    this.tasks.clear();
  }

  /** Starts what capacity allows, best priority first. */
  private pump(): void {
    if (this.closed) return;
    const model = this.model;
    if (model && !this.paused) {
      for (const w of this.wantList) {
        if (this.tasks.size >= this.maxInFlight) break;
        if (this.cache.has(w.key) || this.failed.has(w.key) || this.tasks.has(w.key)) continue;
        this.startTile(w, model);
      }
    }
    if (this.prefetch && this.entries && (!model || this.paused)) this.startPrefetches(this.entries);
  }

  private startTile(w: Wanted, model: LiveModel): void {
    const controller = new AbortController();
    const task: Task = { controller };
    this.tasks.set(w.key, task);
    const done = () => {
      if (this.tasks.get(w.key) === task) this.tasks.delete(w.key);
    };
    this.computeTile(w.address, model, controller.signal).then(
      (entry) => {
        done();
        if (controller.signal.aborted || model !== this.model || this.closed) return;
        this.counters.tilesCompleted++;
        this.store(w.key, entry);
        this.deliver(w.key, entry, false);
        this.pump();
      },
      (e: unknown) => {
        done();
        if (!controller.signal.aborted && !isAbort(e) && model === this.model && !this.closed) {
          this.failed.add(w.key);
          this.deps.onError?.(`tile ${w.key}: ${e instanceof Error ? e.message : String(e)}`);
        }
        this.pump();
      },
    );
  }

  private store(key: string, entry: TileProbs): void {
    // The float probabilities plus about as much again for the layers made from them.
    this.cache.set(key, entry, 2 * entry.probs.byteLength);
  }

  private async computeTile(a: TileAddress, model: LiveModel, signal: AbortSignal): Promise<TileProbs> {
    const source = this.deps.dataset(a.datasetId);
    if (!source) throw new Error(`dataset ${a.datasetId} is not loaded`);
    const g = source.geometry;
    checkModelFits(model, g, source.dataset.manifest.name);
    const rect = tileRect(g, a);
    const columns = model.forest.classCount;
    if (a.level === 0) {
      const probs = await this.level0(source, a, model, signal);
      return { address: a, rect, probs, columns, layers: new Map() };
    }
    const { su, sv } = planeScale(g, a.plane, a.level);
    const acc = new MeanAccumulator(rect, su, sv, columns);
    for (const c of coveringTiles(g, a)) {
      const key = tileKey(c);
      let entry = this.cache.get(key);
      if (!entry) {
        const probs = await this.level0(source, c, model, signal);
        entry = { address: c, rect: tileRect(g, c), probs, columns, layers: new Map() };
        if (model === this.model) this.store(key, entry);
      }
      acc.add(entry.probs, entry.rect);
    }
    return { address: a, rect, probs: acc.result(), columns, layers: new Map() };
  }

  /**
   * A level-0 tile's probabilities, joining a prediction of the same tile and model already running for
   * another task (a level-k tile and the level-0 view under it share them); if that one is aborted, this
   * one predicts by itself.
   */
  private async level0(
    source: FeatureTileSource,
    a: TileAddress,
    model: LiveModel,
    signal: AbortSignal,
  ): Promise<Float32Array> {
    const key = tileKey(a);
    const running = this.running.get(key);
    if (running && running.model === model) {
      try {
        return await whileNotAborted(running.promise, signal);
      } catch (e) {
        if (signal.aborted) throw e;
      }
    }
    const promise = this.predictLevel0(source, a, model, signal);
    const entry = { model, promise };
    this.running.set(key, entry);
    const forget = () => {
      if (this.running.get(key) === entry) this.running.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async predictLevel0(
    source: FeatureTileSource,
    a: TileAddress,
    model: LiveModel,
    signal: AbortSignal,
  ): Promise<Float32Array> {
    const g = source.geometry;
    const box = tileBox(g, a);
    const features = await this.features(source, model.entries, a, signal);
    const n = (box.z1 - box.z0) * (box.y1 - box.y0) * (box.x1 - box.x0);
    const F = model.forest.featureCount;
    if (features.length !== n * F)
      throw new Error(
        `the classifier takes ${F} features per pixel; the selection gives ${features.length / n} on dataset ${g.id}`,
      );
    const probs = await this.deps.forestPool.predict(model.forest, features, n, {
      signal,
      stopWorkersOnAbort: false,
      inputRetained: true, // the feature cache holds the features
    });
    this.counters.tilesPredicted++;
    return probs;
  }

  private features(
    source: FeatureTileSource,
    entries: readonly FeatureEntry[],
    a: TileAddress,
    signal: AbortSignal,
  ): Promise<Float32Array> {
    const box = tileBox(source.geometry, a);
    const key = featureKey(source.geometry, entries, a.t, box);
    return this.deps.featureCache.get(
      key,
      (s) => {
        this.counters.featureTilesComputed++;
        return computeFeatureTile(this.deps.featurePool, source, entries, a.t, box, s);
      },
      signal,
    );
  }

  /** Sends a finished tile to every subscriber that shows it and has not had it in this generation. */
  private deliver(key: string, entry: TileProbs, fromCache: boolean): void {
    const model = this.model;
    if (!model) return;
    const a = entry.address;
    for (const [id, sub] of this.subs) {
      if (!sub.wanted.has(key)) continue;
      for (const layer of sub.view.layers) {
        const sentKey = `${key}|${layer}`;
        if (sub.sent.has(sentKey)) continue;
        let data = entry.layers.get(layer);
        if (!data) {
          data = layerBytes(layer, entry.probs, entry.columns, model.classIds);
          entry.layers.set(layer, data);
        }
        sub.sent.add(sentKey);
        this.counters.framesSent++;
        if (fromCache) this.counters.framesFromCache++;
        this.send(id, {
          layer,
          plane: a.plane,
          level: a.level,
          generation: model.generation,
          datasetId: a.datasetId,
          t: a.t,
          slice: a.slice,
          u0: entry.rect.u0,
          v0: entry.rect.v0,
          width: entry.rect.width,
          height: entry.rect.height,
          classIds: model.classIds,
          data,
        });
      }
    }
  }

  /** Hands a frame to the sink; a sink that throws is reported, never allowed to break scheduling. */
  private send(subscriberId: string, frame: TileFrame): void {
    try {
      this.deps.sink(subscriberId, frame);
    } catch (e) {
      this.deps.onError?.(`sink failed for ${subscriberId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ------------------------------------------------------------------------------------- prefetch --

  /** Level-0 feature tiles under the wanted tiles, best first, within half the feature cache. */
  private wantedFeatures(
    entries: readonly FeatureEntry[],
  ): { key: string; a: TileAddress; source: FeatureTileSource }[] {
    const out: { key: string; a: TileAddress; source: FeatureTileSource }[] = [];
    const seen = new Set<string>();
    const channels = new Map<string, number>();
    let bytes = 0;
    const budget = this.deps.featureCache.maxBytes / 2;
    for (const w of this.wantList) {
      const source = this.deps.dataset(w.address.datasetId);
      if (!source) continue;
      const g = source.geometry;
      let F = channels.get(g.id);
      if (F === undefined) {
        try {
          F = datasetPlan(g, entries).channelCount;
        } catch {
          F = 0; // not valid on this dataset: training reports it
        }
        channels.set(g.id, F);
      }
      if (F === 0) continue;
      for (const c of coveringTiles(g, w.address)) {
        const box = tileBox(g, c);
        const key = featureKey(g, entries, c.t, box);
        if (seen.has(key)) continue;
        seen.add(key);
        bytes += 4 * F * (box.z1 - box.z0) * (box.y1 - box.y0) * (box.x1 - box.x0);
        if (bytes > budget) return out;
        out.push({ key, a: c, source });
      }
    }
    return out;
  }

  private wantedFeatureKeys(): Set<string> {
    if (!this.entries) return new Set();
    return new Set(this.wantedFeatures(this.entries).map((f) => f.key));
  }

  private startPrefetches(entries: readonly FeatureEntry[]): void {
    if (this.fetches.size >= this.maxInFlight) return;
    for (const f of this.wantedFeatures(entries)) {
      if (this.fetches.size >= this.maxInFlight) return;
      // (Features being computed for someone else are joined: a tile aborted by pausing keeps them alive.)
      if (this.fetches.has(f.key) || this.failedFeatures.has(f.key) || this.deps.featureCache.has(f.key))
        continue;
      const controller = new AbortController();
      this.fetches.set(f.key, controller);
      const done = () => {
        if (this.fetches.get(f.key) === controller) this.fetches.delete(f.key);
      };
      this.features(f.source, entries, f.a, controller.signal).then(
        () => {
          done();
          this.pump();
        },
        (e: unknown) => {
          done();
          if (!controller.signal.aborted && !isAbort(e) && !this.closed) {
            this.failedFeatures.add(f.key);
            this.deps.onError?.(`features ${f.key}: ${e instanceof Error ? e.message : String(e)}`);
          }
          this.pump();
        },
      );
    }
  }
}
