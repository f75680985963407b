// The raw tile cache: decoded tiles by (dataset, level, plane, t, level slice, tu, tv), an LRU bounded in
// bytes, and a fetch queue that serves the most recently wanted tiles first and forgets tiles nobody
// asked for lately (a view that moved on), with a few requests in flight at a time.
import { type Geometry, levelSlice, type Plane, planeScale } from "./geometry";
import { fetchRawTile, type RawTile, type RawTileAddress } from "./raw-tile";

const MAX_BYTES = 256 * 1024 * 1024;
const MAX_IN_FLIGHT = 6;
/** Queued requests not asked for again within this many ms are dropped. */
const STALE_MS = 1500;
const RETRY_MS = 5000;

export interface RawTileQuery {
  readonly level: number;
  readonly plane: Plane;
  readonly t: number;
  /** Level-0 slice. */
  readonly slice: number;
  readonly tu: number;
  readonly tv: number;
}

export function rawTileKey(g: Geometry, q: RawTileQuery): string {
  return `${g.id}/${q.level}/${q.plane}/${q.t}/${levelSlice(g, q.plane, q.level, q.slice)}/${q.tu}/${q.tv}`;
}

export class RawTileCache {
  private readonly tiles = new Map<string, RawTile>();
  private bytes = 0;
  private readonly queue = new Map<string, { address: RawTileAddress; wanted: number }>();
  private readonly inFlight = new Set<string>();
  /** Failed tiles and when they failed; retried after RETRY_MS. */
  private readonly failed = new Map<string, number>();
  private readonly listeners = new Set<() => void>();
  /** Tiles fetched so far (for tests and diagnostics). */
  loadedCount = 0;

  constructor(private readonly projectId: string) {}

  onLoad(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The tile if cached (marks it recently used). */
  get(key: string): RawTile | undefined {
    const tile = this.tiles.get(key);
    if (tile) {
      this.tiles.delete(key);
      this.tiles.set(key, tile);
    }
    return tile;
  }

  has(key: string): boolean {
    return this.tiles.has(key);
  }

  /** Every cached tile whose key starts with `prefix` (e.g. one dataset's). */
  *entries(prefix = ""): Iterable<[string, RawTile]> {
    for (const e of this.tiles) if (e[0].startsWith(prefix)) yield e;
  }

  /** Asks for a tile; returns it when cached. */
  want(g: Geometry, q: RawTileQuery): RawTile | undefined {
    const key = rawTileKey(g, q);
    const tile = this.get(key);
    if (tile) return tile;
    const failedAt = this.failed.get(key);
    if (failedAt !== undefined && performance.now() - failedAt < RETRY_MS) return undefined;
    const { ss } = planeScale(g, q.plane, q.level);
    const slice = levelSlice(g, q.plane, q.level, q.slice) * ss;
    const now = performance.now();
    if (!this.inFlight.has(key)) {
      this.queue.delete(key);
      this.queue.set(key, {
        address: { projectId: this.projectId, datasetId: g.id, ...q, slice },
        wanted: now,
      });
    }
    this.pump();
    return undefined;
  }

  private pump(): void {
    const now = performance.now();
    while (this.inFlight.size < MAX_IN_FLIGHT && this.queue.size > 0) {
      // Most recently wanted first (the Map keeps insertion order; re-wanting moves a key to the end).
      const [key, entry] = [...this.queue].pop() as [string, { address: RawTileAddress; wanted: number }];
      this.queue.delete(key);
      if (now - entry.wanted > STALE_MS) continue;
      this.inFlight.add(key);
      fetchRawTile(entry.address)
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

  private put(key: string, tile: RawTile): void {
    this.tiles.set(key, tile);
    this.bytes += tile.data.byteLength;
    for (const [k, t] of this.tiles) {
      if (this.bytes <= MAX_BYTES) break;
      this.tiles.delete(k);
      this.bytes -= t.data.byteLength;
    }
  }
}
