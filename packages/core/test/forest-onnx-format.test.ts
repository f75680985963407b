// The ONNX export's bytes, read back with a tiny protobuf reader written here (independent of the writer):
// the wire format against the protobuf documentation's examples, ceilFloat32's rounding rule, and the
// ModelProto's structure (IR version, opsets, nodes, attributes, inputs and outputs). Running the model is
// apps/compute/test/forest-onnx.test.ts (onnxruntime-node).

import { describe, expect, it } from "vitest";
import type { Forest, Tree } from "../src/forest/model.js";
import { ceilFloat32, ForestError } from "../src/forest/model.js";
import { exportForestOnnx, ONNX_IR_VERSION, ONNX_ML_OPSET, ONNX_OPSET } from "../src/forest/onnx.js";
import { ProtoWriter } from "../src/forest/protobuf.js";

// ---- a minimal protobuf reader ----

interface Field {
  readonly field: number;
  readonly wire: number;
  /** VARINT: the value as a signed 64-bit bigint; I32/I64: the float/double; LEN: the bytes. */
  readonly value: bigint | number | Uint8Array;
}

function readVarint(b: Uint8Array, pos: number): [bigint, number] {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[pos++];
    if (byte === undefined) throw new Error("truncated varint");
    v |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if (byte < 0x80) return [BigInt.asIntN(64, v), pos];
  }
}

function readFields(b: Uint8Array): Field[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Field[] = [];
  let pos = 0;
  while (pos < b.length) {
    const [key, p] = readVarint(b, pos);
    pos = p;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, q] = readVarint(b, pos);
      out.push({ field, wire, value: v });
      pos = q;
    } else if (wire === 1) {
      out.push({ field, wire, value: view.getFloat64(pos, true) });
      pos += 8;
    } else if (wire === 5) {
      out.push({ field, wire, value: view.getFloat32(pos, true) });
      pos += 4;
    } else if (wire === 2) {
      const [len, q] = readVarint(b, pos);
      out.push({ field, wire, value: b.subarray(q, q + Number(len)) });
      pos = q + Number(len);
      if (pos > b.length) throw new Error("truncated field");
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const all = (fs: Field[], n: number) => fs.filter((f) => f.field === n).map((f) => f.value);
function one(fs: Field[], n: number): Field["value"] {
  const v = all(fs, n);
  if (v.length !== 1) throw new Error(`field ${n} appears ${v.length} times`);
  return v[0];
}
const bytes = (v: Field["value"]) => v as Uint8Array;
const str = (v: Field["value"]) => new TextDecoder().decode(bytes(v));
const int = (v: Field["value"]) => Number(v as bigint);
const sub = (v: Field["value"]) => readFields(bytes(v));
function packedInts(v: Field["value"]): number[] {
  const b = bytes(v);
  const out: number[] = [];
  for (let pos = 0; pos < b.length; ) {
    const [x, q] = readVarint(b, pos);
    out.push(Number(x));
    pos = q;
  }
  return out;
}
function packedFloats(v: Field["value"]): number[] {
  const b = bytes(v);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
}
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

// ---- the wire format ----

describe("ProtoWriter", () => {
  it("writes the protobuf documentation's examples", () => {
    expect(hex(new ProtoWriter().int(1, 150).finish())).toBe("08 96 01");
    expect(hex(new ProtoWriter().string(2, "testing").finish())).toBe("12 07 74 65 73 74 69 6e 67");
    expect(hex(new ProtoWriter().message(3, (w) => w.int(1, 150)).finish())).toBe("1a 03 08 96 01");
    expect(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish())).toBe("22 06 03 8e 02 9e a7 05");
    expect(hex(new ProtoWriter().int(1, -2).finish())).toBe("08 fe ff ff ff ff ff ff ff ff 01");
    expect(hex(new ProtoWriter().float(1, 1).finish())).toBe("0d 00 00 80 3f");
    expect(hex(new ProtoWriter().double(1, 1).finish())).toBe("09 00 00 00 00 00 00 f0 3f");
    expect(hex(new ProtoWriter().packedInts(4, []).finish())).toBe("");
  });

  it("round-trips varints over the safe range, negative ones as 64-bit two's complement", () => {
    const values = [
      0,
      1,
      127,
      128,
      16383,
      16384,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32,
      2 ** 53 - 1,
      -1,
      -(2 ** 31),
      -(2 ** 53 - 1),
    ];
    const w = new ProtoWriter();
    for (const v of values) w.int(5, v);
    const fields = readFields(w.finish());
    expect(fields.map((f) => [f.field, f.wire, Number(f.value)])).toEqual(values.map((v) => [5, 0, v]));
    expect(() => new ProtoWriter().varint(2 ** 53)).toThrow(RangeError);
    expect(() => new ProtoWriter().varint(0.5)).toThrow(RangeError);
  });

  it("packs floats and grows past its initial buffer", () => {
    const values = Array.from({ length: 5000 }, (_, i) => Math.fround(i / 7 - 300));
    const fields = readFields(new ProtoWriter().string(1, "é").packedFloats(2, values).finish());
    expect(str(one(fields, 1))).toBe("é");
    expect(packedFloats(one(fields, 2))).toEqual(values);
  });
});

