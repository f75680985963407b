// Group commit: updates are made durable before they take effect, and the ones that arrive while a write
// is in flight are merged (Y.mergeUpdates) into the next single write. By default one write runs at a
// time; `maxInFlight` > 1 lets the next batch start while earlier ones are still being written (an
// update then waits for about one write instead of up to two, at the price of more, smaller writes). Durable batches are applied in
// the order they were submitted — a batch whose write finished early waits for the batches before it —
// each update with its own origin, and only then do their submitters' promises resolve. A failed write
// rejects exactly the updates it carried; nothing of them is applied.

import * as Y from "yjs";

/** The most bytes of updates merged into one write (a larger single update is written alone). */
export const MAX_BATCH_BYTES = 16 * 1024 * 1024;
/** Default number of concurrent writes (measured on a loaded 2-core machine, 2 was no better than 1). */
export const DEFAULT_WRITES_IN_FLIGHT = 1;

export interface CommitEntry<O> {
  readonly update: Uint8Array;
  readonly origin: O;
}

interface Pending<O> extends CommitEntry<O> {
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

interface Batch<O> {
  readonly entries: Pending<O>[];
  bytes: number;
  seq?: number;
  error?: { e: unknown };
  settled: boolean;
}

export class GroupCommit<O> {
  #queue: Pending<O>[] = [];
  /** Batches being written, in submission order (applied from the front). */
  #writing: Batch<O>[] = [];
  #idle: (() => void)[] = [];

  constructor(
    /** Writes the merged update durably; resolves to its sequence number. Called in batch order. */
    private readonly write: (update: Uint8Array) => Promise<number>,
    /** Applies a durable batch, in arrival order (synchronously). */
    private readonly apply: (entries: readonly CommitEntry<O>[], seq: number, bytes: number) => void,
    /** Told when `apply` throws (the batch is durable all the same, and its submitters resolve). */
    private readonly onApplyError: (e: unknown) => void = () => {},
    private readonly maxInFlight = DEFAULT_WRITES_IN_FLIGHT,
  ) {
    if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1))
      throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
  }

  /** Updates waiting for or in a write. */
  get pending(): number {
    return this.#queue.length + this.#writing.reduce((n, b) => n + b.entries.length, 0);
  }

  /** Resolves once `update` is durable and applied; rejects when it could not be written. */
  submit(update: Uint8Array, origin: O): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ update, origin, resolve, reject });
      this.#pump();
    });
  }

  /** Resolves when nothing is queued or being written. */
  drain(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#writing.length < this.maxInFlight) {
      const entries = this.#takeBatch();
      const batch: Batch<O> = { entries, bytes: 0, settled: false };
      this.#writing.push(batch);
      let written: Promise<number>;
      try {
        const merged =
          entries.length === 1 ? entries[0].update : Y.mergeUpdates(entries.map((e) => e.update));
        batch.bytes = merged.byteLength;
        written = this.write(merged);
      } catch (e) {
        written = Promise.reject(e);
      }
      written.then(
        (seq) => {
          batch.seq = seq;
          batch.settled = true;
          this.#settle();
        },
        (e: unknown) => {
          batch.error = { e };
          batch.settled = true;
          this.#settle();
        },
      );
    }
  }

  /** Applies (or rejects) the finished batches at the front, in order, then starts more writes. */
  #settle(): void {
    while (this.#writing.length > 0 && this.#writing[0].settled) {
      const batch = this.#writing.shift()!;
      if (batch.error) {
        for (const entry of batch.entries) entry.reject(batch.error.e);
        continue;
      }
      try {
        this.apply(batch.entries, batch.seq!, batch.bytes);
      } catch (e) {
        this.onApplyError(e);
      }
      for (const entry of batch.entries) entry.resolve();
    }
    this.#pump();
    if (this.pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  #takeBatch(): Pending<O>[] {
    let bytes = this.#queue[0].update.byteLength;
    let n = 1;
    while (n < this.#queue.length && bytes + this.#queue[n].update.byteLength <= MAX_BATCH_BYTES)
      bytes += this.#queue[n++].update.byteLength;
    return this.#queue.splice(0, n);
  }
}
