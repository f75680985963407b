// The JSON documents of a Sylva OME-Zarr: Zarr v2 `.zgroup` and `.zarray`, and the NGFF 0.4
// `multiscales` of the root `.zattrs` (validated against the NGFF schema in the tests).

import type { DType } from "../array/dtype.js";
import { BLOSC_CONFIG } from "../io/blosc.js";
import type { PyramidLevel } from "./layout.js";
import { NGFF_VERSION, ZARR_FORMAT } from "./layout.js";

const ZARR_DTYPES: Record<DType, string> = {
  uint8: "|u1",
  int8: "|i1",
  uint16: "<u2",
  int16: "<i2",
  uint32: "<u4",
  int32: "<i4",
  float32: "<f4",
  float64: "<f8",
};

/** The Zarr v2 dtype string ("<u2") of one of our dtypes. */
export function zarrDType(dtype: DType): string {
  return ZARR_DTYPES[dtype];
}

export interface ZarrayJson {
  readonly zarr_format: 2;
  readonly shape: number[];
  readonly chunks: number[];
  readonly dtype: string;
  readonly compressor: typeof BLOSC_CONFIG;
  readonly fill_value: number;
  readonly order: "C";
  readonly filters: null;
  readonly dimension_separator: "/";
}

export function zarrayJson(level: PyramidLevel, dtype: DType): ZarrayJson {
  return {
    zarr_format: ZARR_FORMAT,
    shape: [...level.shape],
    chunks: [...level.chunks],
    dtype: zarrDType(dtype),
    compressor: BLOSC_CONFIG,
    fill_value: 0,
    order: "C",
    filters: null,
    dimension_separator: "/",
  };
}

export const ZGROUP_JSON = { zarr_format: ZARR_FORMAT } as const;

const AXIS_TYPES: Record<string, "time" | "channel" | "space"> = {
  t: "time",
  c: "channel",
  z: "space",
  y: "space",
  x: "space",
};

/** Voxel size of level 0 along an axis, when known (e.g. from TIFF resolution or NGFF scale). */
export interface VoxelSize {
  readonly axis: string;
  readonly size: number;
  readonly unit?: string;
}

/** The NGFF units we can write; others are dropped (NGFF 0.4 restricts units to UDUNITS-2 names). */
const NGFF_SPACE_UNITS = new Set([
  "angstrom",
  "nanometer",
  "micrometer",
  "millimeter",
  "centimeter",
  "meter",
]);
const NGFF_TIME_UNITS = new Set(["millisecond", "second", "minute", "hour"]);

export interface MultiscalesOptions {
  readonly name: string;
  readonly axes: string;
  readonly levels: readonly PyramidLevel[];
  readonly voxelSizes?: readonly VoxelSize[];
}

/** The root `.zattrs` of an NGFF 0.4 image: one multiscales entry, mean-downsampled levels. */
export function multiscalesAttrs(options: MultiscalesOptions): Record<string, unknown> {
  const { axes, levels, name } = options;
  const voxel = (a: string): VoxelSize | undefined => options.voxelSizes?.find((v) => v.axis === a);
  return {
    multiscales: [
      {
        version: NGFF_VERSION,
        name,
        axes: [...axes].map((a) => {
          const type = AXIS_TYPES[a];
          const unit = voxel(a)?.unit;
          const allowed = type === "time" ? NGFF_TIME_UNITS : type === "space" ? NGFF_SPACE_UNITS : undefined;
          return unit && allowed?.has(unit) ? { name: a, type, unit } : { name: a, type };
        }),
        datasets: levels.map((level) => ({
          path: level.path,
          coordinateTransformations: [
            {
              type: "scale",
              scale: level.scale.map((s, i) => s * (voxel(axes[i])?.size ?? 1)),
            },
          ],
        })),
        type: "mean",
        metadata: { method: "sylva: mean of 2x2(x2) blocks, integers rounded half up", version: "1" },
      },
    ],
  };
}
