// Export transforms: dtype conversion (rounding, clipping; checked against numpy where it runs),
// renormalization, cutouts (syntax, bounds errors, copying), filename placeholders and option parsing.

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import type { DType, TypedArray } from "../src/array/dtype.js";
import { DTYPES, dtypeOf, typedArrayConstructor } from "../src/array/dtype.js";
import type { Volume } from "../src/array/volume.js";
import { applyCutout, extractBox, parseCutout, resolveCutout } from "../src/export/cutout.js";
import { convertDType, DTYPE_RANGES, roundHalfEven, valueConverter } from "../src/export/dtype.js";
import { ExportError } from "../src/export/errors.js";
import { parseExportFormat, withExtension } from "../src/export/formats.js";
import { resolveExportOptions } from "../src/export/pipeline.js";
import {
  datasetPlaceholders,
  expandPlaceholders,
  parseExportSource,
  placeholderNames,
} from "../src/export/placeholders.js";
import { linearMap, parseRenormalize, renormalize } from "../src/export/renormalize.js";

const PYTHON = "/usr/bin/python3";
const HAVE_NUMPY = spawnSync(PYTHON, ["-c", "import numpy"]).status === 0;
const SKIP_NUMPY = !HAVE_NUMPY && !process.env.CI;

function expectExportError(fn: () => unknown, ...fragments: string[]): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error, `expected an ExportError mentioning ${fragments.join(", ")}`).toBeInstanceOf(ExportError);
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

/** Runs numpy on `values` (float64) and returns its float64 output. */
function numpy(script: string, values: number[]): number[] {
  const r = spawnSync(
    PYTHON,
    [
      "-c",
      `import json, sys\nimport numpy as np\nx = np.array(json.loads(sys.stdin.read()), dtype=np.float64)\n${script}\nprint(json.dumps([float(v) for v in y]))`,
    ],
    { input: JSON.stringify(values), encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`numpy failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as number[];
}

const EDGE_VALUES = [
  0, 0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, 0.49999999999999994, 0.5000000000000001, 126.5, 127.5, 128.5,
  254.5, 255.5, 256, 300, -3, -128.5, -129, 127.4, 65535.5, 65536, -32768.5, 2147483647.5, 2147483648,
  -2147483648.5, 4294967295.4, 4294967296, 1e20, -1e20, 1234.5678, -1234.5678, 7.5, -7.5,
];

describe("dtype conversion", () => {
  it("rounds half to even like numpy.rint", () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([
      0, 2, 2, -0, -2, -2, 2, 3,
    ]);
  });

  it("clips to the integer dtype's range and maps NaN to 0", () => {
    const u8 = valueConverter("uint8");
    expect([300, -3, 255.4, 255.5, 254.5, Number.NaN, Number.POSITIVE_INFINITY, -Infinity].map(u8)).toEqual([
      255, 0, 255, 255, 254, 0, 255, 0,
    ]);
    const i8 = valueConverter("int8");
    expect([-128.5, -129, 127.5, -0.5].map(i8)).toEqual([-128, -128, 127, 0]);
  });

  it("truncates toward zero on request (ilastik's numpy cast), still clipping", () => {
    const t = valueConverter("uint8", "truncate");
    expect([1.9, 0.9999, 254.99, 255.9, 300, -0.7, -3].map(t)).toEqual([1, 0, 254, 255, 255, 0, 0]);
    const s = valueConverter("int16", "truncate");
    expect([-1.9, 1.9, -40000].map(s)).toEqual([-1, 1, -32768]);
  });

  it("converts whole arrays: ints clip, floats round, same dtype is not copied", () => {
    const i16 = Int16Array.from([-5, 0, 100, 300, 32767]);
    expect([...convertDType(i16, "uint8")]).toEqual([0, 0, 100, 255, 255]);
    expect([...convertDType(i16, "int32")]).toEqual([-5, 0, 100, 300, 32767]);
    expect(convertDType(i16, "int16")).toBe(i16);
    const f = Float64Array.from([0.1, 1e40, -2.5, 16777217]);
    const f32 = convertDType(f, "float32");
    expect(dtypeOf(f32)).toBe("float32");
    expect([...f32]).toEqual([Math.fround(0.1), Number.POSITIVE_INFINITY, -2.5, 16777216]);
    expect([...convertDType(Float32Array.from([Number.NaN, 2.5, 3.5]), "uint16")]).toEqual([0, 2, 4]);
    expect([...convertDType(Uint32Array.from([4294967295]), "int32")]).toEqual([2147483647]);
  });

  describe.skipIf(SKIP_NUMPY)("against numpy", () => {
    for (const dtype of DTYPES.filter((d) => !d.startsWith("float"))) {
      it(`${dtype}: half-even = np.clip(np.rint(x), min, max)`, () => {
        const [lo, hi] = DTYPE_RANGES[dtype];
        const ours = EDGE_VALUES.map(valueConverter(dtype));
        const ref = numpy(`y = np.clip(np.rint(x), ${lo}, ${hi}).astype(np.${dtype})`, EDGE_VALUES);
        expect(ours.map((v) => v + 0)).toEqual(ref);
      });
      it(`${dtype}: truncate = numpy's astype for in-range values`, () => {
        const [lo, hi] = DTYPE_RANGES[dtype];
        const inRange = EDGE_VALUES.filter((v) => v > lo - 1 && v < hi + 1);
        const ours = inRange.map(valueConverter(dtype, "truncate"));
        const ref = numpy(`y = x.astype(np.${dtype})`, inRange);
        expect(ours.map((v) => v + 0)).toEqual(ref);
      });
    }
    it("float32: as numpy's astype(float32)", () => {
      const ours = [...convertDType(Float64Array.from(EDGE_VALUES), "float32")];
      const ref = numpy("y = x.astype(np.float32)", EDGE_VALUES);
      expect(ours).toEqual(ref);
    });
  });
});

