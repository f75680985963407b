// Hostile and broken input through `sylva import`: each case is refused with a clear error naming the
// file and the problem (exit status 1), before it can exhaust memory, and nothing is published: the store
// holds no dataset, no chunk and no import record afterwards.

import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { accessFromEnv } from "../../src/datasets/access.js";
import { getDataset } from "../../src/datasets/catalog.js";
import { createDatasetService } from "../../src/datasets/service.js";
import { ISBI_RAW, PYTHON } from "../helpers/data.js";
import type { TestStore } from "../helpers/stores.js";
import { allKeys, fsTestStore } from "../helpers/stores.js";

const SYLVA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/sylva.js");

const MAKE = String.raw`
import sys, os, zlib, json, struct
import numpy as np, h5py, zarr, tifffile
d = sys.argv[1]
# A .npy whose header claims 100000 x 100000 x 100000 uint8 voxels, followed by a few bytes.
with open(os.path.join(d, "huge.npy"), "wb") as f:
    h = "{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 100000, 100000), }"
    h = h + " " * (63 - (10 + len(h)) % 64) + "\n"
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + b"\0" * 100)
# An HDF5 dataset of 100000^3 voxels: chunked, nothing written, a few KB on disk.
with h5py.File(os.path.join(d, "huge.h5"), "w") as f:
    f.create_dataset("volume", shape=(100000, 100000, 100000), dtype="u1", chunks=(64, 64, 64))
# A Zarr array whose metadata claims 100000^3.
zarr.open(os.path.join(d, "huge.zarr"), mode="w", shape=(100000, 100000, 100000), chunks=(64, 64, 64), dtype="u1")
# A decompression bomb in Zarr: a 64 x 64 uint8 chunk (4 KiB) whose zlib stream inflates to 64 MiB.
a = zarr.open(os.path.join(d, "bomb.zarr"), mode="w", shape=(128, 128), chunks=(64, 64), dtype="u1", compressor=zarr.Zlib(level=9))
a[:] = 7
with open(os.path.join(d, "bomb.zarr", "0.0"), "wb") as f:
    f.write(zlib.compress(b"\0" * (64 * 2**20), 9))
# Unsupported dtypes.
np.save(os.path.join(d, "complex.npy"), np.zeros((8, 8), np.complex64))
np.save(os.path.join(d, "half.npy"), np.zeros((8, 8), np.float16))
with h5py.File(os.path.join(d, "int64.h5"), "w") as f:
    f.create_dataset("data", data=np.zeros((8, 8), np.int64))
# A corrupt TIFF: a valid header and IFD whose strip offsets point past the end of the file.
t = os.path.join(d, "corrupt.tif")
tifffile.imwrite(t, np.arange(64 * 64, dtype=np.uint16).reshape(64, 64))
b = bytearray(open(t, "rb").read())
open(t, "wb").write(b[: len(b) - 4000])
# A PNG claiming 100000 x 100000 pixels (a bomb's header): IHDR, a tiny IDAT, IEND.
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"\0" * 100001 * 16)) + chunk(b"IEND", b"")
open(os.path.join(d, "bomb.png"), "wb").write(png)
`;

function sylva(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [SYLVA, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env, S3_BUCKET: "" },
    maxBuffer: 64 * 2 ** 20,
  });
}

