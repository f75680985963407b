// Random forest prediction: probabilities (the normalized sum of the trees' leaf weights, model.ts),
// ilastik's uncertainty (1 − (p_max − p_second)) and simple segmentation (argmax + 1).
//
// How a block of pixels goes through the forest (ForestPredictor):
//   - The forest is compiled once into one flat node table, each tree's nodes in breadth-first order with
//     the two children of a split side by side, so a step is `node = left + 1 − (x[f] < t)`: no branch on
//     the (unpredictable) comparison. A leaf is a node that steps to itself (threshold NaN, left = itself
//     − 1: `x < NaN` is false) and whose feature is −1, which reads a padding column in front of each
//     pixel's features: a walk needs no leaf test, only the loop's "all lanes at a leaf" test.
//   - Pixels go in blocks of 4096, tree-major (the block through tree 1, then tree 2, …), copied into a
//     padded block (stride F + 1) once per block; eight pixels walk a tree together, interleaved, so that
//     the CPU overlaps their dependent loads; the group steps until all eight stand on leaves.
//   - Class weights are summed per pixel in float64 (leaf values are float32), in tree order, then
//     divided by their sum and rounded to float32 once. Every engine does exactly these operations in
//     this order, so probabilities are identical bit for bit whatever the engine, block size or split of
//     the pixels over workers.
//   - Thresholds are compared in float32 as ⌈t⌉₃₂, the smallest float32 ≥ t: for float32 x, x < t ⟺
//     x < ⌈t⌉₃₂ (and NaN goes right either way), so this equals vigra's double comparison exactly.
//
// Walks, measured on this 2-core machine (Node 20; ISBI section 20, 512 × 512 × 49 features; 100 trees
// trained on the 1 563 scribbled pixels of sections 00–02: 95 nodes a tree, mean path 4.7 steps, the
// slowest of 8 neighbouring pixels 5.6; one thread; seconds, best of 3; all give identical numbers):
//   one pixel at a time, branchy `x < t ? left : right` (the textbook walk)          0.53
//   one pixel at a time, branch-free step `left + 1 − (x < t)`                       0.67
//   2 / 4 / 8 pixels interleaved, branch-free, self-looping leaves (JS engine: 8)    0.52 / 0.39 / 0.37
//   4 / 8 pixels interleaved, branchy step                                           0.54 / 0.53
//   8 interleaved, nodes packed in one Int32Array / float32 thresholds               0.43 / 0.45
//   WebAssembly, 8 interleaved pixels (the same walk; the default engine)            0.25
//   WebAssembly with 4 / 12 / 16 interleaved pixels                                  0.30 / 0.26 / 0.27
//   WebAssembly, 8 pixels, leaf sums unrolled for the class count (≤ 4; chosen)      0.24
// A lone walk is a chain of dependent loads whose branch mispredicts on every other step; interleaving
// independent pixels lets the CPU overlap chains, but only once the step has no branch to mispredict.
// Block sizes from 64 to 4096 pixels are within 3 % (the chains, not the caches, are the bottleneck).
// On 1 Mpx (sections 20–23; src/bench/forest.ts in apps/compute): 1.08 s on one thread, 0.55 s on the
// 2-worker pool, against 1.68 s for vigra with 2 threads (ilastik_ref.py), i.e. 0.33 × the reference.
//
// The WebAssembly kernel is assembled here from the instruction list in `kernelCode` (about 1.5 KB; no
// build step, compiled in well under a millisecond): a loop over trees, a loop over groups of 8 pixels,
// the interleaved walk and the leaf sums; one module per class count up to 4, one looped module beyond.

import type { Forest } from "./model.js";
import { ceilFloat32, ForestError } from "./model.js";

/** Pixels per block: one block's padded features (4096 × (F + 1) float32) and sums (4096 × C float64). */
export const PREDICT_BLOCK = 4096;

/** Pixels walking a tree together. */
const LANES = 8;

