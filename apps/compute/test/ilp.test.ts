// The ilastik interop path end to end: read a project saved by ilastik, resolve and read its raw data,
// compute the project's features with our engine, predict with the imported vigra forests, and hold the
// segmentation against ilastik's own export (and, where the reference runs, against ilastik_ref.py's).

import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Forest, Volume5 } from "@sylva/core";
import { computeFeatures, planFeatures, readHdf5, transposeToCanonical, WasmBackend } from "@sylva/core";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "../src/io/errors.js";
import { loadIlastikProject } from "../src/io/ilp.js";

const PYTHON = "/usr/bin/python3";
const REPO_ROOT = path.resolve(fileURLToPath(new URL(".", import.meta.url)), "../../..");
const SHARED = path.resolve(REPO_ROOT, "../shared");
const REF_SCRIPT = path.join(SHARED, "reference/ilastik_ref.py");
const DIR = path.join(SHARED, "data/ilastik");
const MITOCHECK = path.join(DIR, "mitocheckPixelClassification.ilp");
const EXPORT = path.join(DIR, "mitocheck_2d+t/mitocheck_small_2D+t_export.h5");
const PCOC = path.join(DIR, "pc-oc-133.ilp");

const available = existsSync(REF_SCRIPT) && spawnSync(PYTHON, ["-c", "import vigra, h5py"]).status === 0;
if (!available && process.env.CI)
  throw new Error("the reference (python3-vigra, python3-h5py) must be installed in CI");

