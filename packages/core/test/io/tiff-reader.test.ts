// The lazy TIFF reader: regions of classic and BigTIFF files (ours and tifffile's: multi-page, RGB,
// deflate strips, tiles, planar) equal the same regions of the eager decode and of tifffile's arrays; only
// the pages a region needs are decoded; voxel sizes from resolution tags; hostile files (a few KB claiming
// 10^15 voxels, a looping page chain, cut strips, 12-bit and float16 samples) are refused clearly.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TypedArray } from "../../src/array/dtype.js";
import type { Volume } from "../../src/array/volume.js";
import { decodeNpy } from "../../src/io/npy.js";
import type { VolumeReader } from "../../src/io/reader.js";
import { bytesSource } from "../../src/io/reader.js";
import { decodeTiff, encodeTiff } from "../../src/io/tiff.js";
import { openTiffReader } from "../../src/io/tiff-reader.js";
import {
  countingSource,
  expectReaderMatches,
  expectSameVolume,
  formatError,
  fullRegion,
  rng,
  runPython,
} from "./util.js";

function volume(data: TypedArray, shape: number[], axes: string): Volume {
  return { data, shape, axes };
}

function randomFill<T extends TypedArray>(a: T, seed: number, scale: number): T {
  const rand = rng(seed);
  for (let i = 0; i < a.length; i++)
    a[i] = Math.floor(rand() * scale) - (a instanceof Float32Array ? scale / 2 : 0);
  return a;
}

const OURS: Record<string, Volume> = {
  "gray-u8": volume(randomFill(new Uint8Array(33 * 47), 1, 256), [33, 47], "yx"),
  "rgb-u8": volume(randomFill(new Uint8Array(21 * 30 * 3), 2, 256), [21, 30, 3], "yxc"),
  "stack-u16": volume(randomFill(new Uint16Array(6 * 19 * 23), 3, 65536), [6, 19, 23], "zyx"),
  "stack-rgba-f32": volume(randomFill(new Float32Array(3 * 11 * 13 * 4), 4, 1000), [3, 11, 13, 4], "zyxc"),
  "stack-i32-2ch": volume(randomFill(new Int32Array(4 * 9 * 7 * 2), 5, 1e6), [4, 9, 7, 2], "zyxc"),
};

/** Little-endian classic TIFF: sets the inline value of `tag` in every IFD. */
function patchTag(tiff: Uint8Array, tag: number, value: number): Uint8Array {
  const out = tiff.slice();
  const view = new DataView(out.buffer);
  for (let ifd = view.getUint32(4, true); ifd !== 0; ) {
    const n = view.getUint16(ifd, true);
    for (let e = 0; e < n; e++) {
      const at = ifd + 2 + e * 12;
      if (view.getUint16(at, true) !== tag) continue;
      if (view.getUint16(at + 2, true) === 3) view.setUint16(at + 8, value, true);
      else view.setUint32(at + 8, value, true);
    }
    ifd = view.getUint32(ifd + 2 + n * 12, true);
  }
  return out;
}

/**
 * A hand-made TIFF of `pages` directories, each claiming a `width` × `height` 8-bit page stored as one
 * strip of `stripBytes` at byte 8 (the file holds no such data).
 */
function tiffClaiming(pages: number, width: number, height: number, rowsPerStrip = height): Uint8Array {
  const entries: [number, number, number][] = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 8],
    [277, 3, 1],
    [278, 4, rowsPerStrip],
    [279, 4, width * rowsPerStrip],
  ];
  const ifdBytes = 2 + entries.length * 12 + 4;
  const first = 16;
  const out = new Uint8Array(first + pages * ifdBytes);
  const view = new DataView(out.buffer);
  out.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, first, true);
  for (let p = 0; p < pages; p++) {
    const at = first + p * ifdBytes;
    view.setUint16(at, entries.length, true);
    for (const [e, [tag, type, value]] of entries.entries()) {
      const entry = at + 2 + e * 12;
      view.setUint16(entry, tag, true);
      view.setUint16(entry + 2, type, true);
      view.setUint32(entry + 4, 1, true);
      if (type === 3) view.setUint16(entry + 8, value, true);
      else view.setUint32(entry + 8, value, true);
    }
    view.setUint32(at + ifdBytes - 4, p + 1 < pages ? at + ifdBytes : 0, true);
  }
  return out;
}

