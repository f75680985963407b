// HDF5 datasets on disk as lazy VolumeReaders: h5wasm's Node build (`h5wasm/node`) opens the file in
// place, so a 1 GiB volume is read hyperslab by hyperslab instead of being loaded whole. Finding the
// dataset, its dtype and its axes (axistags or ilastik's guess) is @sylva/core's `hdf5Dataset`.

import type { VolumeReader } from "@sylva/core";
import {
  checkClaimedShape,
  checkDecodeSize,
  checkHdf5Values,
  checkRegion,
  describeHdf5Error,
  elementCount,
  hasHdf5Signature,
  hdf5Dataset,
  ImageFormatError,
} from "@sylva/core";
import { fileSource } from "./file-source.js";

type H5Node = typeof import("h5wasm/node")["default"];
let ready: Promise<H5Node> | undefined;

/** h5wasm/node, loaded on first use (its start-up must not run in worker threads that never need it). */
function h5node(): Promise<H5Node> {
  ready ??= import("h5wasm/node").then(async ({ default: h5 }) => {
    const m = await h5.ready;
    m.activate_throwing_error_handler();
    return h5;
  });
  return ready;
}

/** Opens dataset `internalPath` of HDF5 file `path`; `name` is what messages call the file. */
export async function openHdf5Reader(path: string, internalPath: string, name = path): Promise<VolumeReader> {
  const source = await fileSource(path, name);
  const head = await source.read(0, Math.min(source.size, 4096));
  if (!hasHdf5Signature(head)) throw new ImageFormatError(name, "not an HDF5 file (no HDF5 signature)");
  const h5 = await h5node();
  let file: InstanceType<H5Node["File"]>;
  try {
    file = new h5.File(path, "r");
  } catch (e) {
    throw new ImageFormatError(name, `cannot open HDF5 file: ${describeHdf5Error(e)}`, { cause: e });
  }
  try {
    const info = hdf5Dataset(file, internalPath, name);
    const label = `${name}/${info.path}`;
    checkClaimedShape(info.shape, info.axes, label);
    let open = true;
    const reader: VolumeReader = {
      source: label,
      shape: info.shape,
      axes: info.axes,
      dtype: info.dtype,
      axesGuessed: info.axesGuessed,
      async read(region) {
        if (!open) throw new Error(`${label}: reader is closed`);
        checkRegion(reader, region);
        const count = elementCount(region.start.map((s, i) => region.stop[i] - s));
        checkDecodeSize(count, info.dtype, label, "this region");
        let value: unknown;
        try {
          value = info.dataset.slice(region.start.map((s, i) => [s, region.stop[i]]));
        } catch (e) {
          throw new ImageFormatError(label, `cannot read region: ${describeHdf5Error(e)}`, { cause: e });
        }
        const data = checkHdf5Values(info, value, count, name);
        return { data, shape: region.start.map((s, i) => region.stop[i] - s), axes: info.axes };
      },
      async close() {
        if (open) file.close();
        open = false;
      },
    };
    return reader;
  } catch (e) {
    file.close();
    throw e;
  }
}
