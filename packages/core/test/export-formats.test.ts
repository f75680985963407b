// Export formats and the pipeline, read back by independent readers (Debian's python3: h5py, tifffile,
// numpy, PIL and vigra when present): shape, dtype, axis order and values for each format and several
// dtypes, the Fiji recipe, the PNG restrictions, slice naming, and .npy both ways.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DType, TypedArray } from "../src/array/dtype.js";
import { DTYPES, dtypeOf, isDType, typedArrayConstructor } from "../src/array/dtype.js";
import type { Volume } from "../src/array/volume.js";
import { elementCount } from "../src/array/volume.js";
import { extractBox } from "../src/export/cutout.js";
import { DTYPE_RANGES, valueConverter } from "../src/export/dtype.js";
import { ExportError } from "../src/export/errors.js";
import type { ExportFile } from "../src/export/formats.js";
import { encodeExport } from "../src/export/formats.js";
import type { ExportOptions } from "../src/export/pipeline.js";
import { exportVolume } from "../src/export/pipeline.js";
import { decodeNpy, encodeNpy } from "../src/io/npy.js";

const PYTHON = "/usr/bin/python3";
const HAVE_READERS = spawnSync(PYTHON, ["-c", "import numpy, tifffile, h5py, PIL"]).status === 0;
const SKIP_PYTHON = !HAVE_READERS && !process.env.CI;

