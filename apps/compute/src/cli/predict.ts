// `sylva predict MODEL IMAGE… --out PATH`: ilastik's headless pixel classification. Computes the model's
// features and the forest's probabilities region by region (memory stays bounded by a region, not the
// volume), then exports probabilities, simple segmentation, uncertainty or features with ilastik's
// export options. MODEL is a Sylva classifier file or an ilastik project (.ilp) with trained forests.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { FeatureEntry, FeatureRegion, Forest, Volume, Volume5 } from "@sylva/core";
import {
  decodeClassifier,
  exportVolume,
  parseExportSource,
  planFeatures,
  regionVoxels,
  resolveExportOptions,
  segmentation,
  transposeToCanonical,
  uncertainty,
} from "@sylva/core";
import { writeExportFiles } from "../export/write.js";
import { loadIlastikProject } from "../io/ilp.js";
import { readImageSpec } from "../io/input.js";
import { FeaturePool } from "../pool/features-pool.js";
import { ForestPool } from "../pool/forest-pool.js";
import { intOption } from "./args.js";
import { UsageError } from "./errors.js";
import { createProgress } from "./progress.js";

export const PREDICT_HELP = `usage: sylva predict MODEL [IMAGE…] [--out PATH] [--source probabilities|simple-segmentation|uncertainty|features]
                     [--format hdf5|tiff|multipage-tiff|tiff-sequence|png-sequence|npy]
                     [--dtype uint8|uint16|uint32|int8|int16|int32|float32|float64]
                     [--renormalize IN_MIN,IN_MAX,OUT_MIN,OUT_MAX] [--cutout x=0:512,y=0:512,…]
                     [--output-filename-format "{dataset_dir}/{nickname}_{result_type}"]
                     [--internal-path exported_data] [--threads N]

Classifies every pixel of each IMAGE with MODEL (a classifier from \`sylva train\`, or an ilastik project
.ilp with trained forests; for a project, IMAGE defaults to the project's own raw data) and exports the
result as ilastik does: HDF5 dataset "exported_data", probabilities as float32, channels last.

--out               output file name (same as --output-filename-format; placeholders {dataset_dir},
                    {nickname}, {result_type}, {slice_index}; the format's extension is added)
--source            what to export (default probabilities; simple-segmentation = argmax + 1;
                    uncertainty = 1 − (p_max − p_second))
--dtype, --renormalize   convert the values: renormalize maps [IN_MIN, IN_MAX] linearly to
                    [OUT_MIN, OUT_MAX], integers are rounded (half to even) and clipped.
                    For Fiji: --dtype uint8 --renormalize 0,1,0,255 --format tiff-sequence
--cutout            export a sub-region, e.g. x=100:300,y=0:256,z=3
--threads           worker threads (default: all cores)`;

/** Bytes of features computed at once; a region's features fit in this. */
const REGION_FEATURE_BYTES = 256 * 1024 * 1024;

interface Model {
  readonly forest: Forest;
  readonly entries: readonly FeatureEntry[];
  readonly source: string;
}

/**
 * Regions covering the volume, each with at most `maxVoxels` voxels: whole time points if they fit,
 * else slabs of z-slices, else bands of rows (every region still holds at least one row).
 */
export function predictionRegions(shape: Volume5["shape"], maxVoxels: number): FeatureRegion[] {
  const [T, Z, Y, X] = shape;
  const regions: FeatureRegion[] = [];
  for (let t = 0; t < T; t++) {
    const zStep = Math.max(1, Math.min(Z, Math.floor(maxVoxels / (Y * X))));
    for (let z0 = 0; z0 < Z; z0 += zStep) {
      const z1 = Math.min(Z, z0 + zStep);
      if (zStep > 1 || Y * X <= maxVoxels) {
        regions.push({ t0: t, t1: t + 1, box: { z0, z1, y0: 0, y1: Y, x0: 0, x1: X } });
        continue;
      }
      const yStep = Math.max(1, Math.floor(maxVoxels / X));
      for (let y0 = 0; y0 < Y; y0 += yStep)
        regions.push({ t0: t, t1: t + 1, box: { z0, z1, y0, y1: Math.min(Y, y0 + yStep), x0: 0, x1: X } });
    }
  }
  return regions;
}

/** Copies a region's per-voxel values (k per voxel) into the whole volume's array. */
function placeRegion(
  out: Float32Array,
  values: Float32Array,
  k: number,
  shape: Volume5["shape"],
  r: FeatureRegion,
): void {
  const [, Z, Y, X] = shape;
  const b = r.box;
  const rowLen = (b.x1 - b.x0) * k;
  let s = 0;
  for (let t = r.t0; t < r.t1; t++)
    for (let z = b.z0; z < b.z1; z++)
      for (let y = b.y0; y < b.y1; y++) {
        out.set(values.subarray(s, s + rowLen), (((t * Z + z) * Y + y) * X + b.x0) * k);
        s += rowLen;
      }
}

