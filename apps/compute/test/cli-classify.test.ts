// Headless pixel classification end to end, as a user runs it: `sylva train` on the ISBI scribbles of
// sections 00–02, `sylva predict` on sections 20–29, membrane F1 against the ground truth — held against
// ilastik_ref.py classify on the same inputs (ours must be at least the reference's minus 0.02).

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));
const SYLVA = resolve(here, "../bin/sylva.js");
const SHARED = resolve(here, "../../../../shared");
const REF = join(SHARED, "reference/ilastik_ref.py");
const PY = "/usr/bin/python3";
const hasReference = existsSync(REF) && spawnSync(PY, ["-c", "import vigra, h5py, PIL"]).status === 0;
if (!hasReference && process.env.CI)
  throw new Error("the reference (python3-vigra, python3-h5py, python3-pil) must be installed in CI");

const isbi = (kind: string, i: number) =>
  join(SHARED, "data/isbi2012", kind, `${String(i).padStart(2, "0")}.png`);
const TRAIN = [0, 1, 2];
const PREDICT = [20, 21, 22, 23, 24, 25, 26, 27, 28, 29];

function sylva(args: string[]) {
  const run = spawnSync(process.execPath, [SYLVA, ...args], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`sylva ${args.join(" ")} failed (${run.status}):\n${run.stderr}`);
  return run;
}

/** Pooled membrane F1 over sections: predicted class 1 (scribble label 1 = membrane) vs gt == 0. */
const F1_PY = `
import json, sys, numpy as np
from PIL import Image
def f1(pred_membrane, gt_paths):
    tp = fp = fn = 0
    for p, g in zip(pred_membrane, gt_paths):
        t = np.asarray(Image.open(g)) == 0
        tp += int(np.sum(p & t)); fp += int(np.sum(p & ~t)); fn += int(np.sum(~p & t))
    return 2 * tp / (2 * tp + fp + fn)
`;

describe.skipIf(!hasReference)("ISBI 2012: train on sections 00–02, predict 20–29", () => {
  it("membrane F1 is at least the reference's minus 0.02", () => {
    const dir = mkdtempSync(join(tmpdir(), "sylva-isbi-"));
    const model = join(dir, "isbi.sylva");
    const train = sylva([
      "train",
      "--image",
      ...TRAIN.map((i) => isbi("raw", i)),
      "--labels",
      ...TRAIN.map((i) => isbi("scribbles", i)),
      "--out",
      model,
    ]);
    expect(train.stderr).toMatch(/wrote .*isbi\.sylva: 100 trees, 2 classes, 49 features/);
    sylva([
      "predict",
      model,
      ...PREDICT.map((i) => isbi("raw", i)),
      "--source",
      "simple-segmentation",
      "--format",
      "npy",
      "--out",
      join(dir, "{nickname}_{result_type}"),
    ]);
    expect(readdirSync(dir).filter((f) => f.endsWith(".npy")).length).toBe(PREDICT.length);

    const gts = PREDICT.map((i) => isbi("gt", i));
    const ours = JSON.parse(
      execFileSync(
        PY,
        [
          "-c",
          `${F1_PY}
import glob, os
d = sys.argv[1]; gts = json.loads(sys.argv[2]); ids = json.loads(sys.argv[3])
segs = [np.load(os.path.join(d, f"{i:02d}_Simple Segmentation.npy")) for i in ids]
shapes = [list(s.shape) for s in segs]
print(json.dumps({"f1": f1([s[..., 0] == 1 for s in segs], gts), "shapes": shapes, "dtype": str(segs[0].dtype)}))`,
          dir,
          JSON.stringify(gts),
          JSON.stringify(PREDICT),
        ],
        { encoding: "utf8" },
      ),
    );
    expect(ours.shapes.every((s: number[]) => s.join() === "512,512,1")).toBe(true);
    expect(ours.dtype).toBe("uint8");

    const refOut = join(dir, "ref.h5");
    execFileSync(PY, [
      REF,
      "classify",
      "--train",
      ...TRAIN.map((i) => isbi("raw", i)),
      "--labels",
      ...TRAIN.map((i) => isbi("scribbles", i)),
      "--predict",
      ...PREDICT.map((i) => isbi("raw", i)),
      "--out",
      refOut,
    ]);
    const ref = JSON.parse(
      execFileSync(
        PY,
        [
          "-c",
          `${F1_PY}
import h5py
h = h5py.File(sys.argv[1], "r"); gts = json.loads(sys.argv[2])
print(json.dumps({"f1": f1([h[str(i)]["segmentation"][()] == 1 for i in range(len(gts))], gts)}))`,
          refOut,
          JSON.stringify(gts),
        ],
        { encoding: "utf8" },
      ),
    );
    console.log(
      `ISBI membrane F1 on sections 20–29: ours ${ours.f1.toFixed(4)}, reference ${ref.f1.toFixed(4)}`,
    );
    expect(ours.f1).toBeGreaterThanOrEqual(ref.f1 - 0.02);
  });
});
