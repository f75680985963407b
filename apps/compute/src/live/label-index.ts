// The label volume of one dataset, kept up to date incrementally from its stroke array: sparse blocks of
// a fixed grid (only blocks holding labels exist) with, per voxel, the label value and the plane of the
// stroke that set it (to pick the feature slab a sample is read from, see samples.ts).
//
// The invariant: every block equals rasterizing, into that block, the dataset's labeling strokes in
// document order (readStrokes of @sylva/shared: valid strokes of this dataset whose class exists, and
// erasers). Updates keep it cheaply:
//   - strokes appended at the end of the array are rasterized on top, into the blocks they touch only;
//   - strokes deleted (undo) or inserted before others (concurrent edits merged in the middle of the
//     order), and strokes whose class appeared or disappeared, make the blocks they touch dirty; a dirty
//     block is cleared and re-rasterized from the strokes that touch it, in document order.

import type { Box, LabelBlock, Plane, Shape3 } from "@sylva/core";
import { rasterizeStroke, strokeBounds } from "@sylva/core";
import type { Stroke } from "@sylva/shared";
import { PLANES, strokeSchema } from "@sylva/shared";

/** Label blocks: one slice of 256 × 256 for 2D data, 16 × 64 × 64 for 3D (64 KiB of labels either way). */
export const LABEL_BLOCK_2D: Shape3 = [1, 256, 256];
export const LABEL_BLOCK_3D: Shape3 = [16, 64, 64];

/** One block of the index: labels, and the plane (index into PLANES) of the stroke that set each voxel. */
export interface IndexedBlock {
  readonly key: string;
  readonly labels: LabelBlock;
  readonly planes: Uint8Array;
}

/** An edit of a Y.Array, as Yjs reports it (event.changes.delta). */
export interface ArrayDelta {
  readonly insert?: readonly unknown[] | string;
  readonly delete?: number;
  readonly retain?: number;
}

interface Item {
  /** The stroke if it is a valid stroke of this dataset, else null (it labels nothing). */
  readonly stroke: Stroke | null;
  /** Time point and the grid blocks it touches (inside the volume). */
  readonly blocks: readonly string[];
}

export interface VolumeShape {
  readonly T: number;
  readonly Z: number;
  readonly Y: number;
  readonly X: number;
}

function planeValue(plane: Plane): number {
  return PLANES.indexOf(plane);
}

export class LabelIndex {
  private items: Item[] = [];
  private readonly blockMap = new Map<string, IndexedBlock>();
  private active: ReadonlySet<number> = new Set();
  readonly blockShape: Shape3;
  /** Bumped on every change of the labels. */
  version = 0;

  constructor(
    readonly datasetId: string,
    readonly shape: VolumeShape,
    blockShape?: Shape3,
  ) {
    this.blockShape = blockShape ?? (shape.Z > 1 ? LABEL_BLOCK_3D : LABEL_BLOCK_2D);
  }

  /** Blocks holding labels, in key order (t, then z, y, x of the grid). */
  blocks(): IndexedBlock[] {
    return [...this.blockMap.values()].sort((a, b) => compareKeys(a.key, b.key));
  }

  get blockCount(): number {
    return this.blockMap.size;
  }

  /** The labeling strokes in document order (readStrokes' result; some may lie outside the volume). */
  strokes(): Stroke[] {
    return this.items.filter((i) => this.labeling(i)).map((i) => i.stroke!);
  }

  /** Rebuilds everything from the array's values and the existing class ids. */
  reset(values: readonly unknown[], classIds: ReadonlySet<number>): void {
    this.active = new Set(classIds);
    this.items = values.map((v) => this.item(v));
    this.blockMap.clear();
    const dirty = new Set<string>();
    for (const it of this.items) if (this.labels(it)) for (const k of it.blocks) dirty.add(k);
    this.rebuild(dirty);
    this.version++;
  }

  /** Applies one Y.Array event's delta; returns whether any label changed (or may have). */
  applyDelta(delta: readonly ArrayDelta[]): boolean {
    const inserted = new Set<Item>();
    const dirty = new Set<string>();
    let pos = 0;
    for (const op of delta) {
      if (op.retain !== undefined) pos += op.retain;
      else if (op.delete !== undefined) {
        for (const it of this.items.splice(pos, op.delete))
          if (this.labels(it)) for (const k of it.blocks) dirty.add(k);
      } else if (op.insert !== undefined && typeof op.insert !== "string") {
        const fresh = op.insert.map((v) => this.item(v));
        for (const it of fresh) inserted.add(it);
        this.items.splice(pos, 0, ...fresh);
        pos += fresh.length;
      }
    }
    // New strokes after every older one are painted on top; others (inserted before existing strokes)
    // change the order, so the blocks they touch are redone.
    let tail = this.items.length;
    while (tail > 0 && inserted.has(this.items[tail - 1])) tail--;
    const appended: Item[] = [];
    for (const [i, it] of this.items.entries()) {
      if (!inserted.has(it) || !this.labels(it)) continue;
      if (i >= tail) appended.push(it);
      else for (const k of it.blocks) dirty.add(k);
    }
    if (dirty.size === 0 && appended.length === 0) return false;
    this.rebuild(dirty);
    for (const it of appended) this.paint(it, dirty);
    this.version++;
    return true;
  }

