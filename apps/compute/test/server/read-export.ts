// Reading an export's ZIP back with independent tools: Python's zipfile unpacks it (checking every
// CRC-32), then tifffile, h5py, numpy and Pillow read each file; arrays come back as shape, dtype and
// little-endian bytes, plus the HDF5 dataset's attributes.

import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { PYTHON } from "../helpers/data.js";

const SCRIPT = `
import base64, io, json, sys, zipfile
import numpy as np
out = []
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad is not None:
        raise SystemExit("bad CRC in " + bad)
    for info in z.infolist():
        data = z.read(info.filename)
        attrs = {}
        name = info.filename.lower()
        if name.endswith((".tif", ".tiff")):
            import tifffile
            a = tifffile.imread(io.BytesIO(data))
        elif name.endswith((".h5", ".hdf5")):
            import h5py
            with h5py.File(io.BytesIO(data), "r") as f:
                d = f["exported_data"]
                a = d[()]
                for k, v in d.attrs.items():
                    attrs[k] = v.decode() if isinstance(v, bytes) else (v.tolist() if hasattr(v, "tolist") else v)
        elif name.endswith(".npy"):
            a = np.load(io.BytesIO(data))
        elif name.endswith(".png"):
            from PIL import Image
            a = np.asarray(Image.open(io.BytesIO(data)))
        else:
            raise SystemExit("unexpected file " + info.filename)
        a = np.ascontiguousarray(a)
        out.append({"name": info.filename, "size": info.file_size, "shape": list(a.shape),
                    "dtype": str(a.dtype), "attrs": attrs,
                    "data": base64.b64encode(a.astype(a.dtype.newbyteorder("<")).tobytes()).decode()})
print(json.dumps(out))
`;

export interface ReadFile {
  readonly name: string;
  readonly size: number;
  readonly shape: number[];
  readonly dtype: string;
  readonly attrs: Record<string, unknown>;
  readonly values: Float64Array;
}

function values(dtype: string, bytes: Buffer): Float64Array {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const view =
    dtype === "uint8"
      ? new Uint8Array(ab)
      : dtype === "uint16"
        ? new Uint16Array(ab)
        : dtype === "float32"
          ? new Float32Array(ab)
          : dtype === "float64"
            ? new Float64Array(ab)
            : undefined;
  if (!view) throw new Error(`unexpected dtype ${dtype}`);
  return Float64Array.from(view);
}

/** Every file of the ZIP `bytes`, read back by Python. */
export async function readExportZip(bytes: Uint8Array): Promise<ReadFile[]> {
  const dir = await mkdtemp(path.join(tmpdir(), "sylva-zip-"));
  try {
    const file = path.join(dir, "export.zip");
    await writeFile(file, bytes);
    const { stdout } = await promisify(execFile)(PYTHON, ["-c", SCRIPT, file], { maxBuffer: 1 << 28 });
    const parsed = JSON.parse(stdout) as (Omit<ReadFile, "values"> & { data: string })[];
    return parsed.map(({ data, ...rest }) => ({
      ...rest,
      values: values(rest.dtype, Buffer.from(data, "base64")),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
