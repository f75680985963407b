// The lazy Zarr reader: regions of v2 arrays (written by hand with node:zlib, and by Python zarr when it is
// installed), v3 arrays (written with zarrita) and OME-Zarr images (NGFF 0.4 and 0.5) equal the same regions
// of the whole array; axes and voxel sizes come from the NGFF metadata; claimed shapes, oversized chunks,
// corrupt chunks, zlib/gzip bombs and unsupported dtypes are refused with clear messages.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import type { DType, TypedArray } from "../../src/array/dtype.js";
import { typedArrayConstructor } from "../../src/array/dtype.js";
import type { Volume } from "../../src/array/volume.js";
import { elementCount } from "../../src/array/volume.js";
import { decodeNpy } from "../../src/io/npy.js";
import { cropVolume } from "../../src/io/reader.js";
import { openZarrReader, registerBoundedZarrCodecs } from "../../src/io/zarr-reader.js";
import { expectReaderMatches, formatError, fullRegion, pythonHas, rng, runPython } from "./util.js";

type Store = Map<string, Uint8Array>;

const json = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

/** An async store over a Map that counts chunk gets. */
function asyncStore(map: Store): zarr.AsyncReadable & { gets: string[] } {
  const gets: string[] = [];
  return {
    gets,
    async get(key) {
      if (
        !key.endsWith(".zarray") &&
        !key.endsWith(".zattrs") &&
        !key.endsWith(".zgroup") &&
        !key.endsWith("zarr.json")
      )
        gets.push(key);
      return map.get(key);
    },
  };
}

function randomVolume(dtype: DType, shape: number[], axes: string, seed: number): Volume {
  const data = new (typedArrayConstructor(dtype))(elementCount(shape));
  const rand = rng(seed);
  for (let i = 0; i < data.length; i++)
    data[i] = dtype.startsWith("float") ? rand() * 100 : Math.floor(rand() * 120);
  return { data, shape, axes };
}

const V2_DTYPES: Record<DType, string> = {
  uint8: "|u1",
  int8: "|i1",
  uint16: "<u2",
  int16: "<i2",
  uint32: "<u4",
  int32: "<i4",
  float32: "<f4",
  float64: "<f8",
};

/** Bytes of chunk `coords` of `v` (C or F order, padded to the full chunk with zeros), little-endian. */
function chunkBytes(
  v: Volume,
  chunks: number[],
  coords: number[],
  order: "C" | "F",
  bigEndian = false,
): Uint8Array {
  const region = {
    start: coords.map((c, i) => c * chunks[i]),
    stop: coords.map((c, i) => Math.min((c + 1) * chunks[i], v.shape[i])),
  };
  const part = cropVolume(v, region);
  const C = v.data.constructor as new (n: number) => TypedArray;
  const out = new C(elementCount(chunks));
  const n = chunks.length;
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < part.data.length; k++) {
    let at = 0;
    let stride = 1;
    if (order === "C")
      for (let i = n - 1; i >= 0; i--) {
        at += idx[i] * stride;
        stride *= chunks[i];
      }
    else
      for (let i = 0; i < n; i++) {
        at += idx[i] * stride;
        stride *= chunks[i];
      }
    out[at] = part.data[k];
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i] < part.shape[i]) break;
      idx[i] = 0;
    }
  }
  const bytes = new Uint8Array(out.buffer.slice(0));
  if (bigEndian) {
    const size = out.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  }
  return bytes;
}

interface V2Options {
  order?: "C" | "F";
  compressor?: "zlib" | "gzip" | null;
  bigEndian?: boolean;
  skip?: (coords: number[]) => boolean;
}