export type PredictEngine = "wasm" | "js";

export interface PredictOptions {
  /** "wasm" (default where WebAssembly exists) or "js"; both give identical results. */
  readonly engine?: PredictEngine;
}

// ------------------------------------------------------------------------------------------- compile --

/** The forest as one flat node table (see the header). */
interface CompiledForest {
  readonly featureCount: number;
  readonly classCount: number;
  readonly treeCount: number;
  /** Root node per tree. */
  readonly roots: Int32Array;
  /** Per node: feature (−1 for a leaf). */
  readonly feature: Int32Array;
  /** Per node: left child (right = left + 1); for a leaf, the node itself − 1. */
  readonly left: Int32Array;
  /** Per node: the threshold (NaN for a leaf), as the original float64 … */
  readonly threshold: Float64Array;
  /** … and as ⌈t⌉₃₂ for the float32 walk. */
  readonly threshold32: Float32Array;
  /** Per node: offset of its class weights in `leafValues` (leaves only). */
  readonly leafOffset: Int32Array;
  /** All trees' leaf weights, leafCount × classCount. */
  readonly leafValues: Float32Array;
}

function compileForest(forest: Forest): CompiledForest {
  const { featureCount: F, classCount: C, trees } = forest;
  if (!(Number.isInteger(C) && C >= 1)) throw new ForestError(`invalid class count ${C}`);
  if (!(Number.isInteger(F) && F >= 1)) throw new ForestError(`invalid feature count ${F}`);
  let nodeCount = 0;
  let leafCount = 0;
  for (const t of trees) {
    nodeCount += t.feature.length;
    leafCount += t.leafValues.length / C;
  }
  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(nodeCount);
  const left = new Int32Array(nodeCount);
  const threshold = new Float64Array(nodeCount);
  const threshold32 = new Float32Array(nodeCount);
  const leafOffset = new Int32Array(nodeCount);
  const leafValues = new Float32Array(leafCount * C);
  let next = 0;
  let leafBase = 0;
  const queue: number[] = [];
  trees.forEach((tree, ti) => {
    const n = tree.feature.length;
    if (n === 0) throw new ForestError(`tree ${ti} has no nodes`);
    const leaves = tree.leafValues.length / C;
    // Breadth first: node `queue[q]` of the tree goes to slot `start + q`; children are queued in pairs.
    const start = next;
    roots[ti] = start;
    queue.length = 0;
    queue.push(0);
    next++;
    for (let q = 0; q < queue.length; q++) {
      const src = queue[q];
      const dst = start + q;
      const f = tree.feature[src];
      if (f < 0) {
        const leaf = tree.leaf[src];
        if (!(leaf >= 0 && leaf < leaves))
          throw new ForestError(`tree ${ti} node ${src}: leaf ${leaf} out of range`);
        feature[dst] = -1;
        left[dst] = dst - 1;
        threshold[dst] = Number.NaN;
        threshold32[dst] = Number.NaN;
        leafOffset[dst] = (leafBase + leaf) * C;
        continue;
      }
      if (f >= F) throw new ForestError(`tree ${ti} node ${src}: feature ${f} ≥ ${F}`);
      const l = tree.left[src];
      const r = tree.right[src];
      if (!(l > src && l < n && r > src && r < n))
        throw new ForestError(`tree ${ti} node ${src}: children ${l}, ${r} out of range`);
      if (queue.length + 2 > n)
        throw new ForestError(`tree ${ti}: nodes are shared between parents (not a tree)`);
      feature[dst] = f;
      threshold[dst] = tree.threshold[src];
      threshold32[dst] = ceilFloat32(tree.threshold[src]);
      left[dst] = start + queue.length;
      queue.push(l, r);
      next += 2;
    }
    if (queue.length !== n) throw new ForestError(`tree ${ti}: ${n - queue.length} nodes are unreachable`);
    leafValues.set(tree.leafValues, leafBase * C);
    leafBase += leaves;
  });
  return {
    featureCount: F,
    classCount: C,
    treeCount: trees.length,
    roots,
    feature,
    left,
    threshold,
    threshold32,
    leafOffset,
    leafValues,
  };
}

