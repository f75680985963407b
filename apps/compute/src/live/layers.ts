// From a tile's class probabilities (pixels × forest classes, float32, as the forest pool returns them)
// to the payloads of tile frames (schema/tile.ts), with ilastik's definitions from @sylva/core:
//   probabilities  one uint8 plane per class of the frame, round(255 p), classes in id order (a class the
//                  forest never saw gets a plane of zeros);
//   uncertainty    round(255 (1 − (p_max − p_second)));
//   segmentation   the class id of the argmax (first on ties).
// Tiles of pyramid levels above 0 are the mean of the level-0 probabilities under each pixel (the
// pyramid's own downsampling is a mean too), accumulated tile by tile in `MeanAccumulator`.

import { segmentation, uncertainty } from "@sylva/core";
import type { LiveLayer } from "@sylva/shared";
import type { TileRect } from "./tile-plan.js";

/** The frame payload of `layer` for `probs` (n × columns); columns ≤ classIds.length. */
export function layerBytes(
  layer: LiveLayer,
  probs: Float32Array,
  columns: number,
  classIds: readonly number[],
): Uint8Array {
  const n = probs.length / columns;
  if (layer === "probabilities") {
    const out = new Uint8Array(classIds.length * n);
    for (let k = 0; k < columns && k < classIds.length; k++) {
      const plane = k * n;
      for (let i = 0, s = k; i < n; i++, s += columns) out[plane + i] = Math.round(255 * probs[s]);
    }
    return out;
  }
  if (layer === "uncertainty") {
    const u = uncertainty(probs, columns);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.round(255 * u[i]);
    return out;
  }
  const seg = segmentation(probs, columns);
  for (let i = 0; i < n; i++) seg[i] = classIds[seg[i] - 1] ?? 0;
  return seg;
}

/** Averages level-0 probabilities into one tile of a coarser level. */
export class MeanAccumulator {
  private readonly sums: Float64Array;
  private readonly counts: Uint32Array;

  /**
   * `rect`: the tile at its level; `su`, `sv`: level-0 pixels per level pixel along u and v;
   * `columns`: classes per pixel.
   */
  constructor(
    private readonly rect: TileRect,
    private readonly su: number,
    private readonly sv: number,
    private readonly columns: number,
  ) {
    this.sums = new Float64Array(rect.width * rect.height * columns);
    this.counts = new Uint32Array(rect.width * rect.height);
  }

  /** Adds a level-0 tile's probabilities (`rect0` in level-0 pixels, n × columns). */
  add(probs: Float32Array, rect0: TileRect): void {
    const { rect, su, sv, columns: C } = this;
    for (let b = 0; b < rect0.height; b++) {
      const j = Math.floor((rect0.v0 + b) / sv) - rect.v0;
      if (j < 0 || j >= rect.height) continue;
      for (let a = 0; a < rect0.width; a++) {
        const i = Math.floor((rect0.u0 + a) / su) - rect.u0;
        if (i < 0 || i >= rect.width) continue;
        const p = j * rect.width + i;
        const s = (b * rect0.width + a) * C;
        for (let c = 0; c < C; c++) this.sums[p * C + c] += probs[s + c];
        this.counts[p]++;
      }
    }
  }

  /** The mean probabilities (width × height × columns float32). */
  result(): Float32Array {
    const C = this.columns;
    const out = new Float32Array(this.sums.length);
    for (let p = 0; p < this.counts.length; p++) {
      const n = this.counts[p];
      if (n > 0) for (let c = 0; c < C; c++) out[p * C + c] = this.sums[p * C + c] / n;
    }
    return out;
  }
}
