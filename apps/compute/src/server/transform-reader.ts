// The export options an OME-Zarr export applies on the fly, as a VolumeReader over another one: a cutout
// (the reader's region shifted into the box, shape the box's), then renormalization and the conversion
// to the export dtype with core's functions (renormalize.ts, dtype.ts: float64 maps, integers rounded
// half to even and clipped). File exports get the same steps from core's export pipeline.

import type { CutoutBox, DType, RenormalizeRange, VolumeReader } from "@sylva/core";
import { checkRegion, convertDType, renormalize } from "@sylva/core";

export interface TransformOptions {
  /** [start, stop) per axis of the reader (resolveCutout's result); axes left out are whole. */
  readonly box: CutoutBox;
  readonly renormalize?: RenormalizeRange;
  readonly dtype?: DType;
}

export function transformReader(inner: VolumeReader, o: TransformOptions): VolumeReader {
  const starts = [...inner.axes].map((a) => o.box[a]?.[0] ?? 0);
  const shape = [...inner.axes].map((a, i) => {
    const r = o.box[a];
    return r ? r[1] - r[0] : inner.shape[i];
  });
  const dtype = o.dtype ?? inner.dtype;
  const reader: VolumeReader = {
    source: inner.source,
    shape,
    axes: inner.axes,
    dtype,
    axesGuessed: inner.axesGuessed,
    async read(region) {
      checkRegion(reader, region);
      const v = await inner.read({
        start: region.start.map((s, i) => s + starts[i]),
        stop: region.stop.map((s, i) => s + starts[i]),
      });
      const data = o.renormalize
        ? renormalize(v.data, o.renormalize, { dtype })
        : convertDType(v.data, dtype);
      return { data, shape: v.shape, axes: v.axes };
    },
    close: () => inner.close(),
  };
  return reader;
}
