// Strokes to label voxels: the one rasterization every client and the compute service run, so that
// painters applying the same strokes in the same (document) order get identical label volumes.
//
// A stroke lies in one plane of one time point: "xy" at z = slice, "xz" at y = slice, "yz" at x = slice;
// its points are (u, v) plane coordinates in voxels: (x, y), (x, z) or (y, z). Between consecutive points
// the brush is stamped at every unit step (max(|Δu|, |Δv|) steps, positions rounded half up), so a fast
// drag leaves no gaps. The brush of diameter d covers the d × d voxels around the stamp whose offsets
// (a − (d − 1)/2, b − (d − 1)/2), a, b ∈ [0, d), lie within d/2 of the centre: a disc, 1 voxel for d = 1.
// A stroke sets its class's label value (classId, 1…N); class 0 is the eraser and sets 0 (unlabeled).
// Rasterizing into any block of the volume gives that block of the whole: blocks never change results.

export type Plane = "xy" | "xz" | "yz";

/** What rasterization needs of a stroke (the full, validated stroke lives in @sylva/shared). */
export interface StrokeGeometry {
  /** Label value written: 1…N for classes, 0 to erase. */
  readonly classId: number;
  readonly plane: Plane;
  readonly t: number;
  readonly slice: number;
  readonly diameter: number;
  readonly points: readonly (readonly [number, number])[];
}

/** One time point's labels over a box: uint8 (z, y, x), C order, starting at `origin` (z, y, x). */
export interface LabelBlock {
  readonly data: Uint8Array;
  readonly t: number;
  readonly origin: readonly [number, number, number];
  readonly shape: readonly [number, number, number];
}

/** Stamp positions (u, v) of a stroke, in order, consecutive duplicates removed. */
export function strokeStamps(points: readonly (readonly [number, number])[]): [number, number][] {
  const out: [number, number][] = [];
  const push = (u: number, v: number) => {
    const p: [number, number] = [Math.floor(u + 0.5), Math.floor(v + 0.5)];
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  };
  if (points.length > 0) push(points[0][0], points[0][1]);
  for (let i = 1; i < points.length; i++) {
    const [u0, v0] = points[i - 1];
    const [u1, v1] = points[i];
    const steps = Math.ceil(Math.max(Math.abs(u1 - u0), Math.abs(v1 - v0)));
    for (let k = 1; k <= steps; k++) push(u0 + ((u1 - u0) * k) / steps, v0 + ((v1 - v0) * k) / steps);
    if (steps === 0) push(u1, v1);
  }
  return out;
}

/** The brush's offsets from a stamp, for diameter d. */
export function brushOffsets(diameter: number): [number, number][] {
  const d = Math.max(1, Math.round(diameter));
  const centre = (d - 1) / 2;
  const r2 = (d / 2) ** 2;
  const shift = Math.floor(d / 2);
  const out: [number, number][] = [];
  for (let a = 0; a < d; a++)
    for (let b = 0; b < d; b++)
      if ((a - centre) ** 2 + (b - centre) ** 2 <= r2) out.push([a - shift, b - shift]);
  return out;
}

/** The (z, y, x) voxel of plane position (u, v) on `slice`. */
function voxelOf(plane: Plane, slice: number, u: number, v: number): [number, number, number] {
  if (plane === "xy") return [slice, v, u];
  if (plane === "xz") return [v, slice, u];
  return [v, u, slice];
}

/** Writes one stroke into a block (voxels outside the block are skipped). Returns how many were set. */
export function rasterizeStroke(block: LabelBlock, stroke: StrokeGeometry): number {
  if (stroke.t !== block.t) return 0;
  const [oz, oy, ox] = block.origin;
  const [Z, Y, X] = block.shape;
  const offsets = brushOffsets(stroke.diameter);
  const value = stroke.classId;
  let set = 0;
  for (const [u, v] of strokeStamps(stroke.points))
    for (const [du, dv] of offsets) {
      const [z, y, x] = voxelOf(stroke.plane, stroke.slice, u + du, v + dv);
      const lz = z - oz;
      const ly = y - oy;
      const lx = x - ox;
      if (lz < 0 || ly < 0 || lx < 0 || lz >= Z || ly >= Y || lx >= X) continue;
      block.data[(lz * Y + ly) * X + lx] = value;
      set++;
    }
  return set;
}

/** Writes strokes in order (document order: later strokes win). */
export function rasterizeStrokes(block: LabelBlock, strokes: Iterable<StrokeGeometry>): void {
  for (const s of strokes) rasterizeStroke(block, s);
}

/** The voxel box a stroke can touch: [z0, z1) × [y0, y1) × [x0, x1), for picking the blocks it changes. */
export function strokeBounds(stroke: StrokeGeometry): {
  t: number;
  start: [number, number, number];
  stop: [number, number, number];
} {
  const stamps = strokeStamps(stroke.points);
  const offsets = brushOffsets(stroke.diameter);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  const minOff = Math.min(...offsets.map((o) => Math.min(o[0], o[1])));
  const maxOff = Math.max(...offsets.map((o) => Math.max(o[0], o[1])));
  for (const [u, v] of stamps)
    for (const [du, dv] of [
      [minOff, minOff],
      [maxOff, maxOff],
    ]) {
      const p = voxelOf(stroke.plane, stroke.slice, u + du, v + dv);
      for (let i = 0; i < 3; i++) {
        lo[i] = Math.min(lo[i], p[i]);
        hi[i] = Math.max(hi[i], p[i] + 1);
      }
    }
  return { t: stroke.t, start: lo as [number, number, number], stop: hi as [number, number, number] };
}
