// The painting tools: navigate, brush or eraser; the selected class; the brush diameter (ilastik's
// sizes); and whether Live Update is on (off: no view is published, so no live tiles are computed).
import { BRUSH_SIZES, DEFAULT_BRUSH_SIZE } from "@sylva/shared";
import { Store } from "../lib/store";

export type Tool = "navigate" | "brush" | "eraser";

export interface ToolState {
  readonly tool: Tool;
  readonly classId: number;
  readonly brushSize: number;
  readonly liveUpdate: boolean;
}

export function createToolStore(): Store<ToolState> {
  return new Store<ToolState>({
    tool: "brush",
    classId: 1,
    brushSize: DEFAULT_BRUSH_SIZE,
    liveUpdate: false,
  });
}

/** The next brush size up (+1) or down (-1) in ilastik's list. */
export function stepBrushSize(size: number, delta: 1 | -1): number {
  const sizes: readonly number[] = BRUSH_SIZES;
  let i = sizes.indexOf(size);
  if (i < 0) i = sizes.findIndex((s) => s >= size);
  return sizes[Math.max(0, Math.min(sizes.length - 1, i + delta))];
}
