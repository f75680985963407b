"use client";
// The raw layer's display range (ilastik's "Adjust thresholds"): min and max mapped to black and white,
// a histogram of the tiles on screen, "Auto" from that histogram, the dtype's full range; and, for
// multichannel data, the channel shown (or RGB for three channels).
import { useEffect, useMemo, useRef, useState } from "react";
import { useStore } from "../lib/store";
import { autoRange, histogramOf } from "../viewer/histogram";
import type { WorkspaceModel } from "../workspace/model";

const DTYPE_RANGES: Record<string, [number, number]> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

export function DisplayRangeDialog({ model, onClose }: { model: WorkspaceModel; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const display = useStore(model.layers, (s) => s.display);
  const g = useStore(model.viewer, (s) => s.geometry);
  const [min, setMin] = useState(String(display.min));
  const [max, setMax] = useState(String(display.max));
  useEffect(() => {
    setMin(String(display.min));
    setMax(String(display.max));
  }, [display.min, display.max]);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  const hist = useMemo(() => {
    if (!g) return null;
    const tiles = [...model.raw.entries(`${g.id}/`)].map(([, t]) => t);
    return histogramOf(tiles, display.channel);
  }, [g, model.raw, display.channel]);

  useEffect(() => {
    const c = canvasRef.current;
    const ctx = c?.getContext("2d");
    if (!c || !ctx || !hist) return;
    const W = c.width;
    const H = c.height;
    ctx.clearRect(0, 0, W, H);
    const peak = Math.max(1, ...Array.from(hist.bins).map((b) => Math.log1p(b)));
    const bw = W / hist.bins.length;
    ctx.fillStyle = "#8b93a1";
    hist.bins.forEach((b, i) => {
      const h = (Math.log1p(b) / peak) * (H - 4);
      ctx.fillRect(i * bw, H - h, Math.max(1, bw - 0.5), h);
    });
    const span = hist.max - hist.min || 1;
    ctx.fillStyle = "#4c8dff";
    for (const v of [display.min, display.max]) {
      const x = ((v - hist.min) / span) * W;
      ctx.fillRect(Math.round(x) - 1, 0, 2, H);
    }
  }, [hist, display.min, display.max]);

  const apply = (lo: number, hi: number) => {
    if (!(Number.isFinite(lo) && Number.isFinite(hi)) || hi <= lo) return;
    model.layers.set({ display: { ...display, min: lo, max: hi, unset: false } });
  };
  const full = g ? DTYPE_RANGES[g.dtype] : undefined;
  const lo = Number(min);
  const hi = Number(max);
  const invalid = !(Number.isFinite(lo) && Number.isFinite(hi)) || hi <= lo;

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="range-title"
      onClose={onClose}
      onCancel={onClose}
      data-testid="display-range-dialog"
    >
      <h2 id="range-title">Raw data display range</h2>
      <canvas
        ref={canvasRef}
        width={360}
        height={90}
        className="histogram"
        role="img"
        aria-label="Histogram of the raw data on screen"
      />
      {hist && (
        <p className="muted small">
          Data on screen: {hist.min.toPrecision(4)} … {hist.max.toPrecision(4)}
        </p>
      )}
      <div className="form-grid">
        <label className="field">
          <span className="field-label">Minimum (black)</span>
          <input
            type="number"
            step="any"
            value={min}
            onChange={(e) => setMin(e.target.value)}
            data-testid="range-min"
          />
        </label>
        <label className="field">
          <span className="field-label">Maximum (white)</span>
          <input
            type="number"
            step="any"
            value={max}
            onChange={(e) => setMax(e.target.value)}
            data-testid="range-max"
          />
        </label>
        {g && g.C > 1 && (
          <label className="field">
            <span className="field-label">Channel</span>
            <select
              value={display.rgb ? "rgb" : String(display.channel)}
              onChange={(e) =>
                model.layers.set({
                  display:
                    e.target.value === "rgb"
                      ? { ...display, rgb: true }
                      : { ...display, rgb: false, channel: Number(e.target.value) },
                })
              }
            >
              {Array.from({ length: Math.min(4, g.C) }, (_, c) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: channels are positional
                <option key={c} value={c}>
                  Channel {c}
                </option>
              ))}
              {g.C >= 3 && <option value="rgb">RGB (channels 0–2)</option>}
            </select>
          </label>
        )}
      </div>
      {invalid && <p className="error-text">The maximum must be larger than the minimum.</p>}
      <div className="dialog-actions">
        <button
          type="button"
          className="btn"
          disabled={!hist}
          onClick={() => hist && apply(autoRange(hist).min, autoRange(hist).max)}
          data-testid="range-auto"
        >
          Auto
        </button>
        {full && (
          <button type="button" className="btn" onClick={() => apply(full[0], full[1])}>
            Full {g?.dtype} range
          </button>
        )}
        <div className="toolbar-spacer" />
        <button
          type="button"
          className="btn"
          disabled={invalid}
          onClick={() => apply(lo, hi)}
          data-testid="range-apply"
        >
          Apply
        </button>
        <button type="button" className="btn btn-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </dialog>
  );
}
