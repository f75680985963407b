// ONNX export of a forest (model.ts), for running Sylva's classifiers in any ONNX runtime.
//
// The graph (ONNX IR 8; opsets "" 17 and "ai.onnx.ml" 3, the ONNX 1.12 set; tested with onnxruntime-node 1.30):
//
//   features float [N, F] ─ ai.onnx.ml.TreeEnsembleRegressor ─ class_sums float [N, C]
//   class_sums ─ ReduceSum(axes [1], keepdims 1) ─ sample_sums float [N, 1]
//   class_sums, sample_sums ─ Div ─ probabilities float [N, C]     (output)
//   class_sums ─ ArgMax(axis 1, keepdims 0) ─ Add 1 ─ label int64 [N]  (output: ilastik's simple segmentation)
//
// Why TreeEnsembleRegressor (n_targets = C, aggregate_function SUM, post_transform NONE) and not
// TreeEnsembleClassifier: both sum, per class, the weights of the leaves a sample reaches over all trees, which
// is what we need before normalizing; but the classifier's kernels special-case one and two classes
// (onnxruntime rewrites binary scores and labels: score0 = −score1 or 1 − score1, label chosen by the sign or
// 0.5 test of one class), whereas the regressor writes the plain per-target sums for every class count. The
// per-sample normalization (ReduceSum, Div) then gives our probabilities whether or not the leaves are
// normalized (vigra's leaves hold class counts); the label is the argmax of the sums (first maximum on ties,
// as ArgMax with select_last_index 0), which is the argmax of the probabilities.
//
// Exactness of the split decisions. Our node sends x to the left when x < t, x a float32 feature and t a
// float64 threshold, compared in double. The ONNX tree attributes hold float32 thresholds (nodes_values;
// nodes_values_as_tensor must have the input's type, so double thresholds would need double features), and
// onnxruntime compares x < t′ in float. With t′ = the smallest float32 ≥ t (t′ = t when t is a float32; ±0
// and NaN kept):
//   x < t ⇒ x < t′ since t ≤ t′;
//   x ≥ t ⇒ x ≥ t′ since x is a float32 ≥ t and t′ is the least such;
//   x or t NaN: both comparisons are false (onnxruntime, without missing-value tracks, also sends NaN to the
//   false branch, i.e. our right child).
// So every sample takes the same path in every tree. (Rounding t to the nearest float32 instead would flip the
// decision for the float32 values between t and a nearest t′ below it.) A threshold above the largest float32
// becomes +∞ (every finite x goes left, as in double), one below −FLT_MAX becomes −FLT_MAX (only −∞ goes left).
//
// Leaf weights are float32 already and go into target_weights unchanged, except that the whole forest is
// scaled by a power of two (exact; the normalization cancels it) when the largest possible per-class sum
// would leave the comfortable float32 range, so that summing in float32 can neither overflow nor lose
// precision in subnormals. Zero weights are left out (adding 0 changes no sum); a leaf whose weights are all
// zero gets one explicit 0 (onnxruntime requires a target on every leaf).
//
// Precision: onnxruntime accumulates the sums in float32 (the trees' value type for float input) and, with
// several threads, in per-thread partial sums; a predictor summing in double differs by the float rounding
// of the sums, not bit for bit: max |Δp| 1.2e-7 over 20 000 samples of a random 100-tree forest with
// unnormalized leaves (apps/compute/test/forest-onnx.test.ts). Only a near tie closer than that can change
// the label. A sample whose reached leaves are all zero gets 0/0 = NaN probabilities and label 1.

import { ceilFloat32, checkForest, type Forest, ForestError } from "./model.js";
import { ProtoWriter } from "./protobuf.js";

export interface OnnxExportOptions {
  /** ModelProto.producer_name; default "sylva". */
  readonly producer?: string;
  /** ModelProto.producer_version; default none. */
  readonly producerVersion?: string;
  /** Name of the graph's input, float [N, featureCount]; default "features". */
  readonly inputName?: string;
}

export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;
export const ONNX_ML_OPSET = 3;
/** Names of the exported graph's outputs: probabilities float [N, classCount], label int64 [N] (class + 1). */
export const ONNX_OUTPUTS = { probabilities: "probabilities", label: "label" } as const;

// Names of the graph's intermediate values and initializers.
const INTERNAL = {
  sums: "class_sums",
  total: "sample_sums",
  argmax: "argmax",
  axes: "reduce_axes",
  one: "one",
} as const;
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...Object.values(INTERNAL),
  ...Object.values(ONNX_OUTPUTS),
]);