// ------------------------------------------------------------------------------ shared block stages --

/** Copies pixels [p0, p0 + m) of `x` (n × F) into `pad` with stride F + 1, column 0 zero. */
function padBlock(x: Float32Array, p0: number, m: number, F: number, pad: Float32Array): void {
  const G = F + 1;
  for (let p = 0; p < m; p++) {
    const s = (p0 + p) * F;
    const d = p * G;
    pad[d] = 0;
    for (let f = 0; f < F; f++) pad[d + 1 + f] = x[s + f];
  }
}

/** out[p0 + p] = acc[p] / Σ acc[p] (float64, rounded to float32 once); 0 where the weights sum to 0. */
function normalizeBlock(acc: Float64Array, m: number, C: number, out: Float32Array, p0: number): void {
  for (let p = 0; p < m; p++) {
    const a = p * C;
    let s = 0;
    for (let k = 0; k < C; k++) s += acc[a + k];
    const o = (p0 + p) * C;
    if (s > 0) for (let k = 0; k < C; k++) out[o + k] = acc[a + k] / s;
    else for (let k = 0; k < C; k++) out[o + k] = 0;
  }
}

// ---------------------------------------------------------------------------------------- JS engine --

/** Walks `m` padded pixels through every tree and adds their leaves' weights to `acc` (JavaScript). */
function walkBlockJs(
  c: CompiledForest,
  pad: Float32Array,
  m: number,
  acc: Float64Array,
  leafOf: Int32Array,
): void {
  const { feature, left, threshold: thr, leafOffset, leafValues, roots, classCount: C } = c;
  const G = c.featureCount + 1;
  for (let t = 0; t < c.treeCount; t++) {
    const root = roots[t];
    const fr = feature[root];
    let p = 0;
    for (; p + 8 <= m; p += 8) {
      const b0 = p * G + 1;
      const b1 = b0 + G;
      const b2 = b1 + G;
      const b3 = b2 + G;
      const b4 = b3 + G;
      const b5 = b4 + G;
      const b6 = b5 + G;
      const b7 = b6 + G;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      let n4 = root;
      let n5 = root;
      let n6 = root;
      let n7 = root;
      let f0 = fr;
      let f1 = fr;
      let f2 = fr;
      let f3 = fr;
      let f4 = fr;
      let f5 = fr;
      let f6 = fr;
      let f7 = fr;
      // `+(a < b)` compiles to a flag read, not a branch; NaN (and leaves, threshold NaN) go right.
      while ((f0 & f1 & f2 & f3 & f4 & f5 & f6 & f7) >= 0) {
        n0 = left[n0] + 1 - +(pad[b0 + f0] < thr[n0]);
        n1 = left[n1] + 1 - +(pad[b1 + f1] < thr[n1]);
        n2 = left[n2] + 1 - +(pad[b2 + f2] < thr[n2]);
        n3 = left[n3] + 1 - +(pad[b3 + f3] < thr[n3]);
        n4 = left[n4] + 1 - +(pad[b4 + f4] < thr[n4]);
        n5 = left[n5] + 1 - +(pad[b5 + f5] < thr[n5]);
        n6 = left[n6] + 1 - +(pad[b6 + f6] < thr[n6]);
        n7 = left[n7] + 1 - +(pad[b7 + f7] < thr[n7]);
        f0 = feature[n0];
        f1 = feature[n1];
        f2 = feature[n2];
        f3 = feature[n3];
        f4 = feature[n4];
        f5 = feature[n5];
        f6 = feature[n6];
        f7 = feature[n7];
      }
      leafOf[p] = leafOffset[n0];
      leafOf[p + 1] = leafOffset[n1];
      leafOf[p + 2] = leafOffset[n2];
      leafOf[p + 3] = leafOffset[n3];
      leafOf[p + 4] = leafOffset[n4];
      leafOf[p + 5] = leafOffset[n5];
      leafOf[p + 6] = leafOffset[n6];
      leafOf[p + 7] = leafOffset[n7];
    }
    for (; p < m; p++) {
      const b0 = p * G + 1;
      let n0 = root;
      let f0 = fr;
      while (f0 >= 0) {
        n0 = left[n0] + 1 - +(pad[b0 + f0] < thr[n0]);
        f0 = feature[n0];
      }
      leafOf[p] = leafOffset[n0];
    }
    if (C === 2) {
      for (let q = 0; q < m; q++) {
        const lv = leafOf[q];
        acc[2 * q] += leafValues[lv];
        acc[2 * q + 1] += leafValues[lv + 1];
      }
    } else {
      for (let q = 0; q < m; q++) {
        const lv = leafOf[q];
        const a = q * C;
        for (let k = 0; k < C; k++) acc[a + k] += leafValues[lv + k];
      }
    }
  }
}

