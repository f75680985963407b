// The lazy .npy reader: regions of every dtype, 2D to 5D, C and Fortran order, either byte order and
// header versions 1.0–3.0 (ours and numpy's files) equal the same regions of decodeNpy; reads are range
// reads of the region's bytes; claimed shapes, truncated files and unsupported dtypes are refused clearly.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DType } from "../../src/array/dtype.js";
import { DTYPES, typedArrayConstructor } from "../../src/array/dtype.js";
import type { Volume } from "../../src/array/volume.js";
import { elementCount } from "../../src/array/volume.js";
import { decodeNpy, encodeNpy } from "../../src/io/npy.js";
import { openNpyReader, parseNpyHeader } from "../../src/io/npy-reader.js";
import { bytesSource } from "../../src/io/reader.js";
import { countingSource, expectReaderMatches, formatError, fullRegion, rng, runPython } from "./util.js";

function randomVolume(dtype: DType, shape: number[], axes: string, seed: number): Volume {
  const data = new (typedArrayConstructor(dtype))(elementCount(shape));
  const rand = rng(seed);
  for (let i = 0; i < data.length; i++)
    data[i] = dtype.startsWith("float")
      ? rand() * 1000 - 500
      : Math.floor(rand() * 250) - (dtype.startsWith("int") ? 100 : 0);
  return { data, shape, axes };
}

/** A .npy file with this header dictionary and these data bytes (version 1.0, padded like numpy). */
function npyWith(dict: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const headerLength = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const header = `${dict.padEnd(headerLength - 1, " ")}\n`;
  const out = new Uint8Array(10 + headerLength + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, headerLength & 255, headerLength >> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(data, 10 + headerLength);
  return out;
}

const NUMPY_SCRIPT = `
import sys, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(5)
a = rng.integers(0, 60000, (7, 9, 11)).astype(np.uint16)
np.save(f"{out}/c_le.npy", a)
np.save(f"{out}/c_be.npy", a.astype(">u2"))
np.save(f"{out}/f_le.npy", np.asfortranarray(a))
np.save(f"{out}/f_be_f8.npy", np.asfortranarray(a.astype(">f8") / 7))
with open(f"{out}/v2.npy", "wb") as f:
    np.lib.format.write_array(f, rng.normal(size=(4, 5, 6, 3)).astype(">f4"), version=(2, 0))
with open(f"{out}/v3.npy", "wb") as f:
    np.lib.format.write_array(f, rng.integers(-9, 9, (3, 4, 5, 6, 2)).astype("<i4"), version=(3, 0))
for name, dt in [("f16", "<f2"), ("i64", "<i8"), ("u64", "<u8"), ("c64", "<c8"), ("bool", "|b1"), ("str", "<U3")]:
    np.save(f"{out}/{name}.npy", np.zeros((3, 4), dt))
np.save(f"{out}/obj.npy", np.array([[None, 1]], dtype=object), allow_pickle=True)
`;

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "sylva-npy-reader-"));
  runPython(NUMPY_SCRIPT, [dir]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fileBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir, name)));

describe("regions equal decodeNpy", () => {
  const shapes: [number[], string][] = [
    [[37, 41], "yx"],
    [[13, 17, 3], "yxc"],
    [[6, 19, 23], "zyx"],
    [[4, 9, 10, 2], "zyxc"],
    [[2, 3, 5, 6, 3], "tzyxc"],
  ];
  for (const [k, dtype] of DTYPES.entries())
    for (const [shape, axes] of shapes)
      it(`${dtype} ${axes} [${shape.join(", ")}]`, async () => {
        const v = randomVolume(dtype, shape, axes, k * 10 + shape.length);
        const reader = await openNpyReader(bytesSource(encodeNpy(v), `${dtype}.npy`));
        expect(reader.axesGuessed).toBe(true);
        await expectReaderMatches(reader, v, 10, k + shape.length);
      });

  for (const name of ["c_le", "c_be", "f_le", "f_be_f8", "v2", "v3"])
    it(`numpy's ${name}.npy`, async () => {
      const bytes = fileBytes(`${name}.npy`);
      const eager = decodeNpy(bytes, name);
      await expectReaderMatches(await openNpyReader(bytesSource(bytes, name)), eager, 12, name.length);
      if (name.startsWith("f")) expect(parseNpyHeader(bytes).fortranOrder).toBe(true);
    });

  it("big-endian and little-endian files give the same values", async () => {
    const le = await openNpyReader(bytesSource(fileBytes("c_le.npy"), "le"));
    const be = await openNpyReader(bytesSource(fileBytes("c_be.npy"), "be"));
    const f = await openNpyReader(bytesSource(fileBytes("f_le.npy"), "f"));
    const region = { start: [1, 2, 3], stop: [5, 8, 10] };
    const want = (await le.read(region)).data;
    expect((await be.read(region)).data).toEqual(want);
    expect((await f.read(region)).data).toEqual(want);
  });
});

