// Import of vigra's random forests (vigra::RandomForest as written to HDF5, the form ilastik keeps in its
// .ilp projects under PixelClassification/ClassifierForests/ForestNNNN) into Sylva's Forest.
//
// The encoding, as vigra's rf_nodeproxy / decision tree / HDF5 import read it:
// - A forest group holds one subgroup per tree (every member whose name does not start with "_", in
//   HDF5 name order: "Tree_0", "Tree_1", ... or zero-padded "Tree_00", ...), plus `_ext_param/*` (problem
//   description: `labels` = the label value of each class index, `column_count_`, `class_count_`, ...) and
//   `_options/*` (training options; prediction uses `tree_count_` and `predict_weighted_`; very old files
//   store the options as one serialized 12-value dataset instead of a group).
// - A tree is `topology` (int32) and `parameters` (float64). topology[0] is the number of feature columns,
//   topology[1] the number of classes; the root node starts at topology[2]. A node at topology[i] is
//   `typeID, parameter address, ...`; its parameters start at parameters[address] with the node weight.
//   - typeID 0 (threshold split): topology[i+2], [i+3] = topology positions of child 0 and child 1,
//     topology[i+4] = feature column; parameters [weight, threshold]. A sample goes to child 0 when
//     x[column] < threshold (the float32 feature compared in double), else to child 1.
//   - typeID 0x40000000 (constant-probability leaf): parameters [weight (the training samples that reached
//     it), p_0 … p_{classes−1}] (class frequencies, summing to 1).
//   - 1 and 2 (hyperplane, hypersphere splits) and 0x40000001 (logistic-regression leaf) exist in vigra
//     but are never written by ilastik; they are refused here.
// - predictProbabilities: per sample, each tree contributes p_l (times the leaf weight when
//   predict_weighted_), summed over the group's trees and divided by the sum of all contributions (float32
//   accumulation in vigra). ilastik averages its several forest groups by tree count:
//   Σ_g treeCount_g · P_g / Σ_g treeCount_g.
// With leaves summing to 1 (always so when written by vigra without predict_weighted_), every group's
// P_g is the mean of its trees' leaves, so ilastik's weighted average is the plain mean over all trees of
// all groups — exactly Sylva's "normalized sum of leaf weights" over one forest of all the trees.
// Nodes are renumbered breadth first, so children come after their parents.

import type { Hdf5Reader } from "../io/hdf5.js";
import { withHdf5 } from "../io/hdf5.js";
import type { Forest, Tree } from "./model.js";
import { checkForest, ForestError } from "./model.js";

/** vigra's node type codes (NodeTags in rf_nodeproxy.hxx). */
export const VIGRA_NODE = {
  threshold: 0,
  hyperplane: 1,
  hypersphere: 2,
  leafTag: 0x40000000,
  constProbLeaf: 0x40000000,
  logRegLeaf: 0x40000001,
} as const;

/** One vigra RandomForest as stored in an HDF5 group. */
export interface VigraForestGroup {
  /** Where it came from, for messages (e.g. "PixelClassification/ClassifierForests/Forest0003"). */
  readonly name: string;
  readonly trees: readonly VigraTreeArrays[];
  /** `_ext_param/labels`: the label value of each class index. */
  readonly labels: readonly number[];
  /** `_ext_param/column_count_`, when stored. */
  readonly columnCount?: number;
  /** `_options/tree_count_`, when stored. */
  readonly treeCount?: number;
  /** `_options/predict_weighted_`: leaves vote with their class frequencies times their sample count. */
  readonly predictWeighted: boolean;
}

export interface VigraTreeArrays {
  readonly name: string;
  readonly topology: Int32Array;
  readonly parameters: Float64Array;
}

export interface VigraImportOptions {
  /**
   * Number of classes of the imported forest (label k + 1 is class k), at least the largest label the
   * forests know; ilastik's number of label classes, so labels no forest saw get probability 0.
   * Default: the largest known label.
   */
  readonly classCount?: number;
}

const SERIALIZED_OPTIONS = 12;
const SERIALIZED_TREE_COUNT = 9;
const SERIALIZED_PREDICT_WEIGHTED = 11;

function numbers(value: unknown, what: string): number[] {
  if (typeof value === "number") return [value];
  if (typeof value === "bigint") return [Number(value)];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<number | bigint>, Number);
  if (Array.isArray(value) && value.every((v) => typeof v === "number" || typeof v === "bigint"))
    return value.map(Number);
  throw new ForestError(`${what} is not numeric`);
}

function scalar(reader: Hdf5Reader, path: string): number | undefined {
  if (reader.kind(path) !== "dataset") return undefined;
  const v = numbers(reader.dataset(path).value, path);
  if (v.length !== 1) throw new ForestError(`${path} holds ${v.length} values, expected 1`);
  return v[0];
}

