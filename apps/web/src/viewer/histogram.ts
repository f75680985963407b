// Histograms of the raw tiles on screen, for the display range dialog: bins over the data's range and
// percentiles for "auto" (ilastik-style contrast from the data rather than the dtype's full range).
import type { RawTile } from "./raw-tile";

export interface Histogram {
  readonly min: number;
  readonly max: number;
  readonly bins: Uint32Array;
  readonly total: number;
}

/** Histogram of one channel over tiles (at most ~1M samples, strided). */
export function histogramOf(tiles: readonly RawTile[], channel = 0, binCount = 128): Histogram | null {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const planes: Float32Array[] = [];
  for (const t of tiles) {
    const n = t.width * t.height;
    const c = Math.min(channel, t.channels - 1);
    const plane = t.data.subarray(c * n, (c + 1) * n);
    planes.push(plane);
    for (let i = 0; i < plane.length; i++) {
      const v = plane[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (planes.length === 0 || !Number.isFinite(min)) return null;
  const bins = new Uint32Array(binCount);
  const width = max > min ? (max - min) / binCount : 1;
  const totalSamples = planes.reduce((a, p) => a + p.length, 0);
  const stride = Math.max(1, Math.floor(totalSamples / 1_000_000));
  let total = 0;
  for (const plane of planes)
    for (let i = 0; i < plane.length; i += stride) {
      bins[Math.min(binCount - 1, Math.floor((plane[i] - min) / width))]++;
      total++;
    }
  return { min, max, bins, total };
}

/** The value below which a fraction `q` of the samples lie (bin resolution). */
export function percentile(h: Histogram, q: number): number {
  const target = q * h.total;
  let acc = 0;
  const width = (h.max - h.min) / h.bins.length;
  for (let i = 0; i < h.bins.length; i++) {
    acc += h.bins[i];
    if (acc >= target) return h.min + (i + (q < 0.5 ? 0 : 1)) * width;
  }
  return h.max;
}

/** Automatic range: the 0.02nd to 99.98th percentile (robust to a few outliers, keeps small bright objects). */
export function autoRange(h: Histogram): { min: number; max: number } {
  const lo = percentile(h, 0.0002);
  const hi = percentile(h, 0.9998);
  return hi > lo ? { min: lo, max: hi } : { min: h.min, max: h.max > h.min ? h.max : h.min + 1 };
}
