// The viewer's state: the dataset shown, the crosshair position (x, y, z, t in level-0 voxels), each
// plane view's camera and size, which view is active (the one published to the service), and the
// crosshair toggle. Navigation operations live in navigation.ts.
import { Store } from "../lib/store";
import type { Camera, Size } from "./camera";
import type { Geometry, Plane } from "./geometry";

export interface Position {
  readonly x: number;
  readonly y: number;
  readonly z: number;
  readonly t: number;
}

export interface Hover {
  readonly plane: Plane;
  /** Continuous level-0 plane coordinates under the mouse. */
  readonly u: number;
  readonly v: number;
}

export interface ViewerState {
  readonly geometry: Geometry | null;
  readonly position: Position;
  /** null until the view has a size (then it is fitted). */
  readonly cameras: Readonly<Record<Plane, Camera | null>>;
  readonly sizes: Readonly<Record<Plane, Size>>;
  readonly activePlane: Plane;
  readonly crosshair: boolean;
  readonly hover: Hover | null;
}

const EMPTY_SIZE: Size = { w: 0, h: 0 };

export function initialViewerState(): ViewerState {
  return {
    geometry: null,
    position: { x: 0, y: 0, z: 0, t: 0 },
    cameras: { xy: null, xz: null, yz: null },
    sizes: { xy: EMPTY_SIZE, xz: EMPTY_SIZE, yz: EMPTY_SIZE },
    activePlane: "xy",
    crosshair: true,
    hover: null,
  };
}

export type ViewerStore = Store<ViewerState>;

export function createViewerStore(): ViewerStore {
  return new Store(initialViewerState());
}

/** The planes a dataset is shown in: xy alone for 2D, all three for 3D. */
export function visiblePlanes(g: Geometry | null): Plane[] {
  return g?.is3d ? ["xy", "xz", "yz"] : ["xy"];
}
