// HDF5 reading and writing (via h5wasm, HDF5 compiled to WebAssembly), pure: bytes in, Volume out.
//
// h5wasm works on files in its own in-memory file system (Emscripten MEMFS), in browsers and in Node alike:
// each call writes the bytes to a unique temporary name there, opens, reads or writes, closes and unlinks.
// The calls are synchronous once the module is ready, so concurrent calls never interleave. On first use
// this module switches h5wasm to its throwing error handler (a JS Error instead of HDF5-DIAG text on the
// console and a silently failed call); the HDF5 error stack is condensed into the ImageFormatError message.
//
// Reading supports integer and float datasets of 8 to 32 bits (uint8/16/32, int8/16/32) and float32/64,
// either byte order, contiguous or chunked, compressed with the filters h5wasm carries (gzip, shuffle,
// ...). Axes come from an ilastik/vigra `axistags` JSON attribute (`axes[].key`) when the dataset has
// one, in the stored order (e.g. "txyzc"); otherwise they are guessed as ilastik does: 2D "yx",
// 3D "yxc" if the last axis has ≤ 4 entries else "zyx", 4D "zyxc", 5D "tzyxc".
// Writing creates datasets (and their parent groups) with the typed array's dtype, plus attributes:
// strings become variable-length UTF-8 strings (h5py reads them as str), integers int32, others float64.

import type { Dataset, Group, File as H5File } from "h5wasm";
import type { DType, TypedArray } from "../array/dtype.js";
import { dtypeOf } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { AXES, elementCount } from "../array/volume.js";
import { describeError, ImageFormatError } from "./errors.js";

type H5Lib = typeof import("h5wasm")["default"];
type H5Module = Awaited<H5Lib["ready"]>;

let modulePromise: Promise<H5Module> | undefined;
let lib: H5Lib | undefined;

/**
 * The h5wasm module, ready, with its throwing error handler active. Loaded on first use, not at import:
 * h5wasm's Emscripten start-up inspects node:worker_threads and, inside any worker thread, takes itself
 * for an Emscripten pthread and fails — importing @sylva/core in a worker must not run it.
 */
function h5(): Promise<H5Module> {
  modulePromise ??= import("h5wasm").then(async ({ default: h5wasm }) => {
    const m = await h5wasm.ready;
    m.activate_throwing_error_handler();
    lib = h5wasm;
    return m;
  });
  return modulePromise;
}

/** The loaded h5wasm library; only valid after `await h5()`. */
function h5lib(): H5Lib {
  if (!lib) throw new Error("internal: h5wasm used before it was loaded");
  return lib;
}

let tempCounter = 0;

function tempName(m: H5Module): string {
  const dir = "/tmp";
  if (!m.FS.analyzePath(dir).exists) m.FS.mkdir(dir);
  return `${dir}/sylva-${++tempCounter}-${Math.random().toString(36).slice(2, 10)}.h5`;
}

