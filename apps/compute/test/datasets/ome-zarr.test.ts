// The OME-Zarr Sylva writes is standard: its .zattrs validates against the NGFF 0.4 JSON schemas, and an
// independent reader (Debian's python3-zarr 2.x with numpy) reads every pyramid level back identically:
// level 0 equal to the source files (read by PIL / numpy), each further level equal to numpy's own mean
// of 2 × 2 (× 2) blocks of the level above, rounded half up.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeNpy } from "@sylva/core";
import Ajv2020 from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_ACCESS } from "../../src/datasets/access.js";
import { importVolume } from "../../src/datasets/import.js";
import { openImportSource } from "../../src/datasets/sources.js";
import { ISBI_RAW, NGFF_SPECS, PYTHON } from "../helpers/data.js";
import type { TestStore } from "../helpers/stores.js";
import { fsTestStore } from "../helpers/stores.js";

const CHECK = `
import json, sys, glob, os
import numpy as np, zarr
root, source, kind = sys.argv[1], sys.argv[2], sys.argv[3]
g = zarr.open_group(root, mode="r")
ms = g.attrs["multiscales"][0]
assert ms["version"] == "0.4", ms["version"]
if kind == "png":
    from PIL import Image
    files = sorted(glob.glob(os.path.join(source, "*.png")))
    src = np.stack([np.asarray(Image.open(f)) for f in files])
else:
    src = np.load(source)
prev = None
out = []
for i, d in enumerate(ms["datasets"]):
    a = g[d["path"]]
    data = a[...]
    if i == 0:
        assert data.dtype == src.dtype, (data.dtype, src.dtype)
        assert data.shape == src.shape, (data.shape, src.shape)
        assert np.array_equal(data, src), "level 0 differs from the source"
    else:
        f = [2 if p != n else 1 for p, n in zip(prev.shape, data.shape)]
        pad = [(0, (-s) % k) for s, k in zip(prev.shape, f)]
        x = prev.astype(np.float64)
        ones = np.pad(np.ones_like(x), pad)
        x = np.pad(x, pad)
        shape = []
        for s, k in zip(x.shape, f):
            shape += [s // k, k]
        sums = x.reshape(shape).sum(axis=tuple(range(1, 2 * len(f), 2)))
        counts = ones.reshape(shape).sum(axis=tuple(range(1, 2 * len(f), 2)))
        mean = sums / counts
        expected = np.floor(mean + 0.5).astype(data.dtype) if data.dtype.kind in "ui" else mean.astype(data.dtype)
        assert data.shape == expected.shape, (i, data.shape, expected.shape)
        assert np.array_equal(data, expected), "level %d is not the mean of level %d" % (i, i - 1)
    out.append({"path": d["path"], "shape": list(a.shape), "chunks": list(a.chunks), "dtype": str(a.dtype),
                "compressor": a.compressor.codec_id, "scale": d["coordinateTransformations"][0]["scale"]})
    prev = data
print(json.dumps({"axes": [a["name"] for a in ms["axes"]], "levels": out}))
`;

function loadSchemas() {
  const ajv = new Ajv2020.default({ strict: false, allErrors: true });
  for (const name of ["image.schema", "strict_image.schema"])
    ajv.addSchema(JSON.parse(readFileSync(path.join(NGFF_SPECS, name), "utf8")));
  return ajv;
}

describe("OME-Zarr output (NGFF 0.4, Zarr v2)", () => {
  let t: TestStore;
  let work: string;
  beforeAll(async () => {
    t = await fsTestStore();
    work = await mkdtemp(path.join(tmpdir(), "sylva-omezarr-"));
  });
  afterAll(async () => {
    await t?.cleanup();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function importAndCheck(specs: string[], name: string, source: string, kind: "png" | "npy") {
    const opened = await openImportSource(specs, { access: OPERATOR_ACCESS });
    const manifest = await importVolume(t.store, {
      reader: opened.reader,
      name,
      sources: opened.sources,
      resumeKey: opened.fingerprint,
    }).finally(() => opened.close());
    const root = path.join(t.dir as string, manifest.prefix);
    const zattrs = JSON.parse(readFileSync(path.join(root, ".zattrs"), "utf8"));
    const ajv = loadSchemas();
    for (const id of [
      "https://ngff.openmicroscopy.org/0.4/schemas/image.schema",
      "https://ngff.openmicroscopy.org/0.4/schemas/strict_image.schema",
    ]) {
      const valid = ajv.validate(id, zattrs);
      expect(valid, `${id}: ${ajv.errorsText()}`).toBe(true);
    }
    const out = execFileSync(PYTHON, ["-c", CHECK, root, source, kind], { encoding: "utf8" });
    return {
      manifest,
      python: JSON.parse(out) as {
        axes: string[];
        levels: {
          path: string;
          shape: number[];
          chunks: number[];
          dtype: string;
          compressor: string;
          scale: number[];
        }[];
      },
    };
  }

  it("the ISBI stack: schema-valid, and python3-zarr reads both levels identically", async () => {
    const { manifest, python } = await importAndCheck([ISBI_RAW], "ISBI", ISBI_RAW, "png");
    expect(python.axes).toEqual(["z", "y", "x"]);
    expect(python.levels.map((l) => l.shape)).toEqual(manifest.levels.map((l) => l.shape));
    expect(python.levels.map((l) => l.chunks)).toEqual(manifest.levels.map((l) => l.chunks));
    expect(python.levels.every((l) => l.dtype === "uint8" && l.compressor === "blosc")).toBe(true);
    expect(python.levels[1].scale).toEqual([1, 2, 2]);
  });

  it("a uint16 3D volume with a 4-level pyramid and odd sizes", async () => {
    // 70 × 600 × 1100: odd edges everywhere, z halved once its size is comparable with y and x.
    const [Z, Y, X] = [70, 600, 1100];
    const data = new Uint16Array(Z * Y * X);
    for (let z = 0; z < Z; z++)
      for (let y = 0; y < Y; y++)
        for (let x = 0; x < X; x++)
          data[(z * Y + y) * X + x] = (x * 7 + y * 13 + z * 101 + ((x * y) % 251)) & 0xffff;
    const file = path.join(work, "volume.npy");
    writeFileSync(file, encodeNpy({ data, shape: [Z, Y, X], axes: "zyx" }));
    const { manifest, python } = await importAndCheck([file], "synthetic u16", file, "npy");
    expect(manifest.levels.length).toBeGreaterThanOrEqual(4);
    expect(python.levels.map((l) => l.shape)).toEqual(manifest.levels.map((l) => l.shape));
    expect(python.levels.map((l) => l.scale)).toEqual(manifest.levels.map((l) => l.scale));
  });

  it("a 2D RGB image: axes c, y, x with one chunk per channel", async () => {
    const [Y, X] = [300, 700];
    const data = new Uint8Array(Y * X * 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 256;
    const file = path.join(work, "rgb.npy");
    writeFileSync(file, encodeNpy({ data, shape: [Y, X, 3], axes: "yxc" }));
    // The .npy is (y, x, c); python compares against the stored (c, y, x).
    const cyx = path.join(work, "rgb-cyx.npy");
    execFileSync(PYTHON, [
      "-c",
      `import numpy as np; np.save("${cyx}", np.moveaxis(np.load("${file}"), 2, 0))`,
    ]);
    const { manifest, python } = await importAndCheck([file], "rgb", cyx, "npy");
    expect(manifest.axes).toBe("cyx");
    expect(python.axes).toEqual(["c", "y", "x"]);
    expect(python.levels[0].chunks).toEqual([1, 300, 512]);
  });
});
