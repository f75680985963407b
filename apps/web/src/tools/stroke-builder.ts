// Turns a drag into strokes: points in level-0 plane coordinates (integer voxels, consecutive duplicates
// dropped), cut into strokes of at most MAX_STROKE_POINTS (each continuing from the last point of the
// previous one, so the painted line has no gap), appended to the shared document with the local origin.
import { appendStroke, MAX_STROKE_POINTS, type Stroke } from "@sylva/shared";
import type * as Y from "yjs";
import type { Plane } from "../viewer/geometry";

export interface StrokeContext {
  readonly doc: Y.Doc;
  readonly origin: unknown;
  readonly datasetId: string;
  readonly author: string;
  readonly classId: number;
  readonly plane: Plane;
  readonly t: number;
  readonly slice: number;
  readonly diameter: number;
}

function newId(): string {
  return typeof crypto !== "undefined" && "randomUUID" in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export class StrokeBuilder {
  private points: [number, number][] = [];
  private committed = 0;
  /** Every point of the drag so far (for the on-screen preview). */
  readonly trail: [number, number][] = [];

  constructor(
    private readonly ctx: StrokeContext,
    private readonly maxPoints = MAX_STROKE_POINTS,
  ) {}

  get context(): StrokeContext {
    return this.ctx;
  }

  add(u: number, v: number): void {
    const p: [number, number] = [Math.floor(u), Math.floor(v)];
    const last = this.points[this.points.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) return;
    this.points.push(p);
    this.trail.push(p);
    if (this.points.length >= this.maxPoints) {
      this.commit();
      this.points = [p];
    }
  }

  /** Appends what is left as a stroke (a lone carried-over point was already painted). */
  finish(): void {
    if (this.points.length > 1 || (this.points.length === 1 && this.committed === 0)) this.commit();
    this.points = [];
  }

  private commit(): void {
    const c = this.ctx;
    const stroke: Stroke = {
      id: newId(),
      datasetId: c.datasetId as Stroke["datasetId"],
      author: c.author,
      classId: c.classId,
      plane: c.plane,
      t: c.t,
      slice: c.slice,
      diameter: c.diameter,
      points: this.points,
    };
    appendStroke(c.doc, stroke, c.origin);
    this.committed++;
  }
}
