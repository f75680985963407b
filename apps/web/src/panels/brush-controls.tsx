"use client";
// Tools: navigation, brush and eraser (keys n, b, e), ilastik's brush sizes ([ and ]), and per-user
// undo / redo of strokes (Ctrl+Z, Ctrl+Shift+Z).
import { BRUSH_SIZES } from "@sylva/shared";
import { useStore } from "../lib/store";
import type { Tool } from "../tools/tool-state";
import type { WorkspaceModel } from "../workspace/model";

const TOOLS: { id: Tool; label: string; key: string }[] = [
  { id: "navigate", label: "Navigate", key: "N" },
  { id: "brush", label: "Brush", key: "B" },
  { id: "eraser", label: "Eraser", key: "E" },
];

export function BrushControls({ model }: { model: WorkspaceModel }) {
  const tool = useStore(model.tools, (s) => s.tool);
  const size = useStore(model.tools, (s) => s.brushSize);
  const canUndo = useStore(model.undoState, (s) => s.canUndo);
  const canRedo = useStore(model.undoState, (s) => s.canRedo);
  const canLabel = useStore(model.access, (s) => s.canLabel);
  return (
    <div className="brush-controls">
      <fieldset className="segmented" aria-label="Tool">
        {TOOLS.map((t) => (
          <button
            key={t.id}
            type="button"
            aria-pressed={tool === t.id}
            className={`segment${tool === t.id ? " active" : ""}`}
            onClick={() => model.tools.set({ tool: t.id })}
            disabled={t.id !== "navigate" && !canLabel}
            data-testid={`tool-${t.id}`}
            title={`${t.label} (${t.key})`}
          >
            {t.label}
          </button>
        ))}
      </fieldset>
      <label className="field field-inline">
        <span className="field-label">Brush size</span>
        <select
          value={size}
          onChange={(e) => model.tools.set({ brushSize: Number(e.target.value) })}
          data-testid="brush-size"
          title="Brush diameter in voxels ([ and ])"
        >
          {BRUSH_SIZES.map((s) => (
            <option key={s} value={s}>
              {s} px
            </option>
          ))}
        </select>
      </label>
      <div className="btn-group">
        <button
          type="button"
          className="btn btn-small"
          disabled={!canUndo}
          onClick={() => model.undo?.undo()}
          data-testid="undo"
          title="Undo your last stroke (Ctrl+Z)"
        >
          Undo
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={!canRedo}
          onClick={() => model.undo?.redo()}
          data-testid="redo"
          title="Redo (Ctrl+Shift+Z)"
        >
          Redo
        </button>
      </div>
    </div>
  );
}