/** tifffile writes these (and each array as .npy) into a temporary folder. */
const TIFFFILE_SCRIPT = `
import sys, numpy as np, tifffile
out = sys.argv[1]
rng = np.random.default_rng(2012)
def save(name, a, **kw):
    tifffile.imwrite(f"{out}/{name}.tif", a, **kw)
    np.save(f"{out}/{name}.npy", tifffile.imread(f"{out}/{name}.tif"))
save("bigtiff_u16_strips", rng.integers(0, 65535, (5, 37, 41)).astype(np.uint16), bigtiff=True, compression="zlib", rowsperstrip=3)
save("tiled_rgb_u8", rng.integers(0, 255, (3, 70, 90, 3)).astype(np.uint8), photometric="rgb", tile=(32, 32), compression="zlib")
tifffile.imwrite(f"{out}/planar_tiled_u16.tif", rng.integers(0, 65535, (3, 64, 80)).astype(np.uint16), photometric="rgb", planarconfig="separate", tile=(16, 16))
np.save(f"{out}/planar_tiled_u16.npy", np.moveaxis(tifffile.imread(f"{out}/planar_tiled_u16.tif"), 0, -1).copy())
save("strips_f32", rng.normal(size=(5, 50, 33)).astype(np.float32), photometric="minisblack", compression="zlib", rowsperstrip=7)
save("bigendian_i16_tiled", rng.integers(-30000, 30000, (2, 40, 50)).astype(np.int16), byteorder=">", tile=(16, 32), compression="zlib")
save("resolution_cm", np.arange(120, dtype=np.uint8).reshape(10, 12), resolution=(10000, 20000), resolutionunit="CENTIMETER")
save("imagej", np.arange(1800, dtype=np.uint16).reshape(3, 20, 30), imagej=True, resolution=(4.0, 2.0), metadata={"spacing": 1.5, "unit": "um", "axes": "ZYX"})
tifffile.imwrite(f"{out}/float16.tif", np.zeros((8, 9), np.float16))
`;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "sylva-tiff-reader-"));
  runPython(TIFFFILE_SCRIPT, [dir]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir, name)));

describe("regions equal the eager decode", () => {
  for (const [name, v] of Object.entries(OURS))
    it(`encodeTiff ${name} (${v.axes} [${v.shape.join(", ")}])`, async () => {
      const bytes = encodeTiff(v);
      const reader = await openTiffReader(bytesSource(bytes, `${name}.tif`));
      expect(reader.axesGuessed).toBe(false);
      expectSameVolume(await decodeTiff(bytes, name), v, "eager");
      await expectReaderMatches(reader, v, 16, name.length);
    });

  for (const name of [
    "bigtiff_u16_strips",
    "tiled_rgb_u8",
    "planar_tiled_u16",
    "strips_f32",
    "bigendian_i16_tiled",
    "resolution_cm",
    "imagej",
  ])
    it(`tifffile ${name}`, async () => {
      const bytes = fileBytes(`${name}.tif`);
      const reader = await openTiffReader(bytesSource(bytes, `${name}.tif`));
      const expected = decodeNpy(fileBytes(`${name}.npy`), name, reader.axes);
      expectSameVolume(await decodeTiff(bytes, name), expected, "eager");
      await expectReaderMatches(reader, expected, 16, name.length);
    });
});