/** Writes `v` as a Zarr v2 array at `prefix` (e.g. "/a" or "/img/0") of `store`, by hand. */
function writeV2(store: Store, prefix: string, v: Volume, chunks: number[], o: V2Options = {}): void {
  const dtype = Object.entries(V2_DTYPES).find(
    ([d]) => typedArrayConstructor(d as DType) === v.data.constructor,
  )![1];
  const compressor = o.compressor === undefined ? "zlib" : o.compressor;
  store.set(
    `${prefix}/.zarray`,
    json({
      zarr_format: 2,
      shape: v.shape,
      chunks,
      dtype: o.bigEndian ? dtype.replace("<", ">") : dtype,
      compressor: compressor ? { id: compressor, level: 1 } : null,
      fill_value: 0,
      order: o.order ?? "C",
      filters: null,
    }),
  );
  const grid = v.shape.map((s, i) => Math.ceil(s / chunks[i]));
  const c = grid.map(() => 0);
  for (;;) {
    if (!o.skip?.(c)) {
      const raw = chunkBytes(v, chunks, c, o.order ?? "C", o.bigEndian);
      const data = compressor === "zlib" ? deflateSync(raw) : compressor === "gzip" ? gzipSync(raw) : raw;
      store.set(`${prefix}/${c.join(".")}`, new Uint8Array(data));
    }
    let i = c.length - 1;
    for (; i >= 0; i--) {
      if (++c[i] < grid[i]) break;
      c[i] = 0;
    }
    if (i < 0) break;
  }
}

function ngffAttrs(
  axes: { name: string; type: string; unit?: string }[],
  scale: number[],
): Record<string, unknown> {
  return {
    multiscales: [
      {
        version: "0.4",
        axes,
        datasets: [
          { path: "0", coordinateTransformations: [{ type: "scale", scale }] },
          { path: "1", coordinateTransformations: [{ type: "scale", scale: scale.map((s) => s * 2) }] },
        ],
      },
    ],
  };
}

describe("Zarr v2 arrays", () => {
  for (const dtype of Object.keys(V2_DTYPES) as DType[])
    it(`${dtype}, zlib chunks that do not divide the shape`, async () => {
      const v = randomVolume(dtype, [7, 23, 30], "zyx", dtype.length);
      const store: Store = new Map();
      writeV2(store, "/a", v, [3, 8, 16]);
      const reader = await openZarrReader(store, "/a", { source: "a.zarr" });
      expect(reader.axesGuessed).toBe(true);
      await expectReaderMatches(reader, v, 14, dtype.length);
    });

  it("F order, big-endian, gzip, uncompressed, and missing chunks (the fill value)", async () => {
    const v = randomVolume("uint16", [9, 14, 3], "yxc", 4);
    const variants: [string, V2Options][] = [
      ["F", { order: "F" }],
      ["big-endian", { bigEndian: true, compressor: "gzip" }],
      ["raw", { compressor: null, order: "F", bigEndian: true }],
    ];
    for (const [name, o] of variants) {
      const store: Store = new Map();
      writeV2(store, "/a", v, [4, 5, 3], o);
      await expectReaderMatches(await openZarrReader(store, "/a", { source: name }), v, 10, name.length);
    }
    const sparse: Store = new Map();
    writeV2(sparse, "/a", v, [4, 5, 3], { skip: (c) => c[0] === 1 });
    const expected = { ...v, data: v.data.slice() };
    for (let y = 4; y < 8; y++) expected.data.fill(0, y * 14 * 3, (y + 1) * 14 * 3);
    await expectReaderMatches(await openZarrReader(sparse, "/a"), expected, 8);
  });

  it("reads only the chunks under the region", async () => {
    const v = randomVolume("uint8", [10, 40, 40], "zyx", 5);
    const map: Store = new Map();
    writeV2(map, "", v, [5, 10, 10]);
    const store = asyncStore(map);
    const reader = await openZarrReader(store, "/", { source: "lazy.zarr" });
    expect(store.gets).toEqual([]);
    await reader.read({ start: [6, 12, 0], stop: [7, 25, 10] });
    expect(store.gets.sort()).toEqual(["/1.1.0", "/1.2.0"]);
  });
});