async function loadModel(spec: string): Promise<Model & { raw?: Volume5; rawSource?: string }> {
  if (spec.toLowerCase().endsWith(".ilp")) {
    const { project, raw, rawSource } = await loadIlastikProject(spec);
    if (!project.forest)
      throw new UsageError(`${spec} holds no trained forest: train it in ilastik and save first`);
    return { forest: project.forest, entries: project.features, source: spec, raw, rawSource };
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(spec);
  } catch (e) {
    throw new UsageError(
      `cannot read model ${spec}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
  }
  const classifier = decodeClassifier(bytes);
  return { forest: classifier.forest, entries: classifier.features, source: spec };
}

export async function runPredict(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", short: "o" },
      "output-filename-format": { type: "string" },
      source: { type: "string", default: "probabilities" },
      format: { type: "string", default: "hdf5" },
      dtype: { type: "string" },
      renormalize: { type: "string" },
      cutout: { type: "string" },
      "internal-path": { type: "string", default: "exported_data" },
      threads: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(PREDICT_HELP);
    return;
  }
  const [modelSpec, ...imageSpecs] = positionals;
  if (!modelSpec) throw new UsageError(`predict needs a MODEL\n\n${PREDICT_HELP}`);
  if (values.out && values["output-filename-format"])
    throw new UsageError("give --out or --output-filename-format, not both");
  const workers = values.threads === undefined ? undefined : intOption("threads", values.threads, 1, 1, 256);
  const source = parseExportSource(values.source);
  const exportOptions = {
    source: values.source,
    format: values.format,
    dtype: values.dtype,
    renormalize: values.renormalize,
    cutout: values.cutout,
    filenameFormat: values.out ?? values["output-filename-format"],
    internalPath: values["internal-path"],
  };
  // every flag checked before any pixel work (the first input stands in for {dataset_dir}, {nickname})
  resolveExportOptions({ ...exportOptions, image: path.resolve((imageSpecs[0] ?? modelSpec).split(",")[0]) });

  const model = await loadModel(modelSpec);
  const inputs: { spec: string; volume: Volume5; isStack: boolean }[] = [];
  if (imageSpecs.length === 0) {
    if (!model.raw)
      throw new UsageError(`predict needs IMAGE… (only an ilastik project brings its own raw data)`);
    inputs.push({ spec: model.rawSource ?? modelSpec, volume: model.raw, isStack: model.raw.shape[1] > 1 });
  }
  const featurePool = await FeaturePool.start({ workers });
  const forestPool = await ForestPool.start({ workers });
  try {
    for (const spec of imageSpecs) {
      const { volume, isStack } = await readImageSpec(spec);
      inputs.push({ spec, volume: transposeToCanonical(volume), isStack });
    }
    for (const { spec, volume, isStack } of inputs) {
      const plan = planFeatures(model.entries, volume.shape);
      if (plan.channelCount !== model.forest.featureCount)
        throw new UsageError(
          `${model.source} expects ${model.forest.featureCount} features per pixel, but its feature selection gives ${plan.channelCount} on ${spec} (${volume.shape[4]} channels): use images with the channels it was trained on`,
        );
      const [T, Z, Y, X] = volume.shape;
      const K = model.forest.classCount;
      const C = plan.channelCount;
      const n = T * Z * Y * X;
      const keepFeatures = source === "features";
      const result = new Float32Array(n * (keepFeatures ? C : K));
      const regions = predictionRegions(
        volume.shape,
        Math.max(X, Math.floor(REGION_FEATURE_BYTES / (4 * C))),
      );
      const progress = createProgress(`classifying ${spec}`, "regions");
      for (const [i, region] of regions.entries()) {
        const { features } = await featurePool.compute(volume, model.entries, { region });
        const values = keepFeatures
          ? features
          : await forestPool.predict(model.forest, features, regionVoxels(region));
        placeRegion(result, values, keepFeatures ? C : K, volume.shape, region);
        progress.update(i + 1, regions.length);
      }
      let data: Float32Array | Uint8Array = result;
      let channels = keepFeatures ? C : K;
      if (source === "simple-segmentation") {
        data = segmentation(result, K);
        channels = 1;
      } else if (source === "uncertainty") {
        data = uncertainty(result, K);
        channels = 1;
      }
      // ilastik's export axes: t only for time series, z for stacks, channels always.
      const keep = [T > 1, Z > 1 || isStack, true, true, true];
      const shape = [T, Z, Y, X, channels].filter((_, j) => keep[j]);
      const axes = "tzyxc"
        .split("")
        .filter((_, j) => keep[j])
        .join("");
      const resultVolume: Volume = { data, shape, axes };
      const { files } = await exportVolume(resultVolume, {
        ...exportOptions,
        image: path.resolve(spec.split(",")[0]),
      });
      const written = await writeExportFiles(files, process.cwd());
      progress.finish(
        `wrote ${written.length === 1 ? written[0] : `${written.length} files (${written[0]} …)`}: ${values.source} ${axes} [${shape.join(", ")}]`,
      );
    }
  } finally {
    await Promise.all([featurePool.close(), forestPool.close()]);
  }
}
