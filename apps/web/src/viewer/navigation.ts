// Navigation as in ilastik: slices (wheel, arrow keys), time (Shift + wheel, spin box), zoom (Ctrl/Cmd +
// wheel, + and - keys, fit and 1:1), pan (middle button or Shift + drag) and double-click centering of
// the other views; all as operations on the viewer store.
import { type Camera, clampZoom, fitCamera, panBy, type Size, zoomAt } from "./camera";
import { axisSize, type Geometry, PLANE_AXES, type Plane, planeExtent, toPlane } from "./geometry";
import { type Position, type ViewerStore, visiblePlanes } from "./viewer-state";

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}

/** The view's slice (level-0): z for xy, y for xz, x for yz. */
export function sliceOf(plane: Plane, p: Position): number {
  return p[PLANE_AXES[plane].slice];
}

/** Opens a dataset: centre position, middle slice, cameras to be fitted. */
export function openDataset(store: ViewerStore, g: Geometry | null): void {
  const s = store.get();
  if (s.geometry?.id === g?.id) {
    store.set({ geometry: g });
    return;
  }
  store.set({
    geometry: g,
    position: g
      ? { x: Math.floor(g.X / 2), y: Math.floor(g.Y / 2), z: Math.floor(g.Z / 2), t: 0 }
      : { x: 0, y: 0, z: 0, t: 0 },
    cameras: { xy: null, xz: null, yz: null },
    activePlane: "xy",
    hover: null,
  });
}

export function setSlice(store: ViewerStore, plane: Plane, slice: number): void {
  const { geometry: g, position } = store.get();
  if (!g) return;
  const axis = PLANE_AXES[plane].slice;
  const v = clamp(Math.round(slice), 0, axisSize(g, axis) - 1);
  if (v !== position[axis]) store.set({ position: { ...position, [axis]: v } });
}

export function moveSlice(store: ViewerStore, plane: Plane, delta: number): void {
  setSlice(store, plane, sliceOf(plane, store.get().position) + delta);
}

export function setTime(store: ViewerStore, t: number): void {
  const { geometry: g, position } = store.get();
  if (!g) return;
  const v = clamp(Math.round(t), 0, g.T - 1);
  if (v !== position.t) store.set({ position: { ...position, t: v } });
}

export function setCamera(store: ViewerStore, plane: Plane, camera: Camera): void {
  store.set((s) => ({ cameras: { ...s.cameras, [plane]: camera } }));
}

/** A view's camera, fitting it first if it has none yet. */
export function cameraOf(store: ViewerStore, plane: Plane): Camera | null {
  const s = store.get();
  const cam = s.cameras[plane];
  if (cam || !s.geometry) return cam;
  const size = s.sizes[plane];
  if (size.w === 0 || size.h === 0) return null;
  const ext = planeExtent(s.geometry, plane);
  const fitted = fitCamera(ext.width, ext.height, size);
  setCamera(store, plane, fitted);
  return fitted;
}

export function setSize(store: ViewerStore, plane: Plane, size: Size): void {
  store.set((s) => ({ sizes: { ...s.sizes, [plane]: size } }));
}

/** Zooms one view about a screen point (default: its centre). */
export function zoomView(
  store: ViewerStore,
  plane: Plane,
  factor: number,
  at?: { x: number; y: number },
): void {
  const cam = cameraOf(store, plane);
  if (!cam) return;
  const size = store.get().sizes[plane];
  setCamera(store, plane, zoomAt(cam, size, factor, at?.x ?? size.w / 2, at?.y ?? size.h / 2));
}

export function panView(store: ViewerStore, plane: Plane, dx: number, dy: number): void {
  const cam = cameraOf(store, plane);
  if (cam) setCamera(store, plane, panBy(cam, dx, dy));
}

/** Zoom to fit every view. */
export function fitAll(store: ViewerStore): void {
  const { geometry: g, sizes } = store.get();
  if (!g) return;
  const cameras = { ...store.get().cameras };
  for (const plane of visiblePlanes(g)) {
    const ext = planeExtent(g, plane);
    if (sizes[plane].w > 0) cameras[plane] = fitCamera(ext.width, ext.height, sizes[plane]);
  }
  store.set({ cameras });
}

/** 1:1 (one voxel per CSS pixel) around the crosshair in every view. */
export function resetZoom(store: ViewerStore): void {
  const { geometry: g, position } = store.get();
  if (!g) return;
  const cameras = { ...store.get().cameras };
  for (const plane of visiblePlanes(g)) {
    const p = toPlane(plane, position);
    cameras[plane] = { cu: p.u + 0.5, cv: p.v + 0.5, zoom: 1 };
  }
  store.set({ cameras });
}

/** Zooms every view about its centre. */
export function zoomAll(store: ViewerStore, factor: number): void {
  const { geometry: g } = store.get();
  for (const plane of visiblePlanes(g)) zoomView(store, plane, factor);
}

/** Moves the crosshair to voxel p and centres the views other than `from` on it (double-click). */
export function centerOn(store: ViewerStore, p: { x: number; y: number; z: number }, from?: Plane): void {
  const { geometry: g, position } = store.get();
  if (!g) return;
  const q = {
    x: clamp(Math.floor(p.x), 0, g.X - 1),
    y: clamp(Math.floor(p.y), 0, g.Y - 1),
    z: clamp(Math.floor(p.z), 0, g.Z - 1),
  };
  const cameras = { ...store.get().cameras };
  for (const plane of visiblePlanes(g)) {
    if (plane === from) continue;
    const cam = cameraOf(store, plane);
    if (!cam) continue;
    const pp = toPlane(plane, q);
    cameras[plane] = { ...cam, cu: pp.u + 0.5, cv: pp.v + 0.5 };
  }
  store.set({ position: { ...position, ...q }, cameras });
}

/** Shows a level-0 plane rectangle in a view (zoomed so it fills about a third of it) and moves there. */
export function showRegion(
  store: ViewerStore,
  plane: Plane,
  slice: number,
  rect: { u0: number; v0: number; u1: number; v1: number },
): void {
  const { geometry: g, sizes } = store.get();
  if (!g) return;
  setSlice(store, plane, slice);
  const size = sizes[plane];
  const cu = (rect.u0 + rect.u1) / 2;
  const cv = (rect.v0 + rect.v1) / 2;
  const zoom =
    size.w > 0 ? clampZoom(Math.min(size.w / (rect.u1 - rect.u0), size.h / (rect.v1 - rect.v0)) / 3) : 1;
  setCamera(store, plane, { cu, cv, zoom });
  const ax = PLANE_AXES[plane];
  const p = { ...store.get().position, [ax.u]: Math.floor(cu), [ax.v]: Math.floor(cv) };
  centerOn(store, p, plane);
  store.set({ activePlane: plane });
}
