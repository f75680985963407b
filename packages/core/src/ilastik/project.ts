// ilastik projects (.ilp, HDF5): what a Pixel Classification project holds that Sylva can use — the
// feature selection in ilastik's channel order, the label classes, the input lanes and the trained forests.
//
// Layout read (as ilastik 1.2 – 1.4 write it):
// - FeatureSelections/FeatureIds (operator names, e.g. "GaussianSmoothing"), Scales (σ), SelectionMatrix
//   (ids × scales, bool) and, since ilastik 1.3, ComputeIn2d (per scale). The channel order is the ids'
//   stored order, then the scales', as lazyflow's feature operator and the reference compute them.
// - PixelClassification/LabelNames, LabelColors (rows of r, g, b), each with an "isEmpty" attribute when
//   ilastik wrote a placeholder.
// - Input Data/Role Names (the first role is the raw data) and Input Data/infos/laneNNNN/<role>/ with
//   filePath, location ("FileSystem": a path relative to the project's folder, or absolute, with the HDF5
//   dataset appended as in "cells.h5/exported_data"; "ProjectInternal": a dataset inside the project),
//   axistags (vigra's JSON; "axisorder" in older projects), nickname and, in newer projects, shape.
// - PixelClassification/ClassifierForests/ForestNNNN: vigra random forests (see ../forest/vigra.ts),
//   imported as one Forest of all their trees.

import type { FeatureId } from "../features/definitions.js";
import { parseFeatureId } from "../features/definitions.js";
import type { FeatureEntry } from "../features/plan.js";
import type { Forest } from "../forest/model.js";
import { ForestError } from "../forest/model.js";
import type { VigraForestGroup } from "../forest/vigra.js";
import { forestFromVigra, readVigraForestGroup } from "../forest/vigra.js";
import { describeError, ImageFormatError } from "../io/errors.js";
import type { Hdf5Reader } from "../io/hdf5.js";
import { hasHdf5Signature, withHdf5 } from "../io/hdf5.js";

export class IlastikProjectError extends Error {
  override readonly name = "IlastikProjectError";
  /** The project (file name or other source) the problem is about. */
  readonly project: string;
  /** The path inside the project, when the problem is about one. */
  readonly path: string | undefined;

  constructor(project: string, path: string | undefined, problem: string, options?: { cause?: unknown }) {
    super(`${project}: ${path ? `${path}: ` : ""}${problem}`, options);
    this.project = project;
    this.path = path;
  }
}

/** Where an input lane's data lives. */
export type IlastikLocation = "FileSystem" | "ProjectInternal";

/** One dataset of an input lane (ilastik's DatasetInfo). */
export interface IlastikDatasetInfo {
  /** Lane number (0 for lane0000). */
  readonly lane: number;
  /** Role name, e.g. "Raw Data". */
  readonly role: string;
  /** As stored: for FileSystem a path (relative to the project's folder or absolute, with an HDF5 file's
   * internal dataset path appended, e.g. "data/cells.h5/exported_data"); for ProjectInternal the dataset's
   * path inside the project. */
  readonly filePath: string;
  readonly location: IlastikLocation;
  /** Axes of the stored data, one letter per dimension from "tzyxc", in stored order (e.g. "txyzc"). */
  readonly axes: string;
  readonly nickname?: string;
  /** Stored shape, when the project records it (ilastik ≥ 1.3.3). */
  readonly shape?: readonly number[];
  readonly datasetId?: string;
}

/** A label class; label value k + 1 is class k. */
export interface IlastikLabelClass {
  readonly name: string;
  /** RGB, 0 … 255, when the project stores colors. */
  readonly color?: readonly [number, number, number];
}

export interface IlastikProject {
  /** The name the project was read under (file name), used in messages. */
  readonly source: string;
  readonly ilastikVersion?: string;
  readonly workflowName?: string;
  /** Selected features in ilastik's channel order (see the header). */
  readonly features: readonly FeatureEntry[];
  /** Label classes in label order (PixelClassification/LabelNames, LabelColors). */
  readonly classes: readonly IlastikLabelClass[];
  /** The raw-data dataset of every input lane, in lane order. */
  readonly lanes: readonly IlastikDatasetInfo[];
  /** All trees of all stored forests as one forest; undefined when the project holds no trained forest.
   * Its classCount is the number of label classes (or the largest label a forest knows, if larger). */
  readonly forest?: Forest;
  /** Number of vigra forest groups (ClassifierForests/ForestNNNN) the forest was assembled from. */
  readonly forestGroups: number;
  /** The feature channel names ilastik trained the forests on (ClassifierForests/feature_names), if stored. */
  readonly forestFeatureNames?: readonly string[];
  /** The labels the forests know (ClassifierForests/known_labels, else the forests' own labels). */
  readonly knownLabels?: readonly number[];
}

