// Reading ilastik projects (.ilp) saved by ilastik itself: feature selection in ilastik's channel order
// (held against the names ilastik_ref.py's ilp-predict computes), label classes, input lanes, the vigra
// forests as one Forest, and clear errors for broken projects.

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { IlastikProject } from "../src/index.js";
import { IlastikProjectError, planFeatures, readIlastikProject, withHdf5, writeHdf5 } from "../src/index.js";
import { REF_SCRIPT, referenceAvailable, SHARED } from "./helpers/reference.js";

const available = referenceAvailable();
if (!available && process.env.CI)
  throw new Error("the reference (python3-vigra, python3-h5py) must be installed in CI");
const PYTHON = "/usr/bin/python3";
const DIR = join(SHARED, "data/ilastik");
const MITOCHECK = join(DIR, "mitocheckPixelClassification.ilp");
const PCOC = join(DIR, "pc-oc-133.ilp");

function bytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

async function read(file: string): Promise<IlastikProject> {
  return readIlastikProject(bytes(file), file.split("/").pop());
}

async function rejection(p: Promise<unknown>): Promise<IlastikProjectError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(IlastikProjectError);
  return e as IlastikProjectError;
}

describe("mitocheckPixelClassification.ilp (ilastik 1.2)", () => {
  it("features: 6 ids × 7 scales where selected, ids' then scales' stored order, not in 2D", async () => {
    const p = await read(MITOCHECK);
    expect(p.features).toHaveLength(37);
    expect(p.features.slice(0, 8)).toEqual([
      ...[0.3, 0.7, 1, 1.6, 3.5, 5, 10].map((scale) => ({ feature: "GS", scale, in2d: false })),
      { feature: "LoG", scale: 0.7, in2d: false },
    ]);
    expect(p.features.map((e) => e.feature).filter((f, i, a) => a.indexOf(f) === i)).toEqual([
      "GS",
      "LoG",
      "GGM",
      "DoG",
      "STE",
      "HoGE",
    ]);
    expect(p.features.every((e) => e.feature === "GS" || e.scale >= 0.7)).toBe(true);
  });

  it("classes, lane, forests", async () => {
    const p = await read(MITOCHECK);
    expect(p.source).toBe("mitocheckPixelClassification.ilp");
    expect(p.ilastikVersion).toBe("1.2.0rc10");
    expect(p.workflowName).toBe("Pixel Classification");
    expect(p.classes).toEqual([
      { name: "Label 1", color: [255, 0, 0] },
      { name: "Label 2", color: [0, 255, 0] },
    ]);
    expect(p.lanes).toEqual([
      {
        lane: 0,
        role: "Raw Data",
        filePath: "mitocheck_2d+t/mitocheck_small_2D+t.h5/exported_data",
        location: "FileSystem",
        axes: "txyzc",
        nickname: "mitocheck_small_2D+t",
        datasetId: "7b6bf8b4-a731-11e6-b852-0cc47a31f20c",
      },
    ]);
    // 40 vigra forests of 2 or 3 trees (ilastik's 100 trees split over 40 forests)
    expect(p.forestGroups).toBe(40);
    expect(p.forest?.trees).toHaveLength(100);
    expect(p.forest?.classCount).toBe(2);
    expect(p.forest?.featureCount).toBe(49);
    expect(p.knownLabels).toEqual([1, 2]);
    // the planned channels of a one-channel 2D image are what the forests were trained on
    const plan = planFeatures(p.features, [9, 1, 105, 99, 1]);
    expect(plan.channelCount).toBe(49);
    expect(p.forestFeatureNames).toHaveLength(49);
    expect(p.forestFeatureNames?.[0]).toBe("Gaussian Smoothing (σ=0.3)");
    // every split node's children come after it, every tree ends in leaves holding class frequencies
    for (const t of p.forest?.trees ?? []) {
      for (let i = 0; i < t.feature.length; i++)
        if (t.feature[i] >= 0) expect(t.left[i] > i && t.right[i] > i).toBe(true);
      for (let r = 0; r < t.leafValues.length; r += 2)
        expect(t.leafValues[r] + t.leafValues[r + 1]).toBeCloseTo(1, 6);
    }
  });

  it.skipIf(!available)("feature names and order equal ilastik_ref.py ilp-predict's", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "sylva-ilp-")), "ref.h5");
    execFileSync(PYTHON, [REF_SCRIPT, "ilp-predict", MITOCHECK, out], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    const refNames = await withHdf5(bytes(out), out, (r) =>
      JSON.parse(String(r.attribute("", "feature_names"))),
    );
    const p = await read(MITOCHECK);
    const plan = planFeatures(p.features, [9, 1, 105, 99, 1]);
    expect(plan.names).toEqual(refNames);
    // ilastik's own names of the forests' columns: ours without the input-channel suffix of one-channel
    // features
    expect(p.forestFeatureNames).toEqual(
      plan.names.map((n) => (/Eigenvalues/.test(n) ? n : n.replace(/ \[0\]$/, ""))),
    );
  });
});

