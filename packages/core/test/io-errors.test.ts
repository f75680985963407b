// Error paths: every failure is an ImageFormatError whose message names the file and the problem.

import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ImageFormatError } from "../src/io/errors.js";
import { listHdf5Datasets, readHdf5, writeHdf5 } from "../src/io/hdf5.js";
import { decodeImage } from "../src/io/image.js";
import { decodeJpeg } from "../src/io/jpeg.js";
import { decodePng, encodePng } from "../src/io/png.js";
import { stackImages } from "../src/io/stack.js";
import { decodeTiff, encodeTiff } from "../src/io/tiff.js";
import { makeFixtures, SHARED } from "./fixtures/python.js";

const fx = makeFixtures();
afterAll(() => fx.cleanup());

const ISBI = path.join(SHARED, "data/isbi2012/raw/00.png");
const MITOCHECK = path.join(SHARED, "data/ilastik/mitocheck_2d+t/mitocheck_small_2D+t.h5");

function bytesOf(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

/** The ImageFormatError `fn` throws (or rejects with); fails the test when it throws anything else. */
async function formatError(fn: () => unknown): Promise<ImageFormatError> {
  try {
    await fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ImageFormatError);
    return e as ImageFormatError;
  }
  throw new Error("expected an ImageFormatError, nothing was thrown");
}

describe("corrupt and unsupported files", () => {
  it("a truncated PNG names the file and says the data is incomplete", async () => {
    const bytes = bytesOf(ISBI);
    for (const cut of [bytes.length - 20, Math.floor(bytes.length / 2), 40]) {
      const e = await formatError(() => decodePng(bytes.subarray(0, cut), "cut/00.png"));
      expect(e.message).toMatch(/^cut\/00\.png: /);
      expect(e.message).toMatch(/truncated|incomplete|cannot decode PNG/);
    }
  });

  it("a PNG with a corrupted chunk fails its CRC check", async () => {
    const bytes = bytesOf(ISBI).slice();
    bytes[100] ^= 0xff; // inside the first IDAT chunk
    const e = await formatError(() => decodePng(bytes, "flipped.png"));
    expect(e.message).toMatch(/^flipped\.png: cannot decode PNG: .*CRC/i);
  });

  it("a text file named .png is not a PNG", async () => {
    const text = new TextEncoder().encode("this is not an image\n");
    const e = await formatError(() => decodeImage(text, "notes/fake.png"));
    expect(e.message).toBe("notes/fake.png: not a PNG file (no PNG signature)");
  });

  it("an unknown format lists the supported ones", async () => {
    const bmp = new Uint8Array([0x42, 0x4d, 0, 0, 0, 0, 0, 0, 0, 0]);
    const e = await formatError(() => decodeImage(bmp, "slice.bmp"));
    expect(e.message).toContain("slice.bmp");
    expect(e.message).toContain('".bmp"');
    expect(e.message).toContain("PNG (.png), JPEG (.jpg, .jpeg), TIFF (.tif, .tiff)");
  });

  it("an HDF5 file given as an image asks for the dataset path", async () => {
    const e = await formatError(() => decodeImage(bytesOf(MITOCHECK), "mito.h5"));
    expect(e.message).toContain("FILE.h5/path/to/dataset");
  });

  it("a truncated JPEG and a truncated TIFF are errors naming the file", async () => {
    const jpg = bytesOf(fx.cases.find((c) => c.name === "jpeg_gray")!.file);
    const ej = await formatError(() => decodeJpeg(jpg.subarray(0, Math.floor(jpg.length / 2)), "half.jpg"));
    expect(ej.message).toMatch(/^half\.jpg: /);
    const tif = bytesOf(fx.cases.find((c) => c.name === "tiff_multipage_uint16_deflate")!.file);
    const et = await formatError(() => decodeTiff(tif.subarray(0, Math.floor(tif.length / 2)), "half.tif"));
    expect(et.message).toMatch(/^half\.tif: /);
  });

  for (const err of fx.errors.filter((e) => e.dataset === undefined)) {
    it(`${err.name}: the message names the file and "${err.expect}"`, async () => {
      const e = await formatError(() => decodeImage(bytesOf(err.file), err.file));
      expect(e.message.startsWith(`${err.file}: `)).toBe(true);
      expect(e.message).toContain(err.expect);
    });
  }
});