// ---- the threshold rule ----

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The next float32 after a finite float32 f, towards +∞ (up) or −∞. */
function nextFloat32(f: number, up: boolean): number {
  if (f === 0) return up ? 2 ** -149 : -(2 ** -149);
  f32[0] = f;
  u32[0] += f > 0 === up ? 1 : -1;
  return f32[0];
}

describe("ceilFloat32", () => {
  it("keeps float32 values and rounds others up to the next float32", () => {
    for (const t of [
      0,
      1,
      -1,
      0.5,
      Math.fround(0.1),
      Math.fround(-0.7),
      3.4028234663852886e38,
      Infinity,
      -Infinity,
    ])
      expect(ceilFloat32(t)).toBe(t);
    expect(Object.is(ceilFloat32(-0), -0)).toBe(true);
    expect(ceilFloat32(Number.NaN)).toBeNaN();
    expect(ceilFloat32(1 + 2 ** -30)).toBe(1 + 2 ** -23); // fround gives 1: below t
    expect(ceilFloat32(0.1)).toBe(Math.fround(0.1)); // fround rounds 0.1 up already
    expect(ceilFloat32(0.7)).toBe(nextFloat32(Math.fround(0.7), true)); // fround rounds 0.7 down
    expect(ceilFloat32(-(1 + 2 ** -23 - 2 ** -30))).toBe(-1); // fround gives −(1 + 2^−23): below t
    expect(ceilFloat32(1e-50)).toBe(2 ** -149);
    expect(ceilFloat32(-1e-50)).toBe(-0); // x < −0 ⇔ x < 0
    expect(ceilFloat32(1e300)).toBe(Infinity);
    expect(ceilFloat32(-1e300)).toBe(-3.4028234663852886e38);
  });

  it("gives, for float32 x, x < ceilFloat32(t) exactly when x < t", () => {
    let s = 12345;
    const rand = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 2 ** 32;
    };
    const wrong: [number, number][] = [];
    let flips = 0; // decisions that rounding t to the nearest float32 would have changed
    for (let i = 0; i < 20000; i++) {
      const t = (rand() - 0.5) * 10 ** Math.floor(rand() * 20 - 10);
      const c = ceilFloat32(t);
      const near = Math.fround(t);
      for (const x of [near, nextFloat32(near, true), nextFloat32(near, false), c, nextFloat32(c, false)]) {
        if (x < c !== x < t) wrong.push([t, x]);
        if (x < near !== x < t) flips++;
      }
    }
    expect(wrong).toEqual([]);
    expect(flips).toBeGreaterThan(1000);
  });
});

// ---- the model ----

function leafTree(weights: number[]): Tree {
  return {
    feature: Int32Array.of(-1),
    threshold: Float64Array.of(0),
    left: Int32Array.of(-1),
    right: Int32Array.of(-1),
    leaf: Int32Array.of(0),
    leafValues: Float32Array.from(weights),
  };
}

/** Node 0: x1 < 0.7 → node 1 (x0 < 1e-50 → leaves 0, 1) else leaf 2. */
const SPLIT_TREE: Tree = {
  feature: Int32Array.of(1, 0, -1, -1, -1),
  threshold: Float64Array.of(0.7, 1e-50, 0, 0, 0),
  left: Int32Array.of(1, 2, -1, -1, -1),
  right: Int32Array.of(4, 3, -1, -1, -1),
  leaf: Int32Array.of(-1, -1, 0, 1, 2),
  leafValues: Float32Array.of(2, 0, 1, 0, 0, 0, 0.25, 3, 0),
};