// ------------------------------------------------------------------------------ WebAssembly engine --

// A minimal WebAssembly assembler for the one kernel below. Encoding: https://webassembly.github.io/spec/
// core/binary/ (module = magic, version, sections: id, byte size, contents; integers as LEB128).

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32LtS: 0x48,
  i32GtS: 0x4a,
  i32GeS: 0x4e,
  f32Lt: 0x5d,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  f64Add: 0xa0,
  f64PromoteF32: 0xbb,
  void: 0x40,
} as const;

/**
 * Node records in wasm memory: 16 bytes, [feature i32, left i32, ⌈threshold⌉₃₂ f32, leaf offset i32].
 * Kernel `walk(T, roots, nodes, leafValues, pad, G, m, acc, C)`, all i32 (addresses in bytes): for every
 * tree t < T, walks the m padded pixels (stride G floats) from node roots[t] and adds the leaf's C
 * float32 weights to the pixel's C float64 sums at acc. Same steps as walkBlockJs.
 */
function kernelCode(unrolled: number): number[] {
  // Locals: 0–8 parameters; then scratch.
  const [T, roots, nodes, leafValues, pad, G, m, acc, C] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const t = 9;
  const root = 10;
  const fr = 11;
  const p = 12;
  const f = 13;
  const q = 14; // scratch address
  const a = 15; // sum address
  const lv = 16; // leaf weights address
  const k = 17;
  const b0 = 18; // 8 row bases
  const n0 = b0 + LANES; // 8 nodes
  const localCount = n0 + LANES - 9;

  const code: number[] = [];
  const op = (...xs: number[]) => code.push(...xs);
  const get = (i: number) => op(OP.get, ...uleb(i));
  const set = (i: number) => op(OP.set, ...uleb(i));
  const tee = (i: number) => op(OP.tee, ...uleb(i));
  const i32 = (v: number) => op(OP.i32Const, ...sleb(v));
  const load = (o: number, offset: number, align: number) => op(o, align, ...uleb(offset));
  /** q = nodes + (node << 4) */
  const nodeAddr = (node: number) => {
    get(nodes);
    get(node);
    i32(4);
    op(OP.i32Shl, OP.i32Add);
  };
  /** node = left + 1 − (pad[b + feature] < threshold) */
  const step = (node: number, b: number) => {
    nodeAddr(node);
    tee(q);
    load(OP.i32Load, 4, 2); // left
    i32(1);
    op(OP.i32Add);
    get(pad);
    get(b);
    get(q);
    load(OP.i32Load, 0, 2); // feature
    op(OP.i32Add);
    i32(2);
    op(OP.i32Shl, OP.i32Add);
    load(OP.f32Load, 0, 2); // x
    get(q);
    load(OP.f32Load, 8, 2); // threshold
    op(OP.f32Lt, OP.i32Sub);
    set(node);
  };
  /** Adds node's leaf weights to the C sums at address `a` (then advances a by C · 8). */
  const addLeaf = (node: number) => {
    get(leafValues);
    nodeAddr(node);
    load(OP.i32Load, 12, 2);
    i32(2);
    op(OP.i32Shl, OP.i32Add);
    set(lv);
    if (unrolled > 0) {
      // a[k] += lv[k] for the known class count, straight-line; then a += C · 8.
      for (let c = 0; c < unrolled; c++) {
        get(a);
        get(a);
        load(OP.f64Load, 8 * c, 3);
        get(lv);
        load(OP.f32Load, 4 * c, 2);
        op(OP.f64PromoteF32, OP.f64Add);
        op(OP.f64Store, 3, ...uleb(8 * c));
      }
      get(a);
      i32(8 * unrolled);
      op(OP.i32Add);
      set(a);
      return;
    }
    get(C);
    set(k);
    op(OP.block, OP.void, OP.loop, OP.void);
    get(k);
    op(OP.i32Eqz, OP.brIf, 1);
    get(a);
    get(a);
    load(OP.f64Load, 0, 3);
    get(lv);
    load(OP.f32Load, 0, 2);
    op(OP.f64PromoteF32, OP.f64Add);
    op(OP.f64Store, 3, 0);
    get(a);
    i32(8);
    op(OP.i32Add);
    set(a);
    get(lv);
    i32(4);
    op(OP.i32Add);
    set(lv);
    get(k);
    i32(1);
    op(OP.i32Sub);
    set(k);
    op(OP.br, 0, OP.end, OP.end);
  };

  // for (t = 0; t < T; t++)
  i32(0);
  set(t);
  op(OP.block, OP.void, OP.loop, OP.void);
  get(t);
  get(T);
  op(OP.i32GeS, OP.brIf, 1);
  //   root = roots[t]; fr = feature[root]; p = 0
  get(roots);
  get(t);
  i32(2);
  op(OP.i32Shl, OP.i32Add);
  load(OP.i32Load, 0, 2);
  set(root);
  nodeAddr(root);
  load(OP.i32Load, 0, 2);
  set(fr);
  i32(0);
  set(p);
  //   for (; p + LANES <= m; p += LANES)
  op(OP.block, OP.void, OP.loop, OP.void);
  get(p);
  i32(LANES);
  op(OP.i32Add);
  get(m);
  op(OP.i32GtS, OP.brIf, 1);
  //     b0 = p · G + 1, b_i = b_{i−1} + G; n_i = root; f = fr
  get(p);
  get(G);
  op(OP.i32Mul);
  i32(1);
  op(OP.i32Add);
  set(b0);
  for (let i = 1; i < LANES; i++) {
    get(b0 + i - 1);
    get(G);
    op(OP.i32Add);
    set(b0 + i);
  }
  for (let i = 0; i < LANES; i++) {
    get(root);
    set(n0 + i);
  }
  get(fr);
  set(f);
  //     while (f >= 0) { step every lane; f = AND of the lanes' features }
  op(OP.block, OP.void, OP.loop, OP.void);
  get(f);
  i32(0);
  op(OP.i32LtS, OP.brIf, 1);
  for (let i = 0; i < LANES; i++) step(n0 + i, b0 + i);
  for (let i = 0; i < LANES; i++) {
    nodeAddr(n0 + i);
    load(OP.i32Load, 0, 2);
    if (i > 0) op(OP.i32And);
  }
  set(f);
  op(OP.br, 0, OP.end, OP.end);
  //     a = acc + p · C · 8; add each lane's leaf
  get(acc);
  get(p);
  get(C);
  op(OP.i32Mul);
  i32(3);
  op(OP.i32Shl, OP.i32Add);
  set(a);
  for (let i = 0; i < LANES; i++) addLeaf(n0 + i);
  get(p);
  i32(LANES);
  op(OP.i32Add);
  set(p);
  op(OP.br, 0, OP.end, OP.end);
  //   for (; p < m; p++): one pixel at a time
  op(OP.block, OP.void, OP.loop, OP.void);
  get(p);
  get(m);
  op(OP.i32GeS, OP.brIf, 1);
  get(p);
  get(G);
  op(OP.i32Mul);
  i32(1);
  op(OP.i32Add);
  set(b0);
  get(root);
  set(n0);
  get(fr);
  set(f);
  op(OP.block, OP.void, OP.loop, OP.void);
  get(f);
  i32(0);
  op(OP.i32LtS, OP.brIf, 1);
  step(n0, b0);
  nodeAddr(n0);
  load(OP.i32Load, 0, 2);
  set(f);
  op(OP.br, 0, OP.end, OP.end);
  get(acc);
  get(p);
  get(C);
  op(OP.i32Mul);
  i32(3);
  op(OP.i32Shl, OP.i32Add);
  set(a);
  addLeaf(n0);
  get(p);
  i32(1);
  op(OP.i32Add);
  set(p);
  op(OP.br, 0, OP.end, OP.end);
  //   t++
  get(t);
  i32(1);
  op(OP.i32Add);
  set(t);
  op(OP.br, 0, OP.end, OP.end);
  op(OP.end);

  // Body: local declarations (one group of i32), code.
  const body = [...uleb(1), ...uleb(localCount), 0x7f, ...code];
  return [...uleb(body.length), ...body];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...uleb(contents.length), ...contents];
}

