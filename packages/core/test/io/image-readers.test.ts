// PNG and JPEG headers and lazy readers, and openImageReader's format dispatch: every fixture file (PIL,
// tifffile writers) and the real ISBI slices read region by region exactly as the eager decoders read them
// whole; bombs, truncated and unsupported files are refused with a message naming the file and problem.

import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { decodeImage } from "../../src/io/image.js";
import { parseJpegHeader, parsePngHeader, probeImageHeader } from "../../src/io/image-header.js";
import { decodeJpeg } from "../../src/io/jpeg.js";
import { encodeNpy } from "../../src/io/npy.js";
import { openImageReader } from "../../src/io/open.js";
import { decodePng, encodePng } from "../../src/io/png.js";
import { bytesSource } from "../../src/io/reader.js";
import { encodeTiff } from "../../src/io/tiff.js";
import { makeFixtures } from "../fixtures/python.js";
import { bytesOf, countingSource, expectReaderMatches, formatError, fullRegion, ISBI_RAW } from "./util.js";

const fx = makeFixtures();
afterAll(() => fx.cleanup());

function be32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

function pngChunk(type: string, data: Uint8Array): number[] {
  const typed = new Uint8Array([...type].map((c) => c.charCodeAt(0)));
  const body = new Uint8Array([...typed, ...data]);
  return [...be32(data.length), ...body, ...be32(crc32(body))];
}

/** A PNG whose header claims `width` × `height` 8-bit gray pixels, with a little compressed data. */
function pngClaiming(width: number, height: number): Uint8Array {
  const ihdr = new Uint8Array([...be32(width), ...be32(height), 8, 0, 0, 0, 0]);
  const idat = deflateSync(new Uint8Array(1 << 20)); // 1 MiB of zeros: ~1 KB compressed
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...pngChunk("IHDR", ihdr),
    ...pngChunk("IDAT", idat),
    ...pngChunk("IEND", new Uint8Array(0)),
  ]);
}

/** The byte offset of the first SOFn frame header's marker in a JPEG. */
function sofOffset(jpg: Uint8Array): number {
  for (let p = 2; p < jpg.length; ) {
    const marker = jpg[p + 1];
    if (marker >= 0xc0 && marker <= 0xc2) return p;
    p += 2 + ((jpg[p + 2] << 8) | jpg[p + 3]);
  }
  throw new Error("no SOF");
}

const imageCases = fx.cases.filter((c) => c.dataset === undefined);

describe("headers without decoding", () => {
  it("reads the ISBI slice's IHDR: 512 × 512 8-bit gray", () => {
    const h = parsePngHeader(bytesOf(path.join(ISBI_RAW, "00.png")), "00.png");
    expect(h).toMatchObject({
      format: "png",
      width: 512,
      height: 512,
      channels: 1,
      bitDepth: 8,
      dtype: "uint8",
    });
  });

  for (const c of imageCases.filter((c) => /\.(png|jpe?g)$/.test(c.file)))
    it(`${c.name}: the header promises the decoded shape and dtype`, async () => {
      const bytes = bytesOf(c.file);
      const v = await decodeImage(bytes, c.file);
      const h = c.file.endsWith(".png") ? parsePngHeader(bytes, c.file) : parseJpegHeader(bytes, c.file);
      expect([h.height, h.width, ...(h.channels > 1 ? [h.channels] : [])]).toEqual([...v.shape]);
      const probed = await probeImageHeader(
        bytesSource(bytes, c.file),
        c.file.endsWith(".png") ? "png" : "jpeg",
      );
      expect(probed).toEqual(h);
    });

  it("a corrupt or truncated header is an error naming the problem", async () => {
    const isbi = bytesOf(path.join(ISBI_RAW, "00.png"));
    expect(() => parsePngHeader(isbi.subarray(0, 20), "a.png")).toThrow(
      "a.png: truncated PNG: the header (IHDR chunk) needs 33 bytes, the file has 20",
    );
    const flipped = isbi.slice();
    flipped[18] ^= 1; // inside the width
    expect(() => parsePngHeader(flipped, "b.png")).toThrow(
      "b.png: corrupt PNG: the header (IHDR chunk) fails its CRC check",
    );
    const jpg = bytesOf(imageCases.find((c) => c.name === "jpeg_gray")!.file);
    expect(() => parseJpegHeader(jpg.subarray(0, sofOffset(jpg) + 3), "c.jpg")).toThrow(
      "c.jpg: corrupt JPEG: no frame header (SOF marker) found; truncated file?",
    );
  });
});

