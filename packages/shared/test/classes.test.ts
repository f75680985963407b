import { describe, expect, it } from "vitest";
import { DEFAULT_LABEL_COLORS, defaultClasses, labelClassSchema, labelColor } from "../src/index.js";

describe("label classes", () => {
  it("uses ilastik's palette, then distinct generated colors", () => {
    expect(defaultClasses(2)).toEqual([
      { name: "Label 1", color: [255, 0, 0] },
      { name: "Label 2", color: [0, 255, 0] },
    ]);
    const colors = Array.from({ length: 99 }, (_, i) => labelColor(i).join(","));
    expect(new Set(colors).size).toBe(99);
    expect(colors.slice(0, DEFAULT_LABEL_COLORS.length)).toEqual(
      DEFAULT_LABEL_COLORS.map((c) => c.join(",")),
    );
  });

  it("refuses bad classes with a clear message", () => {
    expect(() => defaultClasses(0)).toThrow(/1 to 99 classes, got 0/);
    expect(() => defaultClasses(100)).toThrow(/got 100/);
    expect(labelClassSchema.safeParse({ name: " ", color: [0, 0, 0] }).success).toBe(false);
    expect(labelClassSchema.safeParse({ name: "Membrane", color: [0, 0, 256] }).success).toBe(false);
  });
});
