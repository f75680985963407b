// The forest on real data against ilastik's reference: ISBI 2012 sections 00–02 with their scribbles
// (1 = membrane, 2 = cell interior), all 49 default features in 2D, 100 trees; membrane F1 of the simple
// segmentation of section 20 against its ground truth (0 = membrane) must be at least the reference's
// (ilastik_ref.py on vigra, same features, same labels) minus 0.02. vigra seeds itself from the clock, so
// its F1 varies from run to run (0.65–0.67 here); ours is fixed by the seed.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Volume5 } from "../src/index.js";
import {
  computeFeatures,
  DEFAULT_SCALES,
  decodePng,
  FEATURE_IDS,
  planFeatures,
  predictForest,
  segmentation,
  selectionEntries,
  trainForest,
  uncertainty,
  WasmBackend,
} from "../src/index.js";
import { REF_SCRIPT, referenceAvailable, SHARED } from "./helpers/reference.js";

const available = referenceAvailable();
if (!available && process.env.CI)
  throw new Error("the reference (python3-vigra, python3-h5py) must be installed in CI");

const ISBI = path.join(SHARED, "data/isbi2012");
const TRAIN = ["00", "01", "02"];
const ENTRIES = selectionEntries({ features: [...FEATURE_IDS], scales: [...DEFAULT_SCALES], in2d: true });

function png(file: string): Uint8Array {
  const img = decodePng(new Uint8Array(readFileSync(file)), file);
  if (!(img.data instanceof Uint8Array) || img.shape.length !== 2)
    throw new Error(`${file}: not 8-bit grayscale`);
  return img.data;
}

/** Membrane F1: segmentation class 1 against ground truth 0. */
function membraneF1(seg: Uint8Array, gt: Uint8Array): number {
  let tp = 0;
  let predicted = 0;
  let actual = 0;
  for (let i = 0; i < seg.length; i++) {
    const p = seg[i] === 1;
    const a = gt[i] === 0;
    if (p && a) tp++;
    if (p) predicted++;
    if (a) actual++;
  }
  return (2 * tp) / (predicted + actual);
}

/** Runs the reference classifier and returns its membrane F1 on section 20. */
function referenceF1(): number {
  const dir = mkdtempSync(path.join(tmpdir(), "sylva-forest-ref-"));
  try {
    const out = path.join(dir, "ref.h5");
    execFileSync(
      "/usr/bin/python3",
      [
        REF_SCRIPT,
        "classify",
        "--train",
        ...TRAIN.map((s) => path.join(ISBI, `raw/${s}.png`)),
        "--labels",
        ...TRAIN.map((s) => path.join(ISBI, `scribbles/${s}.png`)),
        "--predict",
        path.join(ISBI, "raw/20.png"),
        "--out",
        out,
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const script = [
      "import sys, h5py, numpy as np",
      "from PIL import Image",
      "s = h5py.File(sys.argv[1], 'r')['/0/segmentation'][()]",
      "g = np.asarray(Image.open(sys.argv[2]))",
      "p, a = s == 1, g == 0",
      "print(2 * int((p & a).sum()) / (int(p.sum()) + int(a.sum())))",
    ].join("\n");
    const stdout = execFileSync("/usr/bin/python3", ["-c", script, out, path.join(ISBI, "gt/20.png")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return Number(stdout.toString().trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("ISBI 2012: scribbles on sections 00–02, predict section 20", () => {
  let f1 = 0;
  let probs: Float32Array;

  beforeAll(async () => {
    const backend = await WasmBackend.create();
    const features = (section: string) => {
      const vol: Volume5 = {
        data: png(path.join(ISBI, `raw/${section}.png`)),
        shape: [1, 1, 512, 512, 1],
        axes: "tzyxc",
      };
      return computeFeatures(backend, vol, planFeatures(ENTRIES, vol.shape));
    };
    const F = planFeatures(ENTRIES, [1, 1, 512, 512, 1]).channelCount;
    const rows: Float32Array[] = [];
    const labels: number[] = [];
    for (const s of TRAIN) {
      const f = features(s);
      const lab = png(path.join(ISBI, `scribbles/${s}.png`));
      for (let p = 0; p < lab.length; p++)
        if (lab[p] > 0) {
          rows.push(f.subarray(p * F, (p + 1) * F));
          labels.push(lab[p]);
        }
    }
    const samples = new Float32Array(rows.length * F);
    for (const [i, r] of rows.entries()) samples.set(r, i * F);
    const forest = trainForest(samples, labels, F, { trees: 100, seed: 0 });
    probs = predictForest(forest, features("20"));
    f1 = membraneF1(segmentation(probs, 2), png(path.join(ISBI, "gt/20.png")));
  });

  it("segments membranes well (F1 ≥ 0.62; the reference reaches 0.65–0.67)", () => {
    expect(f1).toBeGreaterThanOrEqual(0.62);
    // Probabilities are proper, and uncertainty is consistent with them.
    const u = uncertainty(probs, 2);
    for (let i = 0; i < u.length; i += 997) {
      expect(Math.abs(probs[2 * i] + probs[2 * i + 1] - 1)).toBeLessThan(1e-6);
      expect(u[i]).toBeCloseTo(1 - Math.abs(probs[2 * i] - probs[2 * i + 1]), 6);
    }
  });

  it.skipIf(!available)("is at least as accurate as the reference minus 0.02", () => {
    const ref = referenceF1();
    expect(ref).toBeGreaterThan(0.5);
    expect(f1).toBeGreaterThanOrEqual(ref - 0.02);
  });
});
