"use client";
// The layers panel: each layer with an eye toggle, its opacity and its place in the stack (top first);
// the raw layer opens the display range dialog; the segmentation layer has its probability threshold
// (0 is ilastik's argmax; higher leaves uncertain pixels unassigned). A feature preview layer has a
// close button that removes it.
import { useState } from "react";
import { rgbCss } from "../lib/color";
import { shallowEqual, useStore } from "../lib/store";
import { closeFeaturePreview } from "../viewer/feature-preview";
import { type Layer, layerList, moveLayer, setLayer } from "../viewer/layers";
import type { WorkspaceModel } from "../workspace/model";
import { DisplayRangeDialog } from "./display-range-dialog";

function EyeIcon({ open }: { open: boolean }) {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
      <path
        d="M1 8s2.5-5 7-5 7 5 7 5-2.5 5-7 5-7-5-7-5z"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.4"
      />
      {open ? (
        <circle cx="8" cy="8" r="2.2" fill="currentColor" />
      ) : (
        <path d="M2 14L14 2" stroke="currentColor" strokeWidth="1.4" />
      )}
    </svg>
  );
}

function LayerRow({
  model,
  layer,
  index,
  count,
  layers,
}: {
  model: WorkspaceModel;
  layer: Layer;
  index: number;
  count: number;
  layers: Layer[];
}) {
  const [rangeOpen, setRangeOpen] = useState(false);
  const threshold = useStore(model.layers, (s) => s.threshold);
  const swatch =
    layer.kind === "raw" || layer.kind === "feature-preview"
      ? "linear-gradient(90deg, #000, #fff)"
      : layer.kind === "labels" || layer.kind === "segmentation"
        ? "conic-gradient(#ff0000 0 25%, #00ff00 0 50%, #ffff00 0 75%, #0000ff 0)"
        : layer.color
          ? rgbCss(layer.color)
          : "#888";
  return (
    <li className={`layer-row${layer.visible ? "" : " hidden-layer"}`} data-testid={`layer-${layer.id}`}>
      <div className="layer-main">
        <button
          type="button"
          className="icon-btn"
          aria-pressed={layer.visible}
          aria-label={`Show ${layer.name}`}
          onClick={() => setLayer(model.layers, layer, { visible: !layer.visible })}
          data-testid={`layer-eye-${layer.id}`}
        >
          <EyeIcon open={layer.visible} />
        </button>
        <span className="layer-swatch" style={{ background: swatch }} aria-hidden="true" />
        <span className="layer-name" title={layer.name}>
          {layer.name}
        </span>
        <div className="layer-order">
          <button
            type="button"
            className="icon-btn"
            disabled={index === 0}
            onClick={() => moveLayer(model.layers, layers, layer.id, -1)}
            aria-label={`Move ${layer.name} up`}
          >
            ▲
          </button>
          <button
            type="button"
            className="icon-btn"
            disabled={index === count - 1}
            onClick={() => moveLayer(model.layers, layers, layer.id, 1)}
            aria-label={`Move ${layer.name} down`}
          >
            ▼
          </button>
          {layer.kind === "feature-preview" && (
            <button
              type="button"
              className="icon-btn"
              onClick={() => closeFeaturePreview(model.layers)}
              aria-label={`Close ${layer.name}`}
              data-testid="feature-preview-close"
            >
              ×
            </button>
          )}
        </div>
      </div>
      <div className="layer-controls">
        <label className="slider-field">
          <span>Opacity</span>
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={layer.opacity}
            onChange={(e) => setLayer(model.layers, layer, { opacity: Number(e.target.value) })}
            aria-label={`Opacity of ${layer.name}`}
            data-testid={`layer-opacity-${layer.id}`}
          />
          <output>{Math.round(layer.opacity * 100)}%</output>
        </label>
        {layer.kind === "raw" && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => setRangeOpen(true)}
            data-testid="raw-range"
          >
            Range…
          </button>
        )}
      </div>
      {layer.kind === "segmentation" && (
        <label className="slider-field">
          <span>Threshold</span>
          <input
            type="range"
            min={0}
            max={0.95}
            step={0.05}
            value={threshold}
            onChange={(e) => model.layers.set({ threshold: Number(e.target.value) })}
            aria-label="Segmentation threshold: the smallest winning probability (0 = argmax)"
            data-testid="segmentation-threshold"
          />
          <output>{threshold === 0 ? "argmax" : `p ≥ ${threshold.toFixed(2)}`}</output>
        </label>
      )}
      {rangeOpen && <DisplayRangeDialog model={model} onClose={() => setRangeOpen(false)} />}
    </li>
  );
}

export function LayersPanel({ model }: { model: WorkspaceModel }) {
  const state = useStore(model.layers, (s) => s);
  const classes = useStore(model.classes, (s) => s.list, shallowEqual);
  const layers = layerList(state, classes);
  return (
    <ul className="layer-list" aria-label="Layers, top first" data-testid="layers">
      {layers.map((l, i) => (
        <LayerRow key={l.id} model={model} layer={l} index={i} count={layers.length} layers={layers} />
      ))}
    </ul>
  );
}
