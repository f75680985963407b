// `sylva features IMAGE --out OUT.h5`: computes ilastik's filter features of an image or stack and writes
// them as HDF5 dataset `exported_data` (float32, channels last, channel names in attribute `names`).

import { parseArgs } from "node:util";
import type { Volume5 } from "@sylva/core";
import { planFeatures, selectionEntries, transposeToCanonical, writeHdf5 } from "@sylva/core";
import { featureSelectionSchema, parseFeatureList, parseScaleList } from "@sylva/shared";
import { readImageSpec } from "../io/input.js";
import { writeFileAtomic } from "../io/output.js";
import { computeFeaturesParallel } from "../pool/features-pool.js";
import { UsageError } from "./errors.js";
import { createProgress } from "./progress.js";

export const FEATURES_HELP = `usage: sylva features IMAGE --out OUT.h5 [--features all|GS,LoG,GGM,DoG,STE,HoGE]
                      [--scales 0.3,0.7,1.0,1.6,3.5,5.0,10.0] [--2d] [--threads N]

Computes ilastik's pixel features (Gaussian Smoothing, Laplacian of Gaussian, Gaussian Gradient
Magnitude, Difference of Gaussians, Structure Tensor Eigenvalues, Hessian of Gaussian Eigenvalues) at
the given scales and writes HDF5 dataset "exported_data": float32, shape (y, x, C) for a 2D image or
(z, y, x, C) for a stack (a leading t axis for time series), channels in ilastik's order, names in
attribute "names".

IMAGE   a PNG, JPEG or TIFF file (a multi-page TIFF is a z-stack), a folder or comma-separated list of
        2D files (stacked along z, sorted naturally), or FILE.h5/internal/path
--out         the HDF5 file to write (written atomically)
--features    "all" (default) or a comma list of GS, LoG, GGM, DoG, STE, HoGE
--scales      comma list of σ (default ilastik's 0.3,0.7,1.0,1.6,3.5,5.0,10.0)
--2d          filter each z-slice on its own ("compute in 2D")
--threads     worker threads (default: all cores)`;

/** ilastik's axistags attribute, so ilastik and its readers see named axes. */
function axistags(axes: string): string {
  const flags: Record<string, number> = { c: 1, x: 2, y: 2, z: 2, t: 8 };
  return JSON.stringify({
    axes: [...axes].map((key) => ({ key, typeFlags: flags[key], resolution: 0, description: "" })),
  });
}

export async function runFeatures(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      features: { type: "string" },
      scales: { type: "string" },
      "2d": { type: "boolean", default: false },
      threads: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(FEATURES_HELP);
    return;
  }
  if (positionals.length !== 1)
    throw new UsageError(`features takes one IMAGE, got ${positionals.length}\n\n${FEATURES_HELP}`);
  if (!values.out) throw new UsageError(`features needs --out OUT.h5\n\n${FEATURES_HELP}`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
    throw new UsageError(`--threads must be a positive integer, got "${values.threads}"`);

  const selection = featureSelectionSchema.parse({
    features: parseFeatureList(values.features),
    scales: parseScaleList(values.scales),
    in2d: values["2d"],
  });
  const { volume, isStack, sources } = await readImageSpec(positionals[0]);
  const input: Volume5 = transposeToCanonical(volume);
  const entries = selectionEntries(selection);
  const plan = planFeatures(entries, input.shape); // validates scales before any work starts
  const [T, Z, Y, X] = input.shape;
  const label = `features ${plan.channelCount} channels × ${[T > 1 ? T : 0, Z > 1 ? Z : 0, Y, X].filter(Boolean).join(" × ")}`;
  const progress = createProgress(label);
  const { features } = await computeFeaturesParallel(input, entries, {
    workers: threads,
    onProgress: (done, total) => progress.update(done, total),
  });
  // Output axes: (y, x, C) for an image, (z, y, x, C) for a stack, with t in front for time series.
  const keep = [T > 1, Z > 1 || isStack, true, true, true];
  const shape = [T, Z, Y, X, plan.channelCount].filter((_, i) => keep[i]);
  const axes = "tzyxc"
    .split("")
    .filter((_, i) => keep[i])
    .join("");
  const bytes = await writeHdf5([
    {
      path: "exported_data",
      data: features,
      shape,
      attributes: { names: JSON.stringify(plan.names), axistags: axistags(axes), source: sources.join(",") },
    },
  ]);
  await writeFileAtomic(values.out, bytes);
  progress.finish(`wrote ${values.out}: exported_data ${axes} [${shape.join(", ")}] float32`);
}
