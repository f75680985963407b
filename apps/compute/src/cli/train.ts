// `sylva train --image IMG… --labels LAB… --out MODEL`: trains a random forest on the labeled pixels of
// one or more images (0 = unlabeled, 1 … N = classes) and writes a Sylva classifier file. Features are
// computed only where labels are (their bounding region), on all cores.

import { parseArgs } from "node:util";
import type { Volume5 } from "@sylva/core";
import {
  encodeClassifier,
  gatherSamples,
  labeledRegion,
  planFeatures,
  selectionEntries,
  transposeToCanonical,
} from "@sylva/core";
import { defaultClasses, featureSelectionSchema, parseFeatureList, parseScaleList } from "@sylva/shared";
import { readImageSpec } from "../io/input.js";
import { writeFileAtomic } from "../io/output.js";
import { FeaturePool } from "../pool/features-pool.js";
import { trainForestParallel } from "../pool/forest-pool.js";
import { intOption, takeListOptions } from "./args.js";
import { UsageError } from "./errors.js";
import { createProgress } from "./progress.js";

export const TRAIN_HELP = `usage: sylva train --image IMG… --labels LAB… --out MODEL [--features all|GS,LoG,GGM,DoG,STE,HoGE]
                   [--scales 0.3,0.7,…] [--2d] [--trees 100] [--max-depth D] [--seed 0] [--threads N]

Trains ilastik's pixel classifier — a random forest (100 trees, bootstrap samples, √features candidates
per split, Gini, grown fully) on ilastik's filter features — on the labeled pixels of each image and
writes a Sylva classifier file for \`sylva predict\`. Label images hold 0 for unlabeled pixels and 1 … N
for the classes, with the image's shape (the same forms as IMAGE: file, folder, comma list, FILE.h5/path).

--image    one or more images (each IMAGE as in \`sylva features\`)
--labels   one label image per --image, in the same order
--out      the classifier file to write (written atomically)
--trees    number of trees (default 100)       --seed   random seed (default 0; same seed, same forest)
--max-depth   limit the depth of the trees (default: grown fully, as ilastik)
--features, --scales, --2d, --threads          as in \`sylva features\``;

/** Reads a label image and checks it matches the image's (t, z, y, x) shape. */
async function readLabels(spec: string, image: Volume5, imageSpec: string): Promise<Volume5> {
  const labels = transposeToCanonical((await readImageSpec(spec)).volume);
  const [T, Z, Y, X] = image.shape;
  const [lt, lz, ly, lx, lc] = labels.shape;
  if (lc !== 1) throw new UsageError(`labels ${spec}: a label image has one channel, this one has ${lc}`);
  if (lt !== T || lz !== Z || ly !== Y || lx !== X)
    throw new UsageError(
      `labels ${spec} have shape (t, z, y, x) [${[lt, lz, ly, lx].join(", ")}], image ${imageSpec} has [${[T, Z, Y, X].join(", ")}]`,
    );
  return labels;
}

export async function runTrain(argv: string[]): Promise<void> {
  const { lists, rest } = takeListOptions(argv, ["image", "labels"]);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      features: { type: "string" },
      scales: { type: "string" },
      "2d": { type: "boolean", default: false },
      trees: { type: "string" },
      "max-depth": { type: "string" },
      seed: { type: "string" },
      threads: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(TRAIN_HELP);
    return;
  }
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument "${positionals[0]}"\n\n${TRAIN_HELP}`);
  const images = lists.image;
  const labelSpecs = lists.labels;
  if (images.length === 0) throw new UsageError(`train needs --image IMG…\n\n${TRAIN_HELP}`);
  if (labelSpecs.length !== images.length)
    throw new UsageError(
      `train needs one --labels per --image: got ${images.length} images and ${labelSpecs.length} label images`,
    );
  if (!values.out) throw new UsageError(`train needs --out MODEL\n\n${TRAIN_HELP}`);
  const trees = intOption("trees", values.trees, 100, 1, 10_000);
  const maxDepth =
    values["max-depth"] === undefined ? undefined : intOption("max-depth", values["max-depth"], 0, 1, 1000);
  const seed = intOption("seed", values.seed, 0, 0, 2 ** 32 - 1);
  const workers = values.threads === undefined ? undefined : intOption("threads", values.threads, 1, 1, 256);

  const selection = featureSelectionSchema.parse({
    features: parseFeatureList(values.features),
    scales: parseScaleList(values.scales),
    in2d: values["2d"],
  });
  const entries = selectionEntries(selection);

  const pool = await FeaturePool.start({ workers });
  const parts: { features: Float32Array; labels: Uint8Array }[] = [];
  let channels = 0;
  let inputChannels = -1;
  let allSingleSlice = true;
  try {
    for (const [i, spec] of images.entries()) {
      const image = transposeToCanonical((await readImageSpec(spec)).volume);
      if (inputChannels >= 0 && image.shape[4] !== inputChannels)
        throw new UsageError(
          `image ${spec} has ${image.shape[4]} channels, ${images[0]} has ${inputChannels}`,
        );
      inputChannels = image.shape[4];
      if (image.shape[1] > 1) allSingleSlice = false;
      const labels = await readLabels(labelSpecs[i], image, spec);
      const plan = planFeatures(entries, image.shape); // validates the scales against this image
      channels = plan.channelCount;
      const region = labeledRegion(labels);
      if (region === null) {
        console.error(`train: ${labelSpecs[i]} has no labels; skipping ${spec}`);
        continue;
      }
      const progress = createProgress(`features of ${spec}`);
      const { features } = await pool.compute(image, entries, {
        region,
        onProgress: (done, total) => progress.update(done, total),
      });
      const samples = gatherSamples(features, channels, labels, region);
      progress.finish(`${samples.count} labeled pixels in ${spec}`);
      parts.push({ features: samples.features, labels: samples.labels });
    }
  } finally {
    await pool.close();
  }
  const count = parts.reduce((n, p) => n + p.labels.length, 0);
  if (count === 0) throw new UsageError("no labeled pixels in any label image: paint some labels first");
  const samples = new Float32Array(count * channels);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    samples.set(p.features, at * channels);
    labels.set(p.labels, at);
    at += p.labels.length;
  }
  const classCount = labels.reduce((m, v) => Math.max(m, v), 0);
  // Features learned on single-slice images are 2D features: record that, so a stack is classified slice
  // by slice with the same features rather than filtered along z.
  const learned = allSingleSlice ? entries.map((e) => ({ ...e, in2d: true })) : entries;
  const progress = createProgress(
    `training ${trees} trees on ${count} samples × ${channels} features`,
    "trees",
  );
  const forest = await trainForestParallel(samples, labels, channels, {
    trees,
    maxDepth,
    seed,
    workers,
    onProgress: (done, total) => progress.update(done, total),
  });
  const bytes = encodeClassifier({
    forest,
    features: learned,
    classes: defaultClasses(classCount),
    meta: { inputChannels: String(inputChannels), images: images.join(","), labels: labelSpecs.join(",") },
  });
  await writeFileAtomic(values.out, bytes);
  progress.finish(
    `wrote ${values.out}: ${forest.trees.length} trees, ${classCount} classes, ${channels} features`,
  );
}
