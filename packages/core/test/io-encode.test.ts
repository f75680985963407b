// Encoders against independent readers: what encodeTiff, encodePng and writeHdf5 write must read back
// in tifffile, vigra/PIL and h5py with the same shape, dtype and values (and h5 string attributes as str).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DType, TypedArray } from "../src/array/dtype.js";
import { DTYPES, dtypeOf, typedArrayConstructor } from "../src/array/dtype.js";
import type { Volume } from "../src/array/volume.js";
import { elementCount } from "../src/array/volume.js";
import { readHdf5, writeHdf5 } from "../src/io/hdf5.js";
import { decodePng, encodePng } from "../src/io/png.js";
import { decodeTiff, encodeTiff } from "../src/io/tiff.js";
import { firstMismatch, loadRaw, pythonRead } from "./fixtures/python.js";

const dir = mkdtempSync(path.join(tmpdir(), "sylva-encode-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Deterministic pseudo-random values spanning the dtype's range (extremes included). */
function randomData(dtype: DType, n: number, seed: number): TypedArray {
  const a = new (typedArrayConstructor(dtype))(n);
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const range: Record<DType, [number, number]> = {
    uint8: [0, 255],
    uint16: [0, 65535],
    uint32: [0, 4294967295],
    int8: [-128, 127],
    int16: [-32768, 32767],
    int32: [-2147483648, 2147483647],
    float32: [-1e6, 1e6],
    float64: [-1e12, 1e12],
  };
  const [lo, hi] = range[dtype];
  for (let i = 0; i < n; i++) {
    const u = next();
    a[i] = dtype.startsWith("float") ? lo + u * (hi - lo) : Math.floor(lo + u * (hi - lo + 1));
  }
  if (n >= 2 && !dtype.startsWith("float")) {
    a[0] = lo;
    a[1] = hi;
  }
  return a;
}

function volume(dtype: DType, shape: number[], axes: string, seed = 7): Volume {
  return { data: randomData(dtype, elementCount(shape), seed), shape, axes };
}

let fileCounter = 0;
function writeTemp(ext: string, bytes: Uint8Array): string {
  const file = path.join(dir, `out-${++fileCounter}.${ext}`);
  writeFileSync(file, bytes);
  return file;
}

describe("encodeTiff → tifffile", () => {
  const layouts: [string, number[]][] = [
    ["yx", [37, 53]],
    ["yxc", [19, 23, 2]],
    ["yxc", [19, 23, 3]],
    ["yxc", [11, 13, 5]],
    ["zyx", [4, 21, 17]],
    ["zyxc", [3, 9, 11, 3]],
  ];
  for (const dtype of DTYPES) {
    for (const [axes, shape] of layouts) {
      it(`${dtype} ${axes} [${shape.join(", ")}]`, async () => {
        const v = volume(dtype, shape, axes, shape.length * 31 + dtype.length);
        const file = writeTemp("tif", encodeTiff(v));
        const py = pythonRead("tiff", file);
        const [a] = py.arrays;
        expect(a.shape).toEqual(shape);
        expect(a.dtype).toBe(dtype);
        expect(a.pages).toBe(axes.startsWith("z") ? shape[0] : 1);
        expect(firstMismatch(loadRaw(py.dir, a), v.data)).toBe(-1);
        rmSync(py.dir, { recursive: true, force: true });
        // and our own decoder reads it back unchanged
        const back = await decodeTiff(encodeTiff(v));
        expect(back.axes).toBe(axes);
        expect(back.shape).toEqual(shape);
        expect(dtypeOf(back.data)).toBe(dtype);
        expect(firstMismatch(back.data, v.data)).toBe(-1);
      });
    }
  }

  it("tags 3 channels as RGB and others as gray with extra samples", () => {
    const rgb = pythonRead("tiff", writeTemp("tif", encodeTiff(volume("uint8", [4, 5, 3], "yxc"))));
    expect(rgb.arrays[0].photometric).toBe(2);
    const two = pythonRead("tiff", writeTemp("tif", encodeTiff(volume("uint8", [4, 5, 2], "yxc"))));
    expect(two.arrays[0].photometric).toBe(1);
  });
});

describe("encodePng → vigra (libpng) and PIL", () => {
  const cases: [DType, string, number[], string][] = [
    ["uint8", "yx", [37, 53], "L"],
    ["uint8", "yxc", [37, 53, 1], "L"],
    ["uint8", "yxc", [37, 53, 2], "LA"],
    ["uint8", "yxc", [37, 53, 3], "RGB"],
    ["uint8", "yxc", [37, 53, 4], "RGBA"],
    ["uint16", "yx", [37, 53], "I"],
    ["uint16", "yxc", [29, 31, 3], "RGB"],
    ["uint16", "yxc", [29, 31, 4], "RGBA"],
  ];
  for (const [dtype, axes, shape, mode] of cases) {
    it(`${dtype} ${axes} [${shape.join(", ")}] reads as PIL mode ${mode}`, () => {
      const v = volume(dtype, shape, axes);
      const file = writeTemp("png", encodePng(v));
      const py = pythonRead("png", file);
      const [a] = py.arrays;
      const expectedShape = shape.length === 3 && shape[2] === 1 ? shape.slice(0, 2) : shape;
      expect(a.shape).toEqual(expectedShape);
      expect(a.dtype).toBe(dtype);
      expect(a.mode).toBe(mode);
      expect(firstMismatch(loadRaw(py.dir, a), v.data)).toBe(-1);
      rmSync(py.dir, { recursive: true, force: true });
      const back = decodePng(encodePng(v));
      expect(firstMismatch(back.data, v.data)).toBe(-1);
    });
  }
});

describe("writeHdf5 → h5py", () => {
  it("writes every dtype, nested paths and attributes h5py reads as str, int and float", async () => {
    const specs = DTYPES.map((dtype, i) => ({
      path: i % 2 === 0 ? `flat_${dtype}` : `/nested/group_${i}/${dtype}`,
      data: randomData(dtype, 3 * 4 * 5, i + 1),
      shape: [3, 4, 5],
    }));
    const axistags = JSON.stringify({ axes: [..."tyxc"].map((key) => ({ key, typeFlags: 2 })) });
    const bytes = await writeHdf5([
      ...specs,
      {
        path: "exported_data",
        data: randomData("float32", 2 * 6 * 7 * 2, 99),
        shape: [2, 6, 7, 2],
        attributes: {
          axistags,
          note: "σ = 1.0 — probabilities",
          count: 3,
          scale: 0.5,
          drange: [0, 255],
          sigmas: [0.3, 0.7],
        },
      },
    ]);
    const file = writeTemp("h5", bytes);
    const py = pythonRead("h5", file);
    const byName = new Map(py.arrays.map((a) => [a.name, a]));
    expect(py.arrays.length).toBe(DTYPES.length + 1);
    for (const s of specs) {
      const a = byName.get(s.path.replace(/^\//, ""));
      expect(a, s.path).toBeDefined();
      expect(a!.shape).toEqual([3, 4, 5]);
      expect(a!.dtype).toBe(dtypeOf(s.data));
      expect(firstMismatch(loadRaw(py.dir, a!), s.data)).toBe(-1);
    }
    const e = byName.get("exported_data")!;
    expect(e.shape).toEqual([2, 6, 7, 2]);
    expect(e.dtype).toBe("float32");
    expect(e.attrs?.axistags).toEqual(["str", axistags, ""]);
    expect(e.attrs?.note).toEqual(["str", "σ = 1.0 — probabilities", ""]);
    expect(e.attrs?.count).toEqual(["int32", 3, "int32"]);
    expect(e.attrs?.scale).toEqual(["float64", 0.5, "float64"]);
    expect(e.attrs?.drange).toEqual(["ndarray", [0, 255], "int32"]);
    expect(e.attrs?.sigmas).toEqual(["ndarray", [0.3, 0.7], "float64"]);
    rmSync(py.dir, { recursive: true, force: true });

    // our reader takes the axes from the axistags we wrote (a guess would say "zyxc")
    const back = await readHdf5(bytes, "exported_data");
    expect(back.axes).toBe("tyxc");
  });
});
