// The Sylva classifier file: a trained forest with the feature selection it was trained on, its label
// classes and free-form metadata, in one self-describing binary.
//
// Layout (all integers little endian):
//   bytes 0–7    magic "SYLVA-RF" (ASCII)
//   bytes 8–11   u32 format version (this code writes 1 and reads ≤ 1)
//   bytes 12–15  u32 header length H (bytes of UTF-8 JSON)
//   bytes 16…    the JSON header (H bytes), then zero padding to the next multiple of 8: the data section
//   data         the trees' typed arrays, each starting at a multiple of 8 bytes from the data section's
//                start (which is itself at a multiple of 8 from the file's start), zero padded between
//
// The JSON header:
//   { "version": 1,
//     "featureCount": F, "classCount": C,
//     "features": [{ "feature": "GS", "scale": 0.7, "in2d": false }, …],   ilastik's channel order
//     "classes":  [{ "name": "Label 1", "color": [255, 225, 25] }, …],     C entries, label k + 1 = class k
//     "meta":     { "key": "value", … },                                   strings only
//     "dataLength": bytes of the data section,
//     "crc32": CRC-32 (IEEE 802.3, as zlib computes it) of the data section,
//     "trees": [ { "nodes": N, "leaves": L,
//                  "feature":    [offset, count],   int32 × N     split feature, −1 for a leaf
//                  "threshold":  [offset, count],   float64 × N   go left when x < threshold
//                  "left":       [offset, count],   int32 × N
//                  "right":      [offset, count],   int32 × N
//                  "leaf":       [offset, count],   int32 × N     leaf row, −1 for a split
//                  "leafValues": [offset, count] }, float32 × L·C class weights
//                …] }
//   offsets are bytes from the data section's start, counts are elements: the arrays of model.ts as they
//   are, so a file maps onto a Forest without conversion.
//
// Compatibility: a reader rejects files of a newer version with ClassifierFormatError ("… upgrade Sylva");
// a future version 2 writer must keep reading version 1. Unknown JSON keys are ignored, so additions that
// old readers may skip need no version bump. Truncated, corrupted (CRC mismatch) or inconsistent files
// (checkForest) fail with ClassifierFormatError naming the problem.

import type { FeatureId } from "../features/definitions.js";
import { isFeatureId } from "../features/definitions.js";
import type { FeatureEntry } from "../features/plan.js";
import type { Forest, Tree } from "./model.js";
import { checkForest, ForestError } from "./model.js";

export const CLASSIFIER_MAGIC = "SYLVA-RF";
export const CLASSIFIER_VERSION = 1;

export class ClassifierFormatError extends Error {
  override readonly name = "ClassifierFormatError";
}

export interface ClassifierClass {
  readonly name: string;
  readonly color: readonly [number, number, number];
}

export interface Classifier {
  readonly forest: Forest;
  readonly features: readonly FeatureEntry[];
  readonly classes: readonly ClassifierClass[];
  readonly meta?: Readonly<Record<string, string>>;
}

/** What decodeClassifier returns: a Classifier with meta always present. */
export interface DecodedClassifier extends Classifier {
  readonly meta: Readonly<Record<string, string>>;
  /** The file's format version. */
  readonly version: number;
}

const ARRAYS = ["feature", "threshold", "left", "right", "leaf", "leafValues"] as const;
type ArrayName = (typeof ARRAYS)[number];
const KIND: Record<ArrayName, "i32" | "f64" | "f32"> = {
  feature: "i32",
  threshold: "f64",
  left: "i32",
  right: "i32",
  leaf: "i32",
  leafValues: "f32",
};
const BYTES = { i32: 4, f64: 8, f32: 4 } as const;

type Span = [number, number];
interface TreeEntry extends Record<ArrayName, Span> {
  nodes: number;
  leaves: number;
}

// ----------------------------------------------------------------------------------------------- crc --

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE, reflected, as zlib's crc32). */
export function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  const table = crcTable;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

// -------------------------------------------------------------------------------------------- encode --

function checkClasses(classes: readonly ClassifierClass[], classCount: number): void {
  if (classes.length !== classCount)
    throw new RangeError(`the forest has ${classCount} classes but ${classes.length} are described`);
  classes.forEach((c, i) => {
    if (typeof c.name !== "string") throw new RangeError(`class ${i + 1} has no name`);
    if (
      !(
        Array.isArray(c.color) &&
        c.color.length === 3 &&
        c.color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)
      )
    )
      throw new RangeError(`class ${i + 1} (${c.name}): color must be [r, g, b] with integers 0–255`);
  });
}

