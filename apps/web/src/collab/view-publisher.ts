// Publishes what this client shows (dataset, plane, slice, t, pyramid level, visible rectangle, live
// layers) in awareness whenever it changes, at most every 120 ms: every view on screen (`views`, the active
// plane first, so the service computes its tiles first) and the active one (`view`, whose slice presence
// shows). With Live Update off it publishes no views, so the service computes no tiles for this client.
import { type View, viewSchema } from "@sylva/shared";
import type { Store } from "../lib/store";
import type { ToolState } from "../tools/tool-state";
import { visibleRect } from "../viewer/camera";
import type { Plane } from "../viewer/geometry";
import { planeExtent } from "../viewer/geometry";
import { type ClassInfo, type LayerState, layerList, wantedLiveLayers } from "../viewer/layers";
import { chooseLevel } from "../viewer/level";
import { sliceOf } from "../viewer/navigation";
import type { ViewerState } from "../viewer/viewer-state";

const INTERVAL_MS = 120;

/** The views on screen, the active one first (none with Live Update off). */
export function currentViews(
  viewer: ViewerState,
  layers: LayerState,
  classes: readonly ClassInfo[],
  liveUpdate: boolean,
): View[] {
  const g = viewer.geometry;
  if (!liveUpdate || !g) return [];
  const planes: Plane[] = g.is3d
    ? [viewer.activePlane, ...(["xy", "xz", "yz"] as const).filter((p) => p !== viewer.activePlane)]
    : ["xy"];
  return planes.map((p) => planeView(viewer, layers, classes, p)).filter((v): v is View => v !== null);
}

function planeView(
  viewer: ViewerState,
  layers: LayerState,
  classes: readonly ClassInfo[],
  plane: Plane,
): View | null {
  const g = viewer.geometry;
  if (!g) return null;
  const cam = viewer.cameras[plane];
  const size = viewer.sizes[plane];
  if (!cam || size.w === 0 || size.h === 0) return null;
  const ext = planeExtent(g, plane);
  const r = visibleRect(cam, size);
  const viewport = {
    u0: Math.max(0, Math.floor(r.u0)),
    v0: Math.max(0, Math.floor(r.v0)),
    u1: Math.min(ext.width, Math.ceil(r.u1)),
    v1: Math.min(ext.height, Math.ceil(r.v1)),
  };
  if (viewport.u1 <= viewport.u0 || viewport.v1 <= viewport.v0) return null;
  const parsed = viewSchema.safeParse({
    datasetId: g.id,
    plane,
    t: viewer.position.t,
    slice: sliceOf(plane, viewer.position),
    level: chooseLevel(g, plane, cam.zoom, window.devicePixelRatio || 1),
    viewport,
    layers: wantedLiveLayers(layerList(layers, classes)),
  });
  return parsed.success ? parsed.data : null;
}

export function publishViews(
  stores: { viewer: Store<ViewerState>; layers: Store<LayerState>; tools: Store<ToolState> },
  classes: () => readonly ClassInfo[],
  publish: (views: View[]) => void,
): () => void {
  let last = "";
  let timer: ReturnType<typeof setTimeout> | null = null;
  let lastSent = 0;
  const send = () => {
    timer = null;
    lastSent = performance.now();
    const views = currentViews(
      stores.viewer.get(),
      stores.layers.get(),
      classes(),
      stores.tools.get().liveUpdate,
    );
    const key = JSON.stringify(views);
    if (key === last) return;
    last = key;
    publish(views);
  };
  const schedule = () => {
    if (timer) return;
    timer = setTimeout(send, Math.max(0, INTERVAL_MS - (performance.now() - lastSent)));
  };
  const offs = [
    stores.viewer.subscribe(schedule),
    stores.layers.subscribe(schedule),
    stores.tools.subscribe(schedule),
  ];
  schedule();
  return () => {
    for (const off of offs) off();
    if (timer) clearTimeout(timer);
  };
}
