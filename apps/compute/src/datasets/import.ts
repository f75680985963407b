// Import: converts any opened source (a VolumeReader) into a published, chunked, multiscale OME-Zarr
// dataset in a BlobStore (layout rules: @sylva/core zarr/layout.ts).
//
// 1. Level 0 is written slab by slab: a slab is one chunk row along t and z, all channels, a band of
//    whole chunk rows along y (as many as fit the memory budget) and all of x. The next slab is read while
//    the current one's chunks compress (Blosc, on the codec pool's threads) and upload, so memory is
//    about two slabs.
// 2. Each further level is made chunk by chunk from the level above, read back through zarrita.
// 3. Metadata (.zarray per level, then .zgroup and the NGFF .zattrs) is written after the chunks, and the
//    catalog manifest last: until then nothing is visible (see catalog.ts).
//
// Atomic and resumable: a failure caused by the input (unreadable, corrupt, refused by a limit) deletes
// what was written and rethrows; a killed process leaves its chunks and an import record under
// `catalog/imports/`, and the same import run again (same `resumeKey`) reuses the record's dataset id and
// skips the chunks already stored. Store failures keep the partial import for that resume.

import type { DType, PyramidLevel, TypedArray, VolumeReader, VoxelSize } from "@sylva/core";
import {
  allocate,
  bytesPerElement,
  checkClaimedShape,
  chunkBytes,
  chunkCount,
  chunkKey,
  chunksInRegion,
  cutChunk,
  downsampleMean,
  elementCount,
  ImageFormatError,
  multiscalesAttrs,
  NGFF_VERSION,
  ngffAxes,
  permuteAxes,
  pyramidLevels,
  typedArrayConstructor,
  ZGROUP_JSON,
  zarrayJson,
} from "@sylva/core";
import type { DatasetId, DatasetManifest } from "@sylva/shared";
import { datasetIdSchema, datasetNameSchema, newDatasetId } from "@sylva/shared";
import * as zarr from "zarrita";
import { z } from "zod";
import { codecPool } from "../pool/codec-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import { StoreError } from "../storage/errors.js";
import { zarrStore } from "../storage/zarr-store.js";
import { datasetPrefix, getDataset, IMPORTS_PREFIX, jsonBytes, publishDataset } from "./catalog.js";
import { installNodeInflate } from "./node-inflate.js";
import { forEachLimited } from "./tasks.js";

installNodeInflate();

export type ImportPhase = "level0" | "pyramid" | "publish";

export interface ImportProgress {
  readonly phase: ImportPhase;
  /** Chunks written (or found already written, when resuming) so far, over all levels. */
  readonly done: number;
  readonly total: number;
}

export interface ImportVolumeOptions {
  /** The opened source, axes already final (any user override applied). Closed by the caller. */
  readonly reader: VolumeReader;
  readonly name: string;
  /** Display names of the source files, in stacking order. */
  readonly sources: readonly string[];
  /** Identifies this import for resuming (a hash of the inputs and options); [0-9a-f]{16,64}. */
  readonly resumeKey: string;
  readonly createdBy?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ImportProgress) => void;
  /** Most bytes of source voxels per slab (default 128 MiB; two slabs are in memory at once). */
  readonly slabBytes?: number;
  /** Chunks compressed and uploaded at once (default 8). */
  readonly concurrency?: number;
}

export class ImportError extends Error {
  override readonly name = "ImportError";
}

/** Writes chunks (skipping those a resumed import already stored) and counts progress. */
interface ChunkWriter {
  /** Compresses and stores the chunk `make` cuts into the (reused) buffer it is given. */
  put(level: PyramidLevel, index: number[], make: (buffer: TypedArray) => TypedArray): Promise<void>;
  /** Counts chunks found already written. */
  skip(count: number): void;
}

const importRecordSchema = z.object({ id: datasetIdSchema, name: z.string(), startedAt: z.string() });

/** Axes the dataset keeps: every source axis longer than 1, plus y and x, in NGFF order. */
function datasetAxesOf(reader: VolumeReader): { axes: string; shape: number[] } {
  const kept = [...reader.axes].filter((a, i) => reader.shape[i] > 1 || a === "y" || a === "x").join("");
  if (!kept.includes("y") || !kept.includes("x"))
    throw new ImageFormatError(
      reader.source,
      `axes "${reader.axes}" have no y and x; an image needs both (give the source's axes, e.g. --axes zyx)`,
    );
  const axes = ngffAxes(kept);
  const shape = [...axes].map((a) => reader.shape[reader.axes.indexOf(a)]);
  return { axes, shape };
}

const decoder = new TextDecoder();

async function readJson(store: BlobStore, key: string): Promise<unknown> {
  const bytes = await store.get(key);
  return bytes ? JSON.parse(decoder.decode(bytes)) : undefined;
}

