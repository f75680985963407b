// The `sylva` image specs against the reference's own `read_image` (../shared/reference/ilastik_ref.py):
// each spec form must give the same array (shape, values) and the same is_stack; and the error paths.

import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { dtypeOf } from "@sylva/core";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../src/io/errors.js";
import { splitHdf5Spec } from "../src/io/hdf5-spec.js";
import { readImageSpec } from "../src/io/input.js";
import { writeFileAtomic } from "../src/io/output.js";

const PYTHON = "/usr/bin/python3";
/** The repository root: apps/compute/test is three levels below it. */
const REPO_ROOT = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const SHARED = path.resolve(REPO_ROOT, "../shared");
const ISBI = path.join(SHARED, "data/isbi2012/raw");
const MITOCHECK = path.join(SHARED, "data/ilastik/mitocheck_2d+t/mitocheck_small_2D+t.h5");

const dir = mkdtempSync(path.join(tmpdir(), "sylva-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(script: string, ...args: string[]): string {
  return execFileSync(PYTHON, ["-c", script, ...args], { stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** What the reference's read_image returns for `spec`: shape, dtype, is_stack and the values (as float64). */
function reference(spec: string): { shape: number[]; dtype: string; isStack: boolean; values: Float64Array } {
  const out = path.join(dir, `ref-${Math.random().toString(36).slice(2)}.f64`);
  const script = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(path.join(SHARED, "reference"))})`,
    "import numpy as np, ilastik_ref",
    "a, s = ilastik_ref.read_image(sys.argv[1])",
    "np.ascontiguousarray(a, dtype='<f8').tofile(sys.argv[2])",
    "print(json.dumps({'shape': list(a.shape), 'dtype': a.dtype.name, 'isStack': bool(s)}))",
  ].join("\n");
  const meta = JSON.parse(python(script, spec, out));
  const bytes = readFileSync(out);
  const values = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  rmSync(out);
  return { ...meta, values };
}

async function expectSameAsReference(spec: string, axes: string) {
  const ours = await readImageSpec(spec);
  const ref = reference(spec);
  expect(ours.volume.axes).toBe(axes);
  expect([...ours.volume.shape]).toEqual(ref.shape);
  expect(dtypeOf(ours.volume.data)).toBe(ref.dtype);
  expect(ours.isStack).toBe(ref.isStack);
  expect(ours.volume.data.length).toBe(ref.values.length);
  let mismatch = -1;
  for (let i = 0; i < ref.values.length && mismatch < 0; i++)
    if (ours.volume.data[i] !== ref.values[i]) mismatch = i;
  expect(mismatch).toBe(-1);
  return ours;
}

// Fixtures: a folder of ISBI slices whose names sort differently as text and naturally, written out of
// order, with a hidden file the reference's glob skips too; a multi-page TIFF and an HDF5 file from Python.
const slices = path.join(dir, "slices");
mkdirSync(slices);
const naming: [string, string][] = [
  ["10.png", "02.png"],
  ["2.png", "01.png"],
  ["1.png", "00.png"],
];
for (const [name, src] of naming) copyFileSync(path.join(ISBI, src), path.join(slices, name));
writeFileSync(path.join(slices, ".DS_Store"), "not an image");
const multiTiff = path.join(dir, "stack.tif");
const h5File = path.join(dir, "volume.h5");
python(
  [
    "import sys, numpy as np, tifffile, h5py",
    "rng = np.random.default_rng(3)",
    "tifffile.imwrite(sys.argv[1], rng.integers(0, 65535, (5, 40, 30), dtype=np.uint16))",
    "with h5py.File(sys.argv[2], 'w') as f:",
    "    f.create_dataset('data/raw', data=rng.integers(0, 255, (6, 40, 30), dtype=np.uint8))",
    "    f.create_dataset('rgb', data=rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))",
  ].join("\n"),
  multiTiff,
  h5File,
);

describe("readImageSpec reads every spec form as the reference does", () => {
  it("a single PNG (the real ISBI slice)", async () => {
    const r = await expectSameAsReference(path.join(ISBI, "00.png"), "yx");
    expect(r.sources).toEqual([path.join(ISBI, "00.png")]);
  });

  it("a multi-page TIFF is a z-stack", async () => {
    const r = await expectSameAsReference(multiTiff, "zyx");
    expect(r.isStack).toBe(true);
    expect(r.volume.shape).toEqual([5, 40, 30]);
  });

  it("a folder: hidden files skipped, natural order, stacked along z", async () => {
    const r = await expectSameAsReference(slices, "zyx");
    expect(r.sources.map((s) => path.basename(s))).toEqual(["1.png", "2.png", "10.png"]);
    expect(r.volume.shape).toEqual([3, 512, 512]);
  });

  it("a comma-separated list, stacked in the given order", async () => {
    const spec = [path.join(ISBI, "02.png"), path.join(ISBI, "00.png")].join(",");
    const r = await expectSameAsReference(spec, "zyx");
    expect(r.sources).toEqual(spec.split(","));
  });

  it("FILE.h5/internal/path", async () => {
    const r = await expectSameAsReference(`${h5File}/data/raw`, "zyx");
    expect(r.isStack).toBe(true);
    const rgb = await expectSameAsReference(`${h5File}/rgb`, "yxc");
    expect(rgb.isStack).toBe(false);
  });

  it("ilastik's mitocheck file, with its axistags", async () => {
    const r = await readImageSpec(`${MITOCHECK}/exported_data`);
    expect(r.volume.axes).toBe("txyzc");
    expect(r.volume.shape).toEqual([9, 99, 105, 1, 1]);
    expect(r.isStack).toBe(false);
    expect(r.sources).toEqual([MITOCHECK]);
  });

  it("splits HDF5 specs where the reference does", () => {
    expect(splitHdf5Spec("/d/a.h5/x/y")).toEqual({ file: "/d/a.h5", dataset: "x/y" });
    expect(splitHdf5Spec("p.ilp/Input Data/local/raw")).toEqual({
      file: "p.ilp",
      dataset: "Input Data/local/raw",
    });
    expect(splitHdf5Spec("/d/v.hdf5/data")).toEqual({ file: "/d/v.hdf5", dataset: "data" });
    expect(splitHdf5Spec("/d/x.h5.d/a.h5/data")).toEqual({ file: "/d/x.h5.d/a.h5", dataset: "data" });
    expect(splitHdf5Spec("/d/a.png")).toBeUndefined();
  });
});

describe("readImageSpec errors", () => {
  async function inputError(spec: string): Promise<InputError> {
    try {
      await readImageSpec(spec);
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return e as InputError;
    }
    throw new Error(`expected an InputError for ${spec}`);
  }

  it("a missing file or folder", async () => {
    const missing = path.join(dir, "nope", "cells.png");
    expect((await inputError(missing)).message).toBe(`no such file or folder: ${missing}`);
    const listed = `${path.join(ISBI, "00.png")},${path.join(dir, "gone.png")}`;
    expect((await inputError(listed)).message).toBe(`no such file: ${path.join(dir, "gone.png")}`);
    expect((await inputError(`${path.join(dir, "none.h5")}/data`)).message).toBe(
      `no such file: ${path.join(dir, "none.h5")}`,
    );
  });

  it("an empty folder, and one holding only hidden files", async () => {
    const empty = path.join(dir, "empty");
    mkdirSync(path.join(empty, ".hidden"), { recursive: true });
    writeFileSync(path.join(empty, ".keep"), "");
    expect((await inputError(empty)).message).toBe(`folder ${empty} holds no image files`);
  });

  it("an undecodable file names the file and the decoder's problem", async () => {
    const fake = path.join(dir, "fake.png");
    writeFileSync(fake, "hello, not a png");
    expect((await inputError(fake)).message).toBe(`${fake}: not a PNG file (no PNG signature)`);
    const bad = path.join(dir, "bad");
    mkdirSync(bad);
    copyFileSync(path.join(ISBI, "00.png"), path.join(bad, "1.png"));
    writeFileSync(path.join(bad, "2.png"), "garbage");
    const e = await inputError(bad);
    expect(e.message).toBe(`${path.join(bad, "2.png")}: not a PNG file (no PNG signature)`);
    expect(e.path).toBe(path.join(bad, "2.png"));
  });

  it("a slice that does not match the others names it", async () => {
    const spec = `${path.join(ISBI, "00.png")},${multiTiff}`;
    expect((await inputError(spec)).message).toContain(`${multiTiff}: is not a 2D image`);
    const small = path.join(dir, "small.png");
    python(
      "import sys, numpy as np; from PIL import Image; Image.fromarray(np.zeros((4, 5), np.uint8)).save(sys.argv[1])",
      small,
    );
    const e = await inputError(`${path.join(ISBI, "00.png")},${small}`);
    expect(e.message).toBe(
      `${small}: is yx [4, 5] uint8 but ${path.join(ISBI, "00.png")} is yx [512, 512] uint8; all images of a stack must have the same shape and dtype`,
    );
  });

  it("a missing dataset lists those available", async () => {
    const e = await inputError(`${h5File}/data/missing`);
    expect(e.message).toBe(`${h5File}: no dataset "data/missing"; available datasets: data/raw, rgb`);
  });
});

describe("writeFileAtomic", () => {
  it("creates the parent folder and replaces an existing file", async () => {
    const file = path.join(dir, "out", "deep", "result.bin");
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    await writeFileAtomic(file, new Uint8Array([9]));
    expect([...readFileSync(file)]).toEqual([9]);
    expect(readdirSync(path.dirname(file))).toEqual(["result.bin"]);
  });

  it("leaves no file, temporary or final, when the write fails", async () => {
    const parent = path.join(dir, "failing");
    const target = path.join(parent, "result.tif");
    mkdirSync(path.join(target, "occupied"), { recursive: true }); // a folder stands where the file should go
    await expect(writeFileAtomic(target, new Uint8Array(1024))).rejects.toThrow();
    expect(readdirSync(parent)).toEqual(["result.tif"]);
    expect(readdirSync(target)).toEqual(["occupied"]);
  });

  it("fails without leaving anything when the folder cannot be written", async () => {
    const file = path.join(dir, "out", "deep", "result.bin", "inside.bin"); // parent is a file
    await expect(writeFileAtomic(file, new Uint8Array(4))).rejects.toThrow();
    expect(readdirSync(path.join(dir, "out", "deep"))).toEqual(["result.bin"]);
  });
});
