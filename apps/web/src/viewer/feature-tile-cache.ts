// Feature preview tiles: GET /api/projects/<p>/datasets/<d>/features/<feature>/<scale>/<in2d>/<plane>/
// <t>/<slice>/<tu>/<tv>?channel=<k> answers one level-0 tile of one feature channel as float32 with its
// X-Sylva-Range. Decoded tiles are kept in a small LRU and fetched through the shared tile loader
// (tile-loader.ts). Per preview, the union of its loaded tiles' ranges is the layer's automatic range.
import { authHeaders } from "../lib/auth";
import { type FeaturePreview, previewKey } from "./feature-preview";
import type { Geometry, Plane } from "./geometry";
import { TileLoader } from "./tile-loader";

const MAX_TILES = 256;
const MAX_IN_FLIGHT = 4;

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
  private readonly loader = new TileLoader<FeatureTile>({
    maxInFlight: MAX_IN_FLIGHT,
    maxWeight: MAX_TILES,
    weigh: () => 1,
  });
  private readonly ranges = new Map<string, { min: number; max: number }>();

  constructor(private readonly projectId: string) {}

  /** Tiles fetched so far (tests and diagnostics). */
  get loadedCount(): number {
    return this.loader.loadedCount;
  }

  onLoad(l: () => void): () => void {
    return this.loader.onLoad(l);
  }

  /** The union of the loaded tiles' ranges of a preview on a dataset, once any tile is in. */
  range(g: Geometry, p: FeaturePreview): { min: number; max: number } | undefined {
    return this.ranges.get(`${g.id}/${previewKey(p)}`);
  }

  /** Asks for a tile; returns it when cached. */
  want(g: Geometry, p: FeaturePreview, q: FeatureTileQuery): FeatureTile | undefined {
    const preview = `${g.id}/${previewKey(p)}`;
    const key = `${preview}/${q.plane}/${q.t}/${q.slice}/${q.tu}/${q.tv}`;
    const url = featureTileUrl(this.projectId, g.id, p, q);
    return this.loader.want(key, async () => {
      const res = await fetch(url, { headers: authHeaders() });
      if (!res.ok) throw new Error(`feature tile ${url}: HTTP ${res.status}`);
      const tile = decodeFeatureTile(res.headers, await res.arrayBuffer());
      const r = this.ranges.get(preview);
      this.ranges.set(preview, {
        min: Math.min(r?.min ?? tile.min, tile.min),
        max: Math.max(r?.max ?? tile.max, tile.max),
      });
      return tile;
    });
  }
}
