"use client";
// The preview action of a Feature Selection cell: a small eye button that shows that feature at that
// scale as the viewer's feature preview layer, and for multi-channel features (eigenvalues, several
// input channels) a chooser of the channel to show. Needs a dataset open in the viewer.
import type { FeatureId } from "@sylva/shared";
import { useState } from "react";
import { useStore } from "../lib/store";
import { previewChannels, showFeaturePreview } from "../viewer/feature-preview";
import type { WorkspaceModel } from "../workspace/model";

export function FeaturePreviewButton({
  model,
  feature,
  scale,
  in2d,
}: {
  model: WorkspaceModel;
  feature: FeatureId;
  scale: number;
  in2d: boolean;
}) {
  const geometry = useStore(model.viewer, (s) => s.geometry);
  const shown = useStore(model.layers, (s) => s.preview);
  const [channel, setChannel] = useState(0);
  if (!geometry) return null;
  const channels = previewChannels(geometry, feature, in2d);
  const k = Math.min(channel, channels - 1);
  const active = shown?.feature === feature && shown.scale === scale && shown.in2d === in2d;
  const show = (c: number) =>
    showFeaturePreview(model.layers, { feature, scale, in2d, channel: c, channels });
  return (
    <span className="cell-preview">
      <button
        type="button"
        className={`preview-btn${active ? " active" : ""}`}
        aria-label={`Preview ${feature} σ ${scale}${channels > 1 ? ` channel ${k}` : ""} in the viewer`}
        aria-pressed={active}
        title="Preview in the viewer"
        onClick={() => show(k)}
        data-testid={`preview-${feature}-${scale}`}
      >
        <svg width="10" height="10" viewBox="0 0 16 16" aria-hidden="true" focusable="false">
          <path
            d="M1 8s2.5-5 7-5 7 5 7 5-2.5 5-7 5-7-5-7-5z"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.6"
          />
          <circle cx="8" cy="8" r="2.4" fill="currentColor" />
        </svg>
      </button>
      {channels > 1 && (
        <select
          className="preview-channel"
          value={k}
          aria-label={`Channel of ${feature} σ ${scale} to preview`}
          onChange={(e) => {
            const c = Number(e.target.value);
            setChannel(c);
            if (active) show(c);
          }}
          data-testid={`preview-channel-${feature}-${scale}`}
        >
          {[...Array(channels).keys()].map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      )}
    </span>
  );
}
