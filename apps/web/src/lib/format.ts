// Small display helpers: shapes with axis names, byte sizes, dtypes, percentages.
import type { DatasetManifest } from "@sylva/shared";

const BYTES_PER_SAMPLE: Record<string, number> = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  float64: 8,
};

export function bytesPerSample(dtype: string): number {
  return BYTES_PER_SAMPLE[dtype] ?? 4;
}

/** "z 30 × y 512 × x 512" */
export function formatShape(axes: string, shape: readonly number[]): string {
  return [...axes].map((a, i) => `${a} ${shape[i]}`).join(" × ");
}

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 && u > 0 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** Uncompressed size of a dataset's level 0. */
export function datasetBytes(m: Pick<DatasetManifest, "shape" | "dtype">): number {
  return m.shape.reduce((a, b) => a * b, 1) * bytesPerSample(m.dtype);
}

export function formatPercent(p: number): string {
  return `${Math.round(Math.max(0, Math.min(1, p)) * 100)}%`;
}

export function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}