describe("lazy PNG and JPEG readers", () => {
  it("the real ISBI slices read region by region as decodePng reads them", async () => {
    for (const name of ["00.png", "07.png", "29.png"]) {
      const bytes = bytesOf(path.join(ISBI_RAW, name));
      const reader = await openImageReader(bytesSource(bytes, name));
      expect(reader.axesGuessed).toBe(false);
      await expectReaderMatches(reader, decodePng(bytes, name), 16, name.length);
    }
  });

  for (const c of imageCases)
    it(`${c.name}: openImageReader regions equal the eager decode`, async () => {
      const bytes = bytesOf(c.file);
      const reader = await openImageReader(bytesSource(bytes, c.file));
      await expectReaderMatches(reader, await decodeImage(bytes, c.file), 6);
      await reader.close();
    });

  it("opening reads only the header; the pixels are decoded on the first read", async () => {
    const bytes = bytesOf(path.join(ISBI_RAW, "00.png"));
    const src = countingSource(bytes, "00.png");
    const reader = await openImageReader(src);
    expect(src.bytesRead).toBeLessThanOrEqual(64 * 1024 + 16);
    expect(reader.shape).toEqual([512, 512]);
    await reader.read({ start: [0, 0], stop: [10, 10] });
    const after = src.bytesRead;
    await reader.read({ start: [100, 100], stop: [110, 120] }); // a part: the decode is kept
    expect(src.bytesRead).toBe(after);
    await reader.read(fullRegion(reader.shape)); // the whole image hands the decode over
    await reader.read({ start: [0, 0], stop: [1, 1] });
    expect(src.bytesRead).toBeGreaterThan(after);
  });
});

describe("bombs, truncated and unsupported PNG / JPEG", () => {
  it("a tiny PNG claiming 100000 × 100000 is refused before inflating", async () => {
    const bomb = pngClaiming(100000, 100000);
    expect(bomb.length).toBeLessThan(2000);
    const message =
      "bomb.png: PNG image (100000 × 100000 × 1) would decode to 9.3 GiB, more than the limit of 1.0 GiB; refusing to decode it";
    expect((await formatError(() => decodePng(bomb, "bomb.png"))).message).toBe(message);
    expect((await formatError(() => openImageReader(bytesSource(bomb, "bomb.png")))).message).toBe(message);
    expect((await formatError(() => decodeImage(bomb, "bomb.png"))).message).toBe(message);
  });

  it("a JPEG frame claiming 65535 × 65535 is refused before decoding", async () => {
    const jpg = bytesOf(
      imageCases.find((c) => c.name === "jpeg_color420")?.file ??
        imageCases.find((c) => c.file.endsWith(".jpg"))!.file,
    ).slice();
    const sof = sofOffset(jpg);
    jpg.set([0xff, 0xff, 0xff, 0xff], sof + 5); // height, width
    const message =
      /^big\.jpg: JPEG image \(65535 × 65535 × [13]\) would decode to \d+\.\d GiB, more than the limit of 1\.0 GiB; refusing to decode it$/;
    expect((await formatError(() => decodeJpeg(jpg, "big.jpg"))).message).toMatch(message);
    expect((await formatError(() => openImageReader(bytesSource(jpg, "big.jpg")))).message).toMatch(message);
  });

  it("a truncated PNG opens from its header, and the read names the cut chunk", async () => {
    const bytes = bytesOf(path.join(ISBI_RAW, "00.png"));
    const cut = bytes.subarray(0, Math.floor(bytes.length / 2));
    const reader = await openImageReader(bytesSource(cut, "cut.png"));
    const e = await formatError(() => reader.read({ start: [0, 0], stop: [4, 4] }));
    expect(e.message).toMatch(
      new RegExp(
        `^cut\\.png: truncated PNG: chunk "IDAT" at byte \\d+ needs bytes up to \\d+, the file has ${cut.length}$`,
      ),
    );
  });

  it("a truncated JPEG is an error naming the file", async () => {
    const jpg = bytesOf(imageCases.find((c) => c.name === "jpeg_gray")!.file);
    const early = await formatError(() =>
      openImageReader(bytesSource(jpg.subarray(0, sofOffset(jpg) + 4), "early.jpg")),
    );
    expect(early.message).toBe(
      "early.jpg: corrupt JPEG: no frame header (SOF marker) found; truncated file?",
    );
    const half = jpg.subarray(0, Math.floor(jpg.length / 2));
    const reader = await openImageReader(bytesSource(half, "half.jpg"));
    const e = await formatError(() => reader.read(fullRegion(reader.shape)));
    expect(e.message).toMatch(/^half\.jpg: cannot decode JPEG: /);
  });

  it("a 12-bit JPEG is refused at open", async () => {
    const jpg = bytesOf(imageCases.find((c) => c.name === "jpeg_gray")!.file).slice();
    jpg[sofOffset(jpg) + 4] = 12;
    const e = await formatError(() => openImageReader(bytesSource(jpg, "deep.jpg")));
    expect(e.message).toBe("deep.jpg: unsupported 12-bit JPEG; only 8-bit JPEG is read");
  });
});