/** The innermost problem of an HDF5-DIAG error stack (its last "minor:" line), or the message as is. */
function hdf5Problem(e: unknown): string {
  const message = describeError(e);
  if (!message.includes("HDF5-DIAG")) return message;
  const detail = [...message.matchAll(/error message = '([^']*)'/g)].pop()?.[1];
  const minor = [...message.matchAll(/minor: (.*)/g)].pop()?.[1]?.trim();
  return [minor, detail].filter(Boolean).join(": ") || message.split("\n")[0];
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the HDF5 superblock signature is at byte 0 or after a user block (512, 1024, 2048, ...). */
export function hasHdf5Signature(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.length; at = at === 0 ? 512 : at * 2)
    if (HDF5_SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
  return false;
}

/** Opens `bytes` read-only in h5wasm's file system, runs `fn`, then closes and unlinks whatever happens. */
async function withFile<T>(
  bytes: Uint8Array,
  source: string | undefined,
  fn: (file: H5File) => T,
): Promise<T> {
  if (!hasHdf5Signature(bytes)) throw new ImageFormatError(source, "not an HDF5 file (no HDF5 signature)");
  const m = await h5();
  const name = tempName(m);
  m.FS.writeFile(name, bytes);
  let file: H5File | undefined;
  try {
    try {
      file = new (h5lib().File)(name, "r");
    } catch (e) {
      throw new ImageFormatError(source, `cannot open HDF5 file: ${hdf5Problem(e)}`, { cause: e });
    }
    return fn(file);
  } finally {
    try {
      file?.close();
    } catch {
      // the file is being abandoned after an error; nothing more to release
    }
    m.FS.unlink(name);
  }
}

// Duck-typed, so files opened by another h5wasm build (the compute service's `h5wasm/node`, which reads
// files on disk directly) pass through the same code.
function isDataset(e: unknown): e is Dataset {
  return typeof e === "object" && e !== null && "slice" in e && "metadata" in e;
}

function isGroup(e: unknown): e is Group {
  return typeof e === "object" && e !== null && !isDataset(e) && "keys" in e && "get" in e;
}

/** Paths (without a leading "/") of every dataset below `group`, depth first, in stored order. */
function datasetPaths(group: Group, prefix = ""): string[] {
  const out: string[] = [];
  for (const key of group.keys()) {
    const child = group.get(key);
    const path = `${prefix}${key}`;
    if (isDataset(child)) out.push(path);
    else if (isGroup(child)) out.push(...datasetPaths(child, `${path}/`));
  }
  return out;
}

function listing(file: Group): string {
  const paths = datasetPaths(file);
  return paths.length === 0 ? "the file holds no datasets" : `available datasets: ${paths.join(", ")}`;
}

function dtypeOfDataset(d: Dataset, path: string, source?: string): DType {
  const { type, size, signed } = d.metadata;
  const INTEGER = 0;
  const FLOAT = 1;
  let dtype: DType | undefined;
  if (type === INTEGER)
    dtype = (
      signed
        ? ({ 1: "int8", 2: "int16", 4: "int32" } as const)
        : ({ 1: "uint8", 2: "uint16", 4: "uint32" } as const)
    )[size as 1 | 2 | 4];
  else if (type === FLOAT) dtype = ({ 4: "float32", 8: "float64" } as const)[size as 4 | 8];
  if (dtype === undefined) {
    const kind =
      type === INTEGER ? `${signed ? "int" : "uint"}${size * 8}` : `HDF5 type "${JSON.stringify(d.dtype)}"`;
    throw new ImageFormatError(
      source,
      `dataset "${path}" has unsupported type ${kind} (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)`,
    );
  }
  return dtype;
}

/** Axes as ilastik guesses them from the number of dimensions and the last one's size. */
export function guessAxes(shape: readonly number[]): string | undefined {
  switch (shape.length) {
    case 2:
      return "yx";
    case 3:
      return shape[2] <= 4 ? "yxc" : "zyx";
    case 4:
      return "zyxc";
    case 5:
      return "tzyxc";
    default:
      return undefined;
  }
}

/** Axes from a vigra/ilastik `axistags` attribute: `{"axes": [{"key": "t", ...}, ...]}`. */
function axesFromAxistags(json: string, ndim: number, path: string, source?: string): string {
  let keys: string[];
  try {
    const parsed: unknown = JSON.parse(json);
    const axes = (parsed as { axes?: unknown }).axes;
    if (!Array.isArray(axes)) throw new Error('no "axes" array');
    keys = axes.map((a: unknown, i) => {
      const key = (a as { key?: unknown } | null)?.key;
      if (typeof key !== "string") throw new Error(`axis ${i} has no string "key"`);
      return key;
    });
  } catch (e) {
    throw new ImageFormatError(
      source,
      `dataset "${path}": unreadable axistags attribute (${describeError(e)})`,
    );
  }
  const axes = keys.join("");
  if (keys.length !== ndim)
    throw new ImageFormatError(
      source,
      `dataset "${path}": axistags name ${keys.length} axes ("${axes}") but the dataset has ${ndim} dimensions`,
    );
  for (const [i, k] of keys.entries()) {
    if (!(AXES as readonly string[]).includes(k))
      throw new ImageFormatError(
        source,
        `dataset "${path}": axistags axis ${i} has unknown key "${k}" (known: t, z, y, x, c)`,
      );
    if (keys.indexOf(k) !== i)
      throw new ImageFormatError(source, `dataset "${path}": axistags name axis "${k}" twice ("${axes}")`);
  }
  return axes;
}

/** What `hdf5Dataset` finds at a path: the open dataset with its dtype, shape and axes. */
export interface Hdf5DatasetInfo {
  readonly dataset: Dataset;
  /** The path without leading "/", for messages. */
  readonly path: string;
  readonly dtype: DType;
  readonly shape: number[];
  readonly axes: string;
  /** True when the dataset has no axistags and `axes` is ilastik's guess. */
  readonly axesGuessed: boolean;
}

/**
 * Finds dataset `internalPath` in an open HDF5 file (or group) and works out its dtype and axes; every
 * problem (no such path, a group, a scalar, an unsupported type, bad axistags) is an ImageFormatError
 * naming the source and listing the file's datasets where that helps.
 */
export function hdf5Dataset(root: Group, internalPath: string, source?: string): Hdf5DatasetInfo {
  const parts = internalPath.split("/").filter((p) => p.length > 0);
  const path = parts.join("/");
  if (parts.length === 0) throw new ImageFormatError(source, `no dataset path given; ${listing(root)}`);
  let node: unknown = root;
  for (const [i, part] of parts.entries()) {
    const at = parts.slice(0, i).join("/");
    if (!isGroup(node) || !node.keys().includes(part))
      throw new ImageFormatError(
        source,
        `no dataset "${path}"${i > 0 && !isGroup(node) ? ` ("${at}" is not a group)` : ""}; ${listing(root)}`,
      );
    node = node.get(part);
  }
  if (!isDataset(node)) {
    const inside = isGroup(node) ? datasetPaths(node, `${path}/`) : [];
    throw new ImageFormatError(
      source,
      `"${path}" is ${isGroup(node) ? "a group" : "a link or object"}, not a dataset; ${
        inside.length > 0 ? `datasets inside it: ${inside.join(", ")}` : listing(root)
      }`,
    );
  }
  try {
    const dtype = dtypeOfDataset(node, path, source);
    const shape = node.shape;
    if (shape === null || shape.length === 0)
      throw new ImageFormatError(source, `dataset "${path}" is a scalar, not an image`);
    if (shape.some((s) => s < 1))
      throw new ImageFormatError(source, `dataset "${path}" is empty (shape [${shape.join(", ")}])`);
    const attrs = node.attrs;
    let axes: string | undefined;
    let axesGuessed = false;
    if ("axistags" in attrs) {
      const tags = attrs.axistags.value;
      if (typeof tags !== "string")
        throw new ImageFormatError(source, `dataset "${path}": axistags attribute is not a string`);
      axes = axesFromAxistags(tags, shape.length, path, source);
    } else {
      axes = guessAxes(shape);
      axesGuessed = true;
    }
    if (axes === undefined)
      throw new ImageFormatError(
        source,
        `dataset "${path}" has ${shape.length} dimensions (shape [${shape.join(", ")}]) and no axistags; images have 2 to 5`,
      );
    return { dataset: node, path, dtype, shape, axes, axesGuessed };
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
    throw new ImageFormatError(source, `cannot read dataset "${path}": ${hdf5Problem(e)}`, { cause: e });
  }
}

/** The values h5wasm returned for `info`'s dataset (or a slice of it), checked against dtype and length. */
export function checkHdf5Values(
  info: Hdf5DatasetInfo,
  value: unknown,
  expected: number,
  source?: string,
): TypedArray {
  if (!ArrayBuffer.isView(value) || value instanceof DataView || dtypeOf(value as TypedArray) !== info.dtype)
    throw new ImageFormatError(source, `dataset "${info.path}": h5wasm returned no ${info.dtype} array`);
  const data = value as TypedArray;
  if (data.length !== expected)
    throw new ImageFormatError(
      source,
      `dataset "${info.path}": read ${data.length} values where ${expected} were expected`,
    );
  return data;
}

/** The innermost problem of an h5wasm/HDF5 error, for messages (exported for file-backed readers). */
export function describeHdf5Error(e: unknown): string {
  return hdf5Problem(e);
}

/** Reads dataset `internalPath` (e.g. "exported_data" or "/volume/data") of an HDF5 file's bytes. */
export async function readHdf5(bytes: Uint8Array, internalPath: string, source?: string): Promise<Volume> {
  return withFile(bytes, source, (file) => {
    const info = hdf5Dataset(file, internalPath, source);
    try {
      const data = checkHdf5Values(info, info.dataset.value, elementCount(info.shape), source);
      return { data, shape: info.shape, axes: info.axes };
    } catch (e) {
      if (e instanceof ImageFormatError) throw e;
      throw new ImageFormatError(source, `cannot read dataset "${info.path}": ${hdf5Problem(e)}`, {
        cause: e,
      });
    }
  });
}

/** Paths (without a leading "/") of every dataset in an HDF5 file's bytes. */
export async function listHdf5Datasets(bytes: Uint8Array, source?: string): Promise<string[]> {
  return withFile(bytes, source, (file) => datasetPaths(file));
}

/** What a path of an open HDF5 file names (`other`: a link, a named datatype, ...). */
export type Hdf5NodeKind = "group" | "dataset" | "other";

/** A dataset's contents as h5wasm returns them: typed arrays (BigInt64Array for 64-bit integers, Int8Array
 * for h5py's booleans), a string for a scalar string, string[] for a string array, and so on. */
export interface Hdf5DatasetValue {
  readonly value: unknown;
  /** [] for a scalar. */
  readonly shape: readonly number[];
}

/**
 * A read-only view of one open HDF5 file, for reading many small datasets and attributes (project files)
 * without reopening it. Paths are "/"-separated, with or without a leading "/"; "" is the root group.
 * Every method throws an ImageFormatError naming the source and the path when the path does not lead
 * where it should or HDF5 fails to read.
 */
export interface Hdf5Reader {
  readonly source: string | undefined;
  /** What `path` names, or undefined when nothing is there. */
  kind(path: string): Hdf5NodeKind | undefined;
  /** Member names of the group at `path`, in HDF5's name order. */
  keys(path: string): string[];
  /** The dataset at `path`. */
  dataset(path: string): Hdf5DatasetValue;
  /** The value of attribute `name` of the group or dataset at `path`, undefined when it has none. */
  attribute(path: string, name: string): unknown;
}

function pathParts(path: string): string[] {
  return path.split("/").filter((p) => p.length > 0);
}

/** Opens `bytes` once and runs `fn` with a reader on it (synchronously); the file is closed afterwards. */
export async function withHdf5<T>(
  bytes: Uint8Array,
  source: string | undefined,
  fn: (reader: Hdf5Reader) => T,
): Promise<T> {
  return withFile(bytes, source, (file) => {
    const find = (path: string): unknown => {
      let node: unknown = file;
      for (const part of pathParts(path)) {
        if (!isGroup(node) || !node.keys().includes(part)) return undefined;
        node = node.get(part);
      }
      return node ?? undefined;
    };
    const failing = <R>(path: string, what: string, read: () => R): R => {
      try {
        return read();
      } catch (e) {
        if (e instanceof ImageFormatError) throw e;
        throw new ImageFormatError(source, `cannot read ${what} "${path}": ${hdf5Problem(e)}`, { cause: e });
      }
    };
    const reader: Hdf5Reader = {
      source,
      kind: (path) =>
        failing(path, "path", () => {
          const node = find(path);
          if (node === undefined) return undefined;
          return isGroup(node) ? "group" : isDataset(node) ? "dataset" : "other";
        }),
      keys: (path) =>
        failing(path, "group", () => {
          const node = find(path);
          if (!isGroup(node))
            throw new ImageFormatError(
              source,
              node === undefined ? `no group "${path}"` : `"${path}" is not a group`,
            );
          return node.keys();
        }),
      dataset: (path) =>
        failing(path, "dataset", () => {
          const node = find(path);
          if (!isDataset(node))
            throw new ImageFormatError(
              source,
              node === undefined ? `no dataset "${path}"` : `"${path}" is not a dataset`,
            );
          return { value: node.value, shape: node.shape ?? [] };
        }),
      attribute: (path, name) =>
        failing(path, `attribute "${name}" of`, () => {
          const node = find(path);
          if (!isGroup(node) && !isDataset(node))
            throw new ImageFormatError(source, `no group or dataset "${path}"`);
          const attrs = node.attrs;
          return name in attrs ? attrs[name].value : undefined;
        }),
    };
    return fn(reader);
  });
}

/** One dataset for `writeHdf5`. */
export interface Hdf5DatasetSpec {
  /** Path inside the file, e.g. "exported_data" or "/0/probabilities"; parent groups are created. */
  readonly path: string;
  /** C-order data; its type sets the dataset's dtype. */
  readonly data: TypedArray;
  readonly shape: readonly number[];
  readonly attributes?: Readonly<Record<string, string | number | readonly number[]>>;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function attributeDtype(values: readonly number[]): string {
  return values.every((v) => Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX) ? "<i" : "<d";
}

/** Writes the datasets (with their attributes) into a new HDF5 file and returns the file's bytes. */
export async function writeHdf5(datasets: readonly Hdf5DatasetSpec[]): Promise<Uint8Array> {
  const what = "HDF5 writer";
  const seen = new Set<string>();
  for (const d of datasets) {
    const path = d.path.split("/").filter(Boolean).join("/");
    if (path === "") throw new ImageFormatError(what, "a dataset needs a non-empty path");
    if (seen.has(path)) throw new ImageFormatError(what, `dataset "${path}" is given twice`);
    seen.add(path);
    if (d.shape.length === 0 || d.shape.some((s) => !Number.isInteger(s) || s < 1))
      throw new ImageFormatError(what, `dataset "${path}": invalid shape [${d.shape.join(", ")}]`);
    if (d.data.length !== elementCount(d.shape))
      throw new ImageFormatError(
        what,
        `dataset "${path}": data holds ${d.data.length} values, shape [${d.shape.join(", ")}] needs ${elementCount(d.shape)}`,
      );
  }
  const m = await h5();
  const name = tempName(m);
  let file: H5File | undefined;
  try {
    file = new (h5lib().File)(name, "w");
    for (const d of datasets) {
      const parts = d.path.split("/").filter(Boolean);
      const path = parts.join("/");
      let group: Group = file;
      for (const [i, part] of parts.slice(0, -1).entries()) {
        if (!group.keys().includes(part)) group = group.create_group(part);
        else {
          const next = group.get(part);
          if (!isGroup(next))
            throw new ImageFormatError(
              what,
              `cannot create "${path}": "${parts.slice(0, i + 1).join("/")}" is a dataset`,
            );
          group = next;
        }
      }
      const leaf = parts[parts.length - 1];
      if (group.keys().includes(leaf))
        throw new ImageFormatError(what, `cannot create dataset "${path}": a group of that name exists`);
      const dataset = group.create_dataset({ name: leaf, data: d.data, shape: [...d.shape] });
      for (const [key, value] of Object.entries(d.attributes ?? {})) {
        if (typeof value === "string") dataset.create_attribute(key, value);
        else if (typeof value === "number")
          dataset.create_attribute(key, value, null, attributeDtype([value]));
        else {
          if (value.length === 0)
            throw new ImageFormatError(what, `dataset "${path}": attribute "${key}" is an empty array`);
          dataset.create_attribute(key, [...value], [value.length], attributeDtype(value));
        }
      }
    }
    file.close();
    file = undefined;
    return m.FS.readFile(name);
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
    throw new ImageFormatError(what, `cannot write HDF5 file: ${hdf5Problem(e)}`, { cause: e });
  } finally {
    try {
      file?.close();
    } catch {
      // abandoned after an error
    }
    if (m.FS.analyzePath(name).exists) m.FS.unlink(name);
  }
}