/** Reads the vigra forest stored in group `path` of an open HDF5 file. */
export function readVigraForestGroup(reader: Hdf5Reader, path: string): VigraForestGroup {
  const base = path.split("/").filter(Boolean).join("/");
  const at = (p: string) => (base === "" ? p : `${base}/${p}`);
  if (reader.kind(base) !== "group") throw new ForestError(`no forest group "${base}"`);
  const labelsPath = at("_ext_param/labels");
  if (reader.kind(labelsPath) !== "dataset") throw new ForestError(`${labelsPath} is missing`);
  const labels = numbers(reader.dataset(labelsPath).value, labelsPath);
  let treeCount: number | undefined;
  let predictWeighted = false;
  const options = at("_options");
  const optionsKind = reader.kind(options);
  if (optionsKind === "group") {
    treeCount = scalar(reader, at("_options/tree_count_"));
    predictWeighted = (scalar(reader, at("_options/predict_weighted_")) ?? 0) !== 0;
  } else if (optionsKind === "dataset") {
    const v = numbers(reader.dataset(options).value, options);
    if (v.length !== SERIALIZED_OPTIONS)
      throw new ForestError(`${options} holds ${v.length} values, expected ${SERIALIZED_OPTIONS}`);
    treeCount = v[SERIALIZED_TREE_COUNT];
    predictWeighted = v[SERIALIZED_PREDICT_WEIGHTED] !== 0;
  }
  const trees: VigraTreeArrays[] = [];
  for (const key of reader.keys(base)) {
    if (key.startsWith("_")) continue;
    const name = at(key);
    if (reader.kind(name) !== "group") continue;
    for (const part of ["topology", "parameters"])
      if (reader.kind(`${name}/${part}`) !== "dataset") throw new ForestError(`${name}/${part} is missing`);
    const topology = reader.dataset(`${name}/topology`).value;
    const parameters = reader.dataset(`${name}/parameters`).value;
    if (!(topology instanceof Int32Array)) throw new ForestError(`${name}/topology is not an int32 array`);
    if (!(parameters instanceof Float64Array))
      throw new ForestError(`${name}/parameters is not a float64 array`);
    trees.push({ name, topology, parameters });
  }
  return {
    name: base,
    trees,
    labels,
    columnCount: scalar(reader, at("_ext_param/column_count_")),
    treeCount,
    predictWeighted,
  };
}

/**
 * Converts one vigra tree. `classColumns[l]` is the output class of vigra class index l; leaf values are
 * the class frequencies (times the leaf's weight when `weighted`).
 */
export function treeFromVigra(
  tree: VigraTreeArrays,
  classColumns: readonly number[],
  classCount: number,
  weighted: boolean,
): Tree {
  const { topology: topo, parameters: par, name } = tree;
  if (topo.length < 4) throw new ForestError(`${name}: topology has only ${topo.length} entries`);
  const featureCount = topo[0];
  const vigraClasses = topo[1];
  if (vigraClasses !== classColumns.length)
    throw new ForestError(
      `${name}: the tree has ${vigraClasses} classes, the forest's labels name ${classColumns.length}`,
    );
  const feature: number[] = [];
  const threshold: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const leaf: number[] = [];
  const values: number[] = [];
  const seen = new Set<number>();
  // queue of topology positions; the node's new index is its position in the queue
  const queue: number[] = [2];
  const childAt = (i: number, k: number): number => {
    const c = topo[i + 2 + k];
    if (!(c >= 2 && c < topo.length))
      throw new ForestError(`${name}: node at topology[${i}] has child ${k} at ${c}, outside the topology`);
    if (seen.has(c)) throw new ForestError(`${name}: node at topology[${c}] is reached twice`);
    seen.add(c);
    queue.push(c);
    return queue.length - 1;
  };
  seen.add(2);
  for (let n = 0; n < queue.length; n++) {
    const i = queue[n];
    if (i + 1 >= topo.length) throw new ForestError(`${name}: node at topology[${i}] is cut off`);
    const type = topo[i];
    const addr = topo[i + 1];
    if (type === VIGRA_NODE.threshold) {
      if (i + 4 >= topo.length) throw new ForestError(`${name}: split node at topology[${i}] is cut off`);
      const column = topo[i + 4];
      if (!(column >= 0 && column < featureCount))
        throw new ForestError(
          `${name}: split node at topology[${i}] uses feature ${column} of ${featureCount}`,
        );
      if (!(addr >= 0 && addr + 1 < par.length))
        throw new ForestError(`${name}: split node at topology[${i}] has its parameters outside the array`);
      feature.push(column);
      threshold.push(par[addr + 1]);
      leaf.push(-1);
      left.push(-1);
      right.push(-1);
      left[n] = childAt(i, 0);
      right[n] = childAt(i, 1);
    } else if (type === VIGRA_NODE.constProbLeaf) {
      if (!(addr >= 0 && addr + vigraClasses < par.length))
        throw new ForestError(`${name}: leaf at topology[${i}] has its parameters outside the array`);
      const weight = weighted ? par[addr] : 1;
      const row = values.length / classCount;
      for (let k = 0; k < classCount; k++) values.push(0);
      for (let l = 0; l < vigraClasses; l++)
        values[row * classCount + classColumns[l]] += par[addr + 1 + l] * weight;
      feature.push(-1);
      threshold.push(0);
      left.push(-1);
      right.push(-1);
      leaf.push(row);
    } else {
      const kind =
        type === VIGRA_NODE.hyperplane
          ? "a hyperplane split"
          : type === VIGRA_NODE.hypersphere
            ? "a hypersphere split"
            : type === VIGRA_NODE.logRegLeaf
              ? "a logistic-regression leaf"
              : `of unknown type ${type} (0x${(type >>> 0).toString(16)})`;
      throw new ForestError(
        `${name}: node at topology[${i}] is ${kind}; only threshold splits and constant-probability leaves can be imported`,
      );
    }
  }
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    leaf: Int32Array.from(leaf),
    leafValues: Float32Array.from(values),
  };
}

