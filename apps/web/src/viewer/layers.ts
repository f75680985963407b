// The layer stack: raw data, labels, per-class probabilities, segmentation and uncertainty, each with an
// eye toggle, an opacity and a place in the order (top first), plus the raw layer's display range and the
// segmentation threshold. Probability layers follow the project's classes; a feature preview layer
// (feature-preview.ts) sits just above the raw data while one is chosen.
import type { LiveLayer } from "@sylva/shared";
import { Store } from "../lib/store";
import { FEATURE_PREVIEW_LAYER, type FeaturePreview, previewName } from "./feature-preview";

export type LayerKind = "raw" | "labels" | "probability" | "segmentation" | "uncertainty" | "feature-preview";

export interface LayerSettings {
  readonly visible: boolean;
  readonly opacity: number;
}

export interface Layer extends LayerSettings {
  readonly id: string;
  readonly kind: LayerKind;
  readonly name: string;
  readonly classId?: number;
  readonly color?: readonly [number, number, number];
  /** What a feature-preview layer shows. */
  readonly preview?: FeaturePreview;
}

export interface DisplayRange {
  readonly min: number;
  readonly max: number;
  /** Channel shown in grayscale; ignored in RGB mode. */
  readonly channel: number;
  readonly rgb: boolean;
  /** Not yet set by the user or from data. */
  readonly unset: boolean;
}

export interface LayerState {
  /** Layer ids, top first; ids not listed go where their kind belongs by default. */
  readonly order: readonly string[];
  readonly settings: Readonly<Record<string, LayerSettings>>;
  readonly display: DisplayRange;
  /** Smallest winning probability for segmentation; 0 is ilastik's plain argmax. */
  readonly threshold: number;
  /** The feature shown as a preview layer, if any. */
  readonly preview: FeaturePreview | null;
}

export const UNCERTAINTY_COLOR: readonly [number, number, number] = [255, 214, 10];

const DEFAULTS: Record<LayerKind, LayerSettings> = {
  raw: { visible: true, opacity: 1 },
  labels: { visible: true, opacity: 1 },
  probability: { visible: true, opacity: 0.45 },
  segmentation: { visible: false, opacity: 0.5 },
  uncertainty: { visible: false, opacity: 0.7 },
  "feature-preview": { visible: true, opacity: 1 },
};

export function initialLayerState(): LayerState {
  return {
    order: [],
    settings: {},
    display: { min: 0, max: 255, channel: 0, rgb: false, unset: true },
    threshold: 0,
    preview: null,
  };
}

export function createLayerStore(): Store<LayerState> {
  return new Store(initialLayerState());
}

export interface ClassInfo {
  readonly id: number;
  readonly name: string;
  readonly color: readonly [number, number, number];
}

/** The layers, top first. */
export function layerList(state: LayerState, classes: readonly ClassInfo[]): Layer[] {
  const base: Omit<Layer, "visible" | "opacity">[] = [
    { id: "labels", kind: "labels", name: "Labels" },
    ...classes.map((c) => ({
      id: `prob:${c.id}`,
      kind: "probability" as const,
      name: `Prediction for ${c.name}`,
      classId: c.id,
      color: c.color,
    })),
    { id: "segmentation", kind: "segmentation", name: "Segmentation" },
    { id: "uncertainty", kind: "uncertainty", name: "Uncertainty", color: UNCERTAINTY_COLOR },
    ...(state.preview
      ? [
          {
            id: FEATURE_PREVIEW_LAYER,
            kind: "feature-preview" as const,
            name: previewName(state.preview),
            preview: state.preview,
          },
        ]
      : []),
    { id: "raw", kind: "raw", name: "Raw data" },
  ];
  const withSettings = base.map((l) => ({ ...l, ...(state.settings[l.id] ?? DEFAULTS[l.kind]) }));
  const rank = new Map(state.order.map((id, i) => [id, i]));
  const defaultRank = new Map(base.map((l, i) => [l.id, i]));
  // Listed ids keep the user's order; others take their default position relative to listed ones.
  return withSettings.sort((a, b) => {
    const ra = rank.get(a.id);
    const rb = rank.get(b.id);
    if (ra !== undefined && rb !== undefined) return ra - rb;
    return (defaultRank.get(a.id) ?? 0) - (defaultRank.get(b.id) ?? 0);
  });
}

export function setLayer(store: Store<LayerState>, layer: Layer, change: Partial<LayerSettings>): void {
  store.set((s) => ({
    settings: { ...s.settings, [layer.id]: { visible: layer.visible, opacity: layer.opacity, ...change } },
  }));
}

/** Moves a layer one place up (-1) or down (+1) in the list. */
export function moveLayer(
  store: Store<LayerState>,
  layers: readonly Layer[],
  id: string,
  delta: -1 | 1,
): void {
  const ids = layers.map((l) => l.id);
  const i = ids.indexOf(id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= ids.length) return;
  [ids[i], ids[j]] = [ids[j], ids[i]];
  store.set({ order: ids });
}

/** Live layers the service should compute for what is visible. */
export function wantedLiveLayers(layers: readonly Layer[]): LiveLayer[] {
  const out = new Set<LiveLayer>();
  for (const l of layers) {
    if (!l.visible) continue;
    if (l.kind === "probability" || l.kind === "segmentation") out.add("probabilities");
    if (l.kind === "uncertainty") out.add("uncertainty");
  }
  if (out.size === 0) out.add("probabilities");
  return [...out];
}
