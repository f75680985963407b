// Random forest training with ilastik's defaults (vigra's RandomForest as ilastik configures it):
// each tree grows on a bootstrap sample (n draws with replacement out of n samples), tries ⌊√F + ½⌋
// candidate features per split (vigra's RF_SQRT: √F rounded), drawn without replacement, picks the
// split with the lowest weighted Gini impurity, and grows until its nodes are pure or cannot be split
// (all candidate features constant). Like vigra (and scikit-learn), when none of the first mtry
// candidates can split a node, further features are drawn until one can. Leaves store the class
// frequencies of their bootstrap samples (duplicates counted), normalized to sum 1.
//
// Determinism: tree i draws all its random numbers from Xoshiro128.forStream(seed, i) (random.ts), and
// everything else is integer or IEEE arithmetic in a fixed order, so a tree depends only on (samples,
// labels, options, seed, i). `treeRange` trains a slice of the seeded forest: concatenating the slices
// of any partition, in order, gives the whole forest bit for bit (the worker pool relies on it).
//
// Thresholds are exact midpoints (in double) between consecutive distinct values of the node's samples,
// as vigra computes them; when rounding would put the midpoint on or below the lower value (never for
// float32 inputs, but possible for values ulps apart in double) the upper value itself is used, so
// that `x < threshold` always separates the two sides exactly as the training split did. NaN features
// are treated as +∞ in training (prediction sends both right: `NaN < t` is false).
//
// Split search, measured on this 2-core machine (Node 20; 100 trees, one thread; 49 ISBI 2012 filter
// features; "scribbles" = the 1 563 scribbled pixels of sections 00–02, the others random pixels of
// sections 00–02 labeled from their ground truth; seconds, median; F1 = membrane F1 on sections 20 and 21,
// mean over 5 seeds (scribbles) or 3 seeds; vigra and scikit-learn = ilastik_ref.py's train_seconds
// with 2 threads on the same pixels):
//
//   samples      exact, presorted    exact, sort per node    256-bin histograms    vigra    sklearn
//   1 563        0.115  F1 0.6785    0.218  (same forest)    0.076  F1 0.6707      0.16     0.62
//   10 000       1.40   F1 0.6576    3.15   (same forest)    0.72   F1 0.6554      2.06     3.76
//   50 000       9.2    F1 0.6721    22.8   (same forest)    3.8    F1 0.6711      27.8     36.3
//
// Histograms are 1.5–2.4× faster, but on scribble-sized sets their coarser thresholds cost accuracy
// (−0.008 F1, consistently over seeds); from 10 000 samples on the difference is within 0.002. Hence
// `splits: "auto"` (the default): exact below AUTO_HISTOGRAM_SAMPLES = 10 000 samples, histograms from
// there on (also lighter: F · n bytes of bin codes instead of ~24 · F · n bytes of sorted lists).
// Sorting per node (sklearn's way, with a native sort of packed keys) grows the same trees as the
// presorted lists but 1.9–2.5× slower. The worker pool (apps/compute/src/pool/forest-pool.ts) splits the
// trees over workers: 0.06 s for the scribbles on 2 workers.
//
// Exact search: every feature is sorted once per call (argsort of order-preserving float32 keys packed
// with the sample index into float64 and sorted natively), giving each sample a dense rank per feature.
// Each tree then filters those sorted orders down to its in-bag samples (F lists of the distinct in-bag
// samples, each in ascending order of its feature), a node is a range [lo, hi) in all F lists, the
// best split of a candidate feature is one scan of its list (weighted class counts moving from right to
// left, Σc² kept incrementally so that a boundary costs O(1) for any class count), and splitting a node
// partitions the node's range of every list stably into the other of two list generations, branch-free
// (F · m per split, the dominant cost; a branchy in-place partition with a copy-back took ~1.5× as long).
//
// Histogram search: bins are sample quantiles of each feature over all training samples (equal values
// share a bin); a candidate feature costs one pass over the node's samples into 256 × C bin weights and
// a scan over the occupied bins; thresholds are the exact midpoints between neighbouring bins' values.

import type { Forest, Tree } from "./model.js";
import { ForestError } from "./model.js";
import { Xoshiro128 } from "./random.js";