// onnx.proto field numbers and enums.
const Model = {
  irVersion: 1,
  producerName: 2,
  producerVersion: 3,
  docString: 6,
  graph: 7,
  opsetImport: 8,
  metadata: 14,
};
const Graph = { node: 1, name: 2, initializer: 5, docString: 10, input: 11, output: 12 };
const Node = { input: 1, output: 2, name: 3, opType: 4, attribute: 5, domain: 7 };
const Attr = { name: 1, i: 3, s: 4, floats: 7, ints: 8, strings: 9, type: 20 };
const AttrType = { INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 };
const Tensor = { dims: 1, dataType: 2, int64Data: 7, name: 8 };
const DataType = { FLOAT: 1, INT64: 7 };

type Attribute =
  | { name: string; int: number }
  | { name: string; string: string }
  | { name: string; ints: ArrayLike<number> }
  | { name: string; floats: ArrayLike<number> }
  | { name: string; strings: readonly Uint8Array[] };

function writeAttribute(w: ProtoWriter, a: Attribute): void {
  w.string(Attr.name, a.name);
  if ("int" in a) w.int(Attr.type, AttrType.INT).int(Attr.i, a.int);
  else if ("string" in a) w.int(Attr.type, AttrType.STRING).string(Attr.s, a.string);
  else if ("ints" in a) w.int(Attr.type, AttrType.INTS).packedInts(Attr.ints, a.ints);
  else if ("floats" in a) w.int(Attr.type, AttrType.FLOATS).packedFloats(Attr.floats, a.floats);
  else {
    w.int(Attr.type, AttrType.STRINGS);
    for (const s of a.strings) w.bytes(Attr.strings, s);
  }
}

function writeNode(
  w: ProtoWriter,
  opType: string,
  inputs: readonly string[],
  outputs: readonly string[],
  attributes: readonly Attribute[] = [],
  domain = "",
): void {
  w.message(Graph.node, (n) => {
    n.strings(Node.input, inputs).strings(Node.output, outputs).string(Node.name, outputs[0]);
    n.string(Node.opType, opType);
    if (domain) n.string(Node.domain, domain);
    for (const a of attributes) n.message(Node.attribute, (m) => writeAttribute(m, a));
  });
}

/** A ValueInfoProto for a tensor; string dims are symbolic (dim_param). */
function writeValueInfo(
  w: ProtoWriter,
  field: number,
  name: string,
  elemType: number,
  dims: (number | string)[],
) {
  w.message(field, (v) => {
    v.string(1, name);
    v.message(2, (type) =>
      type.message(1, (tensor) => {
        tensor.int(1, elemType);
        tensor.message(2, (shape) => {
          for (const d of dims)
            shape.message(1, (dim) => (typeof d === "number" ? dim.int(1, d) : dim.string(2, d)));
        });
      }),
    );
  });
}

function writeInt64Initializer(w: ProtoWriter, name: string, dims: number[], values: number[]): void {
  w.message(Graph.initializer, (t) =>
    t
      .packedInts(Tensor.dims, dims)
      .int(Tensor.dataType, DataType.INT64)
      .packedInts(Tensor.int64Data, values)
      .string(Tensor.name, name),
  );
}

/** The power of two the leaf weights are multiplied by: 1 unless per-class sums could leave [2^−64, 2^64]. */
function weightScale(forest: Forest): number {
  const C = forest.classCount;
  let bound = 0; // ≥ any per-class sum over the trees
  for (const t of forest.trees) {
    let max = 0;
    for (const v of t.leafValues) if (Math.abs(v) > max) max = Math.abs(v);
    bound += max * C;
  }
  if (!(bound > 0 && Number.isFinite(bound)) || (bound >= 2 ** -64 && bound <= 2 ** 64)) return 1;
  return 2 ** -Math.floor(Math.log2(bound));
}

/**
 * The forest as an ONNX model (serialized ModelProto): input `features` float [N, featureCount], outputs
 * `probabilities` float [N, classCount] (normalized sums of leaf weights, as our predictor) and `label` int64
 * [N] (argmax + 1). See the head of this file for the graph and why its split decisions equal ours.
 */
