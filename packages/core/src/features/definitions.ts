// ilastik's six pixel features: ids, display names, channel counts and scale rules. The one source of
// truth for the feature list; channel order and names follow ilastik (lazyflow's OpPixelFeaturesPresmoothed).

export const FEATURE_IDS = ["GS", "LoG", "GGM", "DoG", "STE", "HoGE"] as const;
export type FeatureId = (typeof FEATURE_IDS)[number];

export interface FeatureDefinition {
  readonly id: FeatureId;
  /** The name ilastik shows and writes into channel names. */
  readonly name: string;
  /** The operator id ilastik stores in projects (`FeatureSelections/FeatureIds`). */
  readonly ilastikId: string;
  /** Smallest scale ilastik allows for the feature (Gaussian smoothing may go down to 0.3). */
  readonly minScale: number;
  /** Sub-channels per input channel: the eigenvalue features give one per spatial dimension. */
  readonly eigen: boolean;
}

export const FEATURES: readonly FeatureDefinition[] = [
  { id: "GS", name: "Gaussian Smoothing", ilastikId: "GaussianSmoothing", minScale: 0.3, eigen: false },
  { id: "LoG", name: "Laplacian of Gaussian", ilastikId: "LaplacianOfGaussian", minScale: 0.7, eigen: false },
  {
    id: "GGM",
    name: "Gaussian Gradient Magnitude",
    ilastikId: "GaussianGradientMagnitude",
    minScale: 0.7,
    eigen: false,
  },
  {
    id: "DoG",
    name: "Difference of Gaussians",
    ilastikId: "DifferenceOfGaussians",
    minScale: 0.7,
    eigen: false,
  },
  {
    id: "STE",
    name: "Structure Tensor Eigenvalues",
    ilastikId: "StructureTensorEigenvalues",
    minScale: 0.7,
    eigen: true,
  },
  {
    id: "HoGE",
    name: "Hessian of Gaussian Eigenvalues",
    ilastikId: "HessianOfGaussianEigenvalues",
    minScale: 0.7,
    eigen: true,
  },
];

/** ilastik's default scales (σ in pixels). */
export const DEFAULT_SCALES: readonly number[] = [0.3, 0.7, 1.0, 1.6, 3.5, 5.0, 10.0];

/** Kernel window ratios from lazyflow: pre-smoothing radius = 3.5 t, feature kernels radius = 2 σ'. */
export const PRESMOOTH_WINDOW = 3.5;
export const FEATURE_WINDOW = 2.0;
/** DoG = G(σ') − G(DOG_RATIO σ'). */
export const DOG_RATIO = 0.66;
/** Structure tensor: outer (integration) scale = STRUCTURE_OUTER_RATIO × inner scale. */
export const STRUCTURE_OUTER_RATIO = 0.5;

export function featureDefinition(id: FeatureId): FeatureDefinition {
  const f = FEATURES.find((d) => d.id === id);
  if (!f) throw new Error(`unknown feature "${id}"`);
  return f;
}

export function isFeatureId(s: string): s is FeatureId {
  return (FEATURE_IDS as readonly string[]).includes(s);
}

/** Maps a feature id ("GS") or an ilastik operator id ("GaussianSmoothing") to a feature id. */
export function parseFeatureId(s: string): FeatureId {
  if (isFeatureId(s)) return s;
  const f = FEATURES.find((d) => d.ilastikId === s);
  if (!f) throw new Error(`unknown feature "${s}"; known: ${FEATURE_IDS.join(", ")}`);
  return f.id;
}

/**
 * ilastik's pre-smoothing: for scale s the input is first smoothed with t = √(s² − 1) if s > 1, else s,
 * and the feature then runs at σ' = min(s, 1).
 */
export function presmoothSigma(scale: number): number {
  return scale > 1 ? Math.sqrt(scale * scale - 1) : scale;
}

export function featureSigma(scale: number): number {
  return Math.min(scale, 1);
}