const FEATURES = "FeatureSelections";
const PIXEL = "PixelClassification";
const FORESTS = `${PIXEL}/ClassifierForests`;
const INFOS = "Input Data/infos";

/** Reads a project's structure; every problem is an IlastikProjectError naming `source` and the path. */
class ProjectReader {
  constructor(
    readonly r: Hdf5Reader,
    readonly source: string,
  ) {}

  fail(path: string | undefined, problem: string, cause?: unknown): never {
    throw new IlastikProjectError(this.source, path, problem, cause === undefined ? undefined : { cause });
  }

  has(path: string): boolean {
    return this.r.kind(path) !== undefined;
  }

  need(path: string, kind: "group" | "dataset", hint = ""): void {
    const k = this.r.kind(path);
    if (k === undefined) this.fail(path, `missing${hint}`);
    if (k !== kind) this.fail(path, `is not a ${kind}${hint}`);
  }

  value(path: string): { value: unknown; shape: readonly number[] } {
    this.need(path, "dataset");
    return this.r.dataset(path);
  }

  /** The dataset flagged as a placeholder by ilastik (`isEmpty` attribute true)? */
  isEmpty(path: string): boolean {
    const flag = this.r.attribute(path, "isEmpty");
    return flag !== undefined && Number(flag) !== 0 && flag !== false;
  }

  strings(path: string): string[] {
    const { value } = this.value(path);
    const one = (v: unknown): string => {
      if (typeof v === "string") return utf8(v);
      if (v instanceof Uint8Array) return new TextDecoder().decode(v);
      return this.fail(path, `holds ${describe(v)}, not text`);
    };
    return Array.isArray(value) ? value.map(one) : [one(value)];
  }

  string(path: string): string {
    const s = this.strings(path);
    if (s.length !== 1) this.fail(path, `holds ${s.length} strings, expected one`);
    return s[0];
  }

  optionalString(path: string): string | undefined {
    return this.has(path) ? this.string(path) : undefined;
  }

  numbers(path: string): { values: number[]; shape: readonly number[] } {
    const { value, shape } = this.value(path);
    let values: number[] | undefined;
    if (typeof value === "number" || typeof value === "boolean") values = [Number(value)];
    else if (typeof value === "bigint") values = [Number(value)];
    else if (ArrayBuffer.isView(value) && !(value instanceof DataView))
      values = Array.from(value as unknown as ArrayLike<number | bigint>, Number);
    else if (Array.isArray(value) && value.every((v) => ["number", "bigint", "boolean"].includes(typeof v)))
      values = value.map(Number);
    if (values === undefined) return this.fail(path, `holds ${describe(value)}, not numbers`);
    return { values, shape };
  }
}

/**
 * h5py writes `bytes` arrays as fixed-length ASCII strings holding UTF-8 (ilastik's "σ"); h5wasm decodes
 * them one byte per character. Re-decodes such a string as UTF-8 when its bytes are valid UTF-8.
 */
function utf8(s: string): string {
  let high = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return s;
    if (c >= 0x80) high = true;
  }
  if (!high) return s;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
  } catch {
    return s;
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return "no value";
  if (Array.isArray(v)) return "an array";
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  return typeof v;
}