/** Imports `reader` into `store` and publishes it; resolves with the published manifest. */
export async function importVolume(store: BlobStore, options: ImportVolumeOptions): Promise<DatasetManifest> {
  const { reader, signal } = options;
  const name = datasetNameSchema.parse(options.name);
  if (!/^[0-9a-f]{16,64}$/.test(options.resumeKey))
    throw new Error(`internal: resume key "${options.resumeKey}" is not 16-64 hex digits`);
  checkClaimedShape(reader.shape, reader.axes, reader.source);
  const { axes, shape } = datasetAxesOf(reader);
  const dtype = reader.dtype;
  const levels = pyramidLevels(axes, shape);

  // Resume or start: the import record names the dataset id this import writes.
  const recordKey = `${IMPORTS_PREFIX}${options.resumeKey}.json`;
  const record = importRecordSchema.safeParse(await readJson(store, recordKey));
  const id: DatasetId = record.success ? record.data.id : newDatasetId();
  if (record.success) {
    const published = await getDataset(store, id).catch(() => undefined);
    if (published) {
      await store.delete(recordKey);
      return published;
    }
  } else {
    await store.put(recordKey, jsonBytes({ id, name, startedAt: new Date().toISOString() }));
  }
  const prefix = datasetPrefix(id);
  const existing = new Set<string>();
  if (record.success) for await (const key of store.list(prefix)) existing.add(key);

  const total = levels.reduce((n, l) => n + chunkCount(l.shape, l.chunks), 0);
  let done = 0;
  let phase: ImportPhase = "level0";
  const progress = () => options.onProgress?.({ phase, done, total });
  progress();

  // Chunks compress on the codec pool's threads; their buffers come back and are reused (an import cuts
  // thousands of equal-sized chunks).
  const codecs = codecPool();
  const buffers = new Map<number, TypedArray[]>();
  const chunkWriter: ChunkWriter = {
    async put(level, index, make) {
      const key = `${prefix}${level.path}/${chunkKey(index)}`;
      if (!existing.has(key)) {
        const length = elementCount(level.chunks);
        const free = buffers.get(length) ?? [];
        buffers.set(length, free);
        const chunk = make(free.pop() ?? allocate(dtype, length));
        const { frame, buffer } = await codecs.encode(chunkBytes(chunk), bytesPerElement(dtype));
        free.push(new (typedArrayConstructor(dtype))(buffer));
        await store.put(key, frame);
      }
      done++;
      progress();
    },
    skip(count) {
      done += count;
      progress();
    },
  };
  const concurrency = options.concurrency ?? 8;

  try {
    await writeLevel0(options, axes, shape, dtype, levels[0], existing, prefix, chunkWriter, concurrency);
    await store.put(`${prefix}${levels[0].path}/.zarray`, jsonBytes(zarrayJson(levels[0], dtype)));
    phase = "pyramid";
    const root = zarr.root(zarrStore(store, prefix));
    for (let k = 1; k < levels.length; k++) {
      const src = levels[k - 1];
      const dst = levels[k];
      const array = await zarr.open.v2(root.resolve(src.path), { kind: "array" });
      const indices = chunksInRegion(
        dst.shape.map(() => 0),
        dst.shape,
        dst.chunks,
      );
      await forEachLimited(
        indices,
        concurrency,
        async (index) => {
          if (existing.has(`${prefix}${dst.path}/${chunkKey(index)}`)) return chunkWriter.skip(1);
          const start = index.map((c, i) => c * dst.chunks[i]);
          const stop = start.map((s, i) => Math.min(s + dst.chunks[i], dst.shape[i]));
          const selection = start.map((s, i) =>
            zarr.slice(s * dst.factors[i], Math.min(stop[i] * dst.factors[i], src.shape[i])),
          );
          const got = await zarr.get(array, selection);
          const block = downsampleMean({ data: got.data as never, shape: got.shape }, dst.factors);
          await chunkWriter.put(dst, index, (buffer) =>
            cutChunk(block, start, dst.shape, dst.chunks, index, buffer),
          );
        },
        signal,
      );
      await store.put(`${prefix}${dst.path}/.zarray`, jsonBytes(zarrayJson(dst, dtype)));
    }

    phase = "publish";
    progress();
    const voxelSizes: VoxelSize[] = (reader.scales ?? []).filter(
      (s) => axes.includes(s.axis) && s.axis !== "c" && s.size > 0,
    );
    await store.put(`${prefix}.zgroup`, jsonBytes(ZGROUP_JSON));
    await store.put(`${prefix}.zattrs`, jsonBytes(multiscalesAttrs({ name, axes, levels, voxelSizes })));
    const manifest: DatasetManifest = {
      id,
      name,
      axes,
      shape,
      dtype,
      format: { ngff: NGFF_VERSION, zarr: 2 },
      prefix,
      levels: levels.map((l) => ({
        path: l.path,
        shape: [...l.shape],
        chunks: [...l.chunks],
        scale: [...l.scale],
      })),
      ...(voxelSizes.length > 0
        ? {
            voxelSizes: voxelSizes.map((v) => ({
              axis: v.axis as "t" | "z" | "y" | "x",
              size: v.size,
              ...(v.unit ? { unit: v.unit } : {}),
            })),
          }
        : {}),
      sources: options.sources.slice(0, 1000),
      sourceAxes: reader.axes,
      createdAt: new Date().toISOString(),
      ...(options.createdBy ? { createdBy: options.createdBy } : {}),
    };
    await publishDataset(store, manifest);
    await store.delete(recordKey);
    return manifest;
  } catch (e) {
    if (e instanceof StoreError) {
      throw new ImportError(
        `${e.message}\nthe partial import is kept; run the same import again to resume it`,
        { cause: e },
      );
    }
    // The input is at fault (or the import was cancelled): leave nothing behind.
    await store.deletePrefix(prefix).catch(() => undefined);
    await store.delete(recordKey).catch(() => undefined);
    throw e;
  }
}

