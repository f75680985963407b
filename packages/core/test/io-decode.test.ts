// Decoders against independent readers: every fixture file (written by PIL, tifffile, h5py or a minimal
// PNG writer) must decode to exactly the array PIL / tifffile / h5py read from it (JPEG within a few levels: decoders differ in IDCT, colour conversion and chroma upsampling).

import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dtypeOf } from "../src/array/dtype.js";
import { checkVolume } from "../src/array/volume.js";
import { readHdf5 } from "../src/io/hdf5.js";
import { decodeImage } from "../src/io/image.js";
import { decodeJpeg } from "../src/io/jpeg.js";
import { decodePng } from "../src/io/png.js";
import { decodeTiff } from "../src/io/tiff.js";
import {
  firstMismatch,
  loadRaw,
  makeFixtures,
  maxAbsDiff,
  meanAbsDiff,
  pythonRead,
  SHARED,
} from "./fixtures/python.js";

const fx = makeFixtures();
afterAll(() => fx.cleanup());

function bytesOf(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

describe("decoders match PIL / tifffile / h5py on every fixture", () => {
  it("has the fixtures, the real ISBI slice among them", () => {
    expect(fx.cases.length).toBeGreaterThan(50);
    expect(fx.cases.map((c) => c.name)).toContain("isbi_00");
  });

  for (const c of fx.cases) {
    it(c.name, async () => {
      const bytes = bytesOf(c.file);
      const v =
        c.dataset !== undefined ? await readHdf5(bytes, c.dataset, c.file) : await decodeImage(bytes, c.file);
      checkVolume(v, c.name);
      expect(v.axes).toBe(c.axes);
      expect([...v.shape]).toEqual(c.shape);
      expect(dtypeOf(v.data)).toBe(c.dtype);
      const expected = loadRaw(fx.dir, c);
      if (c.tolerance === undefined) expect(firstMismatch(v.data, expected)).toBe(-1);
      else {
        expect(v.data.length).toBe(expected.length);
        expect(maxAbsDiff(v.data, expected)).toBeLessThanOrEqual(c.tolerance);
        expect(meanAbsDiff(v.data, expected)).toBeLessThanOrEqual(c.meanTolerance ?? c.tolerance);
      }
    });
  }
});

describe("the format-specific decoders", () => {
  const byName = new Map(fx.cases.map((c) => [c.name, c]));

  it("decodePng reads the ISBI slice as 512 × 512 uint8 yx, pixel for pixel as PIL", () => {
    const c = byName.get("isbi_00")!;
    expect(c.file).toBe(path.join(SHARED, "data/isbi2012/raw/00.png"));
    const v = decodePng(bytesOf(c.file), c.file);
    expect(v.axes).toBe("yx");
    expect(v.shape).toEqual([512, 512]);
    expect(v.data).toBeInstanceOf(Uint8Array);
    expect(firstMismatch(v.data, loadRaw(fx.dir, c))).toBe(-1);
  });

  it("decodeJpeg keeps grayscale JPEGs single-channel and drops jpeg-js's alpha on colour ones", () => {
    const gray = decodeJpeg(bytesOf(byName.get("jpeg_gray")!.file));
    expect(gray.axes).toBe("yx");
    const color = decodeJpeg(bytesOf(byName.get("jpeg_color444")!.file));
    expect(color.axes).toBe("yxc");
    expect(color.shape[2]).toBe(3);
  });

  it("decodeTiff reads a multi-page TIFF as a z-stack and skips reduced-resolution pages", async () => {
    const multi = await decodeTiff(bytesOf(byName.get("tiff_multipage_uint16")!.file));
    expect(multi.axes).toBe("zyx");
    expect(multi.shape[0]).toBe(5);
    const pyramid = await decodeTiff(bytesOf(byName.get("tiff_pyramid_full_resolution")!.file));
    expect(pyramid.shape).toEqual([64, 48]);
  });
});

describe("ilastik's own HDF5 files", () => {
  const mitocheck = path.join(SHARED, "data/ilastik/mitocheck_2d+t/mitocheck_small_2D+t.h5");

  it("reads mitocheck exported_data with the axes of its axistags (t, x, y, z, c), as h5py reads it", async () => {
    const v = await readHdf5(bytesOf(mitocheck), "exported_data", mitocheck);
    expect(v.axes).toBe("txyzc");
    expect(v.shape).toEqual([9, 99, 105, 1, 1]);
    expect(dtypeOf(v.data)).toBe("uint16");
    const py = pythonRead("h5", mitocheck);
    const [a] = py.arrays;
    expect(a.name).toBe("exported_data");
    expect(a.shape).toEqual([9, 99, 105, 1, 1]);
    expect(a.dtype).toBe("uint16");
    expect(
      JSON.parse(String(a.attrs?.axistags[1]))
        .axes.map((x: { key: string }) => x.key)
        .join(""),
    ).toBe("txyzc");
    expect(firstMismatch(v.data, loadRaw(py.dir, a))).toBe(-1);
  });

  it("reads 5t2d1c.h5 data as t, y, x, c float32", async () => {
    const file = path.join(SHARED, "data/ilastik/5t2d1c.h5");
    const v = await readHdf5(bytesOf(file), "/data", file);
    expect(v.axes).toBe("tyxc");
    expect(v.shape).toEqual([5, 33, 77, 1]);
    expect(dtypeOf(v.data)).toBe("float32");
    const py = pythonRead("h5", file);
    expect(firstMismatch(v.data, loadRaw(py.dir, py.arrays[0]))).toBe(-1);
  });
});