function str(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * The kernel module (imports env.memory, exports walk); for classCount ≤ UNROLL_CLASSES the leaf sums are
 * unrolled for that class count (the module then only serves forests with that many classes).
 */
export function forestWasmBytes(classCount = 0): Uint8Array<ArrayBuffer> {
  const unrolled = classCount >= 1 && classCount <= UNROLL_CLASSES ? classCount : 0;
  const i32t = 0x7f;
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // type 0: (i32 × 9) → ()
    ...section(1, [1, 0x60, 9, ...new Array(9).fill(i32t), 0]),
    // import env.memory, limits {min 1}
    ...section(2, [1, ...str("env"), ...str("memory"), 0x02, 0x00, 1]),
    // function 0 has type 0
    ...section(3, [1, 0]),
    // export "walk" = function 0
    ...section(7, [1, ...str("walk"), 0x00, 0]),
    ...section(10, [1, ...kernelCode(unrolled)]),
  ];
  return new Uint8Array(bytes);
}

/** Class counts with a kernel of their own (unrolled leaf sums). */
const UNROLL_CLASSES = 4;
const wasmModules = new Map<number, WebAssembly.Module | null>();

/** The compiled kernel module for `classCount` classes, or null where WebAssembly is unavailable. */
function kernelModule(classCount: number): WebAssembly.Module | null {
  const key = classCount <= UNROLL_CLASSES ? classCount : 0;
  let m = wasmModules.get(key);
  if (m === undefined) {
    try {
      m = typeof WebAssembly === "object" ? new WebAssembly.Module(forestWasmBytes(key)) : null;
    } catch {
      m = null;
    }
    wasmModules.set(key, m);
  }
  return m;
}