describe("renormalize", () => {
  it("parses IN_MIN,IN_MAX,OUT_MIN,OUT_MAX", () => {
    expect(parseRenormalize("0,1,0,255")).toEqual({ inMin: 0, inMax: 1, outMin: 0, outMax: 255 });
    expect(parseRenormalize(" -1.5, 2e3 ,0 , 65535")).toEqual({
      inMin: -1.5,
      inMax: 2000,
      outMin: 0,
      outMax: 65535,
    });
  });

  it("rejects malformed specs with clear messages", () => {
    expectExportError(() => parseRenormalize("0,1,255"), "four numbers", '"0,1,255"');
    expectExportError(() => parseRenormalize("0,one,0,255"), "IN_MAX", '"one"');
    expectExportError(() => parseRenormalize("0,1,,255"), "OUT_MIN");
    expectExportError(() => parseRenormalize("0.5,0.5,0,255"), "input range is empty", "0.5");
    expectExportError(() => parseRenormalize("0,Infinity,0,1"), "IN_MAX");
  });

  it("maps the input range onto the output range exactly at the ends", () => {
    const f = linearMap({ inMin: 0.1, inMax: 0.7, outMin: 3, outMax: 17 });
    expect(f(0.1)).toBe(3);
    expect(f(0.7)).toBe(17);
    const inv = linearMap({ inMin: 0, inMax: 1, outMin: 255, outMax: 0 });
    expect(inv(0)).toBe(255);
    expect(inv(1)).toBe(0);
    expect(inv(0.5)).toBe(127.5);
  });

  it("Fiji recipe: float32 probabilities 0..1 → uint8 0..255, half to even, out of range clipped", () => {
    const p = Float32Array.from([0, 1, 0.5, 0.25, 0.75, 0.1, 1.5, -0.2, Number.NaN, 0.998, 0.002]);
    const out = renormalize(p, parseRenormalize("0,1,0,255"), { dtype: "uint8" });
    expect(dtypeOf(out)).toBe("uint8");
    // 0.5 → 127.5 → 128 (even); 0.25 → 63.75 → 64; 0.75 → 191.25 → 191; 0.1f → 25.50000038 → 26;
    // 1.5 → 382.5 → 255; −0.2 → −51 → 0; NaN → 0; 0.998 → 254.49 → 254; 0.002 → 0.51 → 1.
    expect([...out]).toEqual([0, 255, 128, 64, 191, 26, 255, 0, 0, 254, 1]);
    const truncated = renormalize(p, parseRenormalize("0,1,0,255"), { dtype: "uint8", rounding: "truncate" });
    expect([...truncated]).toEqual([0, 255, 127, 63, 191, 25, 255, 0, 0, 254, 0]);
  });

  it("keeps the input dtype by default and does not clip float outputs", () => {
    const out = renormalize(Float32Array.from([0, 0.5, 2]), { inMin: 0, inMax: 1, outMin: 0, outMax: 100 });
    expect(dtypeOf(out)).toBe("float32");
    expect([...out]).toEqual([0, 50, 200]);
  });

  it("rounds negative results half to even into signed dtypes", () => {
    const out = renormalize(Float64Array.from([0, 0.5, 1, 0.25]), parseRenormalize("0,1,-1,2"), {
      dtype: "int8",
    });
    // −1, 0.5 → 0, 2, −0.25 → −0
    expect([...out]).toEqual([-1, 0, 2, 0]);
    const i16 = renormalize(Int16Array.from([-100, 0, 100]), parseRenormalize("-100,100,-40000,40000"), {
      dtype: "int16",
    });
    expect([...i16]).toEqual([-32768, 0, 32767]);
  });
});

