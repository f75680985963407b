// Mouse and wheel input on one view, as ilastik: left drag paints with the brush or eraser (pans in
// navigation mode), middle drag or Shift + drag pans, Ctrl/Cmd + wheel zooms about the mouse, Shift +
// wheel steps time, the wheel steps slices, double-click centres the other views on the point. Also
// publishes the cursor for presence and tracks the hovered voxel.
import { setCursor } from "../collab/presence";
import { StrokeBuilder } from "../tools/stroke-builder";
import type { WorkspaceModel } from "../workspace/model";
import { screenToPlane } from "./camera";
import { fromPlane, type Plane, planeExtent } from "./geometry";
import { cameraOf, centerOn, moveSlice, panView, setTime, sliceOf, zoomView } from "./navigation";

const CURSOR_INTERVAL_MS = 50;
const WHEEL_STEP = 40;

export interface InteractionHooks {
  /** The drag being painted changed (redraw the trail). */
  onTrail(builder: StrokeBuilder | null): void;
}

export function attachInteraction(
  el: HTMLElement,
  model: WorkspaceModel,
  plane: Plane,
  hooks: InteractionHooks,
): () => void {
  const viewer = model.viewer;
  let pan: { x: number; y: number } | null = null;
  let builder: StrokeBuilder | null = null;
  let wheelAcc = 0;
  let lastCursor = 0;

  const local = (e: MouseEvent) => {
    const r = el.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const planePoint = (e: MouseEvent) => {
    const cam = cameraOf(viewer, plane);
    if (!cam) return null;
    const p = local(e);
    return screenToPlane(cam, viewer.get().sizes[plane], p.x, p.y);
  };
  const inside = (u: number, v: number) => {
    const g = viewer.get().geometry;
    if (!g) return false;
    const ext = planeExtent(g, plane);
    return u >= 0 && v >= 0 && u < ext.width && v < ext.height;
  };
  let trailing: ReturnType<typeof setTimeout> | null = null;
  const publishCursor = (u: number, v: number, force = false) => {
    const now = performance.now();
    if (trailing) clearTimeout(trailing);
    trailing = null;
    if (!force && now - lastCursor < CURSOR_INTERVAL_MS) {
      // Publish the last position of a burst too.
      trailing = setTimeout(() => publishCursor(u, v, true), CURSOR_INTERVAL_MS);
      return;
    }
    lastCursor = now;
    const s = viewer.get();
    if (!s.geometry) return;
    setCursor(model.session.provider.awareness, {
      datasetId: s.geometry.id,
      plane,
      t: s.position.t,
      slice: sliceOf(plane, s.position),
      u: Math.round(u * 10) / 10,
      v: Math.round(v * 10) / 10,
    });
  };

  const onPointerDown = (e: PointerEvent) => {
    const s = viewer.get();
    if (!s.geometry) return;
    el.focus({ preventScroll: true });
    if (s.activePlane !== plane) viewer.set({ activePlane: plane });
    const tools = model.tools.get();
    const painting = model.mode.get().painting && tools.tool !== "navigate";
    const navigate = e.button === 1 || (e.button === 0 && (e.shiftKey || !painting));
    if (navigate) {
      e.preventDefault();
      pan = local(e);
      el.setPointerCapture(e.pointerId);
      el.classList.add("panning");
      return;
    }
    if (e.button !== 0 || !model.access.get().canLabel) return;
    const p = planePoint(e);
    if (!p || !inside(p.u, p.v)) return;
    e.preventDefault();
    el.setPointerCapture(e.pointerId);
    model.undo?.beginGesture();
    builder = new StrokeBuilder({
      doc: model.session.doc,
      origin: model.session.origin,
      datasetId: s.geometry.id,
      author: model.user.name,
      classId: tools.tool === "eraser" ? 0 : tools.classId,
      plane,
      t: s.position.t,
      slice: sliceOf(plane, s.position),
      diameter: tools.brushSize,
    });
    builder.add(p.u, p.v);
    hooks.onTrail(builder);
  };

  const onPointerMove = (e: PointerEvent) => {
    const p = planePoint(e);
    if (pan) {
      const q = local(e);
      panView(viewer, plane, q.x - pan.x, q.y - pan.y);
      pan = q;
    } else if (builder && p) {
      // Coalesced events keep fast drags smooth.
      const events = typeof e.getCoalescedEvents === "function" ? e.getCoalescedEvents() : [];
      for (const ce of events.length > 0 ? events : [e]) {
        const cp = planePoint(ce);
        if (cp) builder.add(cp.u, cp.v);
      }
      hooks.onTrail(builder);
    }
    if (p) {
      viewer.set({ hover: { plane, u: p.u, v: p.v } });
      if (inside(p.u, p.v)) publishCursor(p.u, p.v);
    }
  };

  const endDrag = (e: PointerEvent) => {
    if (el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
    if (pan) {
      pan = null;
      el.classList.remove("panning");
    }
    if (builder) {
      builder.finish();
      builder = null;
      hooks.onTrail(null);
    }
  };

  const onLeave = () => {
    if (builder || pan) return;
    if (trailing) clearTimeout(trailing);
    trailing = null;
    viewer.set({ hover: null });
    setCursor(model.session.provider.awareness, null);
  };

  const onWheel = (e: WheelEvent) => {
    if (!viewer.get().geometry) return;
    e.preventDefault();
    if (viewer.get().activePlane !== plane) viewer.set({ activePlane: plane });
    const delta = e.deltaY !== 0 ? e.deltaY : e.deltaX;
    if (e.ctrlKey || e.metaKey) {
      const factor = Math.exp(-Math.max(-300, Math.min(300, delta * (e.deltaMode === 1 ? 33 : 1))) * 0.0025);
      zoomView(viewer, plane, factor, local(e));
      return;
    }
    wheelAcc += e.deltaMode === 1 ? Math.sign(delta) * WHEEL_STEP : delta;
    if (Math.abs(wheelAcc) < WHEEL_STEP) return;
    const step = Math.sign(wheelAcc);
    wheelAcc = 0;
    if (e.shiftKey) setTime(viewer, viewer.get().position.t + step);
    else moveSlice(viewer, plane, step);
    const p = planePoint(e);
    if (p) publishCursor(p.u, p.v, true);
  };

  const onDoubleClick = (e: MouseEvent) => {
    const p = planePoint(e);
    if (!p || !inside(p.u, p.v)) return;
    const s = viewer.get();
    centerOn(viewer, fromPlane(plane, p.u, p.v, sliceOf(plane, s.position)), plane);
  };

  const onAuxClick = (e: MouseEvent) => {
    if (e.button === 1) e.preventDefault();
  };
  const onContextMenu = (e: MouseEvent) => e.preventDefault();

  el.addEventListener("pointerdown", onPointerDown);
  el.addEventListener("pointermove", onPointerMove);
  el.addEventListener("pointerup", endDrag);
  el.addEventListener("pointercancel", endDrag);
  el.addEventListener("pointerleave", onLeave);
  el.addEventListener("wheel", onWheel, { passive: false });
  el.addEventListener("dblclick", onDoubleClick);
  el.addEventListener("auxclick", onAuxClick);
  el.addEventListener("contextmenu", onContextMenu);
  return () => {
    el.removeEventListener("pointerdown", onPointerDown);
    el.removeEventListener("pointermove", onPointerMove);
    el.removeEventListener("pointerup", endDrag);
    el.removeEventListener("pointercancel", endDrag);
    el.removeEventListener("pointerleave", onLeave);
    el.removeEventListener("wheel", onWheel);
    el.removeEventListener("dblclick", onDoubleClick);
    el.removeEventListener("auxclick", onAuxClick);
    el.removeEventListener("contextmenu", onContextMenu);
    builder?.finish();
    if (trailing) clearTimeout(trailing);
  };
}
