// The fetch-and-keep machinery both tile caches share: loaded tiles in an LRU bounded by a weight (bytes,
// or a count), and a load queue that serves the most recently wanted tiles first, a few at a time, drops
// requests nobody repeated lately (a view that moved on), and waits a while before retrying a failure.
// Listeners hear of every finished load, so views redraw.

export interface TileLoaderOptions<T> {
  /** Loads at once. */
  readonly maxInFlight: number;
  /** Bound of the sum of `weigh` over kept tiles (least recently used dropped first). */
  readonly maxWeight: number;
  readonly weigh: (tile: T) => number;
  /** Queued requests not asked for again within this many ms are dropped (default 1500). */
  readonly staleMs?: number;
  /** A failed tile is asked for again only after this many ms (default 5000). */
  readonly retryMs?: number;
}

export class TileLoader<T> {
  private readonly tiles = new Map<string, T>();
  private weight = 0;
  private readonly queue = new Map<string, { load: () => Promise<T>; wanted: number }>();
  private readonly inFlight = new Set<string>();
  /** Failed tiles and when they failed. */
  private readonly failed = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  /** Tiles loaded so far (tests and diagnostics). */
  loadedCount = 0;

  constructor(private readonly o: TileLoaderOptions<T>) {}

  onLoad(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The tile if kept (marks it recently used). */
  get(key: string): T | undefined {
    const tile = this.tiles.get(key);
    if (tile !== undefined) {
      this.tiles.delete(key);
      this.tiles.set(key, tile);
    }
    return tile;
  }

  has(key: string): boolean {
    return this.tiles.has(key);
  }

  /** Every kept tile whose key starts with `prefix`. */
  *entries(prefix = ""): Iterable<[string, T]> {
    for (const e of this.tiles) if (e[0].startsWith(prefix)) yield e;
  }

  /** Asks for a tile: returns it when kept, else queues `load` (unless it failed recently). */
  want(key: string, load: () => Promise<T>): T | undefined {
    const tile = this.get(key);
    if (tile !== undefined) return tile;
    const failedAt = this.failed.get(key);
    if (failedAt !== undefined && performance.now() - failedAt < (this.o.retryMs ?? 5000)) return undefined;
    if (!this.inFlight.has(key)) {
      // Re-wanting moves a key to the end of the queue: the Map keeps insertion order.
      this.queue.delete(key);
      this.queue.set(key, { load, wanted: performance.now() });
    }
    this.pump();
    return undefined;
  }

  private pump(): void {
    const now = performance.now();
    while (this.inFlight.size < this.o.maxInFlight && this.queue.size > 0) {
      // Most recently wanted first.
      const [key, entry] = [...this.queue].pop() as [string, { load: () => Promise<T>; wanted: number }];
      this.queue.delete(key);
      if (now - entry.wanted > (this.o.staleMs ?? 1500)) continue;
      this.inFlight.add(key);
      entry
        .load()
        .then((tile) => {
          this.put(key, tile);
          this.loadedCount++;
        })
        .catch(() => {
          this.failed.set(key, performance.now());
        })
        .finally(() => {
          this.inFlight.delete(key);
          for (const l of this.listeners) l();
          this.pump();
        });
    }
  }

  private put(key: string, tile: T): void {
    this.tiles.set(key, tile);
    this.weight += this.o.weigh(tile);
    for (const [k, t] of this.tiles) {
      if (this.weight <= this.o.maxWeight) break;
      this.tiles.delete(k);
      this.weight -= this.o.weigh(t);
    }
  }
}
