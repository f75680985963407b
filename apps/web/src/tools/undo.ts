// Per-user undo and redo of strokes: a Y.UndoManager over one dataset's stroke array that tracks only
// this client's transaction origin, so it never undoes anyone else's strokes. One drag (even when split
// into several strokes) is one undo step.
import { strokesArray } from "@sylva/shared";
import * as Y from "yjs";

export class StrokeUndo {
  private readonly manager: Y.UndoManager;

  constructor(doc: Y.Doc, datasetId: string, origin: unknown) {
    this.manager = new Y.UndoManager(strokesArray(doc, datasetId), {
      trackedOrigins: new Set([origin]),
      captureTimeout: Number.MAX_SAFE_INTEGER,
    });
  }

  /** Call when a drag starts: what follows is a new undo step. */
  beginGesture(): void {
    this.manager.stopCapturing();
  }

  undo(): boolean {
    return this.manager.undo() !== null;
  }

  redo(): boolean {
    return this.manager.redo() !== null;
  }

  get canUndo(): boolean {
    return this.manager.canUndo();
  }

  get canRedo(): boolean {
    return this.manager.canRedo();
  }

  onChange(l: () => void): () => void {
    const events = ["stack-item-added", "stack-item-popped", "stack-cleared"] as const;
    for (const e of events) this.manager.on(e, l);
    return () => {
      for (const e of events) this.manager.off(e, l);
    };
  }

  destroy(): void {
    this.manager.destroy();
  }
}
