"use client";
// The viewer: one view for 2D data, xy / xz / yz for 3D (with an info quadrant), and its toolbar: zoom
// in/out, zoom to fit, 1:1, the time spin box, live status; the crosshair toggle sits lower right.
import { useStore } from "../lib/store";
import type { WorkspaceModel } from "../workspace/model";
import { fitAll, resetZoom, setTime, zoomAll } from "./navigation";
import { PLANE_COLORS } from "./plane-colors";
import { ViewCanvas } from "./view-canvas";

function TimeBox({ model }: { model: WorkspaceModel }) {
  const T = useStore(model.viewer, (s) => s.geometry?.T ?? 1);
  const t = useStore(model.viewer, (s) => s.position.t);
  if (T <= 1) return null;
  return (
    <label className="toolbar-field">
      <span>Time</span>
      <input
        type="number"
        min={0}
        max={T - 1}
        step={1}
        value={t}
        onChange={(e) => setTime(model.viewer, Number(e.target.value))}
        data-testid="time-spinbox"
        aria-label="Time frame"
      />
      <span className="dim">/ {T - 1}</span>
    </label>
  );
}

function CrosshairToggle({ model }: { model: WorkspaceModel }) {
  const on = useStore(model.viewer, (s) => s.crosshair);
  return (
    <button
      type="button"
      className={`btn btn-small crosshair-toggle${on ? " on" : ""}`}
      aria-pressed={on}
      onClick={() => model.viewer.set({ crosshair: !on })}
      data-testid="crosshair-toggle"
      title="Show or hide the position markers of the other views"
    >
      <span className="crosshair-swatch" aria-hidden="true">
        <span style={{ background: PLANE_COLORS.yz }} />
        <span style={{ background: PLANE_COLORS.xz }} />
        <span style={{ background: PLANE_COLORS.xy }} />
      </span>
      Position markers
    </button>
  );
}

function LiveStatus({ model }: { model: WorkspaceModel }) {
  const live = useStore(model.tools, (s) => s.liveUpdate);
  const conn = useStore(model.session.status, (s) => s.status);
  return (
    <span className="toolbar-status" data-testid="live-status">
      <span className={`dot dot-${conn}`} aria-hidden="true" />
      {conn === "connected"
        ? live
          ? "Live Update on"
          : "Live Update off"
        : conn === "connecting"
          ? "Connecting…"
          : "Offline, reconnecting…"}
    </span>
  );
}

function PositionCard({ model }: { model: WorkspaceModel }) {
  const g = useStore(model.viewer, (s) => s.geometry);
  const p = useStore(model.viewer, (s) => s.position);
  if (!g) return null;
  return (
    <div className="info-quadrant" data-testid="position-card">
      <h3>Position</h3>
      <dl className="position-list">
        <dt style={{ color: PLANE_COLORS.yz }}>x</dt>
        <dd>
          {p.x} <span className="dim">/ {g.X - 1}</span>
        </dd>
        <dt style={{ color: PLANE_COLORS.xz }}>y</dt>
        <dd>
          {p.y} <span className="dim">/ {g.Y - 1}</span>
        </dd>
        <dt style={{ color: PLANE_COLORS.xy }}>z</dt>
        <dd>
          {p.z} <span className="dim">/ {g.Z - 1}</span>
        </dd>
        {g.T > 1 && (
          <>
            <dt>t</dt>
            <dd>
              {p.t} <span className="dim">/ {g.T - 1}</span>
            </dd>
          </>
        )}
      </dl>
      <p className="hint">
        Double-click a view to center the others there. Wheel: slice · Ctrl+wheel: zoom · Shift+drag or middle
        drag: pan{g.T > 1 ? " · Shift+wheel: time" : ""}.
      </p>
      <div className="info-quadrant-foot">
        <CrosshairToggle model={model} />
      </div>
    </div>
  );
}

export function Viewer({ model }: { model: WorkspaceModel }) {
  const g = useStore(model.viewer, (s) => s.geometry);
  if (!g)
    return (
      <div className="viewer-empty">
        <p>No dataset open.</p>
        <p className="muted">Import or select a dataset in Input Data.</p>
      </div>
    );
  return (
    <div className="viewer" data-testid="viewer">
      <div className="viewer-toolbar" role="toolbar" aria-label="View controls">
        <span className="viewer-title" title={g.name}>
          {g.name}
        </span>
        <div className="btn-group">
          <button
            type="button"
            className="btn btn-small"
            onClick={() => zoomAll(model.viewer, 0.8)}
            aria-label="Zoom out"
            title="Zoom out (-)"
          >
            −
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => zoomAll(model.viewer, 1.25)}
            aria-label="Zoom in"
            title="Zoom in (+)"
          >
            +
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => fitAll(model.viewer)}
            data-testid="zoom-fit"
          >
            Fit
          </button>
          <button
            type="button"
            className="btn btn-small"
            onClick={() => resetZoom(model.viewer)}
            data-testid="zoom-reset"
            title="Reset zoom to 100% (one voxel per pixel) around the position"
          >
            1:1
          </button>
        </div>
        <TimeBox model={model} />
        <div className="toolbar-spacer" />
        <LiveStatus model={model} />
      </div>
      {g.is3d ? (
        <div className="viewer-grid viewer-grid-3d">
          <ViewCanvas model={model} plane="xy" />
          <ViewCanvas model={model} plane="yz" />
          <ViewCanvas model={model} plane="xz" />
          <PositionCard model={model} />
        </div>
      ) : (
        <div className="viewer-grid viewer-grid-2d">
          <ViewCanvas model={model} plane="xy" />
        </div>
      )}
    </div>
  );
}
