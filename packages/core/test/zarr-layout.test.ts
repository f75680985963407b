// The OME-Zarr layout rules and the pyramid's mean downsampling, checked against brute force.

import { describe, expect, it } from "vitest";
import {
  bloscDecodeBounded,
  bloscEncode,
  chunkShapeFor,
  chunksInRegion,
  copyBox,
  cutChunk,
  downsampleMean,
  pyramidLevels,
  shuffleBytes,
  unshuffleBytes,
} from "../src/index.js";

function rng(seed: number) {
  let s = seed;
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s % n;
  };
}

/** The mean of each block of `factors` by definition, integers rounded half up. */
function bruteMean(data: ArrayLike<number>, shape: number[], factors: number[], float: boolean): number[] {
  const out = shape.map((s, i) => Math.ceil(s / factors[i]));
  const total = out.reduce((a, b) => a * b, 1);
  const result: number[] = [];
  for (let k = 0; k < total; k++) {
    const o: number[] = [];
    let r = k;
    for (let i = out.length - 1; i >= 0; i--) {
      o[i] = r % out[i];
      r = Math.floor(r / out[i]);
    }
    let sum = 0;
    let count = 0;
    const visit = (i: number, offset: number) => {
      if (i === shape.length) {
        sum += data[offset];
        count++;
        return;
      }
      for (let j = o[i] * factors[i]; j < Math.min(shape[i], (o[i] + 1) * factors[i]); j++)
        visit(i + 1, offset * shape[i] + j);
    };
    visit(0, 0);
    result.push(float ? Math.fround(sum / count) : Math.floor(sum / count + 0.5));
  }
  return result;
}

describe("downsampleMean", () => {
  const r = rng(7);
  for (const [shape, factors] of [
    [
      [5, 7, 9],
      [1, 2, 2],
    ],
    [
      [6, 8, 10],
      [2, 2, 2],
    ],
    [
      [3, 11],
      [2, 2],
    ],
    [
      [2, 3, 5, 7],
      [1, 2, 2, 2],
    ],
    [[9], [2]],
    [
      [4, 6, 1],
      [2, 2, 1],
    ],
  ] as [number[], number[]][]) {
    it(`shape [${shape}] by [${factors}]: uint16 and float32 equal brute force`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const u16 = Uint16Array.from({ length: n }, () => r(65536));
      const got = downsampleMean({ data: u16, shape }, factors);
      expect(got.shape).toEqual(shape.map((s, i) => Math.ceil(s / factors[i])));
      expect(Array.from(got.data)).toEqual(bruteMean(u16, shape, factors, false));
      const f32 = Float32Array.from({ length: n }, () => r(1000) / 7);
      const gotF = downsampleMean({ data: f32, shape }, factors);
      const want = bruteMean(f32, shape, factors, true);
      for (let i = 0; i < want.length; i++) expect(gotF.data[i]).toBeCloseTo(want[i], 4);
    });
  }
});

describe("layout", () => {
  it("chunks: 64³ for 3D, 512² for 2D, one per t and c, clipped to small axes", () => {
    expect(chunkShapeFor("zyx", [30, 512, 512])).toEqual([30, 64, 64]);
    expect(chunkShapeFor("tczyx", [3, 2, 100, 1000, 1000])).toEqual([1, 1, 64, 64, 64]);
    expect(chunkShapeFor("cyx", [3, 300, 700])).toEqual([1, 300, 512]);
  });

  it("the pyramid halves y and x to one tile, z only while it is comparable", () => {
    const em = pyramidLevels("zyx", [30, 2048, 2048]);
    expect(em.map((l) => l.shape)).toEqual([
      [30, 2048, 2048],
      [30, 1024, 1024],
      [30, 512, 512],
      [30, 256, 256],
    ]);
    const cube = pyramidLevels("zyx", [512, 512, 512]);
    expect(cube.map((l) => l.shape)).toEqual([
      [512, 512, 512],
      [256, 256, 256],
    ]);
    expect(cube[1].scale).toEqual([2, 2, 2]);
    expect(pyramidLevels("yx", [200, 100])).toHaveLength(1);
  });

  it("chunksInRegion lists exactly the chunks a region overlaps", () => {
    expect(chunksInRegion([10, 100], [11, 300], [64, 64])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ]);
    expect(chunksInRegion([0], [0], [64])).toEqual([]);
  });

  it("cutChunk pads the array's edge with zeros, also into a reused buffer", () => {
    const block = { data: Uint8Array.from({ length: 5 * 7 }, (_, i) => i + 1), shape: [5, 7] };
    const reused = new Uint8Array(16).fill(99);
    const chunk = cutChunk(block, [0, 0], [5, 7], [4, 4], [1, 1], reused);
    expect(Array.from(chunk)).toEqual([33, 34, 35, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const dst = { data: new Uint8Array(9), shape: [3, 3] };
    copyBox(block, [1, 2], dst, [0, 0], [2, 3]);
    expect(Array.from(dst.data)).toEqual([10, 11, 12, 17, 18, 19, 0, 0, 0]);
  });
});

describe("Blosc frames", () => {
  it("round-trips every typesize, with and without compressible data, and refuses lies", async () => {
    const r = rng(3);
    for (const typesize of [1, 2, 4, 8]) {
      for (const make of [() => r(256), () => (r(10) === 0 ? r(256) : 7)]) {
        const bytes = Uint8Array.from({ length: 4096 * typesize + (typesize > 1 ? 0 : 3) }, make);
        expect(Array.from(unshuffleBytes(shuffleBytes(bytes, typesize), typesize))).toEqual(
          Array.from(bytes),
        );
        const frame = await bloscEncode(bytes, typesize);
        expect(Array.from(await bloscDecodeBounded(frame, bytes.length, "chunk"))).toEqual(Array.from(bytes));
        await expect(bloscDecodeBounded(frame, bytes.length - 1, "chunk")).rejects.toThrow(/more than/);
        await expect(
          bloscDecodeBounded(frame.subarray(0, frame.length - 1), bytes.length, "chunk"),
        ).rejects.toThrow(/header states/);
      }
    }
  });
});
