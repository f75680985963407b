// Stacking lazy 2D readers (the real ISBI slices, TIFF and npy slices) along z, t or c: regions equal the
// same regions of the eagerly stacked volume, only the needed files are read, and a file that does not
// match the first is named with both descriptions. Also natural file order and user-given axes.

import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Volume } from "../../src/array/volume.js";
import { parseAxesSpec, withAxes } from "../../src/io/axes.js";
import { encodeNpy } from "../../src/io/npy.js";
import { openImageReader } from "../../src/io/open.js";
import { decodePng } from "../../src/io/png.js";
import type { Region, VolumeReader } from "../../src/io/reader.js";
import { bytesSource, memoryReader } from "../../src/io/reader.js";
import { sortNaturally, stackReaders } from "../../src/io/sequence.js";
import { stackImages } from "../../src/io/stack.js";
import { encodeTiff } from "../../src/io/tiff.js";
import { bytesOf, expectReaderMatches, formatError, fullRegion, ISBI_RAW } from "./util.js";

const NAMES = sortNaturally(["10.png", "2.png", "0.png", "1.png", "3.png", "04.png"]);

/** A reader that records which regions it was asked for. */
function spy(reader: VolumeReader, log: string[]): VolumeReader {
  return {
    ...reader,
    read: (region: Region) => {
      log.push(reader.source);
      return reader.read(region);
    },
    close: () => reader.close(),
  };
}

describe("sortNaturally", () => {
  it("orders digit runs by value", () => {
    expect(NAMES).toEqual(["0.png", "1.png", "2.png", "3.png", "04.png", "10.png"]);
    expect(sortNaturally(["b", "a10", "a9", "A"])).toEqual(["A", "a9", "a10", "b"]);
  });
});

describe("stackReaders", () => {
  const files = ["00.png", "01.png", "02.png", "03.png", "04.png"].map((f) => path.join(ISBI_RAW, f));

  it("stacks the real ISBI slices along z, lazily, as stackImages stacks them", async () => {
    const readers = await Promise.all(files.map((f) => openImageReader(bytesSource(bytesOf(f), f))));
    const log: string[] = [];
    const stack = stackReaders(
      readers.map((r) => spy(r, log)),
      "z",
    );
    expect(stack.axes).toBe("zyx");
    expect(stack.shape).toEqual([5, 512, 512]);
    const eager = stackImages(
      files.map((f) => decodePng(bytesOf(f), f)),
      files,
    );
    await stack.read({ start: [3, 100, 7], stop: [4, 300, 400] });
    expect(log).toEqual([files[3]]);
    await expectReaderMatches(stack, eager, 12);
    await stack.close();
  });

  it("stacks along t, and as channels along c", async () => {
    const slices: Volume[] = [0, 1, 2].map((k) => ({
      data: Uint16Array.from({ length: 6 * 7 }, (_, i) => i * 3 + k * 1000),
      shape: [6, 7],
      axes: "yx",
    }));
    const tiffs = await Promise.all(
      slices.map((v, k) => openImageReader(bytesSource(encodeTiff(v), `${k}.tif`))),
    );
    const t = stackReaders(tiffs, "t");
    expect(t.axes).toBe("tyx");
    await expectReaderMatches(t, { ...stackImages(slices, ["a", "b", "c"]), axes: "tyx" }, 10);

    const npys = await Promise.all(
      slices.map((v, k) => openImageReader(bytesSource(encodeNpy(v), `${k}.npy`))),
    );
    const c = stackReaders(npys, "c");
    expect(c.axes).toBe("yxc");
    expect(c.axesGuessed).toBe(true); // npy axes are guessed
    const data = new Uint16Array(6 * 7 * 3);
    for (let i = 0; i < 42; i++) for (let k = 0; k < 3; k++) data[i * 3 + k] = slices[k].data[i];
    await expectReaderMatches(c, { data, shape: [6, 7, 3], axes: "yxc" }, 10);
  });

  it("stacks RGB slices along z into zyxc", async () => {
    const rgb: Volume = {
      data: Uint8Array.from({ length: 4 * 5 * 3 }, (_, i) => i),
      shape: [4, 5, 3],
      axes: "yxc",
    };
    const readers = [memoryReader(rgb, "a.png"), memoryReader(rgb, "b.png")];
    const s = stackReaders(readers, "z");
    expect(s.axes).toBe("zyxc");
    await expectReaderMatches(s, stackImages([rgb, rgb], ["a", "b"]), 6);
    expect((await formatError(() => stackReaders(readers, "c"))).message).toBe(
      'a.png: has channels (axes "yxc", shape [4, 5, 3]); only single-channel images can be stacked as channels',
    );
  });

  it("a third file of another shape, or another dtype, is named with both descriptions", async () => {
    const a = memoryReader({ data: new Uint8Array(6), shape: [2, 3], axes: "yx" }, "s/1.png");
    const b = memoryReader({ data: new Uint8Array(6), shape: [2, 3], axes: "yx" }, "s/2.png");
    const wide = memoryReader({ data: new Uint8Array(8), shape: [2, 4], axes: "yx" }, "s/10.png");
    expect((await formatError(() => stackReaders([a, b, wide], "z"))).message).toBe(
      "s/10.png: is yx [2, 4] uint8 but s/1.png is yx [2, 3] uint8; all images of a stack must have the same axes, shape and dtype",
    );
    const deep = memoryReader({ data: new Uint16Array(6), shape: [2, 3], axes: "yx" }, "s/10.png");
    expect((await formatError(() => stackReaders([a, b, deep], "t"))).message).toBe(
      "s/10.png: is yx [2, 3] uint16 but s/1.png is yx [2, 3] uint8; all images of a stack must have the same axes, shape and dtype",
    );
    const vol = memoryReader({ data: new Uint8Array(12), shape: [2, 2, 3], axes: "zyx" }, "v.tif");
    expect((await formatError(() => stackReaders([a, vol], "z"))).message).toBe(
      'v.tif: is not a 2D image (axes "zyx", shape [2, 2, 3]); only 2D images can be stacked along z',
    );
    expect((await formatError(() => stackReaders([], "z"))).message).toBe("image stack: no images to stack");
  });

  it("a member that fails to decode names its own file", async () => {
    const good = bytesOf(path.join(ISBI_RAW, "00.png"));
    const cut = good.subarray(0, Math.floor(good.length / 2)); // past the 64 KiB the header probe reads
    const readers = [
      await openImageReader(bytesSource(good, "00.png")),
      await openImageReader(bytesSource(cut, "01.png")),
    ];
    const s = stackReaders(readers, "z");
    const e = await formatError(() => s.read(fullRegion(s.shape)));
    expect(e.message).toMatch(/^01\.png: truncated PNG: /);
  });
});

