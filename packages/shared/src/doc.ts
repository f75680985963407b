// The project document: the layout of the Y.Doc that every client and the compute service share in a
// project's sync room, and the only functions that should read or change it. The layout is documented
// in this package's README ("The project document"); changing it is a contract change.
//
// Top-level shared types (top-level types merge by name, so concurrent first writers never clobber
// each other, unlike nested types created under the same map key):
//   "classes"            Y.Map<LabelClassEntry>  key: class id as a decimal string ("1"…"99")
//   "settings"           Y.Map<unknown>          "features" → FeatureSelection (plain JSON)
//   "strokes:<datasetId>" Y.Array<Stroke>         one per dataset, strokes appended in document order
//   "labelVolumes"       Y.Map<LabelVolumeRef>   key: dataset id; imported label volumes, by reference
// Values are plain JSON, never nested Y types: a stroke is immutable once appended (undo deletes it),
// and a class or setting is replaced whole (last writer wins per key).

import { DEFAULT_SCALES, FEATURE_IDS } from "@sylva/core";
import type * as Y from "yjs";
import { z } from "zod";
import { type LabelClass, labelClassSchema, labelColor, MAX_CLASSES } from "./schema/classes.js";
import type { DatasetId } from "./schema/dataset.js";
import { datasetIdSchema } from "./schema/dataset.js";
import { type FeatureSelectionInput, featureSelectionSchema } from "./schema/features.js";
import { type Stroke, strokeSchema } from "./schema/stroke.js";

export const DOC_CLASSES = "classes";
export const DOC_SETTINGS = "settings";
export const DOC_LABEL_VOLUMES = "labelVolumes";
export const DOC_STROKES_PREFIX = "strokes:";
/** The fewest label classes a project keeps (a classifier needs two). */
export const MIN_CLASSES = 2;

export interface LabelClassEntry extends LabelClass {
  /** Label value written by strokes of this class (1…99); never reused while the class exists. */
  id: number;
}

export const labelVolumeRefSchema = z.object({
  /** BlobStore key of the stored label volume (an OME-Zarr of uint8 label values). */
  key: z.string().min(1).max(1024),
  /** Class ids of the file's values 1…N, in order. */
  classIds: z.array(z.number().int().min(1).max(MAX_CLASSES)),
  author: z.string().min(1).max(64),
});
export type LabelVolumeRef = z.infer<typeof labelVolumeRefSchema>;

/** The default feature selection of a new project: every feature at ilastik's default scales, in 3D. */
export function defaultFeatureSelection(): FeatureSelectionInput {
  return { features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: false };
}

export function classesMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(DOC_CLASSES);
}
export function settingsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(DOC_SETTINGS);
}
export function labelVolumesMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(DOC_LABEL_VOLUMES);
}
/** The stroke array of one dataset (created on first use; every peer names the same type). */
export function strokesArray(doc: Y.Doc, datasetId: DatasetId | string): Y.Array<unknown> {
  return doc.getArray(DOC_STROKES_PREFIX + datasetIdSchema.parse(datasetId));
}

/** The project's label classes, sorted by id; entries that do not validate are skipped. */
export function readClasses(doc: Y.Doc): LabelClassEntry[] {
  const out: LabelClassEntry[] = [];
  for (const [key, value] of classesMap(doc).entries()) {
    const id = Number(key);
    const parsed = labelClassSchema.safeParse(value);
    if (Number.isInteger(id) && id >= 1 && id <= MAX_CLASSES && parsed.success)
      out.push({ id, ...parsed.data });
  }
  return out.sort((a, b) => a.id - b.id);
}

/** Adds a class (default name "Label k" and ilastik's k-th color); returns its id. */
export function addClass(doc: Y.Doc, init: Partial<LabelClass> = {}): number {
  const classes = readClasses(doc);
  const id = classes.reduce((m, c) => Math.max(m, c.id), 0) + 1;
  if (id > MAX_CLASSES) throw new RangeError(`a project has at most ${MAX_CLASSES} label classes`);
  const entry = labelClassSchema.parse({
    name: init.name ?? `Label ${id}`,
    color: init.color ?? [...labelColor(id - 1)],
  });
  classesMap(doc).set(String(id), entry);
  return id;
}

/** Renames and/or recolors class `id`. */
export function updateClass(doc: Y.Doc, id: number, change: Partial<LabelClass>): void {
  const current = readClasses(doc).find((c) => c.id === id);
  if (!current) throw new RangeError(`there is no label class ${id}`);
  const { id: _, ...rest } = current;
  classesMap(doc).set(String(id), labelClassSchema.parse({ ...rest, ...change }));
}

/** Deletes class `id`; its strokes stay in the document but no longer label anything. */
export function deleteClass(doc: Y.Doc, id: number): void {
  const classes = readClasses(doc);
  if (!classes.some((c) => c.id === id)) throw new RangeError(`there is no label class ${id}`);
  if (classes.length <= MIN_CLASSES)
    throw new RangeError(`a project keeps at least ${MIN_CLASSES} label classes`);
  classesMap(doc).delete(String(id));
}

/** The feature selection; the default one when none is set or the stored one does not validate. */
export function readFeatureSelection(doc: Y.Doc): FeatureSelectionInput {
  const parsed = featureSelectionSchema.safeParse(settingsMap(doc).get("features"));
  return parsed.success ? parsed.data : defaultFeatureSelection();
}

export function setFeatureSelection(doc: Y.Doc, selection: FeatureSelectionInput): void {
  settingsMap(doc).set("features", featureSelectionSchema.parse(selection));
}

/** Appends a validated stroke (in a transaction with `origin`, which Y.UndoManager tracks per user). */
export function appendStroke(doc: Y.Doc, stroke: Stroke, origin: unknown = null): void {
  const parsed = strokeSchema.parse(stroke);
  doc.transact(() => strokesArray(doc, parsed.datasetId).push([parsed]), origin);
}

/**
 * The strokes of a dataset that label something, in document order: valid strokes whose class exists
 * (or erasers). What every peer rasterizes, so all derive the same label volume.
 */
export function readStrokes(doc: Y.Doc, datasetId: DatasetId | string): Stroke[] {
  const classIds = new Set(readClasses(doc).map((c) => c.id));
  const out: Stroke[] = [];
  for (const value of strokesArray(doc, datasetId).toArray()) {
    const parsed = strokeSchema.safeParse(value);
    if (!parsed.success || parsed.data.datasetId !== datasetId) continue;
    if (parsed.data.classId === 0 || classIds.has(parsed.data.classId)) out.push(parsed.data);
  }
  return out;
}

/** Dataset ids that have a stroke array in the document. */
export function strokeDatasetIds(doc: Y.Doc): DatasetId[] {
  const out: DatasetId[] = [];
  for (const name of doc.share.keys()) {
    if (!name.startsWith(DOC_STROKES_PREFIX)) continue;
    const parsed = datasetIdSchema.safeParse(name.slice(DOC_STROKES_PREFIX.length));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

/** Fills an empty document with a new project's defaults: two classes and the default features. */
export function initProjectDoc(doc: Y.Doc, classes: readonly Partial<LabelClass>[] = [{}, {}]): void {
  doc.transact(() => {
    if (classesMap(doc).size === 0) for (const c of classes) addClass(doc, c);
    if (!settingsMap(doc).has("features")) setFeatureSelection(doc, defaultFeatureSelection());
  });
}