describe("Zarr v3 and OME-Zarr", () => {
  it("v3 arrays written with zarrita (gzip, sharding-free), with dimension names", async () => {
    registerBoundedZarrCodecs(); // our gzip also encodes
    const map: Store = new Map();
    const v = randomVolume("float32", [3, 5, 20, 30], "czyx", 6);
    const arr = await zarr.create(zarr.root(map).resolve("img"), {
      shape: [...v.shape],
      chunkShape: [1, 2, 8, 16],
      dtype: "float32",
      codecs: [
        { name: "bytes", configuration: { endian: "little" } },
        { name: "gzip", configuration: { level: 1 } },
      ],
      dimensionNames: ["c", "z", "y", "x"],
    });
    await zarr.set(arr, null, {
      data: v.data as Float32Array,
      shape: [...v.shape],
      stride: [3000, 600, 30, 1],
    });
    const reader = await openZarrReader(map, "/img", { source: "v3.zarr" });
    expect(reader.axesGuessed).toBe(false);
    await expectReaderMatches(reader, v, 12);
  });

  it("NGFF 0.4: level 0 of the multiscales, its axes and voxel sizes", async () => {
    const store: Store = new Map();
    const v = randomVolume("uint16", [2, 6, 25, 31], "czyx", 7);
    store.set("/.zgroup", json({ zarr_format: 2 }));
    store.set(
      "/.zattrs",
      json(
        ngffAttrs(
          [
            { name: "c", type: "channel" },
            { name: "z", type: "space", unit: "micrometer" },
            { name: "y", type: "space", unit: "micrometer" },
            { name: "x", type: "space", unit: "micrometer" },
          ],
          [1, 2, 0.5, 0.25],
        ),
      ),
    );
    writeV2(store, "/0", v, [1, 3, 16, 16]);
    writeV2(store, "/1", randomVolume("uint16", [2, 3, 13, 16], "czyx", 8), [1, 3, 16, 16]);
    const reader = await openZarrReader(store, "/", { source: "ome.zarr" });
    expect(reader.axes).toBe("czyx");
    expect(reader.axesGuessed).toBe(false);
    expect(reader.scales).toEqual([
      { axis: "z", size: 2, unit: "micrometer" },
      { axis: "y", size: 0.5, unit: "micrometer" },
      { axis: "x", size: 0.25, unit: "micrometer" },
    ]);
    await expectReaderMatches(reader, v, 10);
  });

  it("NGFF 0.5: zarr.json attributes.ome.multiscales over a v3 array", async () => {
    const map: Store = new Map();
    const v = randomVolume("uint8", [4, 2, 17, 19], "tcyx", 9);
    await zarr.create(zarr.root(map), {
      attributes: {
        ome: {
          version: "0.5",
          multiscales: [
            {
              axes: [
                { name: "t", type: "time", unit: "second" },
                { name: "c", type: "channel" },
                { name: "y", type: "space", unit: "micrometer" },
                { name: "x", type: "space", unit: "micrometer" },
              ],
              datasets: [
                { path: "s0", coordinateTransformations: [{ type: "scale", scale: [30, 1, 0.2, 0.2] }] },
              ],
            },
          ],
        },
      },
    });
    const arr = await zarr.create(zarr.root(map).resolve("s0"), {
      shape: [...v.shape],
      chunkShape: [1, 1, 8, 8],
      dtype: "uint8",
    });
    await zarr.set(arr, null, { data: v.data as Uint8Array, shape: [...v.shape], stride: [646, 323, 19, 1] });
    const reader = await openZarrReader(map, "/", { source: "v05.zarr" });
    expect(reader.axes).toBe("tcyx");
    expect(reader.scales).toEqual([
      { axis: "t", size: 30, unit: "second" },
      { axis: "y", size: 0.2, unit: "micrometer" },
      { axis: "x", size: 0.2, unit: "micrometer" },
    ]);
    await expectReaderMatches(reader, v, 10);
  });

  it("a group without multiscales, and a missing path, are explained", async () => {
    const store: Store = new Map([["/.zgroup", json({ zarr_format: 2 })]]);
    expect((await formatError(() => openZarrReader(store, "/", { source: "g.zarr" }))).message).toBe(
      "g.zarr: is a Zarr group without OME-Zarr multiscales metadata; name the array inside it",
    );
    expect((await formatError(() => openZarrReader(store, "/nope", { source: "g.zarr" }))).message).toBe(
      'g.zarr: no Zarr array or group at "/nope"',
    );
  });
});

