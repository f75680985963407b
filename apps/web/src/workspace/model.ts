// Everything a project workspace holds while open: the live session (document, provider, live tiles),
// the viewer's state and caches, the layer stack, the tools, per-user undo for the open dataset, and the
// label classes as read from the document. Created once per open project, destroyed on leave.
import { type DatasetManifest, readClasses, strokesArray } from "@sylva/shared";
import { type PresenceUser, setViews } from "../collab/presence";
import { ProjectSession } from "../collab/project-session";
import { publishViews } from "../collab/view-publisher";
import { Store } from "../lib/store";
import { createToolStore } from "../tools/tool-state";
import { StrokeUndo } from "../tools/undo";
import { FeatureTileCache } from "../viewer/feature-tile-cache";
import { geometryOf, type Plane } from "../viewer/geometry";
import { LabelTiles } from "../viewer/label-tiles";
import { type ClassInfo, createLayerStore } from "../viewer/layers";
import { openDataset } from "../viewer/navigation";
import { RawTileCache } from "../viewer/raw-tile-cache";
import { RenderLoop } from "../viewer/render-loop";
import { createViewerStore } from "../viewer/viewer-state";

export class WorkspaceModel {
  readonly session: ProjectSession;
  readonly viewer = createViewerStore();
  readonly layers = createLayerStore();
  readonly tools = createToolStore();
  readonly loop = new RenderLoop();
  readonly raw: RawTileCache;
  /** Tiles of the feature preview layer. */
  readonly features: FeatureTileCache;
  readonly labels: LabelTiles;
  readonly classes = new Store<{ list: readonly ClassInfo[] }>({ list: [] });
  readonly undoState = new Store({ canUndo: false, canRedo: false });
  /** What the user's role allows here (viewers look, others paint). */
  readonly access = new Store({ canLabel: true, canImport: true, canExport: true, canTrain: true });
  /** Painting is on while the Training step is open (elsewhere a left drag pans, as in ilastik). */
  readonly mode = new Store({ painting: false });
  /** Per view: frames drawn and the last and mean draw time in ms (diagnostics and tests). */
  readonly renderStats = new Map<Plane, { frames: number; lastMs: number; meanMs: number }>();
  /** The view elements, for tests that turn voxels into screen points. */
  readonly viewElements = new Map<Plane, HTMLElement>();
  /** Bumps when the open dataset's strokes change (stroke counts, authorship). */
  readonly strokeVersion = new Store({ n: 0 });
  undo: StrokeUndo | null = null;
  private undoOff: (() => void) | null = null;
  private strokesOff: (() => void) | null = null;
  private readonly cleanup: (() => void)[] = [];

  constructor(
    readonly projectId: string,
    token: string,
    readonly user: PresenceUser,
  ) {
    this.session = new ProjectSession(projectId, token, user);
    this.raw = new RawTileCache(projectId);
    this.features = new FeatureTileCache(projectId);
    this.labels = new LabelTiles(this.session.doc);
    const redraw = this.loop.request;
    const classesMap = this.session.doc.getMap("classes");
    const readAll = () => {
      const list = readClasses(this.session.doc).map((c) => ({ id: c.id, name: c.name, color: c.color }));
      this.classes.set({ list });
      const { classId } = this.tools.get();
      if (list.length > 0 && !list.some((c) => c.id === classId)) this.tools.set({ classId: list[0].id });
      redraw();
    };
    classesMap.observe(readAll);
    readAll();
    this.cleanup.push(
      () => classesMap.unobserve(readAll),
      this.raw.onLoad(redraw),
      this.features.onLoad(redraw),
      this.session.live.onFrame(redraw),
      this.labels.onChange(redraw),
      this.viewer.subscribe(redraw),
      this.layers.subscribe(redraw),
      this.tools.subscribe(redraw),
      this.mode.subscribe(redraw),
      (() => {
        const awareness = this.session.provider.awareness;
        awareness.on("change", redraw);
        return () => awareness.off("change", redraw);
      })(),
      publishViews(
        { viewer: this.viewer, layers: this.layers, tools: this.tools },
        () => this.classes.get().list,
        (views) => setViews(this.session.provider.awareness, views),
      ),
    );
  }

  /** Shows a dataset (or none); per-user undo follows the dataset. */
  openDataset(manifest: DatasetManifest | null): void {
    const g = manifest ? geometryOf(manifest) : null;
    const before = this.viewer.get().geometry?.id;
    openDataset(this.viewer, g);
    if (before === g?.id) return;
    this.undoOff?.();
    this.undo?.destroy();
    this.strokesOff?.();
    this.undo = null;
    this.undoState.set({ canUndo: false, canRedo: false });
    this.layers.set((s) => ({
      display: {
        ...s.display,
        min: 0,
        max: g?.dtype === "uint8" ? 255 : 1,
        channel: 0,
        rgb: g?.C === 3 && g.dtype === "uint8",
        unset: g?.dtype !== "uint8",
      },
    }));
    if (!g) return;
    const undo = new StrokeUndo(this.session.doc, g.id, this.session.origin);
    this.undo = undo;
    this.undoOff = undo.onChange(() => this.undoState.set({ canUndo: undo.canUndo, canRedo: undo.canRedo }));
    const array = strokesArray(this.session.doc, g.id);
    const bump = () => this.strokeVersion.set((s) => ({ n: s.n + 1 }));
    array.observe(bump);
    this.strokesOff = () => array.unobserve(bump);
    bump();
  }

  destroy(): void {
    for (const off of this.cleanup) off();
    this.undoOff?.();
    this.undo?.destroy();
    this.strokesOff?.();
    this.labels.destroy();
    this.loop.dispose();
    this.session.destroy();
  }
}
