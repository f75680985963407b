// Opening what a user names as an import source (or an IMAGE of another command) as one VolumeReader:
// - a PNG, JPEG, TIFF or .npy file; `FILE.h5/internal/path` (also .hdf5, .ilp);
// - a folder of 2D images, a wildcard ("raw/*.png"), or several files: stacked along z, t or c, in natural
//   order for folders and wildcards, in the given order for lists;
// - a folder holding a Zarr array or OME-Zarr image (v2 or v3);
// - `s3://bucket/key` (an image object, read by range, or a Zarr/OME-Zarr prefix) with the S3_* endpoint
//   and credentials; `http(s)://…` URLs of Zarr/OME-Zarr images.
// Every path is checked against the caller's SourceAccess. The fingerprint identifies the inputs (names,
// sizes, modification times or ETags, options) for resuming an interrupted import.

import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { VolumeReader } from "@sylva/core";
import { openImageReader, openZarrReader, parseAxesSpec, stackReaders, withAxes } from "@sylva/core";
import type { StackAlong } from "@sylva/shared";
import { FetchStore } from "@zarrita/storage";
import { blobSource } from "../io/blob-source.js";
import { InputError } from "../io/errors.js";
import { fileSource, folderImages } from "../io/file-source.js";
import { expandGlob, hasWildcard } from "../io/glob.js";
import { openHdf5Reader } from "../io/hdf5-reader.js";
import { splitHdf5Spec } from "../io/hdf5-spec.js";
import type { BlobStore } from "../storage/blob-store.js";
import type { Env } from "../storage/config.js";
import { s3ClientFromEnv } from "../storage/config.js";
import { FsBlobStore } from "../storage/fs-store.js";
import { parseS3Url, S3BlobStore } from "../storage/s3-store.js";
import { zarrStore } from "../storage/zarr-store.js";
import type { SourceAccess } from "./access.js";
import { checkHttp, checkLocalPath, checkS3Bucket } from "./access.js";
import { installNodeInflate } from "./node-inflate.js";

installNodeInflate();

export interface OpenedSource {
  readonly reader: VolumeReader;
  /** Display names of what was opened, in stacking order. */
  readonly sources: string[];
  /** Hex digest identifying the inputs and options. */
  readonly fingerprint: string;
  /** Closes the reader and removes any temporary copy. */
  close(): Promise<void>;
}

export interface OpenSourceOptions {
  readonly access: SourceAccess;
  readonly stackAlong?: StackAlong;
  /** The source's axes in its own order, overriding the guess. */
  readonly axes?: string;
  readonly env?: Env;
}

const ZARR_MARKERS = [".zarray", ".zgroup", ".zattrs", "zarr.json"];

interface Opened {
  reader: VolumeReader;
  names: string[];
  identity: unknown[];
  cleanup: (() => Promise<void>)[];
}

function s3Store(url: string, env: Env | undefined, access: SourceAccess): { store: BlobStore; key: string } {
  const { bucket, prefix } = parseS3Url(url);
  checkS3Bucket(url, bucket, access);
  return { store: new S3BlobStore({ client: s3ClientFromEnv(env), bucket }), key: prefix.replace(/\/$/, "") };
}

/** True when folder `dir` holds a Zarr array or group (v2 or v3). */
export async function isZarrFolder(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.some((n) => ZARR_MARKERS.includes(n));
}

async function openS3(url: string, options: OpenSourceOptions): Promise<Opened> {
  const { store, key } = s3Store(url, options.env, options.access);
  for (const marker of ZARR_MARKERS) {
    if ((await store.size(key === "" ? marker : `${key}/${marker}`)) !== undefined) {
      const reader = await openZarrReader(zarrStore(store, key === "" ? "" : `${key}/`), "/", {
        source: url,
      });
      return { reader, names: [url], identity: [url], cleanup: [] };
    }
  }
  const h5 = splitHdf5Spec(url);
  if (h5) {
    // HDF5 needs a file: copy the object to a temporary file, range by range.
    const { store: s, key: objectKey } = s3Store(h5.file, options.env, options.access);
    const size = await s.size(objectKey);
    if (size === undefined) throw new InputError(h5.file, `no such object: ${h5.file}`);
    const dir = await mkdtemp(path.join(tmpdir(), "sylva-s3-"));
    const file = path.join(dir, "source.h5");
    const step = 64 * 2 ** 20;
    for (let offset = 0; offset < size; offset += step) {
      const part = await s.getRange(objectKey, { offset, length: Math.min(step, size - offset) });
      if (!part) throw new InputError(h5.file, `${h5.file} disappeared while it was being copied`);
      await writeFile(file, part, { flag: offset === 0 ? "w" : "a" });
    }
    const reader = await openHdf5Reader(file, h5.dataset, h5.file);
    return {
      reader,
      names: [url],
      identity: [url, size],
      cleanup: [() => rm(dir, { recursive: true, force: true })],
    };
  }
  const source = await blobSource(store, key, url);
  const reader = await openImageReader(source);
  return { reader, names: [url], identity: [url, source.size], cleanup: [] };
}