type WalkFn = (
  T: number,
  roots: number,
  nodes: number,
  leafValues: number,
  pad: number,
  G: number,
  m: number,
  acc: number,
  C: number,
) => void;

/** A kernel instance with its own memory, holding one compiled forest and one block's buffers. */
class WasmWalker {
  private readonly walk: WalkFn;
  private readonly memory: WebAssembly.Memory;
  private readonly offsets: { roots: number; nodes: number; leafValues: number; pad: number; acc: number };
  readonly pad: Float32Array;
  readonly acc: Float64Array;

  constructor(
    module: WebAssembly.Module,
    private readonly c: CompiledForest,
  ) {
    const N = c.feature.length;
    const G = c.featureCount + 1;
    let end = 16;
    const take = (bytes: number) => {
      const at = end;
      end += Math.ceil(bytes / 16) * 16;
      return at;
    };
    const offsets = {
      roots: take(4 * c.treeCount),
      nodes: take(16 * N),
      leafValues: take(4 * c.leafValues.length),
      pad: take(4 * PREDICT_BLOCK * G),
      acc: take(8 * PREDICT_BLOCK * c.classCount),
    };
    if (end > 2 ** 31) throw new ForestError("forest too large for the WebAssembly engine");
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(end / 65536) });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.walk = instance.exports.walk as unknown as WalkFn;
    this.offsets = offsets;
    const buf = this.memory.buffer;
    new Int32Array(buf, offsets.roots, c.treeCount).set(c.roots);
    const ni = new Int32Array(buf, offsets.nodes, 4 * N);
    const nf = new Float32Array(buf, offsets.nodes, 4 * N);
    for (let i = 0; i < N; i++) {
      ni[4 * i] = c.feature[i];
      ni[4 * i + 1] = c.left[i];
      nf[4 * i + 2] = c.threshold32[i];
      ni[4 * i + 3] = c.leafOffset[i];
    }
    new Float32Array(buf, offsets.leafValues, c.leafValues.length).set(c.leafValues);
    this.pad = new Float32Array(buf, offsets.pad, PREDICT_BLOCK * G);
    this.acc = new Float64Array(buf, offsets.acc, PREDICT_BLOCK * c.classCount);
  }

  run(m: number): void {
    const o = this.offsets;
    const c = this.c;
    this.walk(c.treeCount, o.roots, o.nodes, o.leafValues, o.pad, c.featureCount + 1, m, o.acc, c.classCount);
  }
}

