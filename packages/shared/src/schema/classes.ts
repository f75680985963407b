// Label classes (zod): name and display color; label value k + 1 is class k, 0 means unlabeled.
// DEFAULT_LABEL_COLORS is ilastik's palette, the one source of label colors for every client.

import { z } from "zod";

export type Rgb = readonly [number, number, number];

/** ilastik's default label colors, in order. Classes beyond these get colors from `labelColor`. */
export const DEFAULT_LABEL_COLORS: readonly Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [255, 255, 0],
  [0, 0, 255],
  [255, 0, 255],
  [0, 255, 255],
  [255, 105, 180],
  [102, 205, 170],
  [165, 42, 42],
  [255, 165, 0],
  [138, 43, 226],
  [169, 169, 169],
];

/** The most classes a project or classifier may have (ilastik's label values fit in a byte). */
export const MAX_CLASSES = 99;

/**
 * Color of class `index` (0-based): ilastik's palette, then golden-angle hues at saturation 0.8 (never
 * equal to the palette's pure colors) with alternating brightness, so neighbouring classes stay distinct.
 */
export function labelColor(index: number): Rgb {
  if (index < DEFAULT_LABEL_COLORS.length) return DEFAULT_LABEL_COLORS[index];
  const g = index - DEFAULT_LABEL_COLORS.length;
  const h = (30 + g * 137.508) % 360;
  const s = 0.8;
  const v = g % 2 === 0 ? 1 : 0.75;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * v * (1 - s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}

export const rgbSchema = z.tuple([
  z.number().int().min(0).max(255),
  z.number().int().min(0).max(255),
  z.number().int().min(0).max(255),
]);

export const labelClassSchema = z.object({
  name: z.string().trim().min(1, { error: "a class needs a name" }).max(100),
  color: rgbSchema,
});
export type LabelClass = z.infer<typeof labelClassSchema>;

/** Default classes for `count` labels: "Label 1", "Label 2", … in ilastik's colors. */
export function defaultClasses(count: number): LabelClass[] {
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_CLASSES))
    throw new RangeError(`a classifier needs 1 to ${MAX_CLASSES} classes, got ${count}`);
  return Array.from({ length: count }, (_, i) => ({
    name: `Label ${i + 1}`,
    color: [...labelColor(i)] as [number, number, number],
  }));
}
