// Keyboard shortcuts of the workspace (ignored while typing in a field): 1–9 pick a label class, e the
// eraser, b the brush, n navigation, [ and ] the brush size, + and - zoom, arrow keys and Page Up/Down
// the slice of the active view, Ctrl/Cmd+Z undo and Ctrl/Cmd+Shift+Z (or Ctrl+Y) redo.
import { useEffect } from "react";
import { stepBrushSize } from "../tools/tool-state";
import { moveSlice, zoomView } from "../viewer/navigation";
import type { WorkspaceModel } from "./model";

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement)
    return !["checkbox", "radio", "button", "submit", "color"].includes(target.type);
  return false;
}

export function handleShortcut(model: WorkspaceModel, e: KeyboardEvent): boolean {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key;
  if (mod && !e.altKey) {
    const k = key.toLowerCase();
    if (k === "z" && !e.shiftKey) return model.undo?.undo() ?? false;
    if ((k === "z" && e.shiftKey) || k === "y") return model.undo?.redo() ?? false;
    return false;
  }
  if (e.altKey || mod) return false;
  const viewer = model.viewer;
  const plane = viewer.get().geometry?.is3d ? viewer.get().activePlane : "xy";
  if (/^[1-9]$/.test(key)) {
    const cls = model.classes.get().list[Number(key) - 1];
    if (!cls) return false;
    model.tools.set({ classId: cls.id, tool: "brush" });
    return true;
  }
  switch (key) {
    case "e":
      model.tools.set((s) => ({ tool: s.tool === "eraser" ? "brush" : "eraser" }));
      return true;
    case "b":
      model.tools.set({ tool: "brush" });
      return true;
    case "n":
      model.tools.set({ tool: "navigate" });
      return true;
    case "[":
    case "]":
      model.tools.set((s) => ({ brushSize: stepBrushSize(s.brushSize, key === "]" ? 1 : -1) }));
      return true;
    case "+":
    case "=":
      zoomView(viewer, plane, 1.25);
      return true;
    case "-":
    case "_":
      zoomView(viewer, plane, 0.8);
      return true;
    case "ArrowUp":
      moveSlice(viewer, plane, 1);
      return true;
    case "ArrowDown":
      moveSlice(viewer, plane, -1);
      return true;
    case "PageUp":
      moveSlice(viewer, plane, 10);
      return true;
    case "PageDown":
      moveSlice(viewer, plane, -10);
      return true;
    default:
      return false;
  }
}

export function useShortcuts(model: WorkspaceModel | null): void {
  useEffect(() => {
    if (!model) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || typing(e.target)) return;
      if (handleShortcut(model, e)) e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [model]);
}
