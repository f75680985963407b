// The dataset operations the web app's API exposes (the HTTP/tRPC routes of the service call these after
// checking who is asking): list, show, delete, import from server-side paths or S3 URLs the operator
// allows, and import from browser uploads. Uploads are decoded from memory; the user's file names are
// only displayed, never used as paths (an HDF5 upload goes through a private temporary file).

import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { VolumeReader } from "@sylva/core";
import {
  bytesSource,
  hasHdf5Signature,
  openImageReader,
  parseAxesSpec,
  stackReaders,
  withAxes,
} from "@sylva/core";
import type { DatasetManifest, ImportOptions } from "@sylva/shared";
import { importOptionsSchema } from "@sylva/shared";
import { InputError } from "../io/errors.js";
import { openHdf5Reader } from "../io/hdf5-reader.js";
import type { BlobStore } from "../storage/blob-store.js";
import type { SourceAccess } from "./access.js";
import { deleteDataset, getDataset, listDatasets } from "./catalog.js";
import type { ImportProgress } from "./import.js";
import { importVolume } from "./import.js";
import { openImportSource } from "./sources.js";

export interface UploadedFile {
  /** The name the user's browser gave; shown, never used as a path. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ImportCall {
  readonly options: ImportOptions;
  /** Who imports (recorded in the manifest). */
  readonly userId: string;
  /** For HDF5 uploads: the dataset inside the file, e.g. "volume/data". */
  readonly internalPath?: string;
  readonly onProgress?: (p: ImportProgress) => void;
  readonly signal?: AbortSignal;
}

/** What a source holds, as read before an import commits. */
export interface SourceProbe {
  readonly axes: string;
  readonly shape: number[];
  readonly dtype: string;
  readonly axesGuessed: boolean;
  readonly sources: string[];
}

export interface DatasetServiceOptions {
  readonly store: BlobStore;
  /** What server-side sources imports may name (default: none but uploads). */
  readonly access?: SourceAccess;
  /** Largest total upload in bytes (default 4 GiB). */
  readonly maxUploadBytes?: number;
}

export function createDatasetService(config: DatasetServiceOptions) {
  const { store } = config;
  const access: SourceAccess = config.access ?? {
    kind: "restricted",
    localRoots: [],
    s3Buckets: [],
    http: false,
  };
  const maxUpload = config.maxUploadBytes ?? 4 * 2 ** 30;

  return {
    list: async (): Promise<DatasetManifest[]> => (await listDatasets(store)).datasets,
    get: (id: string): Promise<DatasetManifest> => getDataset(store, id),
    delete: (id: string): Promise<number> => deleteDataset(store, id),

    /**
     * What an import of `specs` would read, before it commits: the source's axes (and whether they were
     * guessed), shape and dtype, so the upload dialog can let the user correct the axes.
     */
    async probe(
      specs: readonly string[],
      options: Pick<ImportOptions, "axes" | "stackAlong"> = {},
    ): Promise<SourceProbe> {
      const source = await openImportSource(specs, {
        access,
        stackAlong: options.stackAlong,
        axes: options.axes,
      });
      try {
        const { reader } = source;
        return {
          axes: reader.axes,
          shape: [...reader.shape],
          dtype: reader.dtype,
          axesGuessed: reader.axesGuessed,
          sources: source.sources,
        };
      } finally {
        await source.close();
      }
    },

    /** Imports server-side paths, `s3://` or http(s) URLs, as far as the operator's access allows. */
    async importFromSources(specs: readonly string[], call: ImportCall): Promise<DatasetManifest> {
      const options = importOptionsSchema.parse(call.options);
      const source = await openImportSource(specs, {
        access,
        stackAlong: options.stackAlong,
        axes: options.axes,
      });
      try {
        return await importVolume(store, {
          reader: source.reader,
          name: options.name,
          sources: source.sources,
          resumeKey: source.fingerprint,
          createdBy: call.userId,
          signal: call.signal,
          onProgress: call.onProgress,
        });
      } finally {
        await source.close();
      }
    },

    /** Imports files uploaded by a browser: one image, or several stacked along `stackAlong`. */
    async importUpload(files: readonly UploadedFile[], call: ImportCall): Promise<DatasetManifest> {
      const options = importOptionsSchema.parse(call.options);
      if (files.length === 0) throw new InputError("upload", "no files uploaded");
      const total = files.reduce((n, f) => n + f.bytes.byteLength, 0);
      if (total > maxUpload)
        throw new InputError("upload", `upload of ${total} bytes is larger than the limit of ${maxUpload}`);
      const readers: VolumeReader[] = [];
      let dir: string | undefined;
      const hash = createHash("sha256");
      try {
        for (const [i, f] of files.entries()) {
          hash.update(f.bytes);
          if (!hasHdf5Signature(f.bytes.subarray(0, 4096))) {
            readers.push(await openImageReader(bytesSource(f.bytes, f.name)));
            continue;
          }
          // HDF5 is read by h5wasm from a file: a private temporary one, under a generated name.
          if (!call.internalPath)
            throw new InputError(
              f.name,
              `${f.name} is an HDF5 file: name the dataset inside it (internalPath)`,
            );
          dir ??= await mkdtemp(path.join(tmpdir(), "sylva-upload-"));
          const file = path.join(dir, `${i}.h5`);
          await writeFile(file, f.bytes, { flag: "wx" });
          readers.push(await openHdf5Reader(file, call.internalPath, f.name));
        }
        let reader = readers.length === 1 ? readers[0] : stackReaders(readers, options.stackAlong);
        if (options.axes !== undefined)
          reader = withAxes(reader, parseAxesSpec(options.axes, reader.shape.length, reader.source));
        hash.update(
          JSON.stringify({ names: files.map((f) => f.name), options, internalPath: call.internalPath }),
        );
        return await importVolume(store, {
          reader,
          name: options.name,
          sources: files.map((f) => f.name),
          resumeKey: hash.digest("hex"),
          createdBy: call.userId,
          signal: call.signal,
          onProgress: call.onProgress,
        });
      } finally {
        for (const r of readers) await r.close().catch(() => undefined);
        if (dir) await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export type DatasetService = ReturnType<typeof createDatasetService>;