describe.skipIf(!pythonHas("zarr", "numcodecs"))("arrays written by Python zarr", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sylva-zarr-reader-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = `
import sys, numpy as np, zarr, numcodecs
out = sys.argv[1]
rng = np.random.default_rng(3)
a = rng.integers(0, 60000, (5, 33, 47)).astype(np.uint16)
np.save(f"{out}/a.npy", a)
for name, kw in [("zlib", dict(compressor=numcodecs.Zlib(1))), ("gzip", dict(compressor=numcodecs.GZip(1))),
                 ("blosc", dict(compressor=numcodecs.Blosc("lz4", 5, numcodecs.Blosc.SHUFFLE))),
                 ("raw", dict(compressor=None)), ("forder", dict(compressor=numcodecs.Zlib(1), order="F")),
                 ("bigendian", dict(compressor=numcodecs.Zlib(1), dtype=">u2"))]:
    z = zarr.open(f"{out}/{name}.zarr", mode="w", shape=a.shape, chunks=(2, 16, 16), dtype=kw.pop("dtype", a.dtype), **kw)
    z[:] = a
`;
  runPython(script, [dir]);
  const fsStore = (root: string): zarr.AsyncReadable => ({
    async get(key) {
      try {
        return new Uint8Array(readFileSync(path.join(root, key)));
      } catch {
        return undefined;
      }
    },
  });
  const expected = decodeNpy(new Uint8Array(readFileSync(path.join(dir, "a.npy"))), "a", "zyx");
  for (const name of ["zlib", "gzip", "blosc", "raw", "forder", "bigendian"])
    it(name, async () => {
      const reader = await openZarrReader(fsStore(path.join(dir, `${name}.zarr`)), "/", { source: name });
      await expectReaderMatches(reader, expected, 10, name.length);
    });
});

