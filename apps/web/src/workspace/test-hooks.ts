// Read-only hooks for browser tests: window.__sylva exposes the viewer's state, stroke and tile counts,
// and voxel → screen conversion, so Playwright can check and drive the viewer precisely.
import { readPeers } from "../collab/presence";
import { planeToScreen } from "../viewer/camera";
import type { Plane } from "../viewer/geometry";
import { layerList } from "../viewer/layers";
import { chooseLevel } from "../viewer/level";
import { sliceOf } from "../viewer/navigation";
import type { WorkspaceModel } from "./model";

export interface SylvaTestHooks {
  viewState(): unknown;
  strokeCount(): number;
  probabilityTiles(): number;
  uncertaintyTiles(): number;
  liveFrames(): { received: number; generation: number };
  rawTilesLoaded(): number;
  /** Feature preview tiles fetched so far. */
  featurePreviewTiles(): number;
  peers(): { name: string; cursor: unknown; slice: number | null }[];
  tools(): unknown;
  layers(): { id: string; visible: boolean; opacity: number }[];
  /** Client (page) coordinates of the centre of voxel (u, v) in a plane view, or null if not shown. */
  voxelToClient(plane: Plane, u: number, v: number): { x: number; y: number } | null;
  connection(): unknown;
  /** Per view: frames drawn, last and running mean draw time (ms, CPU side). */
  renderStats(): Record<string, { frames: number; lastMs: number; meanMs: number }>;
}

declare global {
  interface Window {
    __sylva?: SylvaTestHooks;
  }
}

export function installTestHooks(model: WorkspaceModel): () => void {
  const datasetId = () => model.viewer.get().geometry?.id;
  const hooks: SylvaTestHooks = {
    viewState() {
      const s = model.viewer.get();
      const g = s.geometry;
      const dpr = window.devicePixelRatio || 1;
      const views = Object.fromEntries(
        (["xy", "xz", "yz"] as const).map((p) => {
          const cam = s.cameras[p];
          return [
            p,
            {
              camera: cam,
              size: s.sizes[p],
              slice: sliceOf(p, s.position),
              level: g && cam ? chooseLevel(g, p, cam.zoom, dpr) : null,
            },
          ];
        }),
      );
      return {
        datasetId: g?.id ?? null,
        shape: g ? { x: g.X, y: g.Y, z: g.Z, t: g.T, c: g.C } : null,
        position: s.position,
        activePlane: s.activePlane,
        crosshair: s.crosshair,
        views,
      };
    },
    strokeCount: () => {
      const id = datasetId();
      return id ? model.labels.strokeCount(id) : 0;
    },
    probabilityTiles: () => model.session.live.count(datasetId(), "probabilities"),
    uncertaintyTiles: () => model.session.live.count(datasetId(), "uncertainty"),
    liveFrames: () => ({ received: model.session.live.received, generation: model.session.live.generation }),
    rawTilesLoaded: () => model.raw.loadedCount,
    featurePreviewTiles: () => model.features.loadedCount,
    peers: () =>
      readPeers(model.session.provider.awareness).map((p) => ({
        name: p.user.name,
        cursor: p.cursor,
        slice: p.cursor?.slice ?? p.view?.slice ?? null,
      })),
    tools: () => model.tools.get(),
    layers: () =>
      layerList(model.layers.get(), model.classes.get().list).map((l) => ({
        id: l.id,
        visible: l.visible,
        opacity: l.opacity,
      })),
    voxelToClient(plane, u, v) {
      const s = model.viewer.get();
      const cam = s.cameras[plane];
      const el = model.viewElements.get(plane);
      if (!cam || !el) return null;
      const r = el.getBoundingClientRect();
      const p = planeToScreen(cam, s.sizes[plane], u + 0.5, v + 0.5);
      return { x: r.left + p.x, y: r.top + p.y };
    },
    connection: () => model.session.status.get(),
    renderStats: () => Object.fromEntries([...model.renderStats].map(([k, v]) => [k, { ...v }])),
  };
  window.__sylva = hooks;
  return () => {
    if (window.__sylva === hooks) delete window.__sylva;
  };
}