const tmp = mkdtempSync(path.join(tmpdir(), "sylva-ilp-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A minimal evaluator of the Forest contract (until core's predictForest lands): the normalized sum of
// the leaves' class weights per sample.
function predict(forest: Forest, x: Float32Array, n: number): Float64Array {
  const { featureCount: F, classCount: C } = forest;
  const out = new Float64Array(n * C);
  for (let s = 0; s < n; s++) {
    for (const t of forest.trees) {
      let i = 0;
      while (t.feature[i] >= 0) i = x[s * F + t.feature[i]] < t.threshold[i] ? t.left[i] : t.right[i];
      for (let k = 0; k < C; k++) out[s * C + k] += t.leafValues[t.leaf[i] * C + k];
    }
    let sum = 0;
    for (let k = 0; k < C; k++) sum += out[s * C + k];
    for (let k = 0; k < C; k++) out[s * C + k] /= sum;
  }
  return out;
}

function argmax(p: ArrayLike<number>, classes: number): Uint8Array {
  const out = new Uint8Array(p.length / classes);
  for (let i = 0; i < out.length; i++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (p[i * classes + k] > p[i * classes + best]) best = k;
    out[i] = best;
  }
  return out;
}

function agreement(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

async function classify(
  file: string,
): Promise<{ raw: Volume5; probabilities: Float64Array; classes: number }> {
  const { project, raw } = await loadIlastikProject(file);
  const forest = project.forest!;
  const plan = planFeatures(project.features, raw.shape);
  const features = computeFeatures(await WasmBackend.create(), raw, plan);
  return {
    raw,
    probabilities: predict(forest, features, features.length / plan.channelCount),
    classes: forest.classCount,
  };
}

/** ilastik_ref.py ilp-predict's segmentation (argmax + 1) of the project's first lane, (t, z, y, x). */
function referenceSegmentation(file: string): Promise<Uint8Array> {
  const out = path.join(tmp, `ref-${path.basename(file)}.h5`);
  execFileSync(PYTHON, [REF_SCRIPT, "ilp-predict", file, out], { stdio: ["ignore", "ignore", "pipe"] });
  return readHdf5(new Uint8Array(readFileSync(out)), "segmentation", out).then((v) =>
    Uint8Array.from(v.data as Uint8Array, (s) => s - 1),
  );
}

describe("mitocheck (ilastik 1.2 project, external HDF5 raw data, axes t, x, y, z, c)", () => {
  it("loads the project and its raw data in canonical order", async () => {
    const { project, raw, lane, rawSource } = await loadIlastikProject(MITOCHECK);
    expect(lane.axes).toBe("txyzc");
    expect(rawSource).toBe(path.join(DIR, "mitocheck_2d+t/mitocheck_small_2D+t.h5/exported_data"));
    expect(raw.axes).toBe("tzyxc");
    expect(raw.shape).toEqual([9, 1, 105, 99, 1]);
    expect(raw.data).toBeInstanceOf(Uint16Array);
    expect(project.forest?.trees).toHaveLength(100);
    // transposed, not reshaped: pixel (t, x, y) of the file is pixel (t, y, x) here
    const file = await readHdf5(
      new Uint8Array(readFileSync(path.join(DIR, "mitocheck_2d+t/mitocheck_small_2D+t.h5"))),
      "exported_data",
    );
    const [t, x, y] = [4, 17, 60];
    expect(raw.data[(t * 105 + y) * 99 + x]).toBe(file.data[(t * 99 + x) * 105 + y]);
  });

  it("our features + the imported forests agree with ilastik's own export on ≥ 98.5 % of pixels", async () => {
    const { probabilities, classes } = await classify(MITOCHECK);
    expect(classes).toBe(2);
    const exported = transposeToCanonical(
      await readHdf5(new Uint8Array(readFileSync(EXPORT)), "exported_data", EXPORT),
    );
    expect(exported.shape).toEqual([9, 1, 105, 99, 2]);
    const ours = argmax(probabilities, 2);
    const theirs = argmax(exported.data as Float32Array, 2);
    const agree = agreement(ours, theirs);
    console.log(`mitocheck: argmax agrees with ilastik's export on ${(100 * agree).toFixed(2)} % of pixels`);
    expect(agree).toBeGreaterThanOrEqual(0.985);
    if (available) {
      const ref = agreement(ours, await referenceSegmentation(MITOCHECK));
      console.log(
        `mitocheck: argmax agrees with ilastik_ref.py ilp-predict on ${(100 * ref).toFixed(3)} % of pixels`,
      );
      expect(ref).toBeGreaterThanOrEqual(0.999);
    }
  });
});

describe("pc-oc-133 (ilastik 1.3.3, features computed in 2D, axes t, y, x, c)", () => {
  it.skipIf(!available)("predicts what ilastik_ref.py predicts with the project's forests", async () => {
    const { raw, probabilities } = await classify(PCOC);
    expect(raw.shape).toEqual([5, 1, 33, 77, 1]);
    const ref = agreement(argmax(probabilities, 2), await referenceSegmentation(PCOC));
    console.log(
      `pc-oc-133: argmax agrees with ilastik_ref.py ilp-predict on ${(100 * ref).toFixed(3)} % of pixels`,
    );
    expect(ref).toBeGreaterThanOrEqual(0.999);
  });
});

describe("errors name the project and the missing file", () => {
  it("a project file that does not exist", async () => {
    const missing = path.join(tmp, "nope.ilp");
    await expect(loadIlastikProject(missing)).rejects.toThrow(
      new InputError(missing, `no such ilastik project: ${missing}`),
    );
  });

  it("a project whose raw data is not beside it", async () => {
    const moved = path.join(tmp, "moved");
    mkdirSync(moved, { recursive: true });
    const ilp = path.join(moved, "mitocheck.ilp");
    copyFileSync(MITOCHECK, ilp);
    const e = await loadIlastikProject(ilp).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    const file = path.join(moved, "mitocheck_2d+t/mitocheck_small_2D+t.h5");
    expect((e as InputError).message).toBe(`${ilp}: lane 0 raw data: no such file: ${file}`);
    expect((e as InputError).path).toBe(file);
  });

  it("a file that is no ilastik project", async () => {
    const e = await loadIlastikProject(EXPORT).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe(
      `${EXPORT}: PixelClassification: missing: not a Pixel Classification project`,
    );
  });
});