/** Writes level 0 slab by slab (see the header), prefetching the next slab while chunks upload. */
async function writeLevel0(
  options: ImportVolumeOptions,
  axes: string,
  shape: readonly number[],
  dtype: DType,
  level: PyramidLevel,
  existing: ReadonlySet<string>,
  prefix: string,
  writer: ChunkWriter,
  concurrency: number,
): Promise<void> {
  const { reader, signal } = options;
  const chunks = level.chunks;
  const yAxis = axes.indexOf("y");
  // Bytes of one y row of a slab: chunk depth along t and z, all of c and x.
  const rowBytes =
    [...axes].reduce((n, a, i) => (a === "y" ? n : n * (a === "t" || a === "z" ? chunks[i] : shape[i])), 1) *
    bytesPerElement(dtype);
  const budget = options.slabBytes ?? 128 * 2 ** 20;
  const bandRows = Math.min(
    shape[yAxis],
    Math.max(1, Math.floor(budget / rowBytes / chunks[yAxis])) * chunks[yAxis],
  );

  // Slabs in C order over (t chunks, z chunks, y bands).
  const slabs: { start: number[]; stop: number[] }[] = [];
  const steps = [...axes].map((a, i) =>
    a === "t" || a === "z" ? chunks[i] : a === "y" ? bandRows : shape[i],
  );
  for (const index of chunksInRegion(
    shape.map(() => 0),
    shape,
    steps,
  )) {
    const start = index.map((k, i) => k * steps[i]);
    slabs.push({ start, stop: start.map((s, i) => Math.min(s + steps[i], shape[i])) });
  }

  const readSlab = async (slab: { start: number[]; stop: number[] }) => {
    const todo = chunksInRegion(slab.start, slab.stop, chunks).filter(
      (index) => !existing.has(`${prefix}${level.path}/${chunkKey(index)}`),
    );
    if (todo.length === 0) return { slab, block: undefined, todo };
    // The reader's region: the slab along the dataset's axes, [0, 1) along squeezed singleton axes.
    const start = [...reader.axes].map((a) => (axes.includes(a) ? slab.start[axes.indexOf(a)] : 0));
    const stop = [...reader.axes].map((a) => (axes.includes(a) ? slab.stop[axes.indexOf(a)] : 1));
    const raw = await reader.read({ start, stop });
    if (raw.data.length !== elementCount(stop.map((s, i) => s - start[i])))
      throw new ImageFormatError(reader.source, "reader returned a region of the wrong size");
    const kept = [...raw.axes].filter((a) => axes.includes(a)).join("");
    const squeezed = {
      data: raw.data,
      shape: [...kept].map((a) => raw.shape[raw.axes.indexOf(a)]),
      axes: kept,
    };
    return { slab, block: permuteAxes(squeezed, axes), todo };
  };

  let next = slabs.length > 0 ? readSlab(slabs[0]) : undefined;
  for (let s = 0; s < slabs.length; s++) {
    signal?.throwIfAborted();
    const current = await (next as Promise<Awaited<ReturnType<typeof readSlab>>>);
    next = s + 1 < slabs.length ? readSlab(slabs[s + 1]) : undefined;
    // Keep a rejected prefetch from going unhandled while this slab uploads; it is awaited next round.
    next?.catch(() => undefined);
    const skipped =
      chunksInRegion(current.slab.start, current.slab.stop, chunks).length - current.todo.length;
    writer.skip(skipped);
    const { block } = current;
    if (!block) continue;
    await forEachLimited(
      current.todo,
      concurrency,
      (index) =>
        writer.put(level, index, (buffer) =>
          cutChunk(block, current.slab.start, shape, chunks, index, buffer),
        ),
      signal,
    );
  }
}
