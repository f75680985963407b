// Sets the raw layer's display range from the data (robust percentiles of the first tiles) when a
// dataset opens whose dtype has no natural range (anything but uint8), until the user sets one.
import { useEffect } from "react";
import { autoRange, histogramOf } from "../viewer/histogram";
import type { WorkspaceModel } from "./model";

export function useAutoDisplayRange(model: WorkspaceModel | null): void {
  useEffect(() => {
    if (!model) return;
    const check = () => {
      const g = model.viewer.get().geometry;
      const display = model.layers.get().display;
      if (!g || !display.unset) return;
      const tiles = [...model.raw.entries(`${g.id}/`)].map(([, t]) => t);
      const h = histogramOf(tiles, display.channel);
      if (!h) return;
      model.layers.set({ display: { ...display, ...autoRange(h), unset: false } });
    };
    const off = model.raw.onLoad(check);
    const offViewer = model.viewer.subscribe(check);
    return () => {
      off();
      offViewer();
    };
  }, [model]);
}
