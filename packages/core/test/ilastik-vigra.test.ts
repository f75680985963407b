// vigra random forests imported into Sylva's Forest: the encoding on hand-built trees, and exactness on
// ilastik's own forests — given the very features ilastik_ref.py ilp-predict computed, the imported
// forest's probabilities equal vigra's predictProbabilities (averaged over ilastik's 40 forests by tree
// count) to within 1e-6.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Forest, VigraForestGroup } from "../src/index.js";
import { ForestError, forestFromVigra, readHdf5, readIlastikProject, VIGRA_NODE } from "../src/index.js";
import { REF_SCRIPT, referenceAvailable, SHARED } from "./helpers/reference.js";

const available = referenceAvailable();
if (!available && process.env.CI)
  throw new Error("the reference (python3-vigra, python3-h5py) must be installed in CI");
const DIR = join(SHARED, "data/ilastik");

// A minimal evaluator of the Forest contract (until forest/predict.ts lands): per sample, the normalized
// sum of the leaves' class weights, accumulated in double.
function predict(forest: Forest, x: Float32Array | Float64Array, n: number): Float64Array {
  const { featureCount: F, classCount: C } = forest;
  const out = new Float64Array(n * C);
  for (let s = 0; s < n; s++) {
    const o = s * F;
    for (const t of forest.trees) {
      let i = 0;
      while (t.feature[i] >= 0) i = x[o + t.feature[i]] < t.threshold[i] ? t.left[i] : t.right[i];
      for (let k = 0; k < C; k++) out[s * C + k] += t.leafValues[t.leaf[i] * C + k];
    }
    let sum = 0;
    for (let k = 0; k < C; k++) sum += out[s * C + k];
    for (let k = 0; k < C; k++) out[s * C + k] /= sum;
  }
  return out;
}

const { threshold: SPLIT, constProbLeaf: LEAF } = VIGRA_NODE;

/**
 * A 2-feature, 2-class tree stored as vigra does after growing it: the root's right child (a leaf) sits
 * before its left child (a split whose children come last). Root: x0 < 0.5 → split node, else leaf B.
 * Split: x1 < −1 → leaf C, else leaf D.
 */
function handTree(name = "Tree_0") {
  // topology: header, root@2, leafB@7, split@9, leafC@14, leafD@16
  const topology = Int32Array.from([
    2,
    2,
    SPLIT,
    0,
    9,
    7,
    0,
    LEAF,
    2,
    SPLIT,
    5,
    14,
    16,
    1,
    LEAF,
    7,
    LEAF,
    10,
  ]);
  // parameters: root [w, thr], leafB [w, p0, p1], split [w, thr], leafC [w, p0, p1], leafD [w, p0, p1]
  const parameters = Float64Array.from([1, 0.5, 4, 0.25, 0.75, 1, -1, 2, 1, 0, 6, 0, 1]);
  return { name, topology, parameters };
}

function group(over: Partial<VigraForestGroup> = {}): VigraForestGroup {
  return { name: "Forest0000", trees: [handTree()], labels: [1, 2], predictWeighted: false, ...over };
}

