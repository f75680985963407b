// A dataset's labels as a lazy VolumeReader (what the "Labels" export source writes): the strokes of
// the project document rasterized in document order with core's rasterizeStrokes, uint8 label values
// (0 unlabeled, else the class id), computed block by block; only the strokes whose bounds touch a block
// are drawn into it.

import type { LabelBlock, VolumeReader } from "@sylva/core";
import { rasterizeStrokes, strokeBounds } from "@sylva/core";
import type { Stroke } from "@sylva/shared";
import type { DatasetGeometry } from "../live/geometry.js";
import { blockwiseReader } from "./blockwise-reader.js";

export interface LabelsReaderOptions {
  readonly geometry: DatasetGeometry;
  /** The dataset's labeling strokes in document order (readStrokes of @sylva/shared). */
  readonly strokes: readonly Stroke[];
  readonly signal?: AbortSignal;
}

export function labelsReader(o: LabelsReaderOptions): VolumeReader {
  const bounds = o.strokes.map((s) => ({ stroke: s, ...strokeBounds(s) }));
  return blockwiseReader({
    source: `labels of dataset ${o.geometry.id}`,
    geometry: o.geometry,
    channels: undefined,
    dtype: "uint8",
    block: [16, 256, 256],
    signal: o.signal,
    async compute(t, box) {
      const block: LabelBlock = {
        data: new Uint8Array((box.z1 - box.z0) * (box.y1 - box.y0) * (box.x1 - box.x0)),
        t,
        origin: [box.z0, box.y0, box.x0],
        shape: [box.z1 - box.z0, box.y1 - box.y0, box.x1 - box.x0],
      };
      const lo = [box.z0, box.y0, box.x0];
      const hi = [box.z1, box.y1, box.x1];
      rasterizeStrokes(
        block,
        bounds
          .filter((b) => b.t === t && b.start.every((s, i) => s < hi[i]) && b.stop.every((s, i) => s > lo[i]))
          .map((b) => b.stroke),
      );
      return block.data;
    },
  });
}