describe("openImageReader dispatch", () => {
  it("sniffs TIFF and npy whatever the name, and applies given axes", async () => {
    const v = {
      data: Uint16Array.from({ length: 2 * 3 * 5 }, (_, i) => i * 7),
      shape: [2, 3, 5],
      axes: "zyx",
    };
    const tif = await openImageReader(bytesSource(encodeTiff(v), "stack.bin"));
    await expectReaderMatches(tif, v, 4);
    const npy = await openImageReader(bytesSource(encodeNpy(v), "a.tif"));
    expect(npy.axes).toBe("zyx");
    expect(npy.axesGuessed).toBe(true);
    const renamed = await openImageReader(bytesSource(encodeNpy(v), "a.npy"), { axes: "tyx" });
    expect(renamed.axes).toBe("tyx");
    expect(renamed.axesGuessed).toBe(false);
    expect((await renamed.read(fullRegion(renamed.shape))).axes).toBe("tyx");
    const png = await openImageReader(
      bytesSource(encodePng({ data: new Uint8Array(6), shape: [2, 3], axes: "yx" }), "p"),
      {
        axes: "xy",
      },
    );
    expect(png.axes).toBe("xy");
  });

  it("HDF5 asks for a dataset path; anything else lists the supported formats", async () => {
    const h5 = new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    expect((await formatError(() => openImageReader(bytesSource(h5, "cells.h5")))).message).toBe(
      "cells.h5: is an HDF5 file: HDF5 needs a dataset path (FILE.h5/path/to/dataset), and HDF5 files are opened by the compute service",
    );
    const bmp = new Uint8Array([0x42, 0x4d, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect((await formatError(() => openImageReader(bytesSource(bmp, "slice.bmp")))).message).toBe(
      'slice.bmp: unsupported image format ".bmp" (its bytes match no supported format); supported: PNG (.png), JPEG (.jpg, .jpeg), TIFF (.tif, .tiff), NumPy (.npy)',
    );
    const text = new TextEncoder().encode("not an image");
    expect((await formatError(() => openImageReader(bytesSource(text, "fake.png")))).message).toBe(
      "fake.png: not a PNG file (no PNG signature)",
    );
    expect(
      (await formatError(() => openImageReader(bytesSource(new Uint8Array(0), "empty.tif")))).message,
    ).toBe("empty.tif: not a TIFF file (no II*/MM* byte-order header)");
  });
});