describe("vigra's encoding", () => {
  it("renumbers nodes parents first and keeps vigra's split rule and leaf frequencies", () => {
    const f = forestFromVigra([group()]);
    expect(f.featureCount).toBe(2);
    expect(f.classCount).toBe(2);
    const t = f.trees[0];
    expect([...t.feature]).toEqual([0, 1, -1, -1, -1]);
    expect([...t.threshold.slice(0, 2)]).toEqual([0.5, -1]);
    expect([...t.left.slice(0, 2)]).toEqual([1, 3]);
    expect([...t.right.slice(0, 2)]).toEqual([2, 4]);
    expect([...t.leafValues]).toEqual([0.25, 0.75, 1, 0, 0, 1]);
    const x = Float32Array.from([0.2, -3, 0.2, -1, 0.5, 0, Math.fround(0.49999997), 5]);
    // x0 = 0.5 is not < 0.5: right (leaf B); x1 = −1 is not < −1: leaf D
    expect([...predict(f, x, 4)]).toEqual([1, 0, 0, 1, 0.25, 0.75, 0, 1]);
  });

  it("maps class indices to labels (_ext_param/labels) and pads classes no forest saw", () => {
    const f = forestFromVigra([group({ labels: [1, 3] })], { classCount: 4 });
    expect(f.classCount).toBe(4);
    expect([...f.trees[0].leafValues.slice(0, 4)]).toEqual([0.25, 0, 0.75, 0]);
    expect(() => forestFromVigra([group({ labels: [1, 3] })], { classCount: 2 })).toThrow(/label 3/);
  });

  it("weights leaves by their sample count with predict_weighted_ (one forest only)", () => {
    const f = forestFromVigra([group({ predictWeighted: true })]);
    expect([...f.trees[0].leafValues]).toEqual([1, 3, 2, 0, 0, 6]);
    expect(() => forestFromVigra([group({ predictWeighted: true }), group({ name: "Forest0001" })])).toThrow(
      /cannot be represented as one forest/,
    );
  });

  it("concatenates the trees of several forests (ilastik's average by tree count)", () => {
    const f = forestFromVigra([
      group(),
      group({ name: "Forest0001", trees: [handTree(), handTree("Tree_1")] }),
    ]);
    expect(f.trees).toHaveLength(3);
  });

  it("refuses what it cannot represent, naming the tree and node", () => {
    const bad = (edit: (t: Int32Array) => void, over: Partial<VigraForestGroup> = {}) => {
      const t = handTree("Forest0000/Tree_7");
      edit(t.topology);
      return () => forestFromVigra([group({ trees: [t], ...over })]);
    };
    expect(bad((t) => (t[9] = VIGRA_NODE.hyperplane))).toThrow(
      "Forest0000/Tree_7: node at topology[9] is a hyperplane split; only threshold splits and constant-probability leaves can be imported",
    );
    expect(bad((t) => (t[7] = VIGRA_NODE.logRegLeaf))).toThrow(/logistic-regression leaf/);
    expect(bad((t) => (t[11] = 40))).toThrow(
      "Forest0000/Tree_7: node at topology[9] has child 0 at 40, outside the topology",
    );
    expect(bad((t) => (t[11] = 7))).toThrow(/reached twice/);
    expect(bad((t) => (t[6] = 2))).toThrow(/uses feature 2 of 2/);
    expect(bad(() => {}, { treeCount: 3 })).toThrow(/tree_count_ says 3 trees, the group holds 1/);
    expect(bad(() => {}, { labels: [0, 1] })).toThrow(ForestError);
    expect(bad(() => {}, { labels: [1, 2, 3] })).toThrow(/2 classes, the forest's labels name 3/);
  });
});

describe.skipIf(!available)("ilastik's forests against vigra", () => {
  it.each([
    { file: "mitocheckPixelClassification.ilp", shape: [9, 1, 105, 99], channels: 49, groups: 40 },
    { file: "pc-oc-133.ilp", shape: [5, 1, 33, 77], channels: 25, groups: 4 },
  ])(
    "$file: 100 trees in $groups forests, probabilities within 1e-6 of vigra's on the same features",
    async ({ file, shape, channels, groups }) => {
      const ilp = join(DIR, file);
      const out = join(mkdtempSync(join(tmpdir(), "sylva-ilp-")), "ref.h5");
      execFileSync("/usr/bin/python3", [REF_SCRIPT, "ilp-predict", ilp, out], {
        stdio: ["ignore", "ignore", "pipe"],
      });
      const refBytes = new Uint8Array(readFileSync(out));
      const features = await readHdf5(refBytes, "features", out);
      const probabilities = await readHdf5(refBytes, "probabilities", out);
      expect(features.shape).toEqual([...shape, channels]);
      expect(probabilities.shape).toEqual([...shape, 2]);
      const project = await readIlastikProject(new Uint8Array(readFileSync(ilp)), file);
      expect(project.forestGroups).toBe(groups);
      const forest = project.forest!;
      expect(forest.trees).toHaveLength(100);
      expect(forest.featureCount).toBe(channels);
      const n = features.data.length / channels;
      const ours = predict(forest, features.data as Float32Array, n);
      const ref = probabilities.data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
      console.log(`${file}: max |ours − vigra| = ${maxDiff.toExponential(2)} over ${n} pixels`);
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
    },
  );
});
