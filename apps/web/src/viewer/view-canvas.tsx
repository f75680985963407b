"use client";
// One plane view: the WebGL layer compositor, the 2D overlay (crosshair, cursors, brush), the position
// readout (upper left), the time frame (lower right) and the author of the stroke under the mouse.
import { useEffect, useRef, useState } from "react";
import { readPeers } from "../collab/presence";
import { rgbCss } from "../lib/color";
import { useStore } from "../lib/store";
import type { StrokeBuilder } from "../tools/stroke-builder";
import type { WorkspaceModel } from "../workspace/model";
import { fromPlane, PLANE_AXES, type Plane, planeExtent } from "./geometry";
import { Compositor } from "./gl/compositor";
import { attachInteraction } from "./interaction";
import { layerList } from "./layers";
import { chooseLevel } from "./level";
import { cameraOf, setSize, sliceOf } from "./navigation";
import { drawOverlay } from "./overlay";
import { PLANE_COLORS } from "./plane-colors";

export function ViewCanvas({ model, plane }: { model: WorkspaceModel; plane: Plane }) {
  const glRef = useRef<HTMLCanvasElement>(null);
  const overlayRef = useRef<HTMLCanvasElement>(null);
  const surfaceRef = useRef<HTMLDivElement>(null);
  const boxRef = useRef<HTMLDivElement>(null);
  const trail = useRef<StrokeBuilder | null>(null);
  const [glError, setGlError] = useState<string | null>(null);
  const [author, setAuthor] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const g = useStore(model.viewer, (s) => s.geometry);
  const active = useStore(model.viewer, (s) => s.activePlane === plane);
  const slice = useStore(model.viewer, (s) => sliceOf(plane, s.position));
  const t = useStore(model.viewer, (s) => s.position.t);
  const hover = useStore(model.viewer, (s) => (s.hover?.plane === plane ? s.hover : null));

  // Size tracking.
  useEffect(() => {
    const box = boxRef.current;
    if (!box) return;
    const ro = new ResizeObserver(() => {
      const r = box.getBoundingClientRect();
      setSize(model.viewer, plane, { w: Math.round(r.width), h: Math.round(r.height) });
    });
    ro.observe(box);
    return () => ro.disconnect();
  }, [model, plane]);

  // Rendering.
  useEffect(() => {
    const canvas = glRef.current;
    const overlay = overlayRef.current;
    const surface = surfaceRef.current;
    if (!canvas || !overlay || !surface) return;
    let compositor: Compositor;
    try {
      compositor = new Compositor(canvas);
    } catch (e) {
      setGlError(e instanceof Error ? e.message : String(e));
      return;
    }
    model.viewElements.set(plane, surface);
    let pending = false;
    const draw = () => {
      const s = model.viewer.get();
      const geom = s.geometry;
      const size = s.sizes[plane];
      if (!geom || size.w === 0) return;
      const camera = cameraOf(model.viewer, plane);
      if (!camera) return;
      const started = performance.now();
      const dpr = window.devicePixelRatio || 1;
      const ls = model.layers.get();
      const classes = model.classes.get().list;
      const tools = model.tools.get();
      const sl = sliceOf(plane, s.position);
      const stats = compositor.render({
        g: geom,
        plane,
        camera,
        size,
        dpr,
        t: s.position.t,
        slice: sl,
        level: chooseLevel(geom, plane, camera.zoom, dpr),
        layers: layerList(ls, classes),
        display: ls.display,
        threshold: ls.threshold,
        classColors: new Map(classes.map((c) => [c.id, c.color])),
        raw: model.raw,
        live: model.session.live,
        labels: model.labels,
        features: model.features,
      });
      if (pending !== stats.missing > 0) {
        pending = stats.missing > 0;
        setLoading(pending);
      }
      const cls = classes.find((c) => c.id === tools.classId);
      const color = tools.tool === "eraser" ? "#ffffff" : cls ? rgbCss(cls.color) : "#ffffff";
      const b = trail.current;
      drawOverlay(overlay, {
        g: geom,
        plane,
        camera,
        size,
        dpr,
        position: s.position,
        crosshair: s.crosshair,
        peers: readPeers(model.session.provider.awareness),
        brush:
          s.hover?.plane === plane &&
          tools.tool !== "navigate" &&
          model.mode.get().painting &&
          model.access.get().canLabel
            ? { u: s.hover.u, v: s.hover.v, diameter: tools.brushSize, color }
            : null,
        trail:
          b && b.context.plane === plane
            ? {
                points: b.trail,
                diameter: b.context.diameter,
                color: b.context.classId === 0 ? "#ffffff" : color,
              }
            : null,
      });
      const ms = performance.now() - started;
      const st = model.renderStats.get(plane) ?? { frames: 0, lastMs: 0, meanMs: 0 };
      st.frames++;
      st.lastMs = ms;
      st.meanMs += (ms - st.meanMs) / Math.min(st.frames, 60);
      model.renderStats.set(plane, st);
    };
    const off = model.loop.add(draw);
    const detach = attachInteraction(surface, model, plane, {
      onTrail: (builder) => {
        trail.current = builder;
        model.loop.request();
      },
    });
    return () => {
      off();
      detach();
      model.viewElements.delete(plane);
      compositor.dispose();
    };
  }, [model, plane]);

  // Author of the stroke under the mouse.
  useEffect(() => {
    if (!hover || !g) {
      setAuthor(null);
      return;
    }
    const id = window.setTimeout(() => {
      const ext = planeExtent(g, plane);
      if (hover.u < 0 || hover.v < 0 || hover.u >= ext.width || hover.v >= ext.height) return setAuthor(null);
      const p = fromPlane(plane, Math.floor(hover.u), Math.floor(hover.v), slice);
      const stroke = model.labels.strokeAt(g.id, t, p);
      const cls = stroke && model.classes.get().list.find((c) => c.id === stroke.classId);
      setAuthor(stroke ? `${cls?.name ?? `class ${stroke.classId}`} · painted by ${stroke.author}` : null);
    }, 60);
    return () => window.clearTimeout(id);
  }, [hover, g, plane, slice, t, model]);

  const ax = PLANE_AXES[plane];
  const hu = hover ? Math.floor(hover.u) : null;
  const hv = hover ? Math.floor(hover.v) : null;
  const slices = g ? planeExtent(g, plane).slices : 1;
  return (
    <div
      ref={boxRef}
      className={`view${active ? " view-active" : ""}`}
      style={{ "--plane-color": PLANE_COLORS[plane] } as React.CSSProperties}
      data-testid={`view-${plane}-box`}
    >
      <div
        ref={surfaceRef}
        className="view-surface"
        data-testid={`view-${plane}`}
        role="application"
        aria-label={`${plane} view${g?.is3d ? `, ${ax.slice} ${slice}` : ""}: wheel changes slice, Ctrl+wheel zooms, Shift+drag pans, left drag paints`}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: role="application" is interactive (keyboard navigation)
        tabIndex={0}
      >
        <canvas ref={glRef} className="view-gl" />
        <canvas ref={overlayRef} className="view-overlay" />
      </div>
      <div className="view-pos" data-testid={`view-${plane}-position`}>
        <span className="view-plane-name">{plane}</span>
        {g?.is3d && (
          <span>
            {ax.slice} {slice}
            <span className="dim">/{slices - 1}</span>
          </span>
        )}
        {hu !== null && hv !== null && (
          <span className="dim">
            {ax.u} {hu} · {ax.v} {hv}
          </span>
        )}
      </div>
      {g && g.T > 1 && (
        <div className="view-time" data-testid={`view-${plane}-time`}>
          t {t}
          <span className="dim">/{g.T - 1}</span>
        </div>
      )}
      {loading && (
        <div className="view-loading" aria-hidden="true" data-testid={`view-${plane}-loading`}>
          loading…
        </div>
      )}
      {author && (
        <div className="view-author" role="status" data-testid={`view-${plane}-author`}>
          {author}
        </div>
      )}
      {glError && (
        <div className="view-error" role="alert">
          {glError}
        </div>
      )}
    </div>
  );
}
