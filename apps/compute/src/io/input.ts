// Resolving an image spec of the `sylva` command line into one volume, with the spec forms of the
// reference's `read_image` (../shared/reference/ilastik_ref.py):
// - `FILE.h5/internal/path` (also .hdf5 and .ilp): a dataset inside an HDF5 file; as in the reference, the
//   file name ends at the furthest of the first occurrences of ".h5/", ".hdf5/" and ".ilp/";
// - a folder: every non-hidden file inside, in natural order ("2.png" before "10.png"), stacked along z;
// - a comma-separated list of 2D files, stacked along z in the given order;
// - a single PNG, JPEG or TIFF file (a multi-page TIFF is a z-stack);
// - beyond the reference: a dataset id (ds_…) of the configured store, a Zarr / OME-Zarr folder,
//   `s3://bucket/key` and http(s) OME-Zarr URLs (read through datasets/sources.ts).
// `isStack` is the reference's `is_stack` where that is well defined: always for folders and lists; for a
// file or dataset, whether its axes include z (with more than one slice, for datasets). Small refinements
// over the reference: subfolders of a folder are skipped (the reference would fail on them), list entries
// are trimmed, an existing file whose name holds a comma is read as that file, and 4D datasets
// ("zyxc") count as stacks. Every failure is an InputError naming the path and the problem.

import { readFile, stat } from "node:fs/promises";
import type { Volume, VolumeReader } from "@sylva/core";
import {
  checkDecodeSize,
  decodeImage,
  elementCount,
  ImageFormatError,
  readHdf5,
  stackImages,
} from "@sylva/core";
import { isDatasetId } from "@sylva/shared";
import { OPERATOR_ACCESS } from "../datasets/access.js";
import { openDataset } from "../datasets/open.js";
import { isZarrFolder, openImportSource } from "../datasets/sources.js";
import { storeFromEnv } from "../storage/config.js";
import { InputError } from "./errors.js";
import { fileProblem, folderImages } from "./file-source.js";
import { splitHdf5Spec } from "./hdf5-spec.js";

export interface ImageInput {
  readonly volume: Volume;
  /** True when the volume is a z-stack (the reference's `is_stack`). */
  readonly isStack: boolean;
  /** The files read, in z order for stacks. */
  readonly sources: string[];
}

async function readBytes(file: string, what = "file"): Promise<Uint8Array> {
  try {
    const buf = await readFile(file);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (e) {
    throw fileProblem(file, e, what);
  }
}

/** Runs a decoder, turning its ImageFormatError (which names the file) into an InputError. */
async function decoding<T>(file: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ImageFormatError) throw new InputError(file, e.message, { cause: e });
    throw new InputError(file, `${file}: cannot decode: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

async function readOne(file: string, what = "file"): Promise<Volume> {
  const bytes = await readBytes(file, what);
  return decoding(file, () => decodeImage(bytes, file));
}

async function readStack(files: string[]): Promise<ImageInput> {
  const volumes: Volume[] = [];
  for (const f of files) volumes.push(await readOne(f));
  const volume = await decoding(files[0], () => stackImages(volumes, files));
  return { volume, isStack: true, sources: files };
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

async function readFolder(dir: string): Promise<ImageInput> {
  return readStack(await folderImages(dir));
}

/** Reads all of a lazily opened source into memory. */
async function readWhole(reader: VolumeReader): Promise<Volume> {
  checkDecodeSize(elementCount(reader.shape), reader.dtype, reader.source, "the whole image");
  return reader.read({ start: reader.shape.map(() => 0), stop: reader.shape });
}

/** Reads an image spec (see the header) into one volume. */
export async function readImageSpec(spec: string): Promise<ImageInput> {
  if (spec.trim() === "") throw new InputError(spec, "no image given (empty spec)");

  if (isDatasetId(spec)) {
    const dataset = await openDataset(storeFromEnv(), spec);
    const volume = await readWhole(await dataset.level(0));
    return { volume, isStack: volume.axes.includes("z"), sources: [spec] };
  }
  if (/^(s3|https?):\/\//i.test(spec) || (await isZarrFolder(spec))) {
    const source = await openImportSource([spec], { access: OPERATOR_ACCESS });
    try {
      const volume = await readWhole(source.reader);
      const z = volume.axes.indexOf("z");
      return { volume, isStack: z >= 0 && volume.shape[z] > 1, sources: source.sources };
    } finally {
      await source.close();
    }
  }

  const h5 = splitHdf5Spec(spec);
  if (h5) {
    const bytes = await readBytes(h5.file);
    const volume = await decoding(h5.file, () => readHdf5(bytes, h5.dataset, h5.file));
    const z = volume.axes.indexOf("z");
    return { volume, isStack: z >= 0 && volume.shape[z] > 1, sources: [h5.file] };
  }

  if (await isDirectory(spec)) return readFolder(spec);

  if (spec.includes(",") && !(await exists(spec))) {
    const files = spec.split(",").map((f) => f.trim());
    const empty = files.indexOf("");
    if (empty >= 0)
      throw new InputError(spec, `empty file name at position ${empty + 1} of the list "${spec}"`);
    return readStack(files);
  }

  const volume = await readOne(spec, "file or folder");
  return { volume, isStack: volume.axes.includes("z"), sources: [spec] };
}