export interface TrainOptions {
  /** Trees in the (seeded) forest; default 100. */
  readonly trees?: number;
  /** Maximum depth (the root has depth 0); default unlimited. */
  readonly maxDepth?: number;
  /** Seed of the forest (any 32-bit integer); default 0. */
  readonly seed?: number;
  /** Candidate features per split; default round(√featureCount) (vigra's RF_SQRT). */
  readonly mtry?: number;
  /** Nodes with fewer (bootstrap-weighted) samples than this become leaves; default 1 (grow fully). */
  readonly minSplit?: number;
  /**
   * Train only trees start … end − 1 of the `trees`-tree forest this seed defines (default: all). The
   * result holds just those trees, identical to the same trees of the whole forest.
   */
  readonly treeRange?: readonly [number, number];
  /**
   * Split search: "exact" (vigra's), "histogram" (256 quantile bins a feature), or "auto" (default):
   * exact below AUTO_HISTOGRAM_SAMPLES samples, histograms from there on (see the header for why).
   */
  readonly splits?: SplitSearch | "auto";
}

/** The most classes a forest may have (labels 1 … 99). */
export const MAX_CLASSES = 99;

/** vigra's RF_SQRT rule for the number of candidate features per split. */
export function defaultMtry(featureCount: number): number {
  return Math.max(1, Math.floor(Math.sqrt(featureCount) + 0.5));
}

/** How splits are searched: exact (every boundary between distinct values) or over 256 quantile bins. */
export type SplitSearch = "exact" | "histogram";

/** Bins per feature for histogram split search. */
export const HISTOGRAM_BINS = 256;

/** `splits: "auto"` searches histograms from this many samples on, exact splits below (see the header). */
export const AUTO_HISTOGRAM_SAMPLES = 10000;

/**
 * The samples of a training call prepared once for all trees: labels as class indices and, per feature,
 * either its sorted order, dense ranks and distinct values (exact search) or its quantile bin codes and
 * the thresholds between bins (histogram search). Exposed so that callers training several tree ranges
 * on one thread prepare once (`trainTrees`).
 */
export interface PreparedSamples {
  readonly sampleCount: number;
  readonly featureCount: number;
  readonly classCount: number;
  /** Class index (label − 1) per sample. */
  readonly classes: Uint8Array;
  readonly splits: SplitSearch;
  /** Exact: per feature f, at [f · n, (f + 1) · n), the samples in ascending order of feature f. */
  readonly order?: Int32Array;
  /** Exact: per feature f, at [f · n, (f + 1) · n), each sample's dense rank among f's distinct values. */
  readonly rank?: Int32Array;
  /** Exact: per feature, its distinct values in ascending order (doubles of the float32 inputs). */
  readonly values?: readonly Float64Array[];
  /** Histogram: per feature f, at [f · n, (f + 1) · n), each sample's bin (ascending in value). */
  readonly codes?: Uint8Array;
  /** Histogram: per feature, the threshold between bin b and b + 1 at [b] (bins − 1 entries). */
  readonly binThresholds?: readonly Float64Array[];
}

function checkInt(name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!(Number.isInteger(v) && v >= min && v <= max))
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

const SCRATCH_F32 = new Float32Array(1);
const SCRATCH_U32 = new Uint32Array(SCRATCH_F32.buffer);

/**
 * An order-preserving unsigned 32-bit key of a float32 value: −0 and +0 share a key, NaN sorts with +∞.
 */
function floatKey(v: number): number {
  if (Number.isNaN(v)) v = Number.POSITIVE_INFINITY;
  else if (v === 0) v = 0;
  SCRATCH_F32[0] = v;
  const bits = SCRATCH_U32[0];
  return bits & 0x80000000 ? ~bits >>> 0 : (bits | 0x80000000) >>> 0;
}

/** The value a key stands for (NaN already folded into +∞, −0 into +0). */
function keyValue(v: number): number {
  return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v === 0 ? 0 : v;
}

const PACK = 2 ** 21;