describe("hostile input to sylva import", () => {
  let t: TestStore;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-hostile-"));
    execFileSync(PYTHON, ["-c", MAKE, dir]);
    // A stack whose third slice is cut short: its header is fine, its pixels are not.
    const stack = path.join(dir, "stack");
    mkdirSync(stack);
    for (const n of ["00", "01", "02", "03"])
      copyFileSync(path.join(ISBI_RAW, `${n}.png`), path.join(stack, `${n}.png`));
    const third = readFileSync(path.join(stack, "02.png"));
    writeFileSync(path.join(stack, "02.png"), third.subarray(0, third.length >> 1));
    // A stack whose third slice has another shape.
    const mixed = path.join(dir, "mixed");
    mkdirSync(mixed);
    for (const n of ["00", "01"]) copyFileSync(path.join(ISBI_RAW, `${n}.png`), path.join(mixed, `${n}.png`));
    execFileSync(PYTHON, [
      "-c",
      `from PIL import Image; import numpy as np; Image.fromarray(np.zeros((100, 80), np.uint8)).save("${mixed}/02.png")`,
    ]);
  });
  beforeEach(async () => {
    await t?.cleanup();
    t = await fsTestStore();
  });
  afterAll(async () => {
    await t?.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, () => string[], RegExp][] = [
    [
      "a truncated PNG inside a stack",
      () => [path.join(dir, "stack")],
      /02\.png.*(truncat|corrupt|cannot decode|end of)/i,
    ],
    [
      "a stack slice of another shape",
      () => [path.join(dir, "mixed")],
      /02\.png.*100 × 80|02\.png.*\[100, 80\]|02\.png.*shape/i,
    ],
    [
      "a corrupt TIFF (strips past the end)",
      () => [path.join(dir, "corrupt.tif")],
      /corrupt\.tif.*(truncat|past|end)/i,
    ],
    [
      "a .npy header claiming 100000³ voxels",
      () => [path.join(dir, "huge.npy")],
      /huge\.npy.*100000 × 100000 × 100000.*limit/i,
    ],
    [
      "an HDF5 dataset claiming 100000³ voxels",
      () => [`${path.join(dir, "huge.h5")}/volume`],
      /huge\.h5.*100000 × 100000 × 100000.*limit/i,
    ],
    [
      "a Zarr array claiming 100000³ voxels",
      () => [path.join(dir, "huge.zarr")],
      /huge\.zarr.*100000 × 100000 × 100000.*limit/i,
    ],
    [
      "a Zarr chunk that inflates 16 000×",
      () => [path.join(dir, "bomb.zarr")],
      /bomb\.zarr.*(more than|exceeds|larger)/i,
    ],
    ["a PNG claiming 100000 × 100000 pixels", () => [path.join(dir, "bomb.png")], /bomb\.png.*limit/i],
    ["a complex64 .npy", () => [path.join(dir, "complex.npy")], /complex\.npy.*(complex|<c8|c8)/i],
    ["a float16 .npy", () => [path.join(dir, "half.npy")], /half\.npy.*(float16|<f2|f2)/i],
    ["an int64 HDF5 dataset", () => [`${path.join(dir, "int64.h5")}/data`], /int64\.h5.*int64/i],
  ];
  for (const [label, specs, message] of cases) {
    it(`${label}: clear error, nothing published`, async () => {
      const r = sylva(t.env, "import", ...specs(), "--dataset", label);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
      expect(await allKeys(t.store)).toEqual([]);
    });
  }

  it("a dataset name with ../ is refused before anything is read or written", async () => {
    const r = sylva(t.env, "import", ISBI_RAW, "--dataset", "../../etc/evil");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/name may not contain \//);
    expect(await allKeys(t.store)).toEqual([]);
  });

  it("dataset ids that are paths are refused, never turned into keys", async () => {
    for (const id of ["../../etc/passwd", "ds_../../x", "catalog/datasets/x", ""])
      await expect(getDataset(t.store, id)).rejects.toThrow(/no dataset/);
    const r = sylva(t.env, "datasets", "show", "../../../etc/passwd");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no dataset "\.\.\/\.\.\/\.\.\/etc\/passwd"/);
  });

  it("web imports are confined to the operator's folders: ../, absolute paths and symlinks out are refused", async () => {
    const root = path.join(dir, "allowed");
    mkdirSync(root, { recursive: true });
    copyFileSync(path.join(ISBI_RAW, "00.png"), path.join(root, "ok.png"));
    symlinkSync(path.join(ISBI_RAW, "01.png"), path.join(root, "link.png"));
    const service = createDatasetService({
      store: t.store,
      access: await accessFromEnv({ SYLVA_IMPORT_ROOTS: root }),
    });
    const call = { options: { name: "x" }, userId: "u1" };
    for (const spec of [
      path.join(root, "../stack/00.png"),
      ISBI_RAW,
      "/etc/passwd",
      path.join(root, "link.png"),
      "s3://other/x.png",
      "https://example.org/a.zarr",
    ])
      await expect(service.importFromSources([spec], call)).rejects.toThrow(
        /not found in the folders imports may read|not one imports may read|not enabled/,
      );
    expect(await allKeys(t.store)).toEqual([]);
    const ok = await service.importFromSources([path.join(root, "ok.png")], call);
    expect(ok.shape).toEqual([512, 512]);
    expect(ok.createdBy).toBe("u1");
  });

  it("uploads keep the user's names for display only", async () => {
    const service = createDatasetService({ store: t.store });
    const bytes = new Uint8Array(readFileSync(path.join(ISBI_RAW, "00.png")));
    const manifest = await service.importUpload(
      [
        { name: "../../../etc/x.png", bytes },
        { name: "b.png", bytes },
      ],
      {
        options: { name: "upload" },
        userId: "u2",
      },
    );
    expect(manifest.sources).toEqual(["../../../etc/x.png", "b.png"]);
    expect(manifest.shape).toEqual([2, 512, 512]);
    const corrupt = bytes.subarray(0, 5000);
    await expect(
      service.importUpload([{ name: "bad.png", bytes: corrupt }], { options: { name: "bad" }, userId: "u2" }),
    ).rejects.toThrow(/bad\.png|truncat/i);
    expect((await allKeys(t.store, "datasets/")).every((k) => k.startsWith(manifest.prefix))).toBe(true);
  });
});