export function exportForestOnnx(forest: Forest, options: OnnxExportOptions = {}): Uint8Array {
  checkForest(forest);
  const { featureCount, classCount, trees } = forest;
  if (trees.length === 0) throw new ForestError("cannot export a forest without trees");
  const inputName = options.inputName ?? "features";
  if (inputName === "" || RESERVED_NAMES.has(inputName))
    throw new ForestError(`"${inputName}" cannot name the ONNX input (empty or used inside the graph)`);

  let nodeCount = 0;
  let weightCount = 0;
  for (const t of trees) {
    nodeCount += t.feature.length;
    for (let i = 0; i < t.feature.length; i++) {
      if (t.feature[i] >= 0) continue;
      const row = t.leaf[i] * classCount;
      let nonzero = 0;
      for (let k = 0; k < classCount; k++) if (t.leafValues[row + k] !== 0) nonzero++;
      weightCount += Math.max(nonzero, 1);
    }
  }
  const treeIds = new Float64Array(nodeCount);
  const nodeIds = new Float64Array(nodeCount);
  const featureIds = new Float64Array(nodeCount);
  const values = new Float32Array(nodeCount);
  const trueIds = new Float64Array(nodeCount);
  const falseIds = new Float64Array(nodeCount);
  const modes: Uint8Array[] = new Array(nodeCount);
  const targetTreeIds = new Float64Array(weightCount);
  const targetNodeIds = new Float64Array(weightCount);
  const targetIds = new Float64Array(weightCount);
  const targetWeights = new Float32Array(weightCount);
  const utf8 = new TextEncoder();
  const BRANCH_LT = utf8.encode("BRANCH_LT");
  const LEAF = utf8.encode("LEAF");
  const scale = weightScale(forest);

  let n = 0;
  let m = 0;
  trees.forEach((t, ti) => {
    for (let i = 0; i < t.feature.length; i++, n++) {
      treeIds[n] = ti;
      nodeIds[n] = i;
      const f = t.feature[i];
      if (f >= 0) {
        featureIds[n] = f;
        values[n] = ceilFloat32(t.threshold[i]);
        trueIds[n] = t.left[i];
        falseIds[n] = t.right[i];
        modes[n] = BRANCH_LT;
        continue;
      }
      modes[n] = LEAF;
      const row = t.leaf[i] * classCount;
      const first = m;
      for (let k = 0; k < classCount; k++) {
        const v = t.leafValues[row + k];
        if (v === 0) continue;
        targetTreeIds[m] = ti;
        targetNodeIds[m] = i;
        targetIds[m] = k;
        targetWeights[m++] = v * scale;
      }
      if (m === first) {
        targetTreeIds[m] = ti;
        targetNodeIds[m] = i;
        targetIds[m] = 0;
        targetWeights[m++] = 0;
      }
    }
  });

  const ml = "ai.onnx.ml";
  const { sums, total, argmax, axes, one } = INTERNAL;
  const { probabilities, label } = ONNX_OUTPUTS;

  const w = new ProtoWriter();
  w.int(Model.irVersion, ONNX_IR_VERSION);
  w.string(Model.producerName, options.producer ?? "sylva");
  if (options.producerVersion) w.string(Model.producerVersion, options.producerVersion);
  w.string(
    Model.docString,
    `Sylva random forest: ${trees.length} trees, ${featureCount} features, ${classCount} classes. ` +
      `Input "${inputName}" float [N, ${featureCount}]; outputs "${probabilities}" float [N, ${classCount}] ` +
      `(class k + 1 in column k) and "${label}" int64 [N] (the most probable label, 1 … ${classCount}).`,
  );
  w.message(Model.graph, (g) => {
    writeNode(
      g,
      "TreeEnsembleRegressor",
      [inputName],
      [sums],
      [
        { name: "n_targets", int: classCount },
        { name: "aggregate_function", string: "SUM" },
        { name: "post_transform", string: "NONE" },
        { name: "nodes_treeids", ints: treeIds },
        { name: "nodes_nodeids", ints: nodeIds },
        { name: "nodes_featureids", ints: featureIds },
        { name: "nodes_modes", strings: modes },
        { name: "nodes_values", floats: values },
        { name: "nodes_truenodeids", ints: trueIds },
        { name: "nodes_falsenodeids", ints: falseIds },
        { name: "target_treeids", ints: targetTreeIds },
        { name: "target_nodeids", ints: targetNodeIds },
        { name: "target_ids", ints: targetIds },
        { name: "target_weights", floats: targetWeights },
      ],
      ml,
    );
    writeNode(g, "ReduceSum", [sums, axes], [total], [{ name: "keepdims", int: 1 }]);
    writeNode(g, "Div", [sums, total], [probabilities]);
    writeNode(
      g,
      "ArgMax",
      [sums],
      [argmax],
      [
        { name: "axis", int: 1 },
        { name: "keepdims", int: 0 },
      ],
    );
    writeNode(g, "Add", [argmax, one], [label]);
    g.string(Graph.name, "sylva_forest");
    writeInt64Initializer(g, axes, [1], [1]);
    writeInt64Initializer(g, one, [], [1]);
    writeValueInfo(g, Graph.input, inputName, DataType.FLOAT, ["N", featureCount]);
    writeValueInfo(g, Graph.output, probabilities, DataType.FLOAT, ["N", classCount]);
    writeValueInfo(g, Graph.output, label, DataType.INT64, ["N"]);
  });
  for (const [domain, version] of [
    ["", ONNX_OPSET],
    [ml, ONNX_ML_OPSET],
  ] as const)
    w.message(Model.opsetImport, (o) => o.string(1, domain).int(2, version));
  for (const [key, value] of [
    ["sylva.featureCount", featureCount],
    ["sylva.classCount", classCount],
    ["sylva.treeCount", trees.length],
  ] as const)
    w.message(Model.metadata, (e) => e.string(1, key).string(2, String(value)));
  return w.finish();
}
