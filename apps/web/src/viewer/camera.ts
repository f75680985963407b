// A view's camera: which level-0 plane point sits at the canvas centre and how many CSS pixels one voxel
// spans; conversions between screen and plane coordinates, zooming about a point, fitting.

export interface Camera {
  /** Plane point (level-0 voxels, continuous) at the canvas centre. */
  readonly cu: number;
  readonly cv: number;
  /** CSS pixels per level-0 voxel. */
  readonly zoom: number;
}

export interface Size {
  readonly w: number;
  readonly h: number;
}

export const MIN_ZOOM = 1 / 256;
export const MAX_ZOOM = 64;

export function clampZoom(z: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, z));
}

export function screenToPlane(cam: Camera, size: Size, sx: number, sy: number): { u: number; v: number } {
  return { u: cam.cu + (sx - size.w / 2) / cam.zoom, v: cam.cv + (sy - size.h / 2) / cam.zoom };
}

export function planeToScreen(cam: Camera, size: Size, u: number, v: number): { x: number; y: number } {
  return { x: (u - cam.cu) * cam.zoom + size.w / 2, y: (v - cam.cv) * cam.zoom + size.h / 2 };
}

/** The visible plane rectangle (level-0 voxels, continuous). */
export function visibleRect(cam: Camera, size: Size): { u0: number; v0: number; u1: number; v1: number } {
  const hw = size.w / 2 / cam.zoom;
  const hh = size.h / 2 / cam.zoom;
  return { u0: cam.cu - hw, v0: cam.cv - hh, u1: cam.cu + hw, v1: cam.cv + hh };
}

/** Zooms by `factor` keeping the plane point under screen (sx, sy) in place. */
export function zoomAt(cam: Camera, size: Size, factor: number, sx: number, sy: number): Camera {
  const zoom = clampZoom(cam.zoom * factor);
  const p = screenToPlane(cam, size, sx, sy);
  return { zoom, cu: p.u - (sx - size.w / 2) / zoom, cv: p.v - (sy - size.h / 2) / zoom };
}

/** Pans by a screen offset. */
export function panBy(cam: Camera, dx: number, dy: number): Camera {
  return { ...cam, cu: cam.cu - dx / cam.zoom, cv: cam.cv - dy / cam.zoom };
}

/** The whole plane (width × height voxels) centred with a small margin. */
export function fitCamera(width: number, height: number, size: Size): Camera {
  const margin = 0.96;
  const zoom = size.w > 0 && size.h > 0 ? clampZoom(Math.min(size.w / width, size.h / height) * margin) : 1;
  return { cu: width / 2, cv: height / 2, zoom };
}
