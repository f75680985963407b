// `sylva features` end to end: the compiled command line on the real ISBI slice, its HDF5 read back by
// h5py and compared with ilastik_ref.py; and the error paths (exit status, message, no output left behind).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
const SYLVA = resolve(here, "../bin/sylva.js");
const SHARED = resolve(here, "../../../../shared");
const REF = join(SHARED, "reference/ilastik_ref.py");
const PY = "/usr/bin/python3";
const slice = join(SHARED, "data/isbi2012/raw/00.png");
const hasReference = existsSync(REF) && spawnSync(PY, ["-c", "import vigra, h5py"]).status === 0;
if (!hasReference && process.env.CI)
  throw new Error("the reference (python3-vigra, python3-h5py) must be installed in CI");

function sylva(args: string[]) {
  return spawnSync(process.execPath, [SYLVA, ...args], { encoding: "utf8" });
}

describe("sylva features", () => {
  it.skipIf(!hasReference)(
    "writes ilastik's features of the ISBI slice, as the reference computes them",
    () => {
      const dir = mkdtempSync(join(tmpdir(), "sylva-cli-"));
      const ours = join(dir, "ours.h5");
      const theirs = join(dir, "ref.h5");
      const run = sylva([
        "features",
        slice,
        "--out",
        ours,
        "--scales",
        "0.7,1.6,5.0",
        "--features",
        "GS,GGM,STE,HoGE",
      ]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/wrote .*exported_data yxc \[512, 512, 18\] float32/);
      execFileSync(PY, [
        REF,
        "features",
        slice,
        theirs,
        "--scales",
        "0.7,1.6,5.0",
        "--features",
        "GS,GGM,STE,HoGE",
      ]);
      const check = execFileSync(
        PY,
        [
          "-c",
          `import h5py, json, numpy as np
a = h5py.File(${JSON.stringify(ours)})["exported_data"]; b = h5py.File(${JSON.stringify(theirs)})["features"]
same_names = json.loads(a.attrs["names"]) == json.loads(b.attrs["names"])
axes = [x["key"] for x in json.loads(a.attrs["axistags"])["axes"]]
A, B = a[()], b[()]
rng = B.max(axis=(0, 1)) - B.min(axis=(0, 1))
print(json.dumps({"shape": list(A.shape), "dtype": str(A.dtype), "names": same_names, "axes": axes,
                  "worst": float((np.abs(A - B).max(axis=(0, 1)) / rng).max())}))`,
        ],
        { encoding: "utf8" },
      );
      const r = JSON.parse(check);
      expect(r).toMatchObject({
        shape: [512, 512, 18],
        dtype: "float32",
        names: true,
        axes: ["y", "x", "c"],
      });
      expect(r.worst).toBeLessThan(1e-3);
    },
  );

  it("names the file when it cannot be read, exits 1, and writes nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "sylva-cli-"));
    const bad = join(dir, "notes.png");
    writeFileSync(bad, "this is not an image");
    const out = join(dir, "out.h5");
    for (const [args, message] of [
      [["features", join(dir, "missing.png"), "--out", out], /no such file.*missing\.png/],
      [["features", bad, "--out", out], /notes\.png/],
      [["features", slice, "--out", out, "--scales", "0.7,abc"], /invalid scale "abc"/],
      [["features", slice, "--out", out, "--features", "GS,Blur"], /unknown feature "Blur"/],
      [["features", slice], /needs --out/],
      [["nonsense"], /unknown command "nonsense"/],
    ] as const) {
      const run = sylva([...args]);
      expect(run.status, `${args.join(" ")}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });

  it("refuses a scale too large for the image, naming scale and axis", () => {
    const dir = mkdtempSync(join(tmpdir(), "sylva-cli-"));
    const out = join(dir, "out.h5");
    const stack = Array.from({ length: 10 }, (_, i) =>
      join(SHARED, `data/isbi2012/raw/${String(i).padStart(2, "0")}.png`),
    );
    const run = sylva(["features", stack.join(","), "--out", out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /scale 3\.5 is too large for the image: it needs 14 pixels along z, the image has 10/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("prints help", () => {
    const run = sylva(["--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/features\s+compute ilastik's pixel features/);
    expect(sylva(["features", "--help"]).stdout).toMatch(/usage: sylva features IMAGE --out OUT\.h5/);
  });
});