function readFeatures(p: ProjectReader): FeatureEntry[] {
  const hint = " (a Pixel Classification project stores its feature selection there)";
  p.need(FEATURES, "group", hint);
  const ids = p.strings(`${FEATURES}/FeatureIds`);
  const { values: scales } = p.numbers(`${FEATURES}/Scales`);
  const matrix = p.numbers(`${FEATURES}/SelectionMatrix`);
  const mpath = `${FEATURES}/SelectionMatrix`;
  if (matrix.values.length !== ids.length * scales.length || matrix.shape.length !== 2)
    p.fail(
      mpath,
      `has shape [${matrix.shape.join(", ")}], expected [${ids.length}, ${scales.length}] (feature ids × scales)`,
    );
  for (const s of scales)
    if (!(Number.isFinite(s) && s > 0)) p.fail(`${FEATURES}/Scales`, `holds an invalid scale ${s}`);
  let in2d = scales.map(() => false);
  const in2dPath = `${FEATURES}/ComputeIn2d`;
  if (p.has(in2dPath)) {
    const v = p.numbers(in2dPath).values;
    if (v.length !== scales.length) p.fail(in2dPath, `holds ${v.length} flags for ${scales.length} scales`);
    in2d = v.map((x) => x !== 0);
  }
  const features: FeatureId[] = ids.map((id) => {
    try {
      return parseFeatureId(id);
    } catch (e) {
      return p.fail(`${FEATURES}/FeatureIds`, describeError(e), e);
    }
  });
  const entries: FeatureEntry[] = [];
  for (const [i, feature] of features.entries())
    for (const [j, scale] of scales.entries())
      if (matrix.values[i * scales.length + j] !== 0) entries.push({ feature, scale, in2d: in2d[j] });
  return entries;
}

function readClasses(p: ProjectReader): IlastikLabelClass[] {
  const namesPath = `${PIXEL}/LabelNames`;
  if (!p.has(namesPath) || p.isEmpty(namesPath)) return [];
  const names = p.strings(namesPath);
  const colorsPath = `${PIXEL}/LabelColors`;
  let colors: [number, number, number][] | undefined;
  if (p.has(colorsPath) && !p.isEmpty(colorsPath)) {
    const { values } = p.numbers(colorsPath);
    if (values.length === names.length * 3)
      colors = names.map((_, k) => [values[3 * k], values[3 * k + 1], values[3 * k + 2]]);
  }
  return names.map((name, k) => (colors ? { name, color: colors[k] } : { name }));
}

function axesOf(p: ProjectReader, info: string): string {
  const tagsPath = `${info}/axistags`;
  let keys: string[];
  if (p.has(tagsPath)) {
    const json = p.string(tagsPath);
    try {
      const axes = (JSON.parse(json) as { axes?: unknown }).axes;
      if (!Array.isArray(axes)) throw new Error('no "axes" array');
      keys = axes.map((a: unknown, i) => {
        const key = (a as { key?: unknown } | null)?.key;
        if (typeof key !== "string") throw new Error(`axis ${i} has no string "key"`);
        return key;
      });
    } catch (e) {
      return p.fail(tagsPath, `unreadable axistags (${describeError(e)})`, e);
    }
  } else if (p.has(`${info}/axisorder`)) keys = [...p.string(`${info}/axisorder`)];
  else return p.fail(tagsPath, "missing (no axistags or axisorder for the dataset)");
  const axes = keys.join("");
  for (const [i, k] of keys.entries())
    if (!"tzyxc".includes(k) || k.length !== 1 || keys.indexOf(k) !== i)
      p.fail(tagsPath, `axes "${axes}" are not distinct letters of t, z, y, x, c`);
  return axes;
}

function readLanes(p: ProjectReader): IlastikDatasetInfo[] {
  if (!p.has(INFOS)) return [];
  p.need(INFOS, "group");
  const rolesPath = "Input Data/Role Names";
  const role = p.has(rolesPath) ? (p.strings(rolesPath)[0] ?? "Raw Data") : "Raw Data";
  const lanes: IlastikDatasetInfo[] = [];
  for (const key of p.r.keys(INFOS)) {
    const m = /^lane(\d+)$/.exec(key);
    if (!m) continue;
    const info = `${INFOS}/${key}/${role}`;
    p.need(info, "group");
    p.need(`${info}/filePath`, "dataset", ` (lane ${Number(m[1])} names no ${role.toLowerCase()} file)`);
    const filePath = p.string(`${info}/filePath`);
    const location = p.optionalString(`${info}/location`) ?? "FileSystem";
    if (location !== "FileSystem" && location !== "ProjectInternal")
      p.fail(
        `${info}/location`,
        `unsupported location "${location}" (supported: FileSystem, ProjectInternal)`,
      );
    const axes = axesOf(p, info);
    const shapePath = `${info}/shape`;
    const shape = p.has(shapePath) ? p.numbers(shapePath).values : undefined;
    if (shape && shape.length !== axes.length)
      p.fail(shapePath, `has ${shape.length} dimensions, the axistags name ${axes.length} ("${axes}")`);
    const nickname = p.optionalString(`${info}/nickname`);
    const datasetId = p.optionalString(`${info}/datasetId`);
    lanes.push({
      lane: Number(m[1]),
      role,
      filePath,
      location,
      axes,
      ...(nickname !== undefined ? { nickname } : {}),
      ...(shape ? { shape } : {}),
      ...(datasetId !== undefined ? { datasetId } : {}),
    });
  }
  return lanes;
}