// ----------------------------------------------------------------------------------------- predictor --

/** A forest compiled for prediction; reuse it for many blocks (compiling costs ~1 ms per 10k nodes). */
export class ForestPredictor {
  readonly featureCount: number;
  readonly classCount: number;
  readonly engine: PredictEngine;
  private readonly compiled: CompiledForest;
  private readonly wasm: WasmWalker | null;
  private readonly pad: Float32Array;
  private readonly acc: Float64Array;
  private readonly leafOf: Int32Array;

  constructor(forest: Forest, options: PredictOptions = {}) {
    if (forest.trees.length === 0) throw new ForestError("the forest has no trees");
    this.compiled = compileForest(forest);
    this.featureCount = forest.featureCount;
    this.classCount = forest.classCount;
    const module = options.engine === "js" ? null : kernelModule(forest.classCount);
    if (options.engine === "wasm" && !module) throw new ForestError("WebAssembly is not available here");
    this.wasm = module ? new WasmWalker(module, this.compiled) : null;
    this.engine = this.wasm ? "wasm" : "js";
    this.pad = this.wasm ? this.wasm.pad : new Float32Array(PREDICT_BLOCK * (this.featureCount + 1));
    this.acc = this.wasm ? this.wasm.acc : new Float64Array(PREDICT_BLOCK * this.classCount);
    this.leafOf = new Int32Array(this.wasm ? 0 : PREDICT_BLOCK);
  }

  /**
   * Class probabilities of the pixels in `features` (n × featureCount float32, row major) into `out`
   * (n × classCount; allocated if omitted), which is returned.
   */
  predict(features: Float32Array, out?: Float32Array): Float32Array {
    const F = this.featureCount;
    const C = this.classCount;
    if (features.length % F !== 0)
      throw new RangeError(`features hold ${features.length} values, not a multiple of ${F} features`);
    const n = features.length / F;
    const result = out ?? new Float32Array(n * C);
    if (result.length !== n * C)
      throw new RangeError(`out holds ${result.length} values; ${n} pixels × ${C} classes need ${n * C}`);
    const { pad, acc } = this;
    for (let p0 = 0; p0 < n; p0 += PREDICT_BLOCK) {
      const m = Math.min(PREDICT_BLOCK, n - p0);
      padBlock(features, p0, m, F, pad);
      acc.fill(0, 0, m * C);
      if (this.wasm) this.wasm.run(m);
      else walkBlockJs(this.compiled, pad, m, acc, this.leafOf);
      normalizeBlock(acc, m, C, result, p0);
    }
    return result;
  }
}