describe("hostile and unsupported Zarr", () => {
  it("a .zarray claiming 100000³ is refused without reading a chunk", async () => {
    const store: Store = new Map([
      [
        "/.zarray",
        json({
          zarr_format: 2,
          shape: [100000, 100000, 100000],
          chunks: [64, 64, 64],
          dtype: "<u2",
          compressor: null,
          fill_value: 0,
          order: "C",
          filters: null,
        }),
      ],
    ]);
    expect((await formatError(() => openZarrReader(store, "/", { source: "huge.zarr" }))).message).toBe(
      "huge.zarr: claims 100000 × 100000 × 100000 = 1.00e+15 voxels, more than the limit of 1.10e+12; refusing to read it",
    );
  });

  it("a chunk larger than one decode step is refused at open", async () => {
    const store: Store = new Map([
      [
        "/.zarray",
        json({
          zarr_format: 2,
          shape: [1000, 200000],
          chunks: [1000, 200000],
          dtype: "<f8",
          compressor: null,
          fill_value: 0,
          order: "C",
          filters: null,
        }),
      ],
    ]);
    expect((await formatError(() => openZarrReader(store, "/", { source: "chunky.zarr" }))).message).toBe(
      "chunky.zarr: one Zarr chunk (1000 × 200000) would decode to 1.5 GiB, more than the limit of 1.0 GiB; refusing to decode it",
    );
  });

  it("zlib and gzip chunks that inflate beyond the chunk are stopped (decompression bombs)", async () => {
    for (const compressor of ["zlib", "gzip"] as const) {
      const store: Store = new Map();
      const v = randomVolume("uint8", [16, 16], "yx", 1);
      writeV2(store, "/a", v, [8, 8], { compressor });
      const bomb = new Uint8Array(64 * 2 ** 20); // 64 MiB of zeros, ~64 KB compressed, for a 64-byte chunk
      store.set("/a/1.0", new Uint8Array(compressor === "zlib" ? deflateSync(bomb) : gzipSync(bomb)));
      const reader = await openZarrReader(store, "/a", { source: `${compressor}.zarr` });
      await reader.read({ start: [0, 0], stop: [8, 16] }); // the good chunks
      const before = process.memoryUsage().arrayBuffers;
      const e = await formatError(() => reader.read(fullRegion(reader.shape)));
      expect(e.message).toBe(
        `${compressor}.zarr: chunk (1, 0): ${compressor} data inflates to more than 1089 bytes, more than the zarr chunk can hold; refusing to inflate further (corrupt data or decompression bomb)`,
      );
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 * 2 ** 20);
    }
  });

  it("corrupt and truncated chunks name the chunk", async () => {
    const v = randomVolume("uint16", [16, 16], "yx", 2);
    const store: Store = new Map();
    writeV2(store, "/z", v, [8, 8]);
    store.set("/z/0.1", new Uint8Array([0x78, 0x9c, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const reader = await openZarrReader(store, "/z", { source: "bad.zarr" });
    const e = await formatError(() => reader.read({ start: [0, 8], stop: [4, 12] }));
    expect(e.message).toMatch(/^bad\.zarr: chunk \(0, 1\): cannot inflate zlib data: .+/);

    const raw: Store = new Map();
    writeV2(raw, "/r", v, [8, 8], { compressor: null });
    raw.set("/r/1.1", raw.get("/r/1.1")!.subarray(0, 20)); // 10 of 64 values
    const r = await openZarrReader(raw, "/r", { source: "short.zarr" });
    const e2 = await formatError(() => r.read({ start: [8, 8], stop: [16, 16] }));
    expect(e2.message).toBe(
      "short.zarr: chunk (1, 1): decoded to 10 values, a 8 × 8 chunk holds 64 (corrupt or truncated chunk)",
    );
  });

  it("unsupported dtypes are refused by name", async () => {
    const cases: [string, string][] = [
      ["<i8", "int64"],
      ["<u8", "uint64"],
      ["<f2", "float16"],
      ["|b1", "bool"],
      ["<U4", "U4 (string)"],
      ["|O", "object"],
    ];
    for (const [dtype, shown] of cases) {
      const store: Store = new Map([
        [
          "/.zarray",
          json({
            zarr_format: 2,
            shape: [4, 4],
            chunks: [4, 4],
            dtype,
            compressor: null,
            fill_value: null,
            order: "C",
            filters: null,
          }),
        ],
      ]);
      const e = await formatError(() => openZarrReader(store, "/", { source: "t.zarr" }));
      expect(e.message).toBe(
        `t.zarr: Zarr array has unsupported data type ${shown} (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)`,
      );
    }
    for (const dtype of ["int64", "float16", "bool", "complex64"]) {
      const map: Store = new Map([
        [
          "/zarr.json",
          json({
            zarr_format: 3,
            node_type: "array",
            shape: [4, 4],
            data_type: dtype,
            chunk_grid: { name: "regular", configuration: { chunk_shape: [4, 4] } },
            chunk_key_encoding: { name: "default" },
            codecs: [{ name: "bytes", configuration: { endian: "little" } }],
            fill_value: 0,
            attributes: {},
          }),
        ],
      ]);
      const e = await formatError(() => openZarrReader(map, "/", { source: "v3.zarr" }));
      expect(e.message).toContain(`v3.zarr: Zarr array has unsupported data type ${dtype} (supported: `);
    }
    const complex: Store = new Map([
      [
        "/.zarray",
        json({
          zarr_format: 2,
          shape: [4, 4],
          chunks: [4, 4],
          dtype: "<c8",
          compressor: null,
          fill_value: null,
          order: "C",
          filters: null,
        }),
      ],
    ]);
    expect((await formatError(() => openZarrReader(complex, "/", { source: "c.zarr" }))).message).toBe(
      "c.zarr: Zarr array has unsupported data type complex64 (supported: uint8, uint16, uint32, int8, int16, int32, float32, float64)",
    );
  });
});