const dir = mkdtempSync(path.join(tmpdir(), "sylva-export-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------- helpers

const READER = `
import json, os, sys
import numpy as np
jobs = json.load(open(sys.argv[1]))
out = sys.argv[2]
results = []
for k, job in enumerate(jobs):
    kind, f = job["kind"], job["file"]
    info = {}
    if kind == "tiff":
        import tifffile
        with tifffile.TiffFile(f) as t:
            a = t.asarray()
            info["pages"] = len(t.pages)
    elif kind == "h5":
        import h5py
        with h5py.File(f, "r") as h:
            d = h[job["dataset"]]
            a = d[()]
            attrs = {}
            for key, v in d.attrs.items():
                if isinstance(v, bytes):
                    v = v.decode()
                elif isinstance(v, np.ndarray):
                    v = v.tolist()
                elif isinstance(v, np.generic):
                    v = v.item()
                attrs[key] = v
            info["attrs"] = attrs
            names = []
            h.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
            info["datasets"] = names
    elif kind == "npy":
        a = np.load(f)
    elif kind == "png":
        from PIL import Image
        with Image.open(f) as im:
            info["mode"] = im.mode
            a = np.array(im)
        try:
            import vigra  # ilastik's reader; keeps 16-bit colour, which Pillow truncates
            a = np.asarray(vigra.impex.readImage(f, dtype="NATIVE", order="C"))
            if a.shape[-1] == 1:
                a = a[..., 0]
        except ImportError:
            pass
    raw = os.path.join(out, "%d.raw" % k)
    a = np.ascontiguousarray(a)
    a.astype(a.dtype.newbyteorder("<"), copy=False).tofile(raw)
    results.append(dict(raw=raw, shape=list(a.shape), dtype=a.dtype.name, **info))
json.dump(results, open(os.path.join(out, "read.json"), "w"))
`;

interface ReadBack {
  readonly shape: number[];
  readonly dtype: string;
  readonly data: TypedArray;
  readonly pages?: number;
  readonly mode?: string;
  readonly attrs?: Record<string, unknown>;
  readonly datasets?: string[];
}

let counter = 0;

/** Reads files with the Python readers ("tiff": tifffile, "h5": h5py, "npy": numpy, "png": vigra/PIL). */
function readBack(
  jobs: { kind: "tiff" | "h5" | "npy" | "png"; file: string; dataset?: string }[],
): ReadBack[] {
  const out = path.join(dir, `read-${++counter}`);
  mkdirSync(out);
  const spec = path.join(out, "jobs.json");
  writeFileSync(spec, JSON.stringify(jobs));
  execFileSync(PYTHON, ["-c", READER, spec, out], { stdio: ["ignore", "pipe", "pipe"] });
  const results = JSON.parse(readFileSync(path.join(out, "read.json"), "utf8")) as (Omit<ReadBack, "data"> & {
    raw: string;
  })[];
  return results.map((r) => {
    if (!isDType(r.dtype)) throw new Error(`reader returned dtype ${r.dtype}`);
    const bytes = readFileSync(r.raw);
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    const C = typedArrayConstructor(r.dtype);
    return { ...r, data: new C(copy.buffer, 0, bytes.byteLength / C.BYTES_PER_ELEMENT) };
  });
}

function python(script: string, ...args: string[]): string {
  return execFileSync(PYTHON, ["-c", script, ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** Writes the export's files (names relative to `dir` or absolute) and returns their absolute paths. */
function save(files: readonly ExportFile[]): string[] {
  return files.map((f) => {
    const file = path.resolve(dir, f.name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, f.bytes);
    return file;
  });
}

/** Deterministic pseudo-random values spanning the dtype's range (extremes included). */
function randomVolume(dtype: DType, shape: number[], axes: string, seed = 7): Volume {
  const n = elementCount(shape);
  const a = new (typedArrayConstructor(dtype))(n);
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const [lo, hi] =
    dtype === "float32" ? [-1e6, 1e6] : dtype === "float64" ? [-1e12, 1e12] : DTYPE_RANGES[dtype];
  for (let i = 0; i < n; i++) {
    const u = next();
    a[i] = dtype.startsWith("float") ? lo + u * (hi - lo) : Math.floor(lo + u * (hi - lo + 1));
  }
  if (n >= 2 && !dtype.startsWith("float")) {
    a[0] = lo;
    a[1] = hi;
  }
  return { data: a, shape, axes };
}

/** Probabilities-like float32 values in [0, 1] with exact halves and the ends included. */
function probabilities(shape: number[], axes: string, seed = 3): Volume<Float32Array> {
  const v = randomVolume("float64", shape, axes, seed);
  const data = new Float32Array(v.data.length);
  for (let i = 0; i < data.length; i++) data[i] = (v.data[i] / 1e12 + 1) / 2;
  const specials = [0, 1, 0.5, 0.25, 0.75, 1 / 510, 3 / 510, 0.001, 0.999];
  for (let i = 0; i < specials.length && i < data.length; i++) data[i * 7] = specials[i];
  return { data, shape, axes };
}

function expectSameValues(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (got[i] !== want[i] && !(Number.isNaN(got[i]) && Number.isNaN(want[i])))
      expect(`${what}[${i}] = ${got[i]}`).toBe(`${what}[${i}] = ${want[i]}`);
}

async function expectExportError(p: Promise<unknown>, ...fragments: string[]): Promise<void> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e, `expected an ExportError mentioning ${fragments.join(", ")}`).toBeInstanceOf(ExportError);
  for (const f of fragments) expect((e as Error).message).toContain(f);
}

function exportTo(name: string, v: Volume, options: ExportOptions) {
  return exportVolume(v, { image: path.join(dir, name, "cells.png"), ...options });
}

// ---------------------------------------------------------------------------------------------- tests

describe.skipIf(SKIP_PYTHON)("hdf5 export → h5py", () => {
  const layouts: [string, number[]][] = [
    ["yxc", [13, 17, 3]],
    ["tzyxc", [2, 3, 5, 7, 2]],
  ];
  for (const dtype of DTYPES)
    for (const [axes, shape] of layouts)
      it(`${dtype} ${axes}: shape, dtype, values, axistags`, async () => {
        const v = randomVolume(dtype, shape, axes, shape.length * 17 + dtype.length);
        const { files } = await exportTo(`h5-${dtype}-${axes}`, v, {});
        expect(files.map((f) => path.basename(f.name))).toEqual(["cells_Probabilities.h5"]);
        const [file] = save(files);
        const [r] = readBack([{ kind: "h5", file, dataset: "exported_data" }]);
        expect(r.shape).toEqual(shape);
        expect(r.dtype).toBe(dtype);
        expectSameValues(r.data, v.data, "exported_data");
        const tags = JSON.parse(r.attrs?.axistags as string) as {
          axes: { key: string; typeFlags: number }[];
        };
        expect(tags.axes.map((a) => a.key).join("")).toBe(axes);
        expect(tags.axes.map((a) => a.typeFlags)).toEqual([...axes].map((a) => ({ t: 8, c: 1 })[a] ?? 2));
      });

  it("custom internal path, source name and a renormalized dtype with ilastik's drange", async () => {
    const p = probabilities([9, 11, 2], "yxc");
    const { files, volume } = await exportTo("h5-custom", p, {
      source: "uncertainty",
      internalPath: "/results/probs",
      dtype: "uint16",
      renormalize: "0,1,0,65535",
    });
    expect(path.basename(files[0].name)).toBe("cells_Uncertainty.h5");
    const [file] = save(files);
    const [r] = readBack([{ kind: "h5", file, dataset: "results/probs" }]);
    expect(r.datasets).toEqual(["results/probs"]);
    expect(r.dtype).toBe("uint16");
    expect(r.shape).toEqual([9, 11, 2]);
    const convert = valueConverter("uint16");
    expectSameValues(
      r.data,
      Array.from(p.data, (x) => convert(x * 65535)),
      "probs",
    );
    expectSameValues(r.data, volume.data, "probs vs returned volume");
    expect(r.attrs?.drange).toEqual([0, 65535]);
  });
});

describe.skipIf(SKIP_PYTHON)("npy export → numpy.load, and numpy.save → decodeNpy", () => {
  for (const dtype of DTYPES)
    it(`${dtype}: exported array reads back in numpy`, async () => {
      const v = randomVolume(dtype, [3, 5, 7, 2], "zyxc", 11 + dtype.length);
      const { files } = await exportTo(`npy-${dtype}`, v, {
        format: "npy",
        filenameFormat: "{dataset_dir}/out",
      });
      expect(path.basename(files[0].name)).toBe("out.npy");
      const [r] = readBack([{ kind: "npy", file: save(files)[0] }]);
      expect(r.shape).toEqual([3, 5, 7, 2]);
      expect(r.dtype).toBe(dtype);
      expectSameValues(r.data, v.data, "npy");
      expect(decodeNpy(files[0].bytes).data).toEqual(v.data);
    });

  it("decodes numpy's own files: all dtypes, Fortran order, big-endian, versions 1.0, 2.0 and 3.0", () => {
    const out = path.join(dir, "npy-from-numpy");
    mkdirSync(out);
    const listing = python(
      `
import json, os, sys
import numpy as np
out = sys.argv[1]
rng = np.random.default_rng(5)
cases = []
def save(name, a, version=None, **kw):
    f = os.path.join(out, name + ".npy")
    if version is None:
        np.save(f, a)
    else:
        with open(f, "wb") as fh:
            np.lib.format.write_array(fh, a, version=version)
    c = np.ascontiguousarray(a)
    c.astype(c.dtype.newbyteorder("<")).tofile(os.path.join(out, name + ".raw"))
    cases.append(dict(name=name, shape=list(a.shape), dtype=a.dtype.name))
for dt in ["uint8", "uint16", "uint32", "int8", "int16", "int32", "float32", "float64"]:
    info = np.iinfo(dt) if dt[0] in "ui" else None
    a = (rng.integers(info.min, info.max, size=(4, 6, 3), endpoint=True, dtype=dt) if info
         else (rng.standard_normal((4, 6, 3)) * 1e3).astype(dt))
    save(dt, a)
    save(dt + "-fortran", np.asfortranarray(a))
    save(dt + "-bigendian", a.astype(a.dtype.newbyteorder(">")))
a = rng.integers(0, 255, size=(2, 3, 4, 5, 2), dtype="uint8")
save("v2", a, version=(2, 0))
save("v3", a, version=(3, 0))
save("fortran-5d", np.asfortranarray(a.astype("int16")))
print(json.dumps(cases))
`,
      out,
    );
    const cases = JSON.parse(listing) as { name: string; shape: number[]; dtype: DType }[];
    expect(cases.length).toBe(27);
    for (const c of cases) {
      const v = decodeNpy(new Uint8Array(readFileSync(path.join(out, `${c.name}.npy`))), c.name);
      expect(v.shape, c.name).toEqual(c.shape);
      expect(dtypeOf(v.data), c.name).toBe(c.dtype);
      expect(v.axes, c.name).toBe(c.shape.length === 3 ? "yxc" : "tzyxc");
      const raw = readFileSync(path.join(out, `${c.name}.raw`));
      const copy = new Uint8Array(raw.byteLength);
      copy.set(raw);
      const C = typedArrayConstructor(c.dtype);
      expectSameValues(v.data, new C(copy.buffer, 0, raw.byteLength / C.BYTES_PER_ELEMENT), c.name);
    }
  });

  it("round-trips through numpy: encodeNpy → numpy.load → numpy.save → decodeNpy", () => {
    const v = randomVolume("int32", [7, 9], "yx", 99);
    const a = path.join(dir, "rt-a.npy");
    const b = path.join(dir, "rt-b.npy");
    writeFileSync(a, encodeNpy(v));
    python("import sys, numpy as np; np.save(sys.argv[2], np.load(sys.argv[1]))", a, b);
    const back = decodeNpy(new Uint8Array(readFileSync(b)));
    expect(back.shape).toEqual([7, 9]);
    expect(back.axes).toBe("yx");
    expect(back.data).toEqual(v.data);
    // The header is padded so the data starts on a 64-byte boundary, as numpy writes it.
    const header = encodeNpy(v).subarray(0, 128);
    expect(((header[8] | (header[9] << 8)) + 10) % 64).toBe(0);
  });

  it("rejects what it cannot represent", () => {
    const bad = (dict: string) => {
      const h = `${dict}`.padEnd(117, " ");
      const bytes = new Uint8Array(10 + h.length + 1 + 16);
      bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length + 1, 0]);
      for (let i = 0; i < h.length; i++) bytes[10 + i] = h.charCodeAt(i);
      bytes[10 + h.length] = 10;
      return bytes;
    };
    expect(() =>
      decodeNpy(bad("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }"), "x.npy"),
    ).toThrow(/x\.npy: .*unsupported dtype '<i8'/);
    expect(() => decodeNpy(bad("{'descr': '|u1', 'fortran_order': False, 'shape': (16,), }"))).toThrow(
      /1 dimension/,
    );
    expect(() => decodeNpy(bad("{'descr': '|u1', 'fortran_order': False, 'shape': (8, 8), }"))).toThrow(
      /truncated/,
    );
    expect(() => decodeNpy(new Uint8Array([1, 2, 3]))).toThrow(/not a NumPy/);
  });
});

describe.skipIf(SKIP_PYTHON)("tiff and multipage-tiff export → tifffile", () => {
  for (const dtype of DTYPES) {
    it(`tiff ${dtype}: yxc and yx (singleton z dropped)`, async () => {
      const v = randomVolume(dtype, [13, 17, 3], "yxc", 5 + dtype.length);
      const w = randomVolume(dtype, [1, 11, 9], "zyx", 6 + dtype.length);
      const a = await exportTo(`tiff-${dtype}`, v, { format: "tiff" });
      const b = await exportTo(`tiff-${dtype}`, w, { format: "tiff", source: "simple segmentation" });
      expect(path.basename(a.files[0].name)).toBe("cells_Probabilities.tiff");
      expect(path.basename(b.files[0].name)).toBe("cells_Simple Segmentation.tiff");
      const [ra, rb] = readBack([
        { kind: "tiff", file: save(a.files)[0] },
        { kind: "tiff", file: save(b.files)[0] },
      ]);
      expect([ra.shape, ra.dtype, ra.pages]).toEqual([[13, 17, 3], dtype, 1]);
      expectSameValues(ra.data, v.data, "yxc");
      expect([rb.shape, rb.dtype, rb.pages]).toEqual([[11, 9], dtype, 1]);
      expectSameValues(rb.data, w.data, "yx");
    });
  }

  for (const dtype of ["uint8", "int16", "uint32", "float32", "float64"] as const)
    it(`multipage-tiff ${dtype}: one page per z`, async () => {
      const v = randomVolume(dtype, [4, 9, 11, 2], "zyxc", 21 + dtype.length);
      const { files } = await exportTo(`mp-${dtype}`, v, { format: "multipage tiff" });
      expect(files.length).toBe(1);
      const [r] = readBack([{ kind: "tiff", file: save(files)[0] }]);
      expect([r.shape, r.dtype, r.pages]).toEqual([[4, 9, 11, 2], dtype, 4]);
      expectSameValues(r.data, v.data, "zyxc");
    });

  it("multipage-tiff of a time series: one page per t", async () => {
    const v = randomVolume("uint16", [3, 1, 8, 10], "tzyx", 4);
    const { files } = await exportTo("mp-t", v, { format: "multipage-tiff" });
    const [r] = readBack([{ kind: "tiff", file: save(files)[0] }]);
    expect([r.shape, r.dtype, r.pages]).toEqual([[3, 8, 10], "uint16", 3]);
    expectSameValues(r.data, v.data, "tyx");
  });

  it("refuses 3D results for tiff and 4D ones for multipage-tiff, saying what to use", async () => {
    const v = randomVolume("float32", [4, 6, 6, 2], "zyxc");
    await expectExportError(
      exportTo("err", v, { format: "tiff" }),
      "4 z slices",
      "multipage-tiff",
      "tiff-sequence",
    );
    const w = randomVolume("float32", [2, 3, 6, 6], "tzyx");
    await expectExportError(
      exportTo("err", w, { format: "multipage-tiff" }),
      "2 time points of 3 z slices",
      "tiff-sequence",
    );
  });
});

describe.skipIf(SKIP_PYTHON)("tiff-sequence and png-sequence → tifffile, vigra/PIL", () => {
  for (const dtype of DTYPES)
    it(`tiff-sequence ${dtype}: one file per z slice`, async () => {
      const v = randomVolume(dtype, [5, 6, 7, 3], "zyxc", 31 + dtype.length);
      const { files } = await exportTo(`seq-${dtype}`, v, { format: "tiff-sequence" });
      expect(files.map((f) => path.basename(f.name))).toEqual(
        [0, 1, 2, 3, 4].map((k) => `cells_Probabilities_${k}.tiff`),
      );
      const reads = readBack(save(files).map((file) => ({ kind: "tiff" as const, file })));
      for (const [k, r] of reads.entries()) {
        expect([r.shape, r.dtype, r.pages]).toEqual([[6, 7, 3], dtype, 1]);
        expectSameValues(r.data, extractBox(v, { z: [k, k + 1] }).data, `slice ${k}`);
      }
    });

  it("tiff-sequence of a 3D time series: one multipage file per time point", async () => {
    const v = randomVolume("int16", [2, 3, 4, 5], "tzyx", 8);
    const { files } = await exportTo("seq-t", v, {
      format: "tiff-sequence",
      filenameFormat: "{dataset_dir}/t{slice_index:03}/{nickname}",
    });
    expect(files.map((f) => path.relative(dir, f.name))).toEqual([
      "seq-t/t000/cells.tiff",
      "seq-t/t001/cells.tiff",
    ]);
    const reads = readBack(save(files).map((file) => ({ kind: "tiff" as const, file })));
    for (const [k, r] of reads.entries()) {
      expect([r.shape, r.dtype, r.pages]).toEqual([[3, 4, 5], "int16", 3]);
      expectSameValues(r.data, extractBox(v, { t: [k, k + 1] }).data, `t ${k}`);
    }
  });

  const pngCases: [DType, number][] = [
    ["uint8", 1],
    ["uint8", 2],
    ["uint8", 3],
    ["uint8", 4],
    ["uint16", 1],
    ["uint16", 3],
  ];
  for (const [dtype, channels] of pngCases)
    it(`png-sequence ${dtype} with ${channels} channel(s)`, async () => {
      const v = randomVolume(dtype, [3, 9, 10, channels], "zyxc", 41 + channels);
      const { files } = await exportTo(`png-${dtype}-${channels}`, v, { format: "png-sequence" });
      expect(files.map((f) => path.basename(f.name))).toEqual(
        [0, 1, 2].map((k) => `cells_Probabilities_${k}.png`),
      );
      const reads = readBack(save(files).map((file) => ({ kind: "png" as const, file })));
      for (const [k, r] of reads.entries()) {
        expect(r.shape).toEqual(channels === 1 ? [9, 10] : [9, 10, channels]);
        expect(r.dtype).toBe(dtype);
        if (dtype === "uint8") expect(r.mode).toBe(["L", "LA", "RGB", "RGBA"][channels - 1]);
        else if (channels === 1) expect(["I", "I;16"]).toContain(r.mode); // Pillow's 16-bit gray modes
        expectSameValues(r.data, extractBox(v, { z: [k, k + 1] }).data, `slice ${k}`);
      }
    });

  it("png-sequence refuses float results and too many channels, naming the fix", async () => {
    const p = probabilities([3, 8, 8, 2], "zyxc");
    await expectExportError(
      exportTo("png-err", p, { format: "png-sequence" }),
      "uint8 or uint16",
      "float32",
      "--dtype uint8",
      "--renormalize 0,1,0,255",
    );
    await expectExportError(exportTo("png-err", p, { format: "png-sequence", dtype: "float64" }), "float64");
    const five = randomVolume("uint8", [2, 4, 4, 5], "zyxc");
    await expectExportError(
      exportTo("png-err", five, { format: "png-sequence" }),
      "1 to 4 channels",
      "has 5",
    );
    const t = randomVolume("uint8", [2, 3, 4, 4], "tzyx");
    await expectExportError(
      exportTo("png-err", t, { format: "png-sequence" }),
      "3 z slices",
      "tiff-sequence",
    );
  });

  it("needs {slice_index} in an explicit filename format, and refuses it elsewhere", async () => {
    const v = randomVolume("uint8", [2, 4, 4], "zyx");
    await expectExportError(
      exportTo("idx", v, { format: "tiff-sequence", filenameFormat: "{dataset_dir}/{nickname}" }),
      "needs {slice_index}",
    );
    await expectExportError(
      exportTo("idx", v, { format: "hdf5", filenameFormat: "{dataset_dir}/{nickname}_{slice_index}" }),
      "{slice_index} only exists for the sequence formats",
    );
    await expectExportError(
      exportTo("idx", v, { format: "hdf5", filenameFormat: "{dataset_dir}/{nickname}_{roi}" }),
      "unknown placeholder {roi}",
      "{nickname}",
      "{z_start}",
    );
  });

  it("numbers slices from the cutout start, zero-padded to the digits of the last index + 1", async () => {
    const v = randomVolume("uint8", [14, 5, 6], "zyx", 2);
    const cut = await exportTo("cut", v, { format: "png-sequence", cutout: "z=2:5,x=1:" });
    expect(cut.files.map((f) => path.basename(f.name))).toEqual(
      [2, 3, 4].map((k) => `cells_Probabilities_${k}.png`),
    );
    const reads = readBack(save(cut.files).map((file) => ({ kind: "png" as const, file })));
    for (const [k, r] of reads.entries()) {
      expect(r.shape).toEqual([5, 5]);
      expectSameValues(r.data, extractBox(v, { z: [k + 2, k + 3], x: [1, 6] }).data, `slice ${k + 2}`);
    }
    const all = await exportTo("pad", v, { format: "tiff-sequence", cutout: "z=4:" });
    expect(all.files.map((f) => path.basename(f.name))).toEqual(
      [4, 5, 6, 7, 8, 9, 10, 11, 12, 13].map((k) => `cells_Probabilities_${String(k).padStart(2, "0")}.tiff`),
    );
    const named = await exportTo("roi", v, {
      format: "hdf5",
      cutout: "z=3:9,y=1:4",
      filenameFormat: "{dataset_dir}/{nickname}_z{z_start}-{z_stop}_y{y_start}-{y_stop}",
    });
    expect(path.basename(named.files[0].name)).toBe("cells_z3-9_y1-4.h5");
    expect(named.volume.shape).toEqual([6, 3, 6]);
  });
});

describe.skipIf(SKIP_PYTHON)(
  "the Fiji recipe: --dtype uint8 --renormalize 0,1,0,255 --format tiff-sequence",
  () => {
    it("float32 probabilities 0..1 become uint8 0..255 slices that numpy agrees with", async () => {
      const p = probabilities([12, 16, 15, 2], "zyxc", 9);
      const { files, volume } = await exportVolume(p, {
        image: path.join(dir, "fiji", "raw", "cells.tif"),
        dtype: "uint8",
        renormalize: "0,1,0,255",
        format: "tiff-sequence",
      });
      expect(volume.shape).toEqual([12, 16, 15, 2]);
      expect(dtypeOf(volume.data)).toBe("uint8");
      const names = files.map((f) => path.relative(dir, f.name));
      expect(names).toEqual(
        Array.from(
          { length: 12 },
          (_, k) => `fiji/raw/cells_Probabilities_${String(k).padStart(2, "0")}.tiff`,
        ),
      );
      const paths = save(files);
      // The float32 source as numpy sees it, then numpy's own conversion compared with what tifffile reads.
      const source = path.join(dir, "fiji", "source.npy");
      writeFileSync(source, encodeNpy(p));
      const verdict = python(
        `
import json, sys
import numpy as np, tifffile
p = np.load(sys.argv[1])
expected = np.clip(np.rint(p.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)
files = sys.argv[2:]
got = np.stack([tifffile.imread(f) for f in files])
print(json.dumps(dict(shape=list(got.shape), dtype=got.dtype.name, equal=bool(np.array_equal(got, expected)),
    ends=[int(got.min()), int(got.max())])))
`,
        source,
        ...paths,
      );
      const v = JSON.parse(verdict) as { shape: number[]; dtype: string; equal: boolean; ends: number[] };
      expect(v.shape).toEqual([12, 16, 15, 2]);
      expect(v.dtype).toBe("uint8");
      expect(v.equal).toBe(true);
      expect(v.ends).toEqual([0, 255]);
      // Spot checks: 0 → 0, 1 → 255, 0.5 → 127.5 → 128 (half to even), 0.25 → 63.75 → 64, 0.75 → 191.25 → 191.
      expect([0, 7, 14, 21, 28].map((i) => volume.data[i])).toEqual([0, 255, 128, 64, 191]);
    });
  },
);

describe("encodeExport without Python", () => {
  it("writes ilastik's axistags and default names", async () => {
    const v = randomVolume("uint8", [4, 5], "yx");
    const { files } = await encodeExport(v, { format: "npy" });
    expect(files.map((f) => f.name)).toEqual(["export.npy"]);
    const seq = await encodeExport(randomVolume("uint8", [2, 4, 5], "zyx"), { format: "png-sequence" });
    expect(seq.files.map((f) => f.name)).toEqual(["export_0.png", "export_1.png"]);
    const one = await encodeExport(v, { format: "tiff-sequence" });
    expect(one.files.map((f) => f.name)).toEqual(["export_0.tiff"]);
  });
});