const FOREST: Forest = { featureCount: 2, classCount: 3, trees: [SPLIT_TREE, leafTree([1, 1, 1])] };

function decode(model: Uint8Array) {
  const m = readFields(model);
  const graph = sub(one(m, 7));
  const nodes = all(graph, 1).map((n) => {
    const f = readFields(bytes(n));
    const attributes = new Map(
      all(f, 5).map((a) => {
        const af = readFields(bytes(a));
        return [str(one(af, 1)), af] as const;
      }),
    );
    return {
      opType: str(one(f, 4)),
      domain: all(f, 7).map(str)[0] ?? "",
      inputs: all(f, 1).map(str),
      outputs: all(f, 2).map(str),
      attributes,
    };
  });
  const valueInfo = (v: Field["value"]) => {
    const f = sub(v);
    const tensor = sub(one(sub(one(f, 2)), 1));
    const dims = all(sub(one(tensor, 2)), 1).map((d) => {
      const df = sub(d);
      return all(df, 1).length ? int(one(df, 1)) : str(one(df, 2));
    });
    return { name: str(one(f, 1)), elemType: int(one(tensor, 1)), dims };
  };
  return {
    irVersion: int(one(m, 1)),
    producer: str(one(m, 2)),
    opsets: all(m, 8).map((o) => {
      const f = sub(o);
      return [all(f, 1).map(str)[0] ?? "", int(one(f, 2))] as const;
    }),
    metadata: Object.fromEntries(all(m, 14).map((e) => [str(one(sub(e), 1)), str(one(sub(e), 2))])),
    nodes,
    initializers: all(graph, 5).map((t) => {
      const f = sub(t);
      return {
        name: str(one(f, 8)),
        dims: all(f, 1).flatMap(packedInts),
        type: int(one(f, 2)),
        data: packedInts(one(f, 7)),
      };
    }),
    inputs: all(graph, 11).map(valueInfo),
    outputs: all(graph, 12).map(valueInfo),
  };
}

const attrInts = (a: Field[] | undefined) => packedInts(one(a!, 8));
const attrFloats = (a: Field[] | undefined) => packedFloats(one(a!, 7));
const attrStrings = (a: Field[] | undefined) => all(a!, 9).map(str);
const attrType = (a: Field[] | undefined) => int(one(a!, 20));