function ramp(dtype: DType, shape: number[], axes: string): Volume {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new (typedArrayConstructor(dtype))(n);
  for (let i = 0; i < n; i++) data[i] = i % 251;
  return { data, shape, axes };
}

/** Element of a C-order volume at `index`. */
function at(v: Volume, index: number[]): number {
  let k = 0;
  for (let i = 0; i < index.length; i++) k = k * v.shape[i] + index[i];
  return (v.data as TypedArray)[k];
}

describe("cutout", () => {
  it("parses the syntax: ranges, open ends, single indices, whitespace, case", () => {
    expect(parseCutout("x=10:200,y=0:128,t=0:1")).toEqual({
      x: { start: 10, stop: 200 },
      y: { start: 0, stop: 128 },
      t: { start: 0, stop: 1 },
    });
    expect(parseCutout(" x = 10: , Y=:64 , z=5, c=: ")).toEqual({
      x: { start: 10, stop: undefined },
      y: { start: undefined, stop: 64 },
      z: { start: 5, stop: 6 },
      c: { start: undefined, stop: undefined },
    });
    expect(parseCutout("")).toEqual({});
  });

  it("rejects malformed specs naming the entry", () => {
    expectExportError(() => parseCutout("x10:200"), "x10:200", "AXIS=START:STOP");
    expectExportError(() => parseCutout("w=0:5"), 'unknown axis "w"');
    expectExportError(() => parseCutout("x=0:5,x=1:2"), 'axis "x" is given twice');
    expectExportError(() => parseCutout("x=1.5:3"), "x=1.5:3", 'start "1.5"');
    expectExportError(() => parseCutout("y=-1:3"), "y=-1:3", 'start "-1"');
    expectExportError(() => parseCutout("y=0:3:1"), "y=0:3:1");
    expectExportError(() => parseCutout("z="), "z=");
  });

  it("validates bounds against the volume, naming axis, value and size", () => {
    const axes = "zyxc";
    const shape = [5, 64, 80, 3];
    expectExportError(
      () => resolveCutout(parseCutout("x=10:600"), axes, shape),
      "x=10:600",
      "stop 600",
      "size 80",
    );
    expectExportError(() => resolveCutout(parseCutout("y=64:"), axes, shape), "y=64:", "start 64", "size 64");
    expectExportError(() => resolveCutout(parseCutout("z=3:2"), axes, shape), "z=3:2", "start 3", "stop 2");
    expectExportError(() => resolveCutout(parseCutout("z=2:2"), axes, shape), "z=2:2", "empty");
    expectExportError(() => resolveCutout(parseCutout("c=5"), axes, shape), "c=5:6", "size 3");
    expectExportError(() => resolveCutout(parseCutout("t=0:2"), axes, shape), "t=0:2", "no t axis");
    expect(resolveCutout(parseCutout("t=0:1,x=:40"), axes, shape)).toEqual({
      z: [0, 5],
      y: [0, 64],
      x: [0, 40],
      c: [0, 3],
    });
  });

  it("copies the sub-box in C order", () => {
    const v = ramp("uint16", [3, 4, 7, 2], "zyxc");
    const { volume, box } = applyCutout(v, "z=1:3,y=1,x=2:6");
    expect(box).toEqual({ z: [1, 3], y: [1, 2], x: [2, 6], c: [0, 2] });
    expect(volume.shape).toEqual([2, 1, 4, 2]);
    expect(volume.axes).toBe("zyxc");
    expect(dtypeOf(volume.data)).toBe("uint16");
    for (let z = 0; z < 2; z++)
      for (let x = 0; x < 4; x++)
        for (let c = 0; c < 2; c++) expect(at(volume, [z, 0, x, c])).toBe(at(v, [z + 1, 1, x + 2, c]));
    expect(applyCutout(v, "").volume).toBe(v);
    // Random boxes against a naive copy, all layouts of full and partial axes.
    let seed = 12345;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    const w = ramp("int32", [3, 4, 5, 6, 2], "tzyxc");
    for (let trial = 0; trial < 200; trial++) {
      const box: Record<string, [number, number]> = {};
      for (const [i, a] of [...w.axes].entries()) {
        const s0 = rand(w.shape[i]);
        box[a] = rand(3) === 0 ? [0, w.shape[i]] : [s0, s0 + 1 + rand(w.shape[i] - s0)];
      }
      const got = extractBox(w, box);
      const want: number[] = [];
      const [T, Z, Y, X, Cn] = ["t", "z", "y", "x", "c"].map((a) => box[a]);
      for (let t = T[0]; t < T[1]; t++)
        for (let z = Z[0]; z < Z[1]; z++)
          for (let y = Y[0]; y < Y[1]; y++)
            for (let x = X[0]; x < X[1]; x++)
              for (let c = Cn[0]; c < Cn[1]; c++) want.push(at(w, [t, z, y, x, c]));
      expect(got.shape).toEqual([T, Z, Y, X, Cn].map(([a, b]) => b - a));
      expect([...got.data]).toEqual(want);
    }
    const last = extractBox(ramp("float32", [4, 5], "yx"), { x: [4, 5] });
    expect([...last.data]).toEqual([4, 9, 14, 19]);
  });
});

