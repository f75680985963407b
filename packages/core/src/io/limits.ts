// Limits on what a reader will believe of a file before it allocates memory for it: one place for the
// rules that stop a hostile or broken header (100000³ voxels, a decompression bomb) from exhausting memory.

import type { DType } from "../array/dtype.js";
import { bytesPerElement } from "../array/dtype.js";
import { ImageFormatError } from "./errors.js";

export interface ReadLimits {
  /** Most voxels (all axes, channels included) a dataset may claim; imports stream, so this can be large. */
  readonly maxVoxels: number;
  /** Most bytes one decode step may produce in memory (a whole PNG/JPEG, one TIFF page, one chunk). */
  readonly maxDecodedBytes: number;
}

/** 2^40 voxels (1 TiB of uint8) per dataset; 1 GiB per decoded image, page or chunk. */
export const DEFAULT_READ_LIMITS: ReadLimits = {
  maxVoxels: 2 ** 40,
  maxDecodedBytes: 2 ** 30,
};

function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  return `${n} bytes`;
}

/** Refuses a claimed dataset shape whose voxel count exceeds the limit (before anything is allocated). */
export function checkClaimedShape(
  shape: readonly number[],
  axes: string,
  source: string,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): void {
  let n = 1;
  for (const [i, s] of shape.entries()) {
    if (!Number.isSafeInteger(s) || s < 1)
      throw new ImageFormatError(source, `axis "${axes[i] ?? i}" has invalid size ${s}`);
    n *= s;
  }
  if (n > limits.maxVoxels)
    throw new ImageFormatError(
      source,
      `claims ${shape.join(" × ")} = ${n.toExponential(2)} voxels, more than the limit of ${limits.maxVoxels.toExponential(2)}; refusing to read it`,
    );
}

/** Refuses one decode step (an image, page or chunk of `voxels` × dtype) larger than the limit. */
export function checkDecodeSize(
  voxels: number,
  dtype: DType,
  source: string,
  what: string,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): void {
  const bytes = voxels * bytesPerElement(dtype);
  if (bytes > limits.maxDecodedBytes)
    throw new ImageFormatError(
      source,
      `${what} would decode to ${formatBytes(bytes)}, more than the limit of ${formatBytes(limits.maxDecodedBytes)}; refusing to decode it`,
    );
}
