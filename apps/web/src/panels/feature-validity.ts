// ilastik's validity rule for feature scales, against the project's datasets: scale s needs
// ⌈3.5 s⌉ + 1 pixels along every filtered axis (y and x; z too unless computing in 2D or the data is
// 2D); a scale needing more than an axis has is refused, naming both. Mirrors core's planFeatures.
import type { DatasetManifest } from "@sylva/shared";

export function pixelsNeeded(scale: number): number {
  return Math.ceil(3.5 * scale) + 1;
}

export interface ScaleProblem {
  readonly dataset: string;
  readonly axis: "z" | "y" | "x";
  readonly needed: number;
  readonly size: number;
}

/** Why `scale` cannot be used, or null when every dataset allows it. */
export function scaleProblem(
  scale: number,
  datasets: readonly Pick<DatasetManifest, "name" | "axes" | "shape">[],
  in2d: boolean,
): ScaleProblem | null {
  const needed = pixelsNeeded(scale);
  for (const d of datasets) {
    const size = (a: string) => {
      const i = d.axes.indexOf(a);
      return i < 0 ? 1 : d.shape[i];
    };
    const axes: ("z" | "y" | "x")[] = in2d || size("z") === 1 ? ["y", "x"] : ["z", "y", "x"];
    for (const axis of axes)
      if (needed > size(axis)) return { dataset: d.name, axis, needed, size: size(axis) };
  }
  return null;
}

export function describeProblem(scale: number, p: ScaleProblem): string {
  return `σ ${scale} needs ${p.needed} pixels along ${p.axis}; ${p.dataset} has ${p.size}`;
}
