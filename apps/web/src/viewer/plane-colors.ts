// Each plane's color (ilastik's convention: a view is colored by the axis it slices: x red, y green,
// z blue), used for view frames and the crosshair lines that mark the other views' positions.
import type { Plane } from "./geometry";

export const PLANE_COLORS: Record<Plane, string> = {
  xy: "#4c8dff",
  xz: "#3fbf5f",
  yz: "#ff5a52",
};
