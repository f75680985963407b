// When to retrain and what the training state is: label or feature changes are debounced, then one
// training runs. A change that finds the trainer at rest (no training scheduled or running) trains at
// once — right after the current turn of the event loop, so that everything one Yjs transaction changed
// is in — because a lone stroke is the common case and its latency is what a painter sees. Changes while
// a training is scheduled or running are debounced (trailing: `debounceMs` after the last one, but at
// most `maxWaitMs` after the first one of a burst), so a burst of strokes costs one more training, not
// one per stroke. A training that starts while another runs aborts it (its AbortSignal stops the feature
// and forest work it queued) and the older one's result is discarded whatever happens, so generations
// are only ever published in increasing order. Each published classifier gets the next generation from
// `nextGeneration` (the service persists it), drawn once the forest is ready.

import type { FeatureEntry, Forest } from "@sylva/core";
import type { LiveModel } from "./tile-scheduler.js";

export type TrainingStatus = "idle" | "waiting-for-labels" | "training" | "error";

export interface TrainingState {
  /** The generation of the classifier now published (the initial generation until the first). */
  readonly generation: number;
  readonly status: TrainingStatus;
  /** Why the last training failed (status "error"). */
  readonly error?: string;
  /** Milliseconds of the last successful training, from its start (after the debounce) to publication. */
  readonly lastTrainMs: number | null;
  /** When the last classifier was published (ms since the epoch). */
  readonly lastTrainedAt: number | null;
  /** Samples per class id of the last training (or of the labels found, while waiting for labels). */
  readonly samplesPerClass: Readonly<Record<string, number>>;
  /** The label classes of the last training, in id order. */
  readonly classIds: readonly number[];
}

/** What one training produced: a forest, or the finding that the labels do not make a classifier yet. */
export type TrainingOutcome =
  | {
      readonly kind: "model";
      readonly forest: Forest;
      readonly classIds: readonly number[];
      readonly entries: readonly FeatureEntry[];
      readonly samplesPerClass: ReadonlyMap<number, number>;
    }
  | {
      readonly kind: "waiting";
      readonly classIds: readonly number[];
      readonly samplesPerClass: ReadonlyMap<number, number>;
    };

export interface TrainerOptions {
  readonly debounceMs: number;
  readonly maxWaitMs: number;
  readonly initialGeneration: number;
  readonly nextGeneration: () => Promise<number>;
  /** Runs one training; must reject (soon) once `signal` is aborted. */
  readonly train: (signal: AbortSignal) => Promise<TrainingOutcome>;
  /** A training starts (the scheduler stops predicting with the outgoing classifier). */
  readonly onStart: () => void;
  /** The latest training settled, whatever the outcome (the scheduler resumes). */
  readonly onSettled: () => void;
  /** A new classifier is published; null when the labels no longer make one. */
  readonly onModel: (model: LiveModel | null) => void;
  readonly onState: (state: TrainingState) => void;
}

function toRecord(m: ReadonlyMap<number, number>): Record<string, number> {
  return Object.fromEntries([...m].map(([k, v]) => [String(k), v]));
}

export class Trainer {
  private current: TrainingState;
  private timer: NodeJS.Timeout | null = null;
  private burstStart: number | null = null;
  /** The pending timer is the immediate (leading) one. */
  private leading = false;
  private run = 0;
  private controller: AbortController | null = null;
  private closed = false;

  constructor(private readonly options: TrainerOptions) {
    this.current = {
      generation: options.initialGeneration,
      status: "waiting-for-labels",
      lastTrainMs: null,
      lastTrainedAt: null,
      samplesPerClass: {},
      classIds: [],
    };
  }

  state(): TrainingState {
    return this.current;
  }

  /** A training is scheduled or running. */
  busy(): boolean {
    return this.timer !== null || this.controller !== null;
  }

  /** Labels, classes or the feature selection changed: train again after the debounce. */
  invalidate(): void {
    if (this.closed) return;
    const now = performance.now();
    if (this.timer && this.leading) return; // starts after this turn anyway
    if (!this.timer && !this.controller) {
      this.leading = true;
      this.timer = setTimeout(() => this.start(), 0);
      return;
    }
    this.burstStart ??= now;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(
      0,
      Math.min(this.options.debounceMs, this.burstStart + this.options.maxWaitMs - now),
    );
    this.leading = false;
    this.timer = setTimeout(() => this.start(), delay);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.run++;
    this.controller?.abort(new DOMException("live project closed", "AbortError"));
    this.controller = null;
  }

  private setState(change: Partial<TrainingState>, announce = true): void {
    const next: TrainingState = { ...this.current, ...change };
    if (next.status !== "error") delete (next as { error?: string }).error;
    this.current = next;
    if (announce) this.options.onState(next);
  }

  private start(): void {
    this.timer = null;
    this.leading = false;
    this.burstStart = null;
    if (this.closed) return;
    const run = ++this.run;
    this.controller?.abort(new DOMException("superseded by a newer training", "AbortError"));
    const controller = new AbortController();
    this.controller = controller;
    this.setState({ status: "training" });
    this.options.onStart();
    void this.execute(run, controller);
  }

  private async execute(run: number, controller: AbortController): Promise<void> {
    const t0 = performance.now();
    const latest = () => run === this.run && !this.closed;
    try {
      const outcome = await this.options.train(controller.signal);
      if (!latest()) return;
      if (outcome.kind === "waiting") {
        this.options.onModel(null);
        this.setState({
          status: "waiting-for-labels",
          samplesPerClass: toRecord(outcome.samplesPerClass),
          classIds: outcome.classIds,
        });
        return;
      }
      const generation = await this.options.nextGeneration();
      if (!latest()) return;
      if (!(Number.isInteger(generation) && generation > this.current.generation))
        throw new Error(
          `nextGeneration gave ${generation}, not above the current generation ${this.current.generation}`,
        );
      // The state first (listeners of the new model read it), announced once the model is out.
      this.setState(
        {
          generation,
          status: "idle",
          lastTrainMs: performance.now() - t0,
          lastTrainedAt: Date.now(),
          samplesPerClass: toRecord(outcome.samplesPerClass),
          classIds: outcome.classIds,
        },
        false,
      );
      this.options.onModel({
        generation,
        forest: outcome.forest,
        classIds: outcome.classIds,
        entries: outcome.entries,
      });
      this.options.onState(this.current);
    } catch (e) {
      if (!latest() || controller.signal.aborted) return;
      this.setState({ status: "error", error: e instanceof Error ? e.message : String(e) });
    } finally {
      if (latest()) {
        this.controller = null;
        this.options.onSettled();
      }
    }
  }
}
