// Label tiles: the project's strokes rasterized (core's rasterizeStrokes, the rule every peer and the
// service share) into one uint8 tile of class ids per view tile, cached and kept current. A stroke
// appended at the end of the document is stamped into the cached tiles it touches; any other change
// (undo, a concurrent insert, a class deleted) recomputes. Coarse levels take any label under a pixel.
import {
  brushOffsets,
  type LabelBlock,
  rasterizeStroke,
  type StrokeGeometry,
  strokeBounds,
  strokeStamps,
} from "@sylva/core";
import { readClasses, readStrokes, type Stroke, strokeSchema, strokesArray } from "@sylva/shared";
import type * as Y from "yjs";
import { type Geometry, type Plane, planeExtent, planeScale, type TileRef, toPlane } from "./geometry";

/** Above this many level-0 voxels per tile, coarse tiles rasterize scaled in-plane strokes instead. */
const MAX_BLOCK_VOXELS = 4 * 1024 * 1024;
const MAX_TILES = 400;

interface Bounds {
  t: number;
  start: [number, number, number];
  stop: [number, number, number];
}

interface CachedStroke {
  readonly stroke: Stroke;
  readonly bounds: Bounds;
}

export interface LabelTile {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  serial: number;
  /** No stroke touches the tile (nothing to draw). */
  empty: boolean;
}

interface TileEntry extends LabelTile {
  readonly datasetId: string;
  readonly plane: Plane;
  readonly t: number;
  readonly slice: number;
  readonly ref: TileRef;
  /** Level-0 region covered (z, y, x box), for intersecting stroke bounds. */
  readonly box: { start: [number, number, number]; stop: [number, number, number] };
  readonly scaled: boolean;
  /** Level-0 voxels per tile pixel along u and v. */
  readonly su: number;
  readonly sv: number;
}

/** The (z, y, x) box of a plane region one voxel thick. */
function boxFor(
  plane: Plane,
  slice: number,
  u0: number,
  v0: number,
  w: number,
  h: number,
): { origin: [number, number, number]; shape: [number, number, number] } {
  if (plane === "xy") return { origin: [slice, v0, u0], shape: [1, h, w] };
  if (plane === "xz") return { origin: [v0, slice, u0], shape: [h, 1, w] };
  return { origin: [v0, u0, slice], shape: [h, w, 1] };
}

/** A label block over a plane region; its data is laid out as v rows of u, whatever the plane. */
function blockFor(
  plane: Plane,
  t: number,
  slice: number,
  u0: number,
  v0: number,
  w: number,
  h: number,
  data: Uint8Array = new Uint8Array(w * h),
): LabelBlock {
  return { data, t, ...boxFor(plane, slice, u0, v0, w, h) };
}

function intersects(b: Bounds, t: number, box: TileEntry["box"]): boolean {
  if (b.t !== t) return false;
  for (let i = 0; i < 3; i++) if (b.stop[i] <= box.start[i] || b.start[i] >= box.stop[i]) return false;
  return true;
}

export class LabelTiles {
  private readonly strokes = new Map<string, CachedStroke[]>();
  private readonly tiles = new Map<string, TileEntry>();
  private readonly observed = new Map<string, () => void>();
  private readonly listeners = new Set<() => void>();
  private serial = 0;
  private readonly onClasses = () => this.invalidate();

  constructor(private readonly doc: Y.Doc) {
    doc.getMap("classes").observe(this.onClasses);
  }

  destroy(): void {
    this.doc.getMap("classes").unobserve(this.onClasses);
    for (const off of this.observed.values()) off();
    this.observed.clear();
  }

