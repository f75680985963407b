// A feature plan: which (feature, scale) pairs to compute on a volume, the output channel layout and
// names in ilastik's order (feature, then scale, then input channel, then sub-channel), the halo each
// block needs, and ilastik's validity rule for scales.

import { kernelRadius } from "../filters/kernels.js";
import type { FeatureId } from "./definitions.js";
import {
  FEATURE_IDS,
  FEATURE_WINDOW,
  FEATURES,
  featureDefinition,
  featureSigma,
  PRESMOOTH_WINDOW,
  presmoothSigma,
  STRUCTURE_OUTER_RATIO,
} from "./definitions.js";

/** One selected feature at one scale; `in2d` filters each z-slice on its own ("compute in 2D"). */
export interface FeatureEntry {
  readonly feature: FeatureId;
  readonly scale: number;
  readonly in2d: boolean;
}

/** The usual selection: every listed feature at every listed scale it allows (ilastik's matrix). */
export interface FeatureSelection {
  readonly features: readonly FeatureId[];
  readonly scales: readonly number[];
  /** Filter every scale in 2D (each z-slice alone). */
  readonly in2d: boolean;
  /** Scales filtered in 2D even when `in2d` is false: ilastik's per-scale "in 2D" row. */
  readonly in2dScales?: readonly number[];
}

export class InvalidScaleError extends RangeError {
  override readonly name = "InvalidScaleError";
  constructor(
    readonly scale: number,
    readonly axis: "z" | "y" | "x",
    readonly needed: number,
    readonly size: number,
  ) {
    super(
      `scale ${formatScale(scale)} is too large for the image: it needs ${needed} pixels along ${axis}, the image has ${size}`,
    );
  }
}

/** Entries of a selection, in ilastik's channel order (feature rows in canonical order, then scales). */
export function selectionEntries(sel: FeatureSelection): FeatureEntry[] {
  const entries: FeatureEntry[] = [];
  for (const id of FEATURE_IDS) {
    if (!sel.features.includes(id)) continue;
    const def = featureDefinition(id);
    for (const scale of sel.scales) {
      if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`invalid scale ${scale}`);
      if (scale < def.minScale) continue;
      entries.push({ feature: id, scale, in2d: sel.in2d || (sel.in2dScales?.includes(scale) ?? false) });
    }
  }
  return entries;
}

/** Scales print as Python prints floats (1.0, 0.3), as in ilastik's channel names. */
export function formatScale(s: number): string {
  return Number.isInteger(s) ? s.toFixed(1) : String(s);
}

/** One group of features sharing a scale and a dimensionality: they share their pre-smoothing. */
export interface ScaleGroup {
  readonly scale: number;
  /** Filter in 2D (each z-slice alone): true for "compute in 2D" and for single-slice images. */
  readonly in2d: boolean;
  /** Pre-smoothing σ (t), feature σ (σ'). */
  readonly presmoothSigma: number;
  readonly featureSigma: number;
  /** Output channel of the first sub-channel of input channel 0, per selected feature. */
  readonly channels: Partial<Record<FeatureId, number>>;
  /** Kernel radii: pre-smoothing, feature kernels, structure-tensor integration (0 if STE not selected). */
  readonly radii: { readonly presmooth: number; readonly feature: number; readonly outer: number };
}

export interface FeaturePlan {
  readonly entries: readonly FeatureEntry[];
  readonly groups: readonly ScaleGroup[];
  /** Input shape (t, z, y, x, c). */
  readonly shape: readonly [number, number, number, number, number];
  readonly channelCount: number;
  readonly names: readonly string[];
  /** Per output channel: the entry it belongs to, the input channel and the sub-channel. */
  readonly channelInfo: readonly { entry: number; inputChannel: number; sub: number }[];
  /** The largest halo any group needs, per axis (z, y, x). */
  readonly halo: readonly [number, number, number];
}

/** Plans `entries` on an input of shape (t, z, y, x, c); throws InvalidScaleError as ilastik refuses. */
export function planFeatures(
  entries: readonly FeatureEntry[],
  shape: readonly [number, number, number, number, number],
): FeaturePlan {
  if (entries.length === 0) throw new RangeError("no features selected");
  const [, nz, ny, nx, nc] = shape;
  const names: string[] = [];
  const channelInfo: { entry: number; inputChannel: number; sub: number }[] = [];
  const groups = new Map<string, ScaleGroup & { channels: Partial<Record<FeatureId, number>> }>();
  let channel = 0;
  const halo: [number, number, number] = [0, 0, 0];
  for (const [ei, e] of entries.entries()) {
    const in2d = e.in2d || nz === 1;
    const sizes = in2d ? { y: ny, x: nx } : { z: nz, y: ny, x: nx };
    const needed = Math.ceil(3.5 * e.scale) + 1;
    for (const [axis, size] of Object.entries(sizes) as ["z" | "y" | "x", number][])
      if (needed > size) throw new InvalidScaleError(e.scale, axis, needed, size);
    const def = featureDefinition(e.feature);
    const sub = def.eigen ? (in2d ? 2 : 3) : 1;
    const key = `${e.scale}/${in2d}`;
    let g = groups.get(key);
    if (!g) {
      const sigma = featureSigma(e.scale);
      g = {
        scale: e.scale,
        in2d,
        presmoothSigma: presmoothSigma(e.scale),
        featureSigma: sigma,
        channels: {},
        radii: {
          presmooth: kernelRadius(presmoothSigma(e.scale), PRESMOOTH_WINDOW),
          feature: kernelRadius(sigma, FEATURE_WINDOW),
          outer: 0,
        },
      };
      groups.set(key, g);
    }
    if (g.channels[e.feature] !== undefined)
      throw new RangeError(`feature ${e.feature} at scale ${e.scale} selected twice`);
    g.channels[e.feature] = channel;
    if (e.feature === "STE")
      (g.radii as { outer: number }).outer = kernelRadius(
        STRUCTURE_OUTER_RATIO * g.featureSigma,
        FEATURE_WINDOW,
      );
    for (let c = 0; c < nc; c++)
      for (let j = 0; j < sub; j++) {
        names.push(
          `${def.name} (σ=${formatScale(e.scale)})${in2d && nz > 1 ? " in 2D" : ""} [${c * sub + j}]`,
        );
        channelInfo.push({ entry: ei, inputChannel: c, sub: j });
        channel++;
      }
  }
  for (const g of groups.values()) {
    const r = g.radii.presmooth + g.radii.feature + g.radii.outer;
    if (!g.in2d) halo[0] = Math.max(halo[0], r);
    halo[1] = Math.max(halo[1], r);
    halo[2] = Math.max(halo[2], r);
  }
  return { entries, groups: [...groups.values()], shape, channelCount: channel, names, channelInfo, halo };
}

/** Sub-channels per input channel of an entry in a plan (1, or 2/3 for eigenvalues). */
export function subChannels(feature: FeatureId, in2d: boolean): number {
  return FEATURES.find((f) => f.id === feature)!.eigen ? (in2d ? 2 : 3) : 1;
}