describe("filename placeholders", () => {
  const values = { dataset_dir: "/data/run1", nickname: "cells", result_type: "Probabilities" };

  it("expands ilastik's default format", () => {
    expect(expandPlaceholders("{dataset_dir}/{nickname}_{result_type}", values)).toBe(
      "/data/run1/cells_Probabilities",
    );
    expect(expandPlaceholders("{{literal}}_{nickname}", values)).toBe("{literal}_cells");
  });

  it("pads integers: default widths and Python-style specs", () => {
    expect(expandPlaceholders("s{slice_index}", { slice_index: 7 }, { widths: { slice_index: 3 } })).toBe(
      "s007",
    );
    expect(expandPlaceholders("s{slice_index:05}", { slice_index: 7 }, { widths: { slice_index: 3 } })).toBe(
      "s00007",
    );
    expect(expandPlaceholders("{x_start:4d}|{x_start:d}", { x_start: 12 })).toBe("  12|12");
    expectExportError(
      () => expandPlaceholders("{nickname:>10}", values),
      "{nickname:>10}",
      "unsupported format",
    );
  });

  it("rejects unknown placeholders and stray braces, listing the known ones", () => {
    expectExportError(
      () => expandPlaceholders("{dataset_dir}/{nick}_{result_type}", values),
      "unknown placeholder {nick}",
      "{nickname}",
      "{dataset_dir}",
    );
    expectExportError(() => expandPlaceholders("out/{nickname", values), "never closed");
    expectExportError(() => expandPlaceholders("out/nickname}", values), 'single "}"');
    expectExportError(
      () =>
        expandPlaceholders("{slice_index}", values, { unavailable: { slice_index: "only for sequences" } }),
      "{slice_index} only for sequences",
    );
    expect(expandPlaceholders("{nickname}_{slice_index}", values, { keep: ["slice_index"] })).toBe(
      "cells_{slice_index}",
    );
    expect(placeholderNames("{a}/{{b}}/{c:03}")).toEqual(["a", "c"]);
  });

  it("derives {dataset_dir} and {nickname} from input specs", () => {
    expect(datasetPlaceholders("/data/run1/cells.tif")).toEqual({
      dataset_dir: "/data/run1",
      nickname: "cells",
    });
    expect(datasetPlaceholders("/d/stack.h5/volume/data")).toEqual({ dataset_dir: "/d", nickname: "stack" });
    expect(datasetPlaceholders("img.ome.tiff")).toEqual({ dataset_dir: ".", nickname: "img.ome" });
    expect(datasetPlaceholders("/data/raw/")).toEqual({ dataset_dir: "/data", nickname: "raw" });
    expect(datasetPlaceholders("/data/*.png")).toEqual({ dataset_dir: "/data", nickname: "" });
    expect(datasetPlaceholders("/cells.png")).toEqual({ dataset_dir: "/", nickname: "cells" });
  });

  it("parses sources and formats, including ilastik's names", () => {
    expect(parseExportSource("Simple Segmentation")).toBe("simple-segmentation");
    expect(parseExportSource("uncertainty")).toBe("uncertainty");
    expectExportError(() => parseExportSource("probs"), '"probs"', "probabilities, simple-segmentation");
    expect(parseExportFormat("multipage tiff")).toBe("multipage-tiff");
    expect(parseExportFormat("tif sequence")).toBe("tiff-sequence");
    expect(parseExportFormat("numpy")).toBe("npy");
    expect(parseExportFormat("H5")).toBe("hdf5");
    expectExportError(() => parseExportFormat("jpeg"), '"jpeg"', "png-sequence");
  });

  it("adds, keeps or replaces the extension", () => {
    expect(withExtension("/d/cells_Probabilities", "hdf5")).toBe("/d/cells_Probabilities.h5");
    expect(withExtension("/d/out.tif", "tiff")).toBe("/d/out.tif");
    expect(withExtension("/d/out.h5", "tiff-sequence")).toBe("/d/out.tiff");
    expect(withExtension("/d/cells.v2_Probabilities", "npy")).toBe("/d/cells.v2_Probabilities.npy");
    expect(withExtension("/d.dir/out", "png-sequence")).toBe("/d.dir/out.png");
  });

  it("resolves pipeline options with ilastik's defaults", () => {
    const r = resolveExportOptions({ image: "/data/cells.png" });
    expect(r.format).toBe("hdf5");
    expect(r.internalPath).toBe("exported_data");
    expect(r.filenameFormat).toBe("{dataset_dir}/{nickname}_{result_type}");
    expect(r.placeholders).toEqual({ result_type: "Probabilities", dataset_dir: "/data", nickname: "cells" });
    expect(resolveExportOptions({ image: "a.png", format: "png sequence" }).filenameFormat).toBe(
      "{dataset_dir}/{nickname}_{result_type}_{slice_index}",
    );
    expectExportError(() => resolveExportOptions({ dtype: "uint64" }), '"uint64"', "uint8, uint16");
    expectExportError(() => resolveExportOptions({}), "{dataset_dir}", "input image");
    expectExportError(() => resolveExportOptions({ image: "a.png", internalPath: "/" }), "internal path");
  });
});