/**
 * One Forest of all the trees of all the groups (in order), predicting what ilastik predicts with them:
 * the tree-count-weighted average of the groups' vigra predictProbabilities. Throws ForestError where the
 * forests cannot be represented exactly (several groups whose leaves do not all carry the same total
 * weight, e.g. predict_weighted_ forests) or are inconsistent.
 */
export function forestFromVigra(
  groups: readonly VigraForestGroup[],
  options: VigraImportOptions = {},
): Forest {
  if (groups.length === 0) throw new ForestError("no vigra forest to import");
  let featureCount: number | undefined;
  let maxLabel = 0;
  for (const g of groups) {
    if (g.trees.length === 0) throw new ForestError(`${g.name} holds no trees`);
    if (g.treeCount !== undefined && g.treeCount !== g.trees.length)
      throw new ForestError(
        `${g.name}: _options/tree_count_ says ${g.treeCount} trees, the group holds ${g.trees.length}`,
      );
    if (g.labels.length === 0) throw new ForestError(`${g.name}: _ext_param/labels is empty`);
    for (const label of g.labels) {
      if (!(Number.isInteger(label) && label >= 1))
        throw new ForestError(`${g.name}: label ${label} is not a positive integer (0 means unlabeled)`);
      maxLabel = Math.max(maxLabel, label);
    }
    if (new Set(g.labels).size !== g.labels.length)
      throw new ForestError(`${g.name}: _ext_param/labels repeats a label (${g.labels.join(", ")})`);
    for (const t of g.trees) {
      const columns = t.topology[0];
      featureCount ??= columns;
      if (columns !== featureCount)
        throw new ForestError(
          `${t.name} uses ${columns} features, ${groups[0].trees[0].name} ${featureCount}`,
        );
    }
    if (g.columnCount !== undefined && g.columnCount !== featureCount)
      throw new ForestError(
        `${g.name}: _ext_param/column_count_ is ${g.columnCount}, its trees use ${featureCount}`,
      );
  }
  const classCount = options.classCount ?? maxLabel;
  if (classCount < maxLabel)
    throw new ForestError(
      `the forests know label ${maxLabel}, more than the ${classCount} classes asked for`,
    );
  const trees: Tree[] = [];
  for (const g of groups) {
    const columns = g.labels.map((label) => label - 1);
    for (const t of g.trees) trees.push(treeFromVigra(t, columns, classCount, g.predictWeighted));
  }
  if (groups.length > 1) checkEqualLeafTotals(groups, trees, classCount);
  const forest: Forest = { featureCount: featureCount ?? 0, classCount, trees };
  checkForest(forest);
  return forest;
}

/**
 * Several groups combine as one normalized sum only when every leaf carries the same total (then each
 * group's normalization is its tree count times that total, and ilastik's tree-count weighting cancels).
 */
function checkEqualLeafTotals(
  groups: readonly VigraForestGroup[],
  trees: readonly Tree[],
  classCount: number,
) {
  let first: number | undefined;
  let ti = 0;
  for (const g of groups)
    for (const t of g.trees) {
      const v = trees[ti++].leafValues;
      for (let row = 0; row < v.length / classCount; row++) {
        let sum = 0;
        for (let k = 0; k < classCount; k++) sum += v[row * classCount + k];
        first ??= sum;
        if (!(Math.abs(sum - first) <= 1e-6 * Math.max(1, Math.abs(first))))
          throw new ForestError(
            `${t.name}: a leaf's weights sum to ${sum}, others to ${first}${
              g.predictWeighted ? " (predict_weighted_ is set)" : ""
            }; ilastik's average over ${groups.length} forests cannot be represented as one forest`,
          );
      }
    }
}

/** Reads the vigra forests in the given groups of an HDF5 file's bytes and imports them as one Forest. */
export async function readVigraForests(
  bytes: Uint8Array,
  groupPaths: readonly string[],
  source?: string,
  options: VigraImportOptions = {},
): Promise<Forest> {
  return withHdf5(bytes, source, (reader) =>
    forestFromVigra(
      groupPaths.map((p) => readVigraForestGroup(reader, p)),
      options,
    ),
  );
}
