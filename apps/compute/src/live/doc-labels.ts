// Binds one dataset's stroke array in the project's Y.Doc to a LabelIndex: built from the array once,
// then kept current from each Y.Array event's delta and from changes of the set of classes (a class
// deleted, or its id taken again, changes which strokes label), calling `onChange` whenever the labels
// changed.

import { classesMap, readClasses, strokesArray } from "@sylva/shared";
import type * as Y from "yjs";
import type { VolumeShape } from "./label-index.js";
import { LabelIndex } from "./label-index.js";

/** The ids of the project's existing label classes. */
export function classIdSet(doc: Y.Doc): Set<number> {
  return new Set(readClasses(doc).map((c) => c.id));
}

export class DocLabels {
  readonly index: LabelIndex;
  private readonly array: Y.Array<unknown>;
  private readonly onStrokes: (event: Y.YArrayEvent<unknown>) => void;
  private readonly onClasses: () => void;

  constructor(
    private readonly doc: Y.Doc,
    datasetId: string,
    shape: VolumeShape,
    private readonly onChange: () => void,
  ) {
    this.array = strokesArray(doc, datasetId);
    this.index = new LabelIndex(datasetId, shape);
    this.index.reset(this.array.toArray(), classIdSet(doc));
    this.onStrokes = (event) => {
      if (this.index.applyDelta(event.changes.delta)) this.onChange();
    };
    this.onClasses = () => {
      if (this.index.setClasses(classIdSet(this.doc))) this.onChange();
    };
    this.array.observe(this.onStrokes);
    classesMap(doc).observe(this.onClasses);
  }

  destroy(): void {
    this.array.unobserve(this.onStrokes);
    classesMap(this.doc).unobserve(this.onClasses);
  }
}