describe("pc-oc-133.ilp (ilastik 1.3.3, Object Classification's pixel stage)", () => {
  it("features computed in 2D, 4 forests of 25 trees, lane with shape", async () => {
    const p = await read(PCOC);
    expect(p.workflowName).toBe("Object Classification (from pixel classification)");
    expect(p.features).toHaveLength(19);
    expect(p.features.every((e) => e.in2d)).toBe(true);
    expect(p.features.filter((e) => e.feature === "GS").map((e) => e.scale)).toEqual([0.3, 0.7, 1, 1.6]);
    expect(p.features.filter((e) => e.feature === "HoGE").map((e) => e.scale)).toEqual([0.7, 1, 1.6]);
    expect(p.classes.map((c) => c.color)).toEqual([
      [255, 225, 25],
      [0, 130, 200],
    ]);
    expect(p.lanes).toHaveLength(1);
    expect(p.lanes[0]).toMatchObject({
      filePath: "5t2d1c.h5/data",
      location: "FileSystem",
      axes: "tyxc",
      nickname: "5t2d1c-data",
      shape: [5, 33, 77, 1],
    });
    expect(p.forestGroups).toBe(4);
    expect(p.forest?.trees).toHaveLength(100);
    expect(p.forest?.featureCount).toBe(25);
    const plan = planFeatures(p.features, [5, 1, 33, 77, 1]);
    expect(plan.channelCount).toBe(25);
    // ilastik names these channels "… in 2D" for its ComputeIn2d flag even on 2D data (we do not)
    expect(p.forestFeatureNames).toHaveLength(25);
    expect(p.forestFeatureNames?.[13]).toBe("Structure Tensor Eigenvalues (σ=0.7) in 2D [0]");
  });
});

describe("broken projects", () => {
  it("not an HDF5 file", async () => {
    const e = await rejection(readIlastikProject(new TextEncoder().encode("hello"), "notes.ilp"));
    expect(e.message).toBe("notes.ilp: not an ilastik project (not an HDF5 file)");
  });

  it("a truncated project", async () => {
    const b = bytes(MITOCHECK);
    const e = await rejection(readIlastikProject(b.slice(0, b.length >> 1), "cut.ilp"));
    expect(e.message).toMatch(/^cut\.ilp: /);
  });

  it("an HDF5 file that is no Pixel Classification project", async () => {
    const h5 = await writeHdf5([{ path: "volume/data", data: new Uint8Array(4), shape: [2, 2] }]);
    const e = await rejection(readIlastikProject(h5, "other.h5"));
    expect(e.message).toBe("other.h5: PixelClassification: missing: not a Pixel Classification project");
  });

  it("a project without its feature ids names the missing path", async () => {
    const h5 = await writeHdf5([
      { path: "PixelClassification/StorageVersion", data: new Float64Array([0.1]), shape: [1] },
      { path: "FeatureSelections/Scales", data: new Float64Array([1, 2]), shape: [2] },
    ]);
    const e = await rejection(readIlastikProject(h5, "partial.ilp"));
    expect(e.message).toBe("partial.ilp: FeatureSelections/FeatureIds: missing");
    expect(e.project).toBe("partial.ilp");
    expect(e.path).toBe("FeatureSelections/FeatureIds");
  });

  // h5py edits a copy of the real project
  function edited(name: string, code: string): Uint8Array {
    const file = join(mkdtempSync(join(tmpdir(), "sylva-ilp-")), name);
    copyFileSync(MITOCHECK, file);
    execFileSync(PYTHON, [
      "-c",
      `import h5py\nf = h5py.File(${JSON.stringify(file)}, "r+")\n${code}\nf.close()`,
    ]);
    return bytes(file);
  }
  const F3 = "PixelClassification/ClassifierForests/Forest0003";

  it.skipIf(!available)("a tree without its topology", async () => {
    const b = edited("no-topology.ilp", `del f["${F3}/Tree_1/topology"]`);
    const e = await rejection(readIlastikProject(b, "no-topology.ilp"));
    expect(e.message).toBe(`no-topology.ilp: ${F3}: ${F3}/Tree_1/topology is missing`);
  });

  it.skipIf(!available)("a forest with a node type Sylva cannot represent", async () => {
    const b = edited("hyperplane.ilp", `t = f["${F3}/Tree_0/topology"]\nv = t[()]\nv[2] = 1\nt[...] = v`);
    const e = await rejection(readIlastikProject(b, "hyperplane.ilp"));
    expect(e.message).toContain("hyperplane.ilp: PixelClassification/ClassifierForests:");
    expect(e.message).toContain(`${F3}/Tree_0: node at topology[2] is a hyperplane split`);
  });

  it.skipIf(!available)("a selection matrix of the wrong shape", async () => {
    const b = edited(
      "matrix.ilp",
      `m = f["FeatureSelections/SelectionMatrix"][()]\ndel f["FeatureSelections/SelectionMatrix"]\nf["FeatureSelections/SelectionMatrix"] = m[:, :5]`,
    );
    const e = await rejection(readIlastikProject(b, "matrix.ilp"));
    expect(e.message).toBe(
      "matrix.ilp: FeatureSelections/SelectionMatrix: has shape [6, 5], expected [6, 7] (feature ids × scales)",
    );
  });
});