describe("laziness and metadata", () => {
  it("opening reads directories only; a read decodes only its pages and strips", async () => {
    const v = volume(randomFill(new Uint16Array(6 * 128 * 128), 9, 65536), [6, 128, 128], "zyx");
    const bytes = encodeTiff(v);
    const src = countingSource(bytes, "stack.tif");
    const reader = await openTiffReader(src);
    const pageBytes = 128 * 128 * 2;
    expect(src.bytesRead).toBeLessThan(bytes.length * 0.1);
    const before = src.bytesRead;
    await reader.read({ start: [2, 0, 0], stop: [3, 128, 128] });
    expect(src.bytesRead - before).toBeLessThan(pageBytes * 1.1);

    const strips = fileBytes("strips_f32.tif");
    const src2 = countingSource(strips, "strips.tif");
    const r2 = await openTiffReader(src2);
    const b2 = src2.bytesRead;
    await r2.read({ start: [1, 10, 0], stop: [2, 12, 33] }); // one strip of 7 rows, of one page
    expect(src2.bytesRead - b2).toBeLessThan(7 * 33 * 4 + 1024);
  });

  it("voxel sizes come from resolution tags and ImageJ descriptions", async () => {
    const cm = await openTiffReader(bytesSource(fileBytes("resolution_cm.tif"), "cm.tif"));
    expect(cm.scales).toEqual([
      { axis: "y", size: 0.5, unit: "micrometer" },
      { axis: "x", size: 1, unit: "micrometer" },
    ]);
    const ij = await openTiffReader(bytesSource(fileBytes("imagej.tif"), "ij.tif"));
    expect(ij.axes).toBe("zyx");
    expect(ij.scales).toEqual([
      { axis: "z", size: 1.5, unit: "micrometer" },
      { axis: "y", size: 0.5, unit: "micrometer" },
      { axis: "x", size: 0.25, unit: "micrometer" },
    ]);
    const ours = await openTiffReader(bytesSource(encodeTiff(OURS["gray-u8"]), "ours.tif"));
    expect(ours.scales).toBeUndefined(); // ResolutionUnit "none", no ImageJ unit
  });

  it("reading after close is an error", async () => {
    const reader = await openTiffReader(bytesSource(encodeTiff(OURS["gray-u8"]), "x.tif"));
    await reader.close();
    await expect(reader.read(fullRegion(reader.shape))).rejects.toThrow("x.tif: reader is closed");
  });
});

