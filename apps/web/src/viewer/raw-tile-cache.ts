// The raw tile cache: decoded tiles by (dataset, level, plane, t, level slice, tu, tv), kept in an LRU
// bounded in bytes and fetched through the shared tile loader (tile-loader.ts: most recently wanted
// first, a few at a time, stale requests dropped).
import { type Geometry, levelSlice, type Plane, planeScale } from "./geometry";
import { fetchRawTile, type RawTile, type RawTileAddress } from "./raw-tile";
import { TileLoader } from "./tile-loader";

const MAX_BYTES = 256 * 1024 * 1024;
const MAX_IN_FLIGHT = 6;

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
  private readonly loader = new TileLoader<RawTile>({
    maxInFlight: MAX_IN_FLIGHT,
    maxWeight: MAX_BYTES,
    weigh: (t) => t.data.byteLength,
  });

  constructor(private readonly projectId: string) {}

  /** Tiles fetched so far (for tests and diagnostics). */
  get loadedCount(): number {
    return this.loader.loadedCount;
  }

  onLoad(l: () => void): () => void {
    return this.loader.onLoad(l);
  }

  /** The tile if cached (marks it recently used). */
  get(key: string): RawTile | undefined {
    return this.loader.get(key);
  }

  has(key: string): boolean {
    return this.loader.has(key);
  }

  /** Every cached tile whose key starts with `prefix` (e.g. one dataset's). */
  entries(prefix = ""): Iterable<[string, RawTile]> {
    return this.loader.entries(prefix);
  }

  /** Asks for a tile; returns it when cached. */
  want(g: Geometry, q: RawTileQuery): RawTile | undefined {
    return this.loader.want(rawTileKey(g, q), () => {
      const { ss } = planeScale(g, q.plane, q.level);
      const slice = levelSlice(g, q.plane, q.level, q.slice) * ss;
      const address: RawTileAddress = { projectId: this.projectId, datasetId: g.id, ...q, slice };
      return fetchRawTile(address);
    });
  }
}
