// Reading a published dataset: any region of any pyramid level, through zarrita on the BlobStore (the
// path tile serving and the `sylva` commands take when an IMAGE is a dataset id).

import type { DType, TypedArray, Volume, VolumeReader } from "@sylva/core";
import { checkRegion } from "@sylva/core";
import type { DatasetManifest } from "@sylva/shared";
import * as zarr from "zarrita";
import { codecPool } from "../pool/codec-pool.js";
import type { BlobStore } from "../storage/blob-store.js";
import { zarrStore } from "../storage/zarr-store.js";
import { getDataset } from "./catalog.js";
import { installNodeInflate } from "./node-inflate.js";

installNodeInflate();

export interface OpenDataset {
  readonly manifest: DatasetManifest;
  /** A VolumeReader on level `level` (0 = full resolution), axes in the dataset's NGFF order. */
  level(level: number): Promise<VolumeReader>;
}

type ZarrArray = zarr.Array<zarr.DataType, ReturnType<typeof zarrStore>>;

/** Opens published dataset `id` (a DatasetNotFoundError when there is none). */
export async function openDataset(store: BlobStore, id: string): Promise<OpenDataset> {
  const manifest = await getDataset(store, id);
  return openManifest(store, manifest);
}

export function openManifest(store: BlobStore, manifest: DatasetManifest): OpenDataset {
  codecPool(); // chunks decode on the codec pool's threads
  const root = zarr.root(zarrStore(store, manifest.prefix));
  const arrays = new Map<number, Promise<ZarrArray>>();
  const source = `dataset ${manifest.id} ("${manifest.name}")`;
  return {
    manifest,
    async level(level) {
      const info = manifest.levels[level];
      if (!info)
        throw new RangeError(`${source} has levels 0 to ${manifest.levels.length - 1}, not ${level}`);
      let opened = arrays.get(level);
      if (!opened) {
        opened = zarr.open.v2(root.resolve(info.path), { kind: "array" });
        arrays.set(level, opened);
      }
      const array = await opened;
      const reader: VolumeReader = {
        source: level === 0 ? source : `${source} level ${level}`,
        shape: info.shape,
        axes: manifest.axes,
        dtype: manifest.dtype as DType,
        axesGuessed: false,
        async read(region): Promise<Volume> {
          checkRegion(reader, region);
          const got = await zarr.get(
            array,
            region.start.map((s, i) => zarr.slice(s, region.stop[i])),
          );
          return { data: got.data as TypedArray, shape: got.shape, axes: manifest.axes };
        },
        async close() {},
      };
      return reader;
    },
  };
}
