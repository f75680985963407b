"use client";
// A dataset's thumbnail: one raw tile of the coarsest pyramid level (xy, middle slice, first time point),
// contrast-stretched to its robust range (histogram.ts).
import type { DatasetManifest } from "@sylva/shared";
import { useEffect, useRef, useState } from "react";
import { autoRange, histogramOf } from "../viewer/histogram";
import { fetchRawTile } from "../viewer/raw-tile";

const SIZE = 64;

export function DatasetThumbnail({ projectId, dataset }: { projectId: string; dataset: DatasetManifest }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const controller = new AbortController();
    const zi = dataset.axes.indexOf("z");
    fetchRawTile(
      {
        projectId,
        datasetId: dataset.id,
        level: dataset.levels.length - 1,
        plane: "xy",
        t: 0,
        slice: zi >= 0 ? Math.floor(dataset.shape[zi] / 2) : 0,
        tu: 0,
        tv: 0,
      },
      controller.signal,
    )
      .then((tile) => {
        const canvas = ref.current;
        const ctx = canvas?.getContext("2d");
        if (!canvas || !ctx) return;
        const h = histogramOf([tile]);
        const range = h ? autoRange(h) : { min: tile.min, max: tile.max };
        const n = tile.width * tile.height;
        const rgb = tile.channels >= 3;
        const img = ctx.createImageData(tile.width, tile.height);
        const k = 255 / Math.max(1e-30, range.max - range.min);
        for (let i = 0; i < n; i++)
          for (let c = 0; c < 3; c++) {
            const v = tile.data[(rgb ? c : 0) * n + i];
            img.data[i * 4 + c] = Math.max(0, Math.min(255, (v - range.min) * k));
          }
        for (let i = 0; i < n; i++) img.data[i * 4 + 3] = 255;
        canvas.width = tile.width;
        canvas.height = tile.height;
        ctx.putImageData(img, 0, 0);
      })
      .catch((e: unknown) => {
        if (!controller.signal.aborted) setFailed(e instanceof Error);
      });
    return () => controller.abort();
  }, [projectId, dataset]);
  return failed ? (
    <div className="thumb thumb-missing" style={{ width: SIZE, height: SIZE }} aria-hidden="true" />
  ) : (
    <canvas
      ref={ref}
      className="thumb"
      width={SIZE}
      height={SIZE}
      style={{ width: SIZE, height: SIZE }}
      role="img"
      aria-label={`Thumbnail of ${dataset.name}`}
      data-testid={`thumbnail-${dataset.id}`}
    />
  );
}
