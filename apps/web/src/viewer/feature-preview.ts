// The feature preview: one channel of one feature at one scale (chosen in the Feature Selection panel),
// shown as a grayscale layer of the viewer so users can judge a feature before keeping it. At most one
// preview exists; choosing another replaces it, the layer's close button removes it.
import { FEATURES, type FeatureId } from "@sylva/shared";
import type { Store } from "../lib/store";
import type { Geometry } from "./geometry";
import type { LayerState } from "./layers";

export interface FeaturePreview {
  readonly feature: FeatureId;
  readonly scale: number;
  readonly in2d: boolean;
  /** Channel of the feature at that scale (input channel × eigenvalue index, core's order). */
  readonly channel: number;
  /** How many channels the feature has on the dataset (previewChannels). */
  readonly channels: number;
}

export const FEATURE_PREVIEW_LAYER = "feature-preview";

/** How many channels a feature has on a dataset: eigenvalues give 2 (2D) or 3 (3D) per input channel. */
export function previewChannels(g: Pick<Geometry, "C" | "Z">, feature: FeatureId, in2d: boolean): number {
  const eigen = FEATURES.find((f) => f.id === feature)?.eigen ?? false;
  return (eigen ? (in2d || g.Z === 1 ? 2 : 3) : 1) * g.C;
}

export function previewName(p: FeaturePreview): string {
  const name = FEATURES.find((f) => f.id === p.feature)?.name ?? p.feature;
  return `Feature preview: ${name} σ=${p.scale}${p.channels > 1 ? ` [${p.channel}]` : ""}`;
}

/** A stable text for a preview, part of its tiles' cache keys. */
export function previewKey(p: FeaturePreview): string {
  return `${p.feature}/${p.scale}/${p.in2d ? 1 : 0}/${p.channel}`;
}

/** Shows `p` (replacing any preview), visible, keeping the layer's opacity. */
export function showFeaturePreview(store: Store<LayerState>, p: FeaturePreview): void {
  store.set((s) => ({
    preview: p,
    settings: {
      ...s.settings,
      [FEATURE_PREVIEW_LAYER]: { visible: true, opacity: s.settings[FEATURE_PREVIEW_LAYER]?.opacity ?? 1 },
    },
  }));
}

export function closeFeaturePreview(store: Store<LayerState>): void {
  store.set({ preview: null });
}