describe("exportForestOnnx", () => {
  it("writes a ModelProto with the documented graph", () => {
    const model = decode(exportForestOnnx(FOREST, { producer: "sylva-test" }));
    expect(model.irVersion).toBe(ONNX_IR_VERSION);
    expect(model.producer).toBe("sylva-test");
    expect(model.opsets).toEqual([
      ["", ONNX_OPSET],
      ["ai.onnx.ml", ONNX_ML_OPSET],
    ]);
    expect(model.metadata).toEqual({
      "sylva.featureCount": "2",
      "sylva.classCount": "3",
      "sylva.treeCount": "2",
    });
    expect(model.nodes.map((n) => [n.domain, n.opType, n.inputs, n.outputs])).toEqual([
      ["ai.onnx.ml", "TreeEnsembleRegressor", ["features"], ["class_sums"]],
      ["", "ReduceSum", ["class_sums", "reduce_axes"], ["sample_sums"]],
      ["", "Div", ["class_sums", "sample_sums"], ["probabilities"]],
      ["", "ArgMax", ["class_sums"], ["argmax"]],
      ["", "Add", ["argmax", "one"], ["label"]],
    ]);
    expect(model.initializers).toEqual([
      { name: "reduce_axes", dims: [1], type: 7, data: [1] },
      { name: "one", dims: [], type: 7, data: [1] },
    ]);
    expect(model.inputs).toEqual([{ name: "features", elemType: 1, dims: ["N", 2] }]);
    expect(model.outputs).toEqual([
      { name: "probabilities", elemType: 1, dims: ["N", 3] },
      { name: "label", elemType: 7, dims: ["N"] },
    ]);
    const argmax = model.nodes[3].attributes;
    expect([int(one(argmax.get("axis")!, 3)), int(one(argmax.get("keepdims")!, 3))]).toEqual([1, 0]);
  });

  it("lists every node and every non-zero leaf weight in the tree attributes", () => {
    const a = decode(exportForestOnnx(FOREST)).nodes[0].attributes;
    expect(int(one(a.get("n_targets")!, 3))).toBe(3);
    expect(str(one(a.get("aggregate_function")!, 4))).toBe("SUM");
    expect(str(one(a.get("post_transform")!, 4))).toBe("NONE");
    expect(attrType(a.get("nodes_modes"))).toBe(8);
    expect(attrType(a.get("nodes_values"))).toBe(6);
    expect(attrType(a.get("nodes_treeids"))).toBe(7);
    expect(attrInts(a.get("nodes_treeids"))).toEqual([0, 0, 0, 0, 0, 1]);
    expect(attrInts(a.get("nodes_nodeids"))).toEqual([0, 1, 2, 3, 4, 0]);
    expect(attrStrings(a.get("nodes_modes"))).toEqual([
      "BRANCH_LT",
      "BRANCH_LT",
      "LEAF",
      "LEAF",
      "LEAF",
      "LEAF",
    ]);
    expect(attrInts(a.get("nodes_featureids")).slice(0, 2)).toEqual([1, 0]);
    expect(attrFloats(a.get("nodes_values")).slice(0, 2)).toEqual([ceilFloat32(0.7), 2 ** -149]);
    expect(attrInts(a.get("nodes_truenodeids")).slice(0, 2)).toEqual([1, 2]);
    expect(attrInts(a.get("nodes_falsenodeids")).slice(0, 2)).toEqual([4, 3]);
    // Leaf 0 (node 2): classes 0 and 2; leaf 1 (node 3) all zero: one explicit 0; leaf 2 (node 4): 0 and 1.
    expect(attrInts(a.get("target_treeids"))).toEqual([0, 0, 0, 0, 0, 1, 1, 1]);
    expect(attrInts(a.get("target_nodeids"))).toEqual([2, 2, 3, 4, 4, 0, 0, 0]);
    expect(attrInts(a.get("target_ids"))).toEqual([0, 2, 0, 0, 1, 0, 1, 2]);
    expect(attrFloats(a.get("target_weights"))).toEqual([2, 1, 0, 0.25, 3, 1, 1, 1]);
  });

  it("names the input as asked and rejects names the graph uses", () => {
    expect(decode(exportForestOnnx(FOREST, { inputName: "x" })).nodes[0].inputs).toEqual(["x"]);
    expect(() => exportForestOnnx(FOREST, { inputName: "label" })).toThrow(ForestError);
    expect(() => exportForestOnnx(FOREST, { inputName: "" })).toThrow(ForestError);
  });

  it("scales extreme leaf weights by a power of two", () => {
    const big: Forest = {
      featureCount: 1,
      classCount: 2,
      trees: [leafTree([3e38, 1e38]), leafTree([3e38, 0])],
    };
    const w = attrFloats(decode(exportForestOnnx(big)).nodes[0].attributes.get("target_weights"));
    const scale = w[0] / Math.fround(3e38);
    expect(Number.isInteger(Math.log2(scale))).toBe(true);
    expect(scale).toBeLessThan(2 ** -64);
    expect(w).toEqual([Math.fround(3e38) * scale, Math.fround(1e38) * scale, Math.fround(3e38) * scale]);
    const tiny: Forest = { featureCount: 1, classCount: 2, trees: [leafTree([1e-30, 3e-30])] };
    const t = attrFloats(decode(exportForestOnnx(tiny)).nodes[0].attributes.get("target_weights"));
    expect(t[1] / t[0]).toBe(Math.fround(3e-30) / Math.fround(1e-30));
    expect(t[1]).toBeGreaterThanOrEqual(0.5);
    // Ordinary weights stay as they are.
    const plain = attrFloats(decode(exportForestOnnx(FOREST)).nodes[0].attributes.get("target_weights"));
    expect(plain).toContain(0.25);
  });

  it("rejects invalid and empty forests", () => {
    expect(() => exportForestOnnx({ featureCount: 2, classCount: 3, trees: [] })).toThrow(ForestError);
    const bad = { ...SPLIT_TREE, feature: Int32Array.of(5, 0, -1, -1, -1) };
    expect(() => exportForestOnnx({ featureCount: 2, classCount: 3, trees: [bad] })).toThrow(ForestError);
  });
});