const predictors = new WeakMap<Forest, Map<PredictEngine | undefined, ForestPredictor>>();

/** The cached predictor of `forest` (compiled on first use; forests are treated as immutable). */
export function forestPredictor(forest: Forest, options: PredictOptions = {}): ForestPredictor {
  let byEngine = predictors.get(forest);
  if (!byEngine) {
    byEngine = new Map();
    predictors.set(forest, byEngine);
  }
  let p = byEngine.get(options.engine);
  if (!p) {
    p = new ForestPredictor(forest, options);
    byEngine.set(options.engine, p);
  }
  return p;
}

/**
 * Class probabilities (n × classCount float32) of `features` (n × featureCount float32, row major):
 * the normalized sum of the trees' leaf weights. Writes into `out` if given.
 */
export function predictForest(
  forest: Forest,
  features: Float32Array,
  out?: Float32Array,
  options: PredictOptions = {},
): Float32Array {
  return forestPredictor(forest, options).predict(features, out);
}

// ------------------------------------------------------------------------- uncertainty, segmentation --

function pixelsOf(probs: Float32Array, classCount: number): number {
  if (!(Number.isInteger(classCount) && classCount >= 1))
    throw new RangeError(`classCount must be a positive integer, got ${classCount}`);
  if (probs.length % classCount !== 0)
    throw new RangeError(
      `probabilities hold ${probs.length} values, not a multiple of ${classCount} classes`,
    );
  return probs.length / classCount;
}

/**
 * ilastik's uncertainty per pixel: 1 − (p_max − p_second), from probabilities (n × classCount); 0 for a
 * single class. Each step rounded to float32, as numpy does on float32 probabilities.
 */
export function uncertainty(probs: Float32Array, classCount: number, out?: Float32Array): Float32Array {
  const n = pixelsOf(probs, classCount);
  const result = out ?? new Float32Array(n);
  if (result.length !== n) throw new RangeError(`out holds ${result.length} values for ${n} pixels`);
  if (classCount === 1) {
    result.fill(0);
    return result;
  }
  for (let i = 0; i < n; i++) {
    const o = i * classCount;
    let first = Number.NEGATIVE_INFINITY;
    let second = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classCount; k++) {
      const v = probs[o + k];
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) second = v;
    }
    // As numpy computes it on float32 probabilities (ilastik_ref.py): the difference, then 1 − it.
    result[i] = 1 - Math.fround(first - second);
  }
  return result;
}

/**
 * ilastik's simple segmentation per pixel: argmax + 1 (the first class on ties, as numpy's argmax),
 * from probabilities (n × classCount).
 */
export function segmentation(probs: Float32Array, classCount: number, out?: Uint8Array): Uint8Array {
  const n = pixelsOf(probs, classCount);
  if (classCount > 255) throw new RangeError(`${classCount} classes do not fit a uint8 segmentation`);
  const result = out ?? new Uint8Array(n);
  if (result.length !== n) throw new RangeError(`out holds ${result.length} values for ${n} pixels`);
  for (let i = 0; i < n; i++) {
    const o = i * classCount;
    let best = 0;
    let bv = probs[o];
    for (let k = 1; k < classCount; k++) {
      const v = probs[o + k];
      if (v > bv) {
        bv = v;
        best = k;
      }
    }
    result[i] = best + 1;
  }
  return result;
}