async function openLocalFile(file: string, access: SourceAccess): Promise<Opened> {
  const real = await checkLocalPath(file, access);
  const info = await stat(real).catch(() => undefined);
  const reader = await openImageReader(await fileSource(real, file));
  return { reader, names: [file], identity: [path.resolve(file), info?.size, info?.mtimeMs], cleanup: [] };
}

/** The files a local spec names when it is a folder of images or a wildcard; undefined for one file. */
async function listFiles(spec: string, access: SourceAccess): Promise<string[] | undefined> {
  if (hasWildcard(spec)) {
    const files = await expandGlob(spec);
    for (const f of files) await checkLocalPath(f, access);
    return files;
  }
  const info = await stat(spec).catch(() => undefined);
  if (!info?.isDirectory()) return undefined;
  await checkLocalPath(spec, access);
  return folderImages(spec);
}

async function openOne(spec: string, options: OpenSourceOptions): Promise<Opened | string[]> {
  const { access } = options;
  if (spec.startsWith("s3://")) return openS3(spec, options);
  if (/^https?:\/\//i.test(spec)) {
    checkHttp(spec, access);
    const reader = await openZarrReader(new FetchStore(spec), "/", { source: spec });
    return { reader, names: [spec], identity: [spec], cleanup: [] };
  }
  const h5 = splitHdf5Spec(spec);
  if (h5) {
    const real = await checkLocalPath(h5.file, access);
    const info = await stat(real).catch(() => undefined);
    const reader = await openHdf5Reader(real, h5.dataset, h5.file);
    return {
      reader,
      names: [spec],
      identity: [path.resolve(h5.file), h5.dataset, info?.size, info?.mtimeMs],
      cleanup: [],
    };
  }
  const info = await stat(spec).catch(() => undefined);
  if (info?.isDirectory() && (await isZarrFolder(spec))) {
    const real = await checkLocalPath(spec, access);
    const reader = await openZarrReader(zarrStore(new FsBlobStore(real), ""), "/", { source: spec });
    return { reader, names: [spec], identity: [path.resolve(spec), info.mtimeMs], cleanup: [] };
  }
  const files = await listFiles(spec, access);
  if (files) return files;
  if (!info) throw new InputError(spec, `no such file or folder: ${spec}`);
  return openLocalFile(spec, access);
}

/** Opens `specs` (see the header) as one reader. */
export async function openImportSource(
  specs: readonly string[],
  options: OpenSourceOptions,
): Promise<OpenedSource> {
  if (specs.length === 0) throw new InputError("", "no image given");
  const along = options.stackAlong ?? "z";
  const opened: Opened[] = [];
  const closeAll = async () => {
    for (const o of opened) {
      await o.reader.close().catch(() => undefined);
      for (const c of o.cleanup) await c().catch(() => undefined);
    }
  };
  try {
    let reader: VolumeReader;
    const first = specs.length === 1 ? await openOne(specs[0], options) : undefined;
    if (first && !Array.isArray(first)) {
      opened.push(first);
      reader = first.reader;
    } else {
      // A stack: each entry (or each file of the folder / wildcard) is one 2D image, in order.
      const add = async (one: Opened | string[]) => {
        if (!Array.isArray(one)) opened.push(one);
        else for (const f of one) opened.push(await openLocalFile(f, options.access));
      };
      if (first) await add(first);
      else
        for (const spec of specs) {
          if (spec.trim() === "") throw new InputError(spec, "empty file name in the list of images");
          await add(await openOne(spec, options));
        }
      reader = stackReaders(
        opened.map((o) => o.reader),
        along,
      );
    }
    if (options.axes !== undefined)
      reader = withAxes(reader, parseAxesSpec(options.axes, reader.shape.length, reader.source));
    const fingerprint = createHash("sha256")
      .update(JSON.stringify({ inputs: opened.map((o) => o.identity), along, axes: options.axes ?? null }))
      .digest("hex");
    return {
      reader,
      sources: opened.flatMap((o) => o.names),
      fingerprint,
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}