  onChange(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  private invalidate(datasetId?: string): void {
    if (datasetId) this.strokes.delete(datasetId);
    else this.strokes.clear();
    for (const [k, e] of this.tiles) if (!datasetId || e.datasetId === datasetId) this.tiles.delete(k);
    this.emit();
  }

  /** Starts following a dataset's strokes. */
  private observe(datasetId: string): void {
    if (this.observed.has(datasetId)) return;
    const array = strokesArray(this.doc, datasetId);
    const handler = (event: Y.YArrayEvent<unknown>) => this.onStrokes(datasetId, array, event);
    array.observe(handler);
    this.observed.set(datasetId, () => array.unobserve(handler));
  }

  private onStrokes(datasetId: string, array: Y.Array<unknown>, event: Y.YArrayEvent<unknown>): void {
    const delta = event.changes.delta;
    const inserted: unknown[] = [];
    let appendOnly = true;
    let retained = 0;
    for (const d of delta) {
      if (d.delete) appendOnly = false;
      else if (d.retain !== undefined) {
        if (inserted.length > 0) appendOnly = false;
        retained += d.retain;
      } else if (d.insert) inserted.push(...(Array.isArray(d.insert) ? d.insert : [d.insert]));
    }
    if (!appendOnly || retained + inserted.length !== array.length) {
      this.invalidate(datasetId);
      return;
    }
    const cached = this.strokes.get(datasetId);
    const classIds = new Set(readClasses(this.doc).map((c) => c.id));
    for (const value of inserted) {
      const parsed = strokeSchema.safeParse(value);
      if (!parsed.success || parsed.data.datasetId !== datasetId) continue;
      const s = parsed.data;
      if (s.classId !== 0 && !classIds.has(s.classId)) continue;
      const entry: CachedStroke = { stroke: s, bounds: strokeBounds(s) };
      cached?.push(entry);
      for (const [key, tile] of this.tiles) {
        if (tile.datasetId !== datasetId || !intersects(entry.bounds, tile.t, tile.box)) continue;
        if (s.classId === 0 && tile.ref.level > 0 && !tile.scaled) {
          this.tiles.delete(key);
          continue;
        }
        this.stamp(tile, [entry]);
        tile.serial = ++this.serial;
      }
    }
    this.emit();
  }

  private strokesOf(datasetId: string): CachedStroke[] {
    this.observe(datasetId);
    let list = this.strokes.get(datasetId);
    if (!list) {
      list = readStrokes(this.doc, datasetId).map((stroke) => ({ stroke, bounds: strokeBounds(stroke) }));
      this.strokes.set(datasetId, list);
    }
    return list;
  }

  /** Number of strokes (valid or not) in a dataset's array. */
  strokeCount(datasetId: string): number {
    return strokesArray(this.doc, datasetId).length;
  }

  /** The label tile of a view tile (computed on first use). */
  get(g: Geometry, plane: Plane, t: number, slice: number, ref: TileRef): LabelTile {
    const key = `${g.id}/${plane}/${t}/${slice}/${ref.level}/${ref.tu}/${ref.tv}`;
    const hit = this.tiles.get(key);
    if (hit) {
      this.tiles.delete(key);
      this.tiles.set(key, hit);
      return hit;
    }
    const { su, sv } = planeScale(g, plane, ref.level);
    const ext = planeExtent(g, plane);
    const U0 = ref.u0 * su;
    const V0 = ref.v0 * sv;
    const U1 = Math.min(ext.width, (ref.u0 + ref.width) * su);
    const V1 = Math.min(ext.height, (ref.v0 + ref.height) * sv);
    const box = boxFor(plane, slice, U0, V0, U1 - U0, V1 - V0);
    const entry: TileEntry = {
      datasetId: g.id,
      plane,
      t,
      slice,
      ref,
      data: new Uint8Array(ref.width * ref.height),
      width: ref.width,
      height: ref.height,
      serial: ++this.serial,
      empty: true,
      box: {
        start: box.origin,
        stop: [box.origin[0] + box.shape[0], box.origin[1] + box.shape[1], box.origin[2] + box.shape[2]],
      },
      scaled: (U1 - U0) * (V1 - V0) > MAX_BLOCK_VOXELS,
      su,
      sv,
    };
    this.stamp(
      entry,
      this.strokesOf(g.id).filter((s) => intersects(s.bounds, t, entry.box)),
    );
    this.tiles.set(key, entry);
    for (const k of this.tiles.keys()) {
      if (this.tiles.size <= MAX_TILES) break;
      this.tiles.delete(k);
    }
    return entry;
  }

  /** Writes strokes (in order) into a tile. */
  private stamp(tile: TileEntry, strokes: readonly CachedStroke[]): void {
    if (strokes.length === 0) return;
    tile.empty = false;
    const { ref, plane, t, slice } = tile;
    const [oz, oy, ox] = tile.box.start;
    const origin = toPlane(plane, { x: ox, y: oy, z: oz });
    const w = tile.box.stop;
    const ext = toPlane(plane, { x: w[2] - ox, y: w[1] - oy, z: w[0] - oz });
    if (ref.level === 0) {
      // Rasterize straight into the tile's buffer (same layout: v rows of u).
      const block = blockFor(plane, t, slice, origin.u, origin.v, ref.width, ref.height, tile.data);
      for (const s of strokes) rasterizeStroke(block, s.stroke);
      return;
    }
    const { su, sv } = tile;
    if (tile.scaled) {
      // Too large to rasterize at full resolution: in-plane strokes, scaled to the level.
      const block: LabelBlock = { data: tile.data, t, origin: [0, 0, 0], shape: [1, ref.height, ref.width] };
      for (const { stroke } of strokes) {
        if (stroke.plane !== plane || stroke.slice !== slice) continue;
        const scaled: StrokeGeometry = {
          classId: stroke.classId,
          plane: "xy",
          t,
          slice: 0,
          diameter: Math.max(1, Math.round(stroke.diameter / Math.max(su, sv))),
          points: stroke.points.map(([u, v]) => [u / su - ref.u0, v / sv - ref.v0] as const),
        };
        rasterizeStroke(block, scaled);
      }
      return;
    }
    // Rasterize the level-0 region, then take, per level pixel, the last label found under it.
    const bw = Math.round(ext.u);
    const bh = Math.round(ext.v);
    const block = blockFor(plane, t, slice, origin.u, origin.v, bw, bh);
    for (const s of strokes) rasterizeStroke(block, s.stroke);
    const src = block.data;
    const isu = Math.ceil(su);
    const isv = Math.ceil(sv);
    for (let j = 0; j < ref.height; j++)
      for (let i = 0; i < ref.width; i++) {
        let value = 0;
        const u0 = Math.floor(i * su);
        const v0 = Math.floor(j * sv);
        for (let b = v0; b < Math.min(bh, v0 + isv); b++)
          for (let a = u0; a < Math.min(bw, u0 + isu); a++) {
            const x = src[b * bw + a];
            if (x !== 0) value = x;
          }
        // Zero means "nothing new here": erasers on coarse tiles recompute the tile instead.
        if (value !== 0) tile.data[j * ref.width + i] = value;
      }
  }

  /** The stroke that gave voxel (x, y, z) at time t its label (the last one covering it), if any. */
  strokeAt(datasetId: string, t: number, p: { x: number; y: number; z: number }): Stroke | undefined {
    const list = this.strokesOf(datasetId);
    const zyx = [p.z, p.y, p.x];
    for (let i = list.length - 1; i >= 0; i--) {
      const { stroke, bounds } = list[i];
      if (bounds.t !== t) continue;
      if (zyx.some((c, k) => c < bounds.start[k] || c >= bounds.stop[k])) continue;
      const q = toPlane(stroke.plane, p);
      if (q.slice !== stroke.slice) continue;
      const offsets = brushOffsets(stroke.diameter);
      const hit = strokeStamps(stroke.points).some(([su, sv]) =>
        offsets.some(([du, dv]) => su + du === q.u && sv + dv === q.v),
      );
      if (hit) return stroke.classId === 0 ? undefined : stroke;
    }
    return undefined;
  }
}