function checkFeatures(features: readonly FeatureEntry[]): void {
  features.forEach((e, i) => {
    if (!isFeatureId(e.feature)) throw new RangeError(`feature entry ${i}: unknown feature "${e.feature}"`);
    if (!(typeof e.scale === "number" && Number.isFinite(e.scale) && e.scale > 0))
      throw new RangeError(`feature entry ${i}: invalid scale ${e.scale}`);
    if (typeof e.in2d !== "boolean") throw new RangeError(`feature entry ${i}: in2d must be a boolean`);
  });
}

/** Encodes a classifier as a version 1 Sylva classifier file (see the file header for the layout). */
export function encodeClassifier(classifier: Classifier): Uint8Array {
  const { forest, features, classes } = classifier;
  const meta = classifier.meta ?? {};
  checkForest(forest);
  checkClasses(classes, forest.classCount);
  checkFeatures(features);
  for (const [k, v] of Object.entries(meta))
    if (typeof v !== "string") throw new RangeError(`meta "${k}" must be a string, got ${typeof v}`);

  let offset = 0;
  const trees: TreeEntry[] = forest.trees.map((t) => {
    const entry = { nodes: t.feature.length, leaves: t.leafValues.length / forest.classCount } as TreeEntry;
    for (const name of ARRAYS) {
      const a = t[name];
      entry[name] = [offset, a.length];
      offset = align8(offset + a.byteLength);
    }
    return entry;
  });
  const dataLength = offset;
  const data = new Uint8Array(dataLength);
  const view = new DataView(data.buffer);
  forest.trees.forEach((t, i) => {
    for (const name of ARRAYS) {
      const a = t[name];
      const at = trees[i][name][0];
      if (LITTLE_ENDIAN) data.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
      else writeLE(view, at, a, KIND[name]);
    }
  });

  const header = {
    version: CLASSIFIER_VERSION,
    featureCount: forest.featureCount,
    classCount: forest.classCount,
    features: features.map((e) => ({ feature: e.feature, scale: e.scale, in2d: e.in2d })),
    classes: classes.map((c) => ({ name: c.name, color: [c.color[0], c.color[1], c.color[2]] })),
    meta: { ...meta },
    dataLength,
    crc32: crc32(data),
    trees,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = align8(16 + json.length);
  const out = new Uint8Array(dataStart + dataLength);
  out.set(new TextEncoder().encode(CLASSIFIER_MAGIC), 0);
  const head = new DataView(out.buffer);
  head.setUint32(8, CLASSIFIER_VERSION, true);
  head.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(data, dataStart);
  return out;
}

function writeLE(view: DataView, at: number, a: ArrayLike<number>, kind: "i32" | "f64" | "f32"): void {
  for (let i = 0; i < a.length; i++) {
    if (kind === "i32") view.setInt32(at + 4 * i, a[i], true);
    else if (kind === "f32") view.setFloat32(at + 4 * i, a[i], true);
    else view.setFloat64(at + 8 * i, a[i], true);
  }
}

// -------------------------------------------------------------------------------------------- decode --

function fail(message: string): never {
  throw new ClassifierFormatError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function count(v: unknown, what: string, min = 0): number {
  if (!(typeof v === "number" && Number.isInteger(v) && v >= min))
    fail(`invalid ${what} in the header: ${JSON.stringify(v)}`);
  return v;
}

/**
 * Decodes a Sylva classifier file. Throws ClassifierFormatError for anything that is not a complete,
 * intact file of a version this code understands.
 */
export function decodeClassifier(bytes: Uint8Array): DecodedClassifier {
  if (bytes.length < 16) fail(`not a Sylva classifier file: ${bytes.length} bytes, too short for the header`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CLASSIFIER_MAGIC)
    fail(`not a Sylva classifier file (it starts with ${JSON.stringify(magic)}, not "${CLASSIFIER_MAGIC}")`);
  const head = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const version = head.getUint32(8, true);
  if (version > CLASSIFIER_VERSION)
    fail(
      `classifier file version ${version} is newer than this Sylva understands (${CLASSIFIER_VERSION}); upgrade Sylva`,
    );
  if (version < 1) fail(`invalid classifier file version ${version}`);
  const headerLength = head.getUint32(12, true);
  if (16 + headerLength > bytes.length)
    fail(
      `truncated classifier file: the header needs ${16 + headerLength} bytes, the file has ${bytes.length}`,
    );

  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(16, 16 + headerLength)),
    );
  } catch (e) {
    fail(
      `corrupt classifier file: its header is not valid JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  if (!isObject(header)) fail("corrupt classifier file: its header is not a JSON object");
  if (header.version !== version)
    fail(
      `corrupt classifier file: header version ${JSON.stringify(header.version)} ≠ file version ${version}`,
    );
  const featureCount = count(header.featureCount, "featureCount", 1);
  const classCount = count(header.classCount, "classCount", 1);
  const dataLength = count(header.dataLength, "dataLength");
  const dataStart = align8(16 + headerLength);
  if (dataStart + dataLength > bytes.length)
    fail(
      `truncated classifier file: ${bytes.length} bytes, ${dataStart + dataLength} expected (${dataStart + dataLength - bytes.length} missing)`,
    );
  const data = bytes.subarray(dataStart, dataStart + dataLength);
  if (crc32(data) !== header.crc32)
    fail("corrupt classifier file: the data's checksum does not match (damaged file?)");

  // Features, classes, meta.
  if (!Array.isArray(header.features)) fail("corrupt classifier file: no feature list");
  const features: FeatureEntry[] = header.features.map((e: unknown, i: number) => {
    if (!isObject(e) || typeof e.feature !== "string" || !isFeatureId(e.feature))
      fail(`corrupt classifier file: feature entry ${i} is invalid`);
    if (!(typeof e.scale === "number" && Number.isFinite(e.scale) && e.scale > 0))
      fail(`corrupt classifier file: feature entry ${i} has an invalid scale`);
    if (typeof e.in2d !== "boolean") fail(`corrupt classifier file: feature entry ${i} has no in2d flag`);
    return { feature: e.feature as FeatureId, scale: e.scale, in2d: e.in2d };
  });
  if (!Array.isArray(header.classes) || header.classes.length !== classCount)
    fail(`corrupt classifier file: ${classCount} classes expected in the class list`);
  const classes: ClassifierClass[] = header.classes.map((c: unknown, i: number) => {
    if (!isObject(c) || typeof c.name !== "string")
      fail(`corrupt classifier file: class ${i + 1} has no name`);
    const col = c.color;
    if (
      !(Array.isArray(col) && col.length === 3 && col.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))
    )
      fail(`corrupt classifier file: class ${i + 1} has an invalid color`);
    return { name: c.name, color: [col[0], col[1], col[2]] as [number, number, number] };
  });
  const meta: Record<string, string> = {};
  if (header.meta !== undefined) {
    if (!isObject(header.meta)) fail("corrupt classifier file: meta is not an object");
    for (const [k, v] of Object.entries(header.meta)) {
      if (typeof v !== "string") fail(`corrupt classifier file: meta "${k}" is not a string`);
      meta[k] = v;
    }
  }

  // Trees.
  if (!Array.isArray(header.trees)) fail("corrupt classifier file: no tree table");
  // One aligned copy of the data section: typed arrays view it directly (little-endian hosts).
  const copy = new Uint8Array(dataLength);
  copy.set(data);
  const dv = new DataView(copy.buffer);
  const trees: Tree[] = header.trees.map((entry: unknown, ti: number) => {
    if (!isObject(entry)) fail(`corrupt classifier file: tree ${ti}'s entry is not an object`);
    const nodes = count(entry.nodes, `node count of tree ${ti}`, 1);
    const leaves = count(entry.leaves, `leaf count of tree ${ti}`, 1);
    const arrays = {} as Record<ArrayName, Int32Array | Float64Array | Float32Array>;
    for (const name of ARRAYS) {
      const span = entry[name];
      if (!(Array.isArray(span) && span.length === 2))
        fail(`corrupt classifier file: tree ${ti} has no ${name} array`);
      const at = count(span[0], `${name} offset of tree ${ti}`);
      const n = count(span[1], `${name} length of tree ${ti}`);
      const expected = name === "leafValues" ? leaves * classCount : nodes;
      if (n !== expected)
        fail(`corrupt classifier file: tree ${ti}'s ${name} has ${n} entries, ${expected} expected`);
      const kind = KIND[name];
      const size = BYTES[kind];
      if (at % size !== 0 || at + n * size > dataLength)
        fail(`corrupt classifier file: tree ${ti}'s ${name} lies outside the data section`);
      arrays[name] = readArray(copy.buffer, dv, at, n, kind);
    }
    return arrays as unknown as Tree;
  });
  const forest: Forest = { featureCount, classCount, trees };
  try {
    checkForest(forest);
  } catch (e) {
    if (e instanceof ForestError) fail(`corrupt classifier file: ${e.message}`);
    throw e;
  }
  return { forest, features, classes, meta, version };
}

function readArray(
  buffer: ArrayBuffer,
  dv: DataView,
  at: number,
  n: number,
  kind: "i32" | "f64" | "f32",
): Int32Array | Float64Array | Float32Array {
  if (LITTLE_ENDIAN) {
    if (kind === "i32") return new Int32Array(buffer, at, n);
    if (kind === "f32") return new Float32Array(buffer, at, n);
    return new Float64Array(buffer, at, n);
  }
  const out = kind === "i32" ? new Int32Array(n) : kind === "f32" ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++)
    out[i] =
      kind === "i32"
        ? dv.getInt32(at + 4 * i, true)
        : kind === "f32"
          ? dv.getFloat32(at + 4 * i, true)
          : dv.getFloat64(at + 8 * i, true);
  return out;
}
