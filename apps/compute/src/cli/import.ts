// `sylva import IMAGE… --dataset NAME`: converts images into a chunked, multiscale OME-Zarr dataset in
// the configured store (SYLVA_DATA_DIR, or S3 with S3_BUCKET …) and prints its id and shape.

import { parseArgs } from "node:util";
import { importOptionsSchema } from "@sylva/shared";
import { OPERATOR_ACCESS } from "../datasets/access.js";
import { importVolume } from "../datasets/import.js";
import { openImportSource } from "../datasets/sources.js";
import { storeFromEnv } from "../storage/config.js";
import { UsageError } from "./errors.js";
import { createProgress } from "./progress.js";

export const IMPORT_HELP = `usage: sylva import IMAGE… --dataset NAME [--axes AXES] [--stack-along z|t|c]

Imports images into the store as a chunked, multiscale OME-Zarr (NGFF 0.4) dataset, then prints the
dataset's id, axes and shape. An interrupted import (a killed process) resumes when run again with the
same arguments; a failed one leaves nothing behind.

IMAGE          a PNG, JPEG, TIFF (multi-page: a z-stack) or .npy file; FILE.h5/internal/path; a folder of
               2D images or a wildcard ("raw/*.png"), stacked in natural order; several files, stacked in
               the given order; a Zarr / OME-Zarr folder; s3://bucket/key; an http(s) OME-Zarr URL
--dataset      the dataset's name (any text without "/")
--axes         the source's axes in its own order when the guess is wrong, e.g. zyx, tyx, yxc, tzyxc
--stack-along  the axis several 2D images are stacked along: z (default), t or c
--dry-run      only show what would be imported: the source's axes (guessed or read), shape and dtype

The store: SYLVA_DATA_DIR (default ./sylva-data), or S3 when S3_BUCKET is set (with S3_ENDPOINT,
S3_REGION, S3_PREFIX, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE).`;

export async function runImport(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dataset: { type: "string", short: "d" },
      axes: { type: "string" },
      "stack-along": { type: "string" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(IMPORT_HELP);
    return;
  }
  if (positionals.length === 0) throw new UsageError(`import needs at least one IMAGE\n\n${IMPORT_HELP}`);
  if (values.dataset === undefined) throw new UsageError(`import needs --dataset NAME\n\n${IMPORT_HELP}`);
  const options = importOptionsSchema.parse({
    name: values.dataset,
    axes: values.axes,
    stackAlong: values["stack-along"],
  });
  const store = storeFromEnv();
  const source = await openImportSource(positionals, {
    access: OPERATOR_ACCESS,
    stackAlong: options.stackAlong,
    axes: options.axes,
  });
  if (values["dry-run"]) {
    const { reader } = source;
    const axes = [...reader.axes].map((a, i) => `${a}=${reader.shape[i]}`).join(" ");
    console.log(
      `${reader.source}\t${axes}\t${reader.dtype}\taxes ${reader.axesGuessed ? "guessed" : "from the file"}`,
    );
    await source.close();
    return;
  }
  const abort = new AbortController();
  const onSignal = () => abort.abort(new UsageError("import cancelled; nothing was published"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const { reader } = source;
    const progress = createProgress(`import ${reader.shape.join(" × ")} ${reader.dtype}`, "chunks");
    const manifest = await importVolume(store, {
      reader,
      name: options.name,
      sources: source.sources,
      resumeKey: source.fingerprint,
      signal: abort.signal,
      onProgress: (p) => progress.update(p.done, p.total),
    });
    progress.finish(`imported into ${store.description}`);
    const shape = [...manifest.axes].map((a, i) => `${a}=${manifest.shape[i]}`).join(" ");
    console.log(
      `${manifest.id}\t${manifest.name}\t${shape}\t${manifest.dtype}\t${manifest.levels.length} levels`,
    );
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await source.close();
  }
}
