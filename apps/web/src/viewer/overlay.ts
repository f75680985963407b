// The 2D overlay drawn over a view's WebGL canvas: crosshair lines for the other views' positions (in
// their colors), other users' cursors with their names, the brush outline under the mouse and the
// stroke being painted.
import type { Peer } from "../collab/presence";
import { type Camera, planeToScreen, type Size } from "./camera";
import { fromPlane, type Geometry, type Plane, planeExtent, toPlane } from "./geometry";
import { PLANE_COLORS } from "./plane-colors";
import type { Position } from "./viewer-state";

export interface OverlayInput {
  readonly g: Geometry;
  readonly plane: Plane;
  readonly camera: Camera;
  readonly size: Size;
  readonly dpr: number;
  readonly position: Position;
  readonly crosshair: boolean;
  readonly peers: readonly Peer[];
  /** Brush outline at this plane point (voxel), diameter in voxels, CSS color. */
  readonly brush: { u: number; v: number; diameter: number; color: string } | null;
  /** The drag being painted (voxels) with its diameter and color. */
  readonly trail: { points: readonly (readonly [number, number])[]; diameter: number; color: string } | null;
}

export function drawOverlay(canvas: HTMLCanvasElement, o: OverlayInput): void {
  const W = Math.max(1, Math.round(o.size.w * o.dpr));
  const H = Math.max(1, Math.round(o.size.h * o.dpr));
  if (canvas.width !== W || canvas.height !== H) {
    canvas.width = W;
    canvas.height = H;
  }
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.setTransform(o.dpr, 0, 0, o.dpr, 0, 0);
  ctx.clearRect(0, 0, o.size.w, o.size.h);
  const at = (u: number, v: number) => planeToScreen(o.camera, o.size, u, v);
  const ext = planeExtent(o.g, o.plane);

  if (o.crosshair && o.g.is3d) {
    const p = toPlane(o.plane, o.position);
    const others: Record<Plane, { vertical: Plane; horizontal: Plane }> = {
      xy: { vertical: "yz", horizontal: "xz" },
      xz: { vertical: "yz", horizontal: "xy" },
      yz: { vertical: "xz", horizontal: "xy" },
    };
    const { vertical, horizontal } = others[o.plane];
    const a = at(p.u + 0.5, 0);
    const b = at(0, p.v + 0.5);
    const top = at(0, 0).y;
    const bottom = at(0, ext.height).y;
    const left = at(0, 0).x;
    const right = at(ext.width, 0).x;
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.85;
    ctx.strokeStyle = PLANE_COLORS[vertical];
    ctx.beginPath();
    ctx.moveTo(Math.round(a.x) + 0.5, top);
    ctx.lineTo(Math.round(a.x) + 0.5, bottom);
    ctx.stroke();
    ctx.strokeStyle = PLANE_COLORS[horizontal];
    ctx.beginPath();
    ctx.moveTo(left, Math.round(b.y) + 0.5);
    ctx.lineTo(right, Math.round(b.y) + 0.5);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  if (o.trail && o.trail.points.length > 0) {
    ctx.strokeStyle = o.trail.color;
    ctx.fillStyle = o.trail.color;
    ctx.globalAlpha = 0.75;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = Math.max(1, o.trail.diameter * o.camera.zoom);
    ctx.beginPath();
    const [first, ...rest] = o.trail.points;
    const s0 = at(first[0] + 0.5, first[1] + 0.5);
    ctx.moveTo(s0.x, s0.y);
    if (rest.length === 0) ctx.lineTo(s0.x + 0.01, s0.y);
    for (const [u, v] of rest) {
      const s = at(u + 0.5, v + 0.5);
      ctx.lineTo(s.x, s.y);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  if (o.brush) {
    const c = at(Math.floor(o.brush.u) + 0.5, Math.floor(o.brush.v) + 0.5);
    const r = Math.max(2, (o.brush.diameter * o.camera.zoom) / 2);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "rgba(0,0,0,0.6)";
    ctx.beginPath();
    ctx.arc(c.x, c.y, r + 1, 0, Math.PI * 2);
    ctx.stroke();
    ctx.strokeStyle = o.brush.color;
    ctx.beginPath();
    ctx.arc(c.x, c.y, r, 0, Math.PI * 2);
    ctx.stroke();
  }

  const slice = toPlane(o.plane, o.position).slice;
  ctx.font = "600 12px system-ui, -apple-system, Segoe UI, sans-serif";
  for (const peer of o.peers) {
    const c = peer.cursor;
    if (!c || c.datasetId !== o.g.id || c.t !== o.position.t) continue;
    const q = toPlane(o.plane, fromPlane(c.plane, c.u, c.v, c.slice));
    if (Math.floor(q.slice) !== slice) continue;
    const s = at(q.u, q.v);
    if (s.x < -20 || s.y < -20 || s.x > o.size.w + 20 || s.y > o.size.h + 20) continue;
    ctx.fillStyle = peer.user.color;
    ctx.strokeStyle = "#000";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(s.x, s.y);
    ctx.lineTo(s.x + 4, s.y + 14);
    ctx.lineTo(s.x + 7.5, s.y + 8.5);
    ctx.lineTo(s.x + 14, s.y + 6);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    const label = peer.user.name;
    const w = ctx.measureText(label).width + 10;
    ctx.fillRect(s.x + 12, s.y + 12, w, 18);
    ctx.fillStyle = "#0b0c0e";
    ctx.fillText(label, s.x + 17, s.y + 25);
  }
}