/** Argsort of feature f of `samples` into `out` (stable: ties in sample order); fills keys[s] too. */
function sortFeature(
  samples: Float32Array,
  F: number,
  f: number,
  keys: Uint32Array,
  packed: Float64Array | null,
  out: Int32Array,
): void {
  const n = keys.length;
  for (let s = 0; s < n; s++) keys[s] = floatKey(samples[s * F + f]);
  if (packed) {
    // key · 2^21 + index < 2^53: exact in a double, and a native numeric sort orders by key, then index.
    for (let s = 0; s < n; s++) packed[s] = keys[s] * PACK + s;
    packed.sort();
    for (let i = 0; i < n; i++) out[i] = packed[i] % PACK;
  } else {
    for (let s = 0; s < n; s++) out[s] = s;
    out.sort((a, b) => keys[a] - keys[b] || a - b);
  }
}

/**
 * Prepares samples for training: validates labels and sorts every feature once; then keeps, per feature,
 * the sorted order, ranks and distinct values (exact) or quantile bins (histogram). `splits` "auto"
 * picks histograms from AUTO_HISTOGRAM_SAMPLES samples on.
 */
export function prepareSamples(
  samples: Float32Array,
  labels: ArrayLike<number>,
  featureCount: number,
  splits: SplitSearch | "auto" = "auto",
): PreparedSamples {
  const F = checkInt("featureCount", featureCount, 1);
  if (samples.length % F !== 0)
    throw new RangeError(`samples hold ${samples.length} values, not a multiple of ${F} features`);
  const n = samples.length / F;
  if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} samples`);
  if (n === 0) throw new RangeError("no samples to train on");
  if (splits !== "auto" && splits !== "exact" && splits !== "histogram")
    throw new RangeError(`splits must be "exact", "histogram" or "auto", got ${JSON.stringify(splits)}`);
  const mode: SplitSearch =
    splits === "auto" ? (n >= AUTO_HISTOGRAM_SAMPLES ? "histogram" : "exact") : splits;
  const classes = new Uint8Array(n);
  let classCount = 0;
  for (let i = 0; i < n; i++) {
    const l = labels[i];
    if (!(Number.isInteger(l) && l >= 1 && l <= MAX_CLASSES))
      throw new RangeError(
        `label ${l} of sample ${i} is not a class (labels are 1 … ${MAX_CLASSES}; 0 means unlabeled)`,
      );
    classes[i] = l - 1;
    if (l > classCount) classCount = l;
  }

  const keys = new Uint32Array(n);
  const packed = n < PACK ? new Float64Array(n) : null;
  const base = { sampleCount: n, featureCount: F, classCount, classes, splits: mode };
  if (mode === "exact") {
    const order = new Int32Array(F * n);
    const rank = new Int32Array(F * n);
    const values: Float64Array[] = [];
    const distinct = new Float64Array(n);
    for (let f = 0; f < F; f++) {
      const o = order.subarray(f * n, (f + 1) * n);
      sortFeature(samples, F, f, keys, packed, o);
      const r = rank.subarray(f * n, (f + 1) * n);
      let d = -1;
      let prev = -1;
      for (let i = 0; i < n; i++) {
        const s = o[i];
        const k = keys[s];
        if (k !== prev) {
          d++;
          prev = k;
          distinct[d] = keyValue(samples[s * F + f]);
        }
        r[s] = d;
      }
      values.push(distinct.slice(0, d + 1));
    }
    return { ...base, order, rank, values };
  }

  // Histogram: bin b of a feature starts at the first distinct value at or past sample position
  // b · n / 256 in sorted order, so bins hold about equal numbers of samples and equal values share a bin;
  // empty quantiles are skipped, so bin numbers are dense.
  const codes = new Uint8Array(F * n);
  const binThresholds: Float64Array[] = [];
  const o = new Int32Array(n);
  const thresholds = new Float64Array(HISTOGRAM_BINS);
  for (let f = 0; f < F; f++) {
    sortFeature(samples, F, f, keys, packed, o);
    const c = codes.subarray(f * n, (f + 1) * n);
    let bin = -1;
    let quantile = -1;
    let prevKey = -1;
    let prevValue = 0;
    for (let i = 0; i < n; i++) {
      const s = o[i];
      const k = keys[s];
      if (k !== prevKey) {
        const v = keyValue(samples[s * F + f]);
        const q = Math.floor((i * HISTOGRAM_BINS) / n);
        if (q > quantile) {
          if (bin >= 0) thresholds[bin] = splitThreshold(prevValue, v);
          bin++;
          quantile = q;
        }
        prevKey = k;
        prevValue = v;
      }
      c[s] = bin;
    }
    binThresholds.push(thresholds.slice(0, bin));
  }
  return { ...base, codes, binThresholds };
}

/** The threshold between two consecutive distinct values a < b: their midpoint, or b if rounding fails. */
export function splitThreshold(a: number, b: number): number {
  const mid = (a + b) / 2;
  return mid > a && mid <= b ? mid : b;
}

interface Grower {
  grow(treeIndex: number, seed: number, mtry: number, maxDepth: number, minSplit: number): Tree;
}

/** Exact split search over presorted lists: scratch memory sized for the prepared samples. */
class ExactGrower implements Grower {
  readonly weight: Int32Array;
  readonly inBag: Uint8Array;
  readonly side: Uint8Array;
  /** Two generations of the F sorted lists: a node at depth d reads buffer d mod 2, its children the other. */
  readonly listsA: Int32Array;
  readonly listsB: Int32Array;
  readonly perm: Int32Array;
  readonly counts: Float64Array;
  readonly left: Float64Array;
  readonly stack: Int32Array;
  // Node arrays of the tree being grown, sized for the most nodes a tree can have (2n − 1).
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly leftChild: Int32Array;
  readonly rightChild: Int32Array;
  readonly leaf: Int32Array;
  readonly leafValues: Float32Array;

  constructor(private readonly p: PreparedSamples) {
    const n = p.sampleCount;
    const F = p.featureCount;
    const C = p.classCount;
    this.weight = new Int32Array(n);
    this.inBag = new Uint8Array(n);
    this.side = new Uint8Array(n);
    this.listsA = new Int32Array(F * n);
    this.listsB = new Int32Array(F * n);
    this.perm = new Int32Array(F);
    this.counts = new Float64Array(C);
    this.left = new Float64Array(C);
    // Depth-first stack of (lo, hi, node, depth); it never holds more than one pending sibling per level.
    this.stack = new Int32Array(4 * (n + 2));
    const maxNodes = 2 * n - 1;
    this.feature = new Int32Array(maxNodes);
    this.threshold = new Float64Array(maxNodes);
    this.leftChild = new Int32Array(maxNodes);
    this.rightChild = new Int32Array(maxNodes);
    this.leaf = new Int32Array(maxNodes);
    this.leafValues = new Float32Array(n * C);
  }

  grow(treeIndex: number, seed: number, mtry: number, maxDepth: number, minSplit: number): Tree {
    const { p, weight, inBag, side, listsA, listsB, perm, counts, left, stack } = this;
    const { feature, threshold, leftChild, rightChild, leaf, leafValues } = this;
    const n = p.sampleCount;
    const F = p.featureCount;
    const C = p.classCount;
    const classes = p.classes;
    const order = p.order!;
    const rank = p.rank!;
    const values = p.values!;
    const rng = Xoshiro128.forStream(seed, treeIndex);

    // Bootstrap: n draws with replacement; weight = how often a sample was drawn.
    weight.fill(0);
    for (let i = 0; i < n; i++) weight[rng.below(n)]++;
    for (let i = 0; i < n; i++) inBag[i] = weight[i] > 0 ? 1 : 0;
    // Per feature f, the distinct in-bag samples in ascending order of f, at [f · n, f · n + u) of A.
    let u = 0;
    for (let f = 0; f < F; f++) {
      const base = f * n;
      let w = base;
      for (let i = base, end = base + n; i < end; i++) {
        const s = order[i];
        listsA[w] = s;
        w += inBag[s];
      }
      u = w - base;
    }
    for (let f = 0; f < F; f++) perm[f] = f;

    let nodeCount = 1;
    let leafCount = 0;
    let sp = 0;
    stack[sp++] = 0;
    stack[sp++] = u;
    stack[sp++] = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      const depth = stack[--sp];
      const node = stack[--sp];
      const hi = stack[--sp];
      const lo = stack[--sp];
      const src = depth & 1 ? listsB : listsA;

      // Weighted class counts of the node (from list 0: every list holds the node's samples).
      counts.fill(0);
      let total = 0;
      for (let i = lo; i < hi; i++) {
        const s = src[i];
        const w = weight[s];
        counts[classes[s]] += w;
        total += w;
      }
      let present = 0;
      let sumSq = 0;
      for (let k = 0; k < C; k++) {
        if (counts[k] > 0) present++;
        sumSq += counts[k] * counts[k];
      }

      let bestF = -1;
      let bestPos = 0;
      let bestR0 = 0;
      let bestR1 = 0;
      if (present > 1 && hi - lo > 1 && depth < maxDepth && total >= minSplit) {
        // Minimizing the weighted Gini impurity Σ_side n_side (1 − Σ_k p_k²) is maximizing
        // Σ_side Σ_k c_k² / n_side; Σ_k c_k² of each side is updated in O(1) per moved sample.
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < F; k++) {
          if (k >= mtry && bestF >= 0) break;
          const j = k + rng.below(F - k);
          const f = perm[j];
          perm[j] = perm[k];
          perm[k] = f;

          // Scan list f: move samples from right to left, evaluate at every change of value.
          const base = f * n;
          left.fill(0);
          let nL = 0;
          let nR = total;
          let sL = 0;
          let sR = sumSq;
          let r = rank[base + src[base + lo]];
          for (let i = base + lo, last = base + hi - 1; i < last; i++) {
            const s = src[i];
            const w = weight[s];
            const c = classes[s];
            const cl = left[c];
            const cr = counts[c] - cl;
            sL += w * (2 * cl + w);
            sR -= w * (2 * cr - w);
            left[c] = cl + w;
            nL += w;
            nR -= w;
            const rn = rank[base + src[i + 1]];
            if (rn !== r) {
              const score = sL / nL + sR / nR;
              if (score > bestScore) {
                bestScore = score;
                bestF = f;
                bestPos = i + 1 - base;
                bestR0 = r;
                bestR1 = rn;
              }
              r = rn;
            }
          }
        }
      }

      if (bestF < 0) {
        feature[node] = -1;
        threshold[node] = 0;
        leftChild[node] = -1;
        rightChild[node] = -1;
        leaf[node] = leafCount;
        const o = leafCount * C;
        for (let k = 0; k < C; k++) leafValues[o + k] = counts[k] / total;
        leafCount++;
        continue;
      }

      const vals = values[bestF];
      feature[node] = bestF;
      threshold[node] = splitThreshold(vals[bestR0], vals[bestR1]);
      leaf[node] = -1;
      const l = nodeCount;
      const rgt = nodeCount + 1;
      nodeCount += 2;
      leftChild[node] = l;
      rightChild[node] = rgt;

      // Partition every list's range stably into the other buffer: the best feature's list is split
      // at bestPos already; the others follow it, lefts to [lo, bestPos), rights to [bestPos, hi).
      const dst = depth & 1 ? listsA : listsB;
      const bb = bestF * n;
      for (let i = bb + lo, end = bb + hi; i < end; i++) {
        const s = src[i];
        dst[i] = s;
        side[s] = i < bb + bestPos ? 0 : 1;
      }
      for (let g = 0; g < F; g++) {
        if (g === bestF) continue;
        const base = g * n;
        let wl = base + lo;
        let wr = base + bestPos;
        // Branch-free (the side is unpredictable): one store at wl or wr, chosen by a mask.
        for (let i = base + lo, end = base + hi; i < end; i++) {
          const s = src[i];
          const b = side[s];
          dst[wl + ((wr - wl) & -b)] = s;
          wl += 1 - b;
          wr += b;
        }
      }

      // Depth first, left child first.
      stack[sp++] = bestPos;
      stack[sp++] = hi;
      stack[sp++] = rgt;
      stack[sp++] = depth + 1;
      stack[sp++] = lo;
      stack[sp++] = bestPos;
      stack[sp++] = l;
      stack[sp++] = depth + 1;
    }

    return {
      feature: feature.slice(0, nodeCount),
      threshold: threshold.slice(0, nodeCount),
      left: leftChild.slice(0, nodeCount),
      right: rightChild.slice(0, nodeCount),
      leaf: leaf.slice(0, nodeCount),
      leafValues: leafValues.slice(0, leafCount * C),
    };
  }
}

/** Histogram split search: one list of the node's samples, partitioned per split; bins per feature. */
class HistogramGrower implements Grower {
  readonly weight: Int32Array;
  readonly idx: Int32Array;
  readonly perm: Int32Array;
  readonly counts: Float64Array;
  readonly left: Float64Array;
  readonly hist: Float64Array;
  readonly stack: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly leftChild: Int32Array;
  readonly rightChild: Int32Array;
  readonly leaf: Int32Array;
  readonly leafValues: Float32Array;

  constructor(private readonly p: PreparedSamples) {
    const n = p.sampleCount;
    const C = p.classCount;
    this.weight = new Int32Array(n);
    this.idx = new Int32Array(n);
    this.perm = new Int32Array(p.featureCount);
    this.counts = new Float64Array(C);
    this.left = new Float64Array(C);
    this.hist = new Float64Array(HISTOGRAM_BINS * C);
    this.stack = new Int32Array(4 * (n + 2));
    const maxNodes = 2 * n - 1;
    this.feature = new Int32Array(maxNodes);
    this.threshold = new Float64Array(maxNodes);
    this.leftChild = new Int32Array(maxNodes);
    this.rightChild = new Int32Array(maxNodes);
    this.leaf = new Int32Array(maxNodes);
    this.leafValues = new Float32Array(n * C);
  }

  grow(treeIndex: number, seed: number, mtry: number, maxDepth: number, minSplit: number): Tree {
    const { p, weight, idx, perm, counts, left, hist, stack } = this;
    const { feature, threshold, leftChild, rightChild, leaf, leafValues } = this;
    const n = p.sampleCount;
    const F = p.featureCount;
    const C = p.classCount;
    const classes = p.classes;
    const codes = p.codes!;
    const binThresholds = p.binThresholds!;
    const rng = Xoshiro128.forStream(seed, treeIndex);

    // Bootstrap, exactly as the exact search draws it.
    weight.fill(0);
    for (let i = 0; i < n; i++) weight[rng.below(n)]++;
    let u = 0;
    for (let s = 0; s < n; s++) {
      idx[u] = s;
      u += weight[s] > 0 ? 1 : 0;
    }
    for (let f = 0; f < F; f++) perm[f] = f;

    let nodeCount = 1;
    let leafCount = 0;
    let sp = 0;
    stack[sp++] = 0;
    stack[sp++] = u;
    stack[sp++] = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      const depth = stack[--sp];
      const node = stack[--sp];
      const hi = stack[--sp];
      const lo = stack[--sp];

      counts.fill(0);
      let total = 0;
      for (let i = lo; i < hi; i++) {
        const s = idx[i];
        const w = weight[s];
        counts[classes[s]] += w;
        total += w;
      }
      let present = 0;
      let sumSq = 0;
      for (let k = 0; k < C; k++) {
        if (counts[k] > 0) present++;
        sumSq += counts[k] * counts[k];
      }

      let bestF = -1;
      let bestBin = 0;
      if (present > 1 && hi - lo > 1 && depth < maxDepth && total >= minSplit) {
        let bestScore = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < F; k++) {
          if (k >= mtry && bestF >= 0) break;
          const j = k + rng.below(F - k);
          const f = perm[j];
          perm[j] = perm[k];
          perm[k] = f;

          // Class weights per bin of feature f, then a scan over the bins the node occupies.
          const base = f * n;
          const bins = binThresholds[f].length + 1;
          hist.fill(0, 0, bins * C);
          let bmin = bins;
          let bmax = -1;
          for (let i = lo; i < hi; i++) {
            const s = idx[i];
            const b = codes[base + s];
            hist[b * C + classes[s]] += weight[s];
            if (b < bmin) bmin = b;
            if (b > bmax) bmax = b;
          }
          left.fill(0);
          let nL = 0;
          let nR = total;
          let sL = 0;
          let sR = sumSq;
          for (let b = bmin; b < bmax; b++) {
            let moved = 0;
            for (let c = 0; c < C; c++) {
              const w = hist[b * C + c];
              if (w === 0) continue;
              const cl = left[c];
              const cr = counts[c] - cl;
              sL += w * (2 * cl + w);
              sR -= w * (2 * cr - w);
              left[c] = cl + w;
              moved += w;
            }
            if (moved === 0) continue; // an empty bin: the same split as the previous boundary
            nL += moved;
            nR -= moved;
            const score = sL / nL + sR / nR;
            if (score > bestScore) {
              bestScore = score;
              bestF = f;
              bestBin = b;
            }
          }
        }
      }

      if (bestF < 0) {
        feature[node] = -1;
        threshold[node] = 0;
        leftChild[node] = -1;
        rightChild[node] = -1;
        leaf[node] = leafCount;
        const o = leafCount * C;
        for (let k = 0; k < C; k++) leafValues[o + k] = counts[k] / total;
        leafCount++;
        continue;
      }

      feature[node] = bestF;
      threshold[node] = binThresholds[bestF][bestBin];
      leaf[node] = -1;
      const l = nodeCount;
      const rgt = nodeCount + 1;
      nodeCount += 2;
      leftChild[node] = l;
      rightChild[node] = rgt;

      // Partition the node's samples: bins ≤ bestBin to the left (order within a side is irrelevant).
      const base = bestF * n;
      let a = lo;
      let z = hi - 1;
      while (a <= z) {
        const s = idx[a];
        if (codes[base + s] <= bestBin) a++;
        else {
          idx[a] = idx[z];
          idx[z] = s;
          z--;
        }
      }

      stack[sp++] = a;
      stack[sp++] = hi;
      stack[sp++] = rgt;
      stack[sp++] = depth + 1;
      stack[sp++] = lo;
      stack[sp++] = a;
      stack[sp++] = l;
      stack[sp++] = depth + 1;
    }

    return {
      feature: feature.slice(0, nodeCount),
      threshold: threshold.slice(0, nodeCount),
      left: leftChild.slice(0, nodeCount),
      right: rightChild.slice(0, nodeCount),
      leaf: leaf.slice(0, nodeCount),
      leafValues: leafValues.slice(0, leafCount * C),
    };
  }
}

interface ResolvedOptions {
  readonly trees: number;
  readonly seed: number;
  readonly mtry: number;
  readonly maxDepth: number;
  readonly minSplit: number;
  readonly start: number;
  readonly end: number;
}

function resolveOptions(options: TrainOptions, featureCount: number): ResolvedOptions {
  const trees = checkInt("trees", options.trees ?? 100, 1);
  const seed = checkInt("seed", options.seed ?? 0, -(2 ** 31), 2 ** 32 - 1);
  const mtry = checkInt("mtry", options.mtry ?? defaultMtry(featureCount), 1, featureCount);
  const maxDepth =
    options.maxDepth === undefined || options.maxDepth === Number.POSITIVE_INFINITY
      ? Number.MAX_SAFE_INTEGER
      : checkInt("maxDepth", options.maxDepth, 0);
  const minSplit = checkInt("minSplit", options.minSplit ?? 1, 1);
  const [start, end] = options.treeRange ?? [0, trees];
  checkInt("treeRange start", start, 0, trees);
  checkInt("treeRange end", end, start, trees);
  return { trees, seed, mtry, maxDepth, minSplit, start, end };
}

const growers = new WeakMap<PreparedSamples, Grower>();

/**
 * Grows trees `treeRange` (default all) of the seeded forest on prepared samples, with the split search
 * they were prepared for (`options.splits` is not consulted here; it is prepareSamples' argument).
 */
export function trainTrees(prepared: PreparedSamples, options: TrainOptions = {}): Forest {
  const o = resolveOptions(options, prepared.featureCount);
  // One Grower (its scratch arrays) per prepared sample set, reused by later calls (workers call this
  // once per tree range).
  let grower = growers.get(prepared);
  if (!grower) {
    grower = prepared.splits === "exact" ? new ExactGrower(prepared) : new HistogramGrower(prepared);
    growers.set(prepared, grower);
  }
  const trees: Tree[] = [];
  for (let t = o.start; t < o.end; t++) trees.push(grower.grow(t, o.seed, o.mtry, o.maxDepth, o.minSplit));
  return { featureCount: prepared.featureCount, classCount: prepared.classCount, trees };
}

/**
 * Trains a random forest on `samples` (n × featureCount float32, row major) with `labels` (1 … N per
 * sample; 0 is not a label). classCount = the largest label, so a class without samples still exists
 * and gets probability 0 everywhere.
 */
export function trainForest(
  samples: Float32Array,
  labels: ArrayLike<number>,
  featureCount: number,
  options: TrainOptions = {},
): Forest {
  const prepared = prepareSamples(samples, labels, featureCount, options.splits ?? "auto");
  if (prepared.classCount > MAX_CLASSES) throw new ForestError(`more than ${MAX_CLASSES} classes`);
  return trainTrees(prepared, options);
}