describe("range reads", () => {
  it("opens from the header alone and reads a slab in one range read of its bytes", async () => {
    const v = randomVolume("uint16", [20, 256, 256], "zyx", 3);
    const bytes = encodeNpy(v);
    const src = countingSource(bytes, "slab.npy");
    const reader = await openNpyReader(src, "zyx");
    expect(reader.axesGuessed).toBe(false);
    expect(src.bytesRead).toBeLessThan(200);
    const [reads, read0] = [src.reads, src.bytesRead];
    await reader.read({ start: [5, 0, 0], stop: [9, 256, 256] });
    expect(src.reads - reads).toBe(1);
    expect(src.bytesRead - read0).toBe(4 * 256 * 256 * 2);
    // A small window spread over the file (a span of more than 1 MiB): one read per row of it.
    const [reads1, read1] = [src.reads, src.bytesRead];
    await reader.read({ start: [0, 10, 10], stop: [20, 12, 14] });
    expect(src.reads - reads1).toBe(20 * 2);
    expect(src.bytesRead - read1).toBe(20 * 2 * 4 * 2);
    // Nearly contiguous: one read of the span.
    const reads2 = src.reads;
    await reader.read({ start: [3, 0, 1], stop: [4, 256, 256] });
    expect(src.reads - reads2).toBe(1);
  });

  it("a Fortran-order file is read whole once, then served from memory", async () => {
    const bytes = fileBytes("f_le.npy");
    const src = countingSource(bytes, "f.npy");
    const reader = await openNpyReader(src);
    await reader.read({ start: [0, 0, 0], stop: [1, 1, 1] });
    const after = src.bytesRead;
    await reader.read({ start: [3, 3, 3], stop: [6, 7, 8] });
    expect(src.bytesRead).toBe(after);
    await reader.close();
    await expect(reader.read(fullRegion(reader.shape))).rejects.toThrow("f.npy: reader is closed");
  });
});

describe("hostile and unsupported .npy files", () => {
  it("a header claiming (100000, 100000, 100000) is refused without allocating", async () => {
    const huge = npyWith("{'descr': '<u2', 'fortran_order': False, 'shape': (100000, 100000, 100000), }");
    const e = await formatError(() => openNpyReader(bytesSource(huge, "huge.npy")));
    expect(e.message).toBe(
      "huge.npy: claims 100000 × 100000 × 100000 = 1.00e+15 voxels, more than the limit of 1.10e+12; refusing to read it",
    );
  });

  it("a truncated file is refused at open, saying what it claims and holds", async () => {
    const full = encodeNpy(randomVolume("uint16", [4, 5], "yx", 1));
    const cut = full.subarray(0, full.length - 19);
    const e = await formatError(() => openNpyReader(bytesSource(cut, "cut.npy")));
    expect(e.message).toBe(
      "cut.npy: .npy data is truncated: shape [4, 5] uint16 claims 40 bytes of data, the file holds 21",
    );
    expect(() => decodeNpy(cut, "cut.npy")).toThrow(e.message);
    const header = await formatError(() => openNpyReader(bytesSource(full.subarray(0, 50), "head.npy")));
    expect(header.message).toBe("head.npy: .npy header is truncated (needs 128 bytes, file has 50)");
  });

  it("a Fortran array larger than one decode step is refused at open", async () => {
    const big = npyWith("{'descr': '<f8', 'fortran_order': True, 'shape': (2048, 2048, 64), }");
    const e = await formatError(() => openNpyReader(bytesSource(big, "fortran.npy")));
    expect(e.message).toBe(
      "fortran.npy: Fortran-order .npy array (read whole) would decode to 2.0 GiB, more than the limit of 1.0 GiB; refusing to decode it",
    );
  });

  const unsupported: [string, string][] = [
    ["f16", "'<f2' (float16)"],
    ["i64", "'<i8' (int64)"],
    ["u64", "'<u8' (uint64)"],
    ["c64", "'<c8' (complex64)"],
    ["bool", "'|b1' (bool)"],
    ["str", "'<U3' (string)"],
    ["obj", "'|O' (object)"],
  ];
  for (const [name, shown] of unsupported)
    it(`dtype ${shown} is refused by name`, async () => {
      const e = await formatError(() => openNpyReader(bytesSource(fileBytes(`${name}.npy`), `${name}.npy`)));
      expect(e.message).toBe(
        `${name}.npy: .npy array has unsupported dtype ${shown} (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)`,
      );
    });

  it("axes that do not fit are refused naming the problem", async () => {
    const bytes = encodeNpy(randomVolume("uint8", [3, 4, 5], "zyx", 2));
    const e = await formatError(() => openNpyReader(bytesSource(bytes, "a.npy"), "yx"));
    expect(e.message).toBe('a.npy: axes "yx" name 2 axes but the data has 3 dimensions');
    const oneD = npyWith("{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }", new Uint8Array(4));
    expect((await formatError(() => openNpyReader(bytesSource(oneD, "1d.npy")))).message).toBe(
      "1d.npy: .npy array has 1 dimension (shape [4]); images have 2 to 5 (or give the axes)",
    );
  });
});