  /** The set of existing class ids changed: redo the blocks of strokes whose class came or went. */
  setClasses(classIds: ReadonlySet<number>): boolean {
    const before = this.active;
    this.active = new Set(classIds);
    const dirty = new Set<string>();
    for (const it of this.items) {
      const c = it.stroke?.classId;
      if (c === undefined || c === 0) continue;
      if (before.has(c) !== this.active.has(c)) for (const k of it.blocks) dirty.add(k);
    }
    if (dirty.size === 0) return false;
    this.rebuild(dirty);
    this.version++;
    return true;
  }

  /** The (z, y, x) box of a block key's grid cell, clipped to the volume. */
  blockBox(key: string): { t: number; box: Box } {
    const [t, bz, by, bx] = key.split("/").map(Number);
    const [BZ, BY, BX] = this.blockShape;
    const { Z, Y, X } = this.shape;
    return {
      t,
      box: {
        z0: bz * BZ,
        z1: Math.min(Z, (bz + 1) * BZ),
        y0: by * BY,
        y1: Math.min(Y, (by + 1) * BY),
        x0: bx * BX,
        x1: Math.min(X, (bx + 1) * BX),
      },
    };
  }

  /** A valid stroke of this dataset whose class exists (or an eraser). */
  private labeling(it: Item): boolean {
    const s = it.stroke;
    return s !== null && (s.classId === 0 || this.active.has(s.classId));
  }

  /** … that touches the volume. */
  private labels(it: Item): boolean {
    return it.blocks.length > 0 && this.labeling(it);
  }

  private item(value: unknown): Item {
    const parsed = strokeSchema.safeParse(value);
    if (!parsed.success || parsed.data.datasetId !== this.datasetId) return { stroke: null, blocks: [] };
    const stroke = parsed.data;
    if (stroke.t >= this.shape.T) return { stroke, blocks: [] };
    const b = strokeBounds(stroke);
    const size = [this.shape.Z, this.shape.Y, this.shape.X];
    const lo = b.start.map((s, i) => Math.floor(Math.max(0, s) / this.blockShape[i]));
    const hi = b.stop.map((s, i) => Math.ceil(Math.min(size[i], s) / this.blockShape[i]));
    const blocks: string[] = [];
    for (let z = lo[0]; z < hi[0]; z++)
      for (let y = lo[1]; y < hi[1]; y++)
        for (let x = lo[2]; x < hi[2]; x++) blocks.push(`${stroke.t}/${z}/${y}/${x}`);
    return { stroke, blocks };
  }

  private emptyBlock(key: string): IndexedBlock {
    const { t, box } = this.blockBox(key);
    const shape: [number, number, number] = [box.z1 - box.z0, box.y1 - box.y0, box.x1 - box.x0];
    const n = shape[0] * shape[1] * shape[2];
    return {
      key,
      labels: { data: new Uint8Array(n), t, origin: [box.z0, box.y0, box.x0], shape },
      planes: new Uint8Array(n),
    };
  }

  /** Writes a stroke into a block, labels and planes. */
  private static draw(block: IndexedBlock, stroke: Stroke): void {
    rasterizeStroke(block.labels, stroke);
    rasterizeStroke(
      { data: block.planes, t: block.labels.t, origin: block.labels.origin, shape: block.labels.shape },
      { ...stroke, classId: planeValue(stroke.plane) },
    );
  }

  /** Clears and re-rasterizes `keys` from the labeling strokes in document order. */
  private rebuild(keys: ReadonlySet<string>): void {
    if (keys.size === 0) return;
    const fresh = new Map<string, IndexedBlock>();
    for (const k of keys) fresh.set(k, this.emptyBlock(k));
    for (const it of this.items) {
      if (!this.labels(it)) continue;
      for (const k of it.blocks) {
        const b = fresh.get(k);
        if (b) LabelIndex.draw(b, it.stroke!);
      }
    }
    for (const [k, b] of fresh) {
      if (b.labels.data.some((v) => v !== 0)) this.blockMap.set(k, b);
      else this.blockMap.delete(k);
    }
  }

  /** Paints an appended stroke on top, skipping blocks just rebuilt (they already hold it). */
  private paint(it: Item, skip: ReadonlySet<string>): void {
    const stroke = it.stroke!;
    for (const k of it.blocks) {
      if (skip.has(k)) continue;
      let b = this.blockMap.get(k);
      const created = !b;
      if (!b) {
        if (stroke.classId === 0) continue; // erasing where nothing is labeled
        b = this.emptyBlock(k);
      }
      LabelIndex.draw(b, stroke);
      // A new block may have caught only the corner of the stroke's bounds; an eraser may empty one.
      if ((created || stroke.classId === 0) && !b.labels.data.some((v) => v !== 0)) this.blockMap.delete(k);
      else this.blockMap.set(k, b);
    }
  }
}

function compareKeys(a: string, b: string): number {
  const p = a.split("/").map(Number);
  const q = b.split("/").map(Number);
  for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i] - q[i];
  return 0;
}
