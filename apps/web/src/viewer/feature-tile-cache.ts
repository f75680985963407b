// Feature preview tiles: GET /api/projects/<p>/datasets/<d>/features/<feature>/<scale>/<in2d>/<plane>/
// <t>/<slice>/<tu>/<tv>?channel=<k> answers one level-0 tile of one feature channel as float32 with its
// X-Sylva-Range. Decoded tiles are kept in a small LRU; the most recently wanted tiles are fetched first,
// a few at a time, and tiles nobody asked for lately are dropped from the queue. Per preview, the union
// of its loaded tiles' ranges is the layer's automatic display range.
import { authHeaders } from "../lib/auth";
import { type FeaturePreview, previewKey } from "./feature-preview";
import type { Geometry, Plane } from "./geometry";

const MAX_TILES = 256;
const MAX_IN_FLIGHT = 4;
const STALE_MS = 1500;
const RETRY_MS = 5000;

export interface FeatureTileQuery {
  readonly plane: Plane;
  readonly t: number;
  /** Level-0 slice. */
  readonly slice: number;
  readonly tu: number;
  readonly tv: number;
}

export interface FeatureTile {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
  readonly min: number;
  readonly max: number;
}

export function featureTileUrl(projectId: string, datasetId: string, p: FeaturePreview, q: FeatureTileQuery) {
  return (
    `/api/projects/${projectId}/datasets/${datasetId}/features/${p.feature}/${p.scale}/${p.in2d ? 1 : 0}/` +
    `${q.plane}/${q.t}/${q.slice}/${q.tu}/${q.tv}?channel=${p.channel}`
  );
}

/** Decodes a feature tile response (float32, X-Sylva-Shape "1,h,w", X-Sylva-Range "min,max"). */
export function decodeFeatureTile(headers: Headers, buf: ArrayBuffer): FeatureTile {
  const [c, h, w] = (headers.get("x-sylva-shape") ?? "").split(",").map(Number);
  const [min, max] = (headers.get("x-sylva-range") ?? "0,0").split(",").map(Number);
  if (headers.get("x-sylva-dtype") !== "float32" || c !== 1 || !(h > 0 && w > 0))
    throw new Error("feature tile without float32 data of a valid X-Sylva-Shape");
  const data = new Float32Array(buf);
  if (data.length !== h * w) throw new Error(`feature tile has ${data.length} values, expected ${h * w}`);
  return { width: w, height: h, data, min, max };
}

export class FeatureTileCache {
  private readonly tiles = new Map<string, FeatureTile>();
  private readonly queue = new Map<string, { url: string; wanted: number; preview: string }>();
  private readonly inFlight = new Set<string>();
  private readonly failed = new Map<string, number>();
  private readonly ranges = new Map<string, { min: number; max: number }>();
  private readonly listeners = new Set<() => void>();
  /** Tiles fetched so far (tests and diagnostics). */
  loadedCount = 0;

  constructor(private readonly projectId: string) {}

  onLoad(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** The union of the loaded tiles' ranges of a preview on a dataset, once any tile is in. */
  range(g: Geometry, p: FeaturePreview): { min: number; max: number } | undefined {
    return this.ranges.get(`${g.id}/${previewKey(p)}`);
  }

  /** Asks for a tile; returns it when cached. */
  want(g: Geometry, p: FeaturePreview, q: FeatureTileQuery): FeatureTile | undefined {
    const preview = `${g.id}/${previewKey(p)}`;
    const key = `${preview}/${q.plane}/${q.t}/${q.slice}/${q.tu}/${q.tv}`;
    const tile = this.tiles.get(key);
    if (tile) {
      this.tiles.delete(key);
      this.tiles.set(key, tile);
      return tile;
    }
    const failedAt = this.failed.get(key);
    if (failedAt !== undefined && performance.now() - failedAt < RETRY_MS) return undefined;
    if (!this.inFlight.has(key)) {
      this.queue.delete(key);
      this.queue.set(key, {
        url: featureTileUrl(this.projectId, g.id, p, q),
        wanted: performance.now(),
        preview,
      });
    }
    this.pump();
    return undefined;
  }

  private pump(): void {
    const now = performance.now();
    while (this.inFlight.size < MAX_IN_FLIGHT && this.queue.size > 0) {
      const last = [...this.queue].pop();
      if (!last) break;
      const [key, entry] = last;
      this.queue.delete(key);
      if (now - entry.wanted > STALE_MS) continue;
      this.inFlight.add(key);
      fetch(entry.url, { headers: authHeaders() })
        .then(async (res) => {
          if (!res.ok) throw new Error(`feature tile ${entry.url}: HTTP ${res.status}`);
          const tile = decodeFeatureTile(res.headers, await res.arrayBuffer());
          this.put(key, tile);
          const r = this.ranges.get(entry.preview);
          this.ranges.set(entry.preview, {
            min: Math.min(r?.min ?? tile.min, tile.min),
            max: Math.max(r?.max ?? tile.max, tile.max),
          });
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

  private put(key: string, tile: FeatureTile): void {
    this.tiles.set(key, tile);
    while (this.tiles.size > MAX_TILES) this.tiles.delete(this.tiles.keys().next().value as string);
  }
}
