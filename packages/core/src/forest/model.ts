// The random forest as Sylva stores and evaluates it: every tree flattened into typed arrays (structure of
// arrays), so prediction walks plain memory and a forest posts to workers or serializes without
// conversion. Our own trained forests and forests imported from ilastik (vigra) share this form.
//
// Node i of a tree is a split when feature[i] ≥ 0: a sample x goes to left[i] when x[feature[i]] <
// threshold[i] (vigra's rule, compared in double), else to right[i]. A leaf has feature[i] = −1 and its
// class weights at leafValues[leaf[i] · classCount + k] (k = 0 … classCount − 1, for label k + 1).
// Prediction: probabilities = the sum over trees of the leaves' weights, normalized to sum 1 per sample
// (for leaves holding class frequencies this is the mean of the trees' leaf distributions).

export interface Tree {
  /** Split feature per node, −1 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold per node (unused for leaves). */
  readonly threshold: Float64Array;
  /** Child node indices per split node (unused for leaves). */
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Leaf index per leaf node (row of leafValues), −1 for splits. */
  readonly leaf: Int32Array;
  /** Class weights of the leaves, leafCount × classCount, row major. */
  readonly leafValues: Float32Array;
}

export interface Forest {
  /** Number of feature channels a sample has. */
  readonly featureCount: number;
  /** Number of classes; label k + 1 is class k (label 0 means unlabeled and never appears). */
  readonly classCount: number;
  readonly trees: readonly Tree[];
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * The smallest float32 ≥ t (t itself when it is a float32; NaN for NaN). For every float32 feature x,
 * x < t compared in double exactly when x < ceilFloat32(t) compared in float32 — so a float32 walk of
 * the trees (our WebAssembly predictor, ONNX runtimes) takes the same branches as the double rule.
 */
export function ceilFloat32(t: number): number {
  const f = Math.fround(t);
  if (!(f < t)) return f; // f ≥ t, or NaN
  // f < t: one float32 up (f is finite: t > f ≥ −FLT_MAX, and f < t rules out +∞)
  if (f === 0) return 2 ** -149;
  F32[0] = f;
  U32[0] += f > 0 ? 1 : -1; // a larger magnitude when positive, a smaller one when negative
  return F32[0];
}

export class ForestError extends Error {
  override readonly name = "ForestError";
}

/** Checks a forest's arrays for consistency (indices in range, sizes agreeing); throws ForestError. */
export function checkForest(forest: Forest): void {
  const { featureCount, classCount } = forest;
  if (!(Number.isInteger(classCount) && classCount >= 1 && classCount <= 99))
    throw new ForestError(`a forest needs 1 to 99 classes, got ${classCount}`);
  if (!(Number.isInteger(featureCount) && featureCount >= 1))
    throw new ForestError(`a forest needs at least one feature, got ${featureCount}`);
  forest.trees.forEach((t, ti) => {
    const n = t.feature.length;
    if (n === 0) throw new ForestError(`tree ${ti} has no nodes`);
    for (const [name, a] of [
      ["threshold", t.threshold],
      ["left", t.left],
      ["right", t.right],
      ["leaf", t.leaf],
    ] as const)
      if (a.length !== n) throw new ForestError(`tree ${ti}: ${name} has ${a.length} entries for ${n} nodes`);
    const leaves = t.leafValues.length / classCount;
    if (!Number.isInteger(leaves))
      throw new ForestError(`tree ${ti}: leafValues is not a multiple of ${classCount}`);
    for (let i = 0; i < n; i++) {
      const f = t.feature[i];
      if (f >= 0) {
        if (f >= featureCount) throw new ForestError(`tree ${ti} node ${i}: feature ${f} ≥ ${featureCount}`);
        for (const c of [t.left[i], t.right[i]])
          if (!(c > i && c < n)) throw new ForestError(`tree ${ti} node ${i}: child ${c} out of range`);
      } else if (!(t.leaf[i] >= 0 && t.leaf[i] < leaves))
        throw new ForestError(`tree ${ti} node ${i}: leaf ${t.leaf[i]} out of range`);
    }
  });
}
