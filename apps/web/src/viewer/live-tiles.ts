// Live tiles from the compute service (probabilities, uncertainty, segmentation), by dataset, plane,
// t, slice, level, position and layer. A frame replaces the stored tile only when its generation is not
// older, so the previous generation stays on screen until a newer one arrives. Bounded in bytes (LRU).
import type { LiveLayer, TileFrame } from "@sylva/shared";
import type { Plane } from "./geometry";

const MAX_BYTES = 192 * 1024 * 1024;

export interface LiveTile {
  readonly frame: TileFrame;
  /** Increases on every replacement (GPU textures re-upload when it changes). */
  readonly serial: number;
}

export function liveTileKey(
  datasetId: string,
  plane: Plane,
  t: number,
  slice: number,
  level: number,
  u0: number,
  v0: number,
  layer: LiveLayer,
): string {
  return `${datasetId}/${plane}/${t}/${slice}/${level}/${u0}/${v0}/${layer}`;
}

export class LiveTileStore {
  private readonly tiles = new Map<string, LiveTile>();
  private bytes = 0;
  private serial = 0;
  private readonly listeners = new Set<(frame: TileFrame) => void>();
  /** Highest generation seen, and frames received (for the status bar and tests). */
  generation = 0;
  received = 0;

  onFrame(l: (frame: TileFrame) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  add(frame: TileFrame): void {
    const key = liveTileKey(
      frame.datasetId,
      frame.plane,
      frame.t,
      frame.slice,
      frame.level,
      frame.u0,
      frame.v0,
      frame.layer,
    );
    const old = this.tiles.get(key);
    if (old && old.frame.generation > frame.generation) return;
    if (old) {
      this.tiles.delete(key);
      this.bytes -= old.frame.data.byteLength;
    }
    // Own the bytes: the frame is a view into the websocket message.
    const own: TileFrame = { ...frame, data: new Uint8Array(frame.data) };
    this.tiles.set(key, { frame: own, serial: ++this.serial });
    this.bytes += own.data.byteLength;
    this.received++;
    this.generation = Math.max(this.generation, frame.generation);
    for (const [k, t] of this.tiles) {
      if (this.bytes <= MAX_BYTES) break;
      this.tiles.delete(k);
      this.bytes -= t.frame.data.byteLength;
    }
    for (const l of this.listeners) l(own);
  }

  get(key: string): LiveTile | undefined {
    return this.tiles.get(key);
  }

  /** Every stored tile (optionally of one dataset and layer). */
  *all(datasetId?: string, layer?: LiveLayer): Iterable<LiveTile> {
    for (const t of this.tiles.values())
      if ((!datasetId || t.frame.datasetId === datasetId) && (!layer || t.frame.layer === layer)) yield t;
  }

  count(datasetId?: string, layer?: LiveLayer): number {
    let n = 0;
    for (const _ of this.all(datasetId, layer)) n++;
    return n;
  }
}
