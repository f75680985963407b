// z-stacking of 2D slices and the natural file order, checked against numpy and the reference's `_natural`.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodePng } from "../src/io/png.js";
import { naturalCompare, stackImages } from "../src/io/stack.js";
import { firstMismatch, PYTHON, SHARED } from "./fixtures/python.js";

describe("stackImages", () => {
  it("stacks ISBI slices along z in the given order", () => {
    const files = ["02.png", "00.png", "01.png"].map((f) => path.join(SHARED, "data/isbi2012/raw", f));
    const slices = files.map((f) => decodePng(new Uint8Array(readFileSync(f)), f));
    const v = stackImages(slices, files);
    expect(v.axes).toBe("zyx");
    expect(v.shape).toEqual([3, 512, 512]);
    for (const [z, s] of slices.entries())
      expect(firstMismatch(v.data.subarray(z * 512 * 512, (z + 1) * 512 * 512), s.data)).toBe(-1);
  });

  it("stacks multi-channel slices as zyxc", () => {
    const a = { data: new Uint16Array([1, 2, 3, 4, 5, 6]), shape: [1, 2, 3], axes: "yxc" };
    const b = { data: new Uint16Array([7, 8, 9, 10, 11, 12]), shape: [1, 2, 3], axes: "yxc" };
    const v = stackImages([a, b], ["a.tif", "b.tif"]);
    expect(v.axes).toBe("zyxc");
    expect(v.shape).toEqual([2, 1, 2, 3]);
    expect([...v.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(v.data).toBeInstanceOf(Uint16Array);
  });
});

describe("naturalCompare", () => {
  it("orders names as the reference's _natural key does", () => {
    const names = [
      "10.png",
      "2.png",
      "1.png",
      "slice_100.tif",
      "slice_20.tif",
      "slice_3.tif",
      "a02",
      "a1",
      "a10b2",
      "a10b10",
      "B1",
      "b1",
      "img.png",
      "img1.png",
      "Z",
      "_x",
      "0010",
      "9",
      "é1",
    ];
    const script = [
      "import json, re, sys",
      "def _natural(s):",
      "    return [int(t) if t.isdigit() else t for t in re.split(r'(\\d+)', s)]",
      "print(json.dumps(sorted(json.load(sys.stdin), key=_natural)))",
    ].join("\n");
    const expected = JSON.parse(
      execFileSync(PYTHON, ["-c", script], { input: JSON.stringify(names) }).toString(),
    );
    expect([...names].sort(naturalCompare)).toEqual(expected);
  });

  it("puts 2 before 10 and is a total order", () => {
    expect(naturalCompare("2.png", "10.png")).toBeLessThan(0);
    expect(naturalCompare("10.png", "2.png")).toBeGreaterThan(0);
    expect(naturalCompare("x.png", "x.png")).toBe(0);
    expect(Math.sign(naturalCompare("01", "1"))).toBe(-Math.sign(naturalCompare("1", "01")));
    expect(naturalCompare("01", "1")).not.toBe(0);
  });
});