describe("axes", () => {
  it("parseAxesSpec accepts letters from tzyxc, once each, with y and x", () => {
    expect(parseAxesSpec("zyx", 3, "a.tif")).toBe("zyx");
    expect(parseAxesSpec(" TYXC ", 4, "a.tif")).toBe("tyxc");
    expect(parseAxesSpec("cxy", 3, "a.tif")).toBe("cxy");
  });

  it("parseAxesSpec names each problem", async () => {
    const cases: [string, number, string][] = [
      ["", 2, 'a.npy: no axes given: name one axis per dimension with letters from "tzyxc"'],
      ["zqx", 3, 'a.npy: axes "zqx": unknown axis "q" (axes are letters from "tzyxc")'],
      ["zyy", 3, 'a.npy: axes "zyy": axis "y" appears twice'],
      ["zcx", 3, 'a.npy: axes "zcx": an image needs both a "y" and an "x" axis'],
      ["zyx", 4, 'a.npy: axes "zyx" name 3 axes but the data has 4 dimensions'],
    ];
    for (const [spec, ndim, message] of cases)
      expect((await formatError(() => parseAxesSpec(spec, ndim, "a.npy"))).message).toBe(message);
  });

  it("withAxes renames a reader's axes, its reads and its voxel sizes", async () => {
    const v: Volume = { data: Uint8Array.from({ length: 24 }, (_, i) => i), shape: [2, 3, 4], axes: "zyx" };
    const base: VolumeReader = {
      ...memoryReader(v, "m.tif"),
      scales: [{ axis: "z", size: 2, unit: "micrometer" }],
    };
    const r = withAxes(base, "tyx");
    expect(r.axes).toBe("tyx");
    expect(r.axesGuessed).toBe(false);
    expect(r.scales).toEqual([{ axis: "t", size: 2, unit: "micrometer" }]);
    const part = await r.read({ start: [1, 0, 0], stop: [2, 3, 4] });
    expect(part.axes).toBe("tyx");
    expect([...part.data]).toEqual([...v.data.subarray(12)]);
    expect((await formatError(() => withAxes(base, "yx"))).message).toBe(
      'm.tif: axes "yx" name 2 axes but the data has 3 dimensions',
    );
  });
});
