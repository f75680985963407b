// Boxes: half-open regions [z0, z1) × [y0, y1) × [x0, x1) of a (z, y, x) grid, with dilation by a halo
// and clipping to the grid.

export interface Box {
  readonly z0: number;
  readonly z1: number;
  readonly y0: number;
  readonly y1: number;
  readonly x0: number;
  readonly x1: number;
}

export type Shape3 = readonly [number, number, number];

export function boxShape(b: Box): [number, number, number] {
  return [b.z1 - b.z0, b.y1 - b.y0, b.x1 - b.x0];
}

export function boxVolume(b: Box): number {
  return (b.z1 - b.z0) * (b.y1 - b.y0) * (b.x1 - b.x0);
}

/** `b` grown by `r` = (rz, ry, rx) on each side and clipped to a grid of `shape` (z, y, x). */
export function dilateBox(b: Box, r: Shape3, shape: Shape3): Box {
  return {
    z0: Math.max(0, b.z0 - r[0]),
    z1: Math.min(shape[0], b.z1 + r[0]),
    y0: Math.max(0, b.y0 - r[1]),
    y1: Math.min(shape[1], b.y1 + r[1]),
    x0: Math.max(0, b.x0 - r[2]),
    x1: Math.min(shape[2], b.x1 + r[2]),
  };
}

/** Cuts a grid of `shape` into boxes of at most `block` (z, y, x), in C order. */
export function gridBoxes(shape: Shape3, block: Shape3): Box[] {
  const boxes: Box[] = [];
  for (let z0 = 0; z0 < shape[0]; z0 += block[0])
    for (let y0 = 0; y0 < shape[1]; y0 += block[1])
      for (let x0 = 0; x0 < shape[2]; x0 += block[2])
        boxes.push({
          z0,
          z1: Math.min(shape[0], z0 + block[0]),
          y0,
          y1: Math.min(shape[1], y0 + block[1]),
          x0,
          x1: Math.min(shape[2], x0 + block[2]),
        });
  return boxes;
}