describe("hostile and unsupported TIFFs", () => {
  it("100000 pages of 100000 × 100000 are refused from the directories alone", async () => {
    const huge = tiffClaiming(100000, 100000, 100000, 1);
    const t = performance.now();
    const e = await formatError(() => openTiffReader(bytesSource(huge, "huge.tif")));
    expect(e.message).toBe(
      "huge.tif: claims 100000 × 100000 × 100000 = 1.00e+15 voxels, more than the limit of 1.10e+12; refusing to read it",
    );
    expect(performance.now() - t).toBeLessThan(20000);
    expect((await formatError(() => decodeTiff(huge, "huge.tif"))).message).toBe(e.message);
  });

  it("one strip of 100000 × 100000 is refused as a decode step", async () => {
    const e = await formatError(() =>
      openTiffReader(bytesSource(tiffClaiming(1, 100000, 100000), "strip.tif")),
    );
    expect(e.message).toBe(
      "strip.tif: TIFF page 0: one strip (100000 × 100000) would decode to 9.3 GiB, more than the limit of 1.0 GiB; refusing to decode it",
    );
  });

  it("a page chain that loops is refused", async () => {
    const two = encodeTiff(OURS["stack-u16"]).slice();
    const view = new DataView(two.buffer);
    const first = view.getUint32(4, true);
    const n = view.getUint16(first, true);
    view.setUint32(first + 2 + n * 12, first, true); // page 0's "next" is page 0
    const e = await formatError(() => openTiffReader(bytesSource(two, "loop.tif")));
    expect(e.message).toBe(
      `loop.tif: corrupt TIFF: the directory of page 1 (byte ${first}) is one already read; the page chain loops`,
    );
  });

  it("a file cut mid-strip names the page whose strip is missing", async () => {
    const bytes = fileBytes("strips_f32.tif");
    const cut = bytes.subarray(0, bytes.length - 500); // inside the last page's last strip
    const reader = await openTiffReader(bytesSource(cut, "cut.tif"));
    await reader.read({ start: [0, 0, 0], stop: [4, 50, 33] }); // the first pages are whole
    const e = await formatError(() => reader.read(fullRegion(reader.shape)));
    expect(e.message).toMatch(
      new RegExp(
        `^cut\\.tif: truncated TIFF: page 4, strip \\d needs bytes \\d+\\.\\.\\d+, the file has ${cut.length}$`,
      ),
    );
    // Our encoder writes each directory after its page: a cut there loses the directory.
    const ours = encodeTiff(OURS["stack-u16"]);
    const cutOurs = ours.subarray(0, ours.length - 300);
    const e2 = await formatError(() => openTiffReader(bytesSource(cutOurs, "cut2.tif")));
    expect(e2.message).toMatch(/^cut2\.tif: truncated or corrupt TIFF: the directory of page 5 /);
    expect((await formatError(() => decodeTiff(cutOurs, "cut2.tif"))).message).toBe(e2.message);
  });

  it("a deflate strip that inflates beyond its size is stopped (a decompression bomb)", async () => {
    const small = encodeTiff(volume(new Uint8Array(64), [8, 8], "yx"));
    const bomb = deflateSync(new Uint8Array(64 * 2 ** 20)); // 64 MiB of zeros, ~64 KB compressed
    const file = new Uint8Array(small.length + bomb.length);
    file.set(small);
    file.set(bomb, small.length);
    let patched = patchTag(file, 259, 8); // Compression: deflate
    patched = patchTag(patched, 273, small.length); // StripOffsets
    patched = patchTag(patched, 279, bomb.length); // StripByteCounts
    const reader = await openTiffReader(bytesSource(patched, "bomb.tif"));
    const before = process.memoryUsage().arrayBuffers;
    const e = await formatError(() => reader.read(fullRegion(reader.shape)));
    expect(e.message).toBe(
      "bomb.tif: cannot decode TIFF page 0: zlib data inflates to more than 1088 bytes, more than the TIFF strip or tile can hold; refusing to inflate further (corrupt data or decompression bomb)",
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 2 ** 20);
  });

  it("12-bit and float16 samples are refused naming the type", async () => {
    const u16 = encodeTiff(volume(new Uint16Array(12), [3, 4], "yx"));
    const twelve = patchTag(u16, 258, 12);
    expect((await formatError(() => openTiffReader(bytesSource(twelve, "12bit.tif")))).message).toBe(
      "12bit.tif: TIFF page 0: unsupported sample type, 12-bit unsigned integer (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)",
    );
    const half = patchTag(u16, 339, 3);
    expect((await formatError(() => openTiffReader(bytesSource(half, "half.tif")))).message).toBe(
      "half.tif: TIFF page 0: unsupported sample type, 16-bit floating point (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)",
    );
    expect(
      (await formatError(() => openTiffReader(bytesSource(fileBytes("float16.tif"), "f16.tif")))).message,
    ).toContain("f16.tif: TIFF page 0: unsupported sample type, 16-bit floating point");
  });

  it("a tag whose values lie past the end of the file is refused before geotiff allocates them", async () => {
    const v = encodeTiff(OURS["rgb-u8"]).slice(); // BitsPerSample (3 values) is stored outside the IFD
    const view = new DataView(v.buffer);
    const ifd = view.getUint32(4, true);
    const n = view.getUint16(ifd, true);
    for (let e = 0; e < n; e++) {
      const at = ifd + 2 + e * 12;
      if (view.getUint16(at, true) === 258) view.setUint32(at + 4, 2 ** 31, true); // 2^31 SHORTs
    }
    const e = await formatError(() => openTiffReader(bytesSource(v, "tags.tif")));
    expect(e.message).toMatch(
      /^tags\.tif: truncated or corrupt TIFF: page 0, tag 258 claims 2147483648 values/,
    );
  });

  it("page readers refuse regions outside the image", async () => {
    const reader: VolumeReader = await openTiffReader(bytesSource(encodeTiff(OURS["gray-u8"]), "r.tif"));
    await expect(reader.read({ start: [0, 0], stop: [34, 1] })).rejects.toThrow(RangeError);
  });
});
