// `sylva predict` end to end on ilastik's own data and through ilastik's export options: an .ilp on its
// raw data against ilastik's export, the Fiji recipe read back by tifffile, and clear errors.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
const SYLVA = resolve(here, "../bin/sylva.js");
const SHARED = resolve(here, "../../../../shared");
const PY = "/usr/bin/python3";
const hasReaders = spawnSync(PY, ["-c", "import h5py, tifffile, numpy"]).status === 0;
if (!hasReaders && process.env.CI)
  throw new Error("python3-h5py and python3-tifffile must be installed in CI");
const MITO = join(SHARED, "data/ilastik");

function sylva(args: string[]) {
  return spawnSync(process.execPath, [SYLVA, ...args], { encoding: "utf8" });
}

describe.skipIf(!hasReaders)("sylva predict", () => {
  it("an ilastik project on its own raw data agrees with ilastik's export on ≥ 98.5 % of pixels", () => {
    const dir = mkdtempSync(join(tmpdir(), "sylva-ilp-"));
    const run = sylva([
      "predict",
      join(MITO, "mitocheckPixelClassification.ilp"),
      "--out",
      join(dir, "mito"),
    ]);
    expect(run.status, run.stderr).toBe(0);
    const agreement = Number(
      execFileSync(
        PY,
        [
          "-c",
          `import h5py, numpy as np, sys
a = h5py.File(sys.argv[1])["exported_data"][()]                          # t, y, x, c
b = h5py.File(sys.argv[2])["exported_data"][()]                          # t, x, y, z, c (ilastik)
b = np.transpose(b[:, :, :, 0, :], (0, 2, 1, 3))
assert a.shape == b.shape, (a.shape, b.shape)
print((a.argmax(-1) == b.argmax(-1)).mean())`,
          join(dir, "mito.h5"),
          join(MITO, "mitocheck_2d+t/mitocheck_small_2D+t_export.h5"),
        ],
        { encoding: "utf8" },
      ),
    );
    console.log(
      `mitocheck: sylva predict agrees with ilastik's export on ${(100 * agreement).toFixed(2)} % of pixels`,
    );
    expect(agreement).toBeGreaterThanOrEqual(0.985);
  });

  it("trains, then exports the Fiji recipe (uint8 tiff sequence, probabilities 0..1 → 0..255)", () => {
    const dir = mkdtempSync(join(tmpdir(), "sylva-fiji-"));
    const isbi = (kind: string, i: number) =>
      join(SHARED, "data/isbi2012", kind, `${String(i).padStart(2, "0")}.png`);
    const model = join(dir, "m.sylva");
    const train = sylva([
      "train",
      "--image",
      isbi("raw", 0),
      "--labels",
      isbi("scribbles", 0),
      "--out",
      model,
      "--trees",
      "20",
      "--max-depth",
      "12",
    ]);
    expect(train.status, train.stderr).toBe(0);
    const stack = [isbi("raw", 20), isbi("raw", 21), isbi("raw", 22)].join(",");
    const out = join(dir, "fiji", "{nickname}_{slice_index}");
    const run = sylva([
      "predict",
      model,
      stack,
      "--dtype",
      "uint8",
      "--renormalize",
      "0,1,0,255",
      "--format",
      "tiff-sequence",
      "--out",
      out,
    ]);
    expect(run.status, run.stderr).toBe(0);
    const files = readdirSync(join(dir, "fiji")).sort();
    expect(files).toEqual(["20_0.tiff", "20_1.tiff", "20_2.tiff"]);
    const check = JSON.parse(
      execFileSync(
        PY,
        [
          "-c",
          `import tifffile, json, sys
a = tifffile.imread(sys.argv[1])
print(json.dumps({"shape": list(a.shape), "dtype": str(a.dtype), "sum": int(a[..., 0].astype(int).sum() + a[..., 1].astype(int).sum()), "n": int(a.shape[0] * a.shape[1])}))`,
          join(dir, "fiji", "20_1.tiff"),
        ],
        { encoding: "utf8" },
      ),
    );
    expect(check).toMatchObject({ shape: [512, 512, 2], dtype: "uint8" });
    // two classes' probabilities sum to 1, so their 0..255 values sum to 255 ± 1 per pixel (rounding)
    expect(Math.abs(check.sum / check.n - 255)).toBeLessThan(1);
  });

  it("refuses a corrupt classifier and a model without forests, naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "sylva-bad-"));
    const bad = join(dir, "bad.sylva");
    writeFileSync(bad, "SYLVA-RF but not really");
    const run = sylva(["predict", bad, join(SHARED, "data/isbi2012/raw/20.png"), "--out", join(dir, "x")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/sylva predict: .*classifier/i);
    expect(existsSync(join(dir, "x.h5"))).toBe(false);
    const missing = sylva(["predict", join(dir, "missing.sylva"), join(SHARED, "data/isbi2012/raw/20.png")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/cannot read model .*missing\.sylva: no such file/);
  });
});