interface ForestsRead {
  forest?: Forest;
  groups: number;
  featureNames?: string[];
  knownLabels?: number[];
}

function readForests(p: ProjectReader, classCount: number): ForestsRead {
  if (!p.has(FORESTS)) return { groups: 0 };
  p.need(FORESTS, "group");
  const typePath = `${FORESTS}/pickled_type`;
  if (p.has(typePath)) {
    const type = p.string(typePath);
    if (!type.includes("Vigra"))
      p.fail(
        typePath,
        `the classifier is ${type.split("\n").slice(0, 2).join(".")}, only vigra forests can be imported`,
      );
  }
  const paths = p.has(`${FORESTS}/_ext_param`)
    ? [FORESTS]
    : p.r
        .keys(FORESTS)
        .filter((k) => /^Forest\d+$/.test(k))
        .map((k) => `${FORESTS}/${k}`);
  const featureNames = p.has(`${FORESTS}/feature_names`) ? p.strings(`${FORESTS}/feature_names`) : undefined;
  let knownLabels = p.has(`${FORESTS}/known_labels`)
    ? p.numbers(`${FORESTS}/known_labels`).values
    : undefined;
  if (paths.length === 0) return { groups: 0, featureNames, knownLabels };
  const groups: VigraForestGroup[] = [];
  for (const path of paths) {
    try {
      groups.push(readVigraForestGroup(p.r, path));
    } catch (e) {
      if (e instanceof ForestError) p.fail(path, e.message, e);
      throw e;
    }
  }
  const maxLabel = Math.max(...groups.flatMap((g) => g.labels));
  knownLabels ??= [...new Set(groups.flatMap((g) => g.labels))].sort((a, b) => a - b);
  let forest: Forest;
  try {
    forest = forestFromVigra(groups, { classCount: Math.max(classCount, maxLabel) });
  } catch (e) {
    if (e instanceof ForestError) return p.fail(FORESTS, e.message, e);
    throw e;
  }
  if (featureNames && featureNames.length !== forest.featureCount)
    p.fail(
      `${FORESTS}/feature_names`,
      `names ${featureNames.length} features, the forests use ${forest.featureCount}`,
    );
  return { forest, groups: groups.length, featureNames, knownLabels };
}

/**
 * Reads an ilastik project's bytes. `source` (the file name) appears in every error message. Throws
 * IlastikProjectError for anything missing or malformed.
 */
export async function readIlastikProject(
  bytes: Uint8Array,
  source = "ilastik project",
): Promise<IlastikProject> {
  if (!hasHdf5Signature(bytes))
    throw new IlastikProjectError(source, undefined, "not an ilastik project (not an HDF5 file)");
  try {
    return await withHdf5(bytes, source, (r) => {
      const p = new ProjectReader(r, source);
      const workflowName = p.optionalString("workflowName");
      if (!p.has(PIXEL))
        p.fail(
          PIXEL,
          `missing: not a Pixel Classification project${workflowName ? ` (workflow "${workflowName}")` : ""}`,
        );
      const features = readFeatures(p);
      const classes = readClasses(p);
      const lanes = readLanes(p);
      const forests = readForests(p, classes.length);
      const ilastikVersion = p.optionalString("ilastikVersion");
      return {
        source,
        ...(ilastikVersion !== undefined ? { ilastikVersion } : {}),
        ...(workflowName !== undefined ? { workflowName } : {}),
        features,
        classes,
        lanes,
        ...(forests.forest ? { forest: forests.forest } : {}),
        forestGroups: forests.groups,
        ...(forests.featureNames ? { forestFeatureNames: forests.featureNames } : {}),
        ...(forests.knownLabels ? { knownLabels: forests.knownLabels } : {}),
      };
    });
  } catch (e) {
    if (e instanceof IlastikProjectError) throw e;
    if (e instanceof ImageFormatError)
      throw new IlastikProjectError(source, undefined, e.problem, { cause: e });
    if (e instanceof ForestError) throw new IlastikProjectError(source, FORESTS, e.message, { cause: e });
    throw new IlastikProjectError(source, undefined, `cannot read the project: ${describeError(e)}`, {
      cause: e,
    });
  }
}