describe("HDF5 errors", () => {
  it("a missing dataset path lists the available datasets", async () => {
    const e = await formatError(() => readHdf5(bytesOf(MITOCHECK), "volume/data", "mito.h5"));
    expect(e.message).toBe('mito.h5: no dataset "volume/data"; available datasets: exported_data');
  });

  it("a path through a dataset, or to a group, is explained", async () => {
    const h5 = fx.cases.find((c) => c.name === "h5_u8_yx")!.file;
    const through = await formatError(() => readHdf5(bytesOf(h5), "u8_yx/deeper", h5));
    expect(through.message).toContain('("u8_yx" is not a group)');
    const group = await formatError(() => readHdf5(bytesOf(h5), "group/sub", h5));
    expect(group.message).toContain(
      '"group/sub" is a group, not a dataset; datasets inside it: group/sub/gzip_u16',
    );
  });

  it("lists every dataset, nested ones included", async () => {
    const h5 = fx.cases.find((c) => c.name === "h5_u8_yx")!.file;
    const names = await listHdf5Datasets(bytesOf(h5));
    expect(names).toContain("group/sub/gzip_u16");
    expect(names).toContain("tagged_txyc");
    expect(names).toContain("u8_yx");
  });

  for (const err of fx.errors.filter((e) => e.dataset !== undefined)) {
    it(`${err.name}: the message names the file, the dataset and "${err.expect}"`, async () => {
      const e = await formatError(() => readHdf5(bytesOf(err.file), err.dataset!, err.file));
      expect(e.message.startsWith(`${err.file}: `)).toBe(true);
      expect(e.message).toContain(`"${err.dataset}"`);
      expect(e.message).toContain(err.expect);
    });
  }

  it("a truncated or non-HDF5 file is an error, and leaves h5wasm usable", async () => {
    const bytes = bytesOf(MITOCHECK);
    const cut = await formatError(() => readHdf5(bytes.subarray(0, 60000), "exported_data", "cut.h5"));
    expect(cut.message).toMatch(/^cut\.h5: cannot (open HDF5 file|read dataset)/);
    const junk = await formatError(() => readHdf5(new TextEncoder().encode("hello"), "x", "junk.h5"));
    expect(junk.message).toBe("junk.h5: not an HDF5 file (no HDF5 signature)");
    const v = await readHdf5(bytes, "exported_data");
    expect(v.shape).toEqual([9, 99, 105, 1, 1]);
  });

  it("writeHdf5 rejects data that does not fill its shape", async () => {
    const e = await formatError(() => writeHdf5([{ path: "a", data: new Uint8Array(5), shape: [2, 3] }]));
    expect(e.message).toContain('dataset "a": data holds 5 values, shape [2, 3] needs 6');
  });
});

describe("stacking and encoding errors", () => {
  it("a slice that does not match the first names the file and both shapes", async () => {
    const a = { data: new Uint8Array(6), shape: [2, 3], axes: "yx" };
    const b = { data: new Uint8Array(8), shape: [2, 4], axes: "yx" };
    const e = await formatError(() => stackImages([a, a, b], ["s/1.png", "s/2.png", "s/10.png"]));
    expect(e.message).toBe(
      "s/10.png: is yx [2, 4] uint8 but s/1.png is yx [2, 3] uint8; all images of a stack must have the same shape and dtype",
    );
    const c = { data: new Uint16Array(6), shape: [2, 3], axes: "yx" };
    const d = await formatError(() => stackImages([a, c], ["a.png", "b.png"]));
    expect(d.message).toContain("b.png: is yx [2, 3] uint16 but a.png is yx [2, 3] uint8");
    const z = { data: new Uint8Array(12), shape: [2, 2, 3], axes: "zyx" };
    const f = await formatError(() => stackImages([a, z], ["a.png", "multi.tif"]));
    expect(f.message).toContain('multi.tif: is not a 2D image (axes "zyx"');
  });

  it("encoders name what they cannot write", async () => {
    const f32 = { data: new Float32Array(6), shape: [2, 3], axes: "yx" };
    expect((await formatError(() => encodePng(f32))).message).toContain("got float32");
    const t = { data: new Uint8Array(12), shape: [2, 2, 3], axes: "tyx" };
    expect((await formatError(() => encodeTiff(t))).message).toContain('got "tyx"');
  });
});
