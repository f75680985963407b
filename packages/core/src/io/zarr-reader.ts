// A lazy Zarr reader (v2 and v3, via zarrita): an array, or an OME-Zarr image group (NGFF 0.4 `.zattrs`
// or 0.5 `zarr.json` `attributes.ome`: multiscales level 0, its axes names and voxel sizes). `read(region)`
// fetches and decodes only the chunks under the region, a few at a time, and checks each decoded chunk's
// size (zarrita would silently accept a short uncompressed chunk).
//
// Hostile input: the claimed shape is checked against `limits.maxVoxels` and one chunk against
// `limits.maxDecodedBytes` before anything is read; zarrita's zlib/gzip codecs, which inflate without
// bound, and its blosc, which allocates whatever a frame's header claims, are replaced (in zarrita's codec
// registry, once, on first open) by bounded ones (inflate.ts, blosc.ts) that refuse output beyond the
// chunk's size (a decompression bomb). Chunks are assembled here rather than with zarr.get, to name a
// failing chunk by its coordinates and to check each decoded chunk's length.
// Dtypes: (u)int8/16/32, float32/64; float16, (u)int64, bool, complex and strings are refused by name.

import * as zarr from "zarrita";
import type { DType, TypedArray } from "../array/dtype.js";
import { isDType, typedArrayConstructor } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { AXES, elementCount } from "../array/volume.js";
import { bloscDecodeChunk, bloscEncode } from "./blosc.js";
import { describeError, ImageFormatError } from "./errors.js";
import { guessAxes } from "./hdf5.js";
import { inflateBounded, transformBounded } from "./inflate.js";
import type { ReadLimits } from "./limits.js";
import { checkClaimedShape, checkDecodeSize, DEFAULT_READ_LIMITS } from "./limits.js";
import type { AxisScale, Region, VolumeReader } from "./reader.js";
import { checkRegion } from "./reader.js";

// ----------------------------------------------------------------------------------- bounded codecs ----

type CodecEntry = Awaited<ReturnType<NonNullable<ReturnType<typeof zarr.registry.get>>>>;
type ChunkMeta = Parameters<CodecEntry["fromConfig"]>[1];
type ZarrCodec = ReturnType<CodecEntry["fromConfig"]>;

/** What bounded codecs call the data in their own errors (the reader adds the array and the chunk). */
const CHUNK = "zarr chunk";

/** Input is fed to the decompressor in pieces this size, so one write can only inflate so far (~1000×). */

const ITEM_BYTES: Record<string, number> = {
  int8: 1,
  uint8: 1,
  bool: 1,
  int16: 2,
  uint16: 2,
  float16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  int64: 8,
  uint64: 8,
  float64: 8,
};

/** Bytes a chunk of this metadata decodes to at most, plus a little slack (checksums, headers). */
function chunkByteBound(meta: ChunkMeta): number {
  const dataType = String(meta.dataType);
  let item = ITEM_BYTES[dataType];
  const fixed = /^v2:([US])(\d+)$/.exec(dataType);
  if (fixed) item = Number(fixed[2]) * (fixed[1] === "U" ? 4 : 1);
  if (item === undefined) return DEFAULT_READ_LIMITS.maxDecodedBytes; // variable-length: no size to expect
  const expected = elementCount(meta.shape) * item;
  return expected + 1024 + Math.ceil(expected / 64);
}

function boundedCodec(name: string, format: "deflate" | "gzip"): CodecEntry {
  return {
    kind: "bytes_to_bytes",
    fromConfig(_config: unknown, meta: ChunkMeta): ZarrCodec {
      const bound = chunkByteBound(meta);
      return {
        kind: "bytes_to_bytes",
        encode: (data: Uint8Array) =>
          transformBounded(new CompressionStream(format), data, Number.MAX_SAFE_INTEGER, name, CHUNK),
        decode: (data: Uint8Array) => inflateBounded(data, format, bound, CHUNK),
      };
    },
  };
}

/** Blosc, decoded with its header's sizes checked against the chunk (see blosc.ts). */
function boundedBlosc(): CodecEntry {
  return {
    kind: "bytes_to_bytes",
    fromConfig(_config: unknown, meta: ChunkMeta): ZarrCodec {
      const bound = chunkByteBound(meta);
      return {
        kind: "bytes_to_bytes",
        encode: (data: Uint8Array) => bloscEncode(data, 1),
        decode: (data: Uint8Array) => bloscDecodeChunk(data, bound, CHUNK),
      };
    },
  };
}

let boundedCodecsRegistered = false;

/**
 * Replaces zarrita's unbounded zlib, gzip and blosc codecs (v3 names and v2 "numcodecs." names) by bounded
 * ones.
 * Idempotent; called on every open.
 */
export function registerBoundedZarrCodecs(): void {
  if (boundedCodecsRegistered) return;
  boundedCodecsRegistered = true;
  for (const [name, format] of [
    ["zlib", "deflate"],
    ["gzip", "gzip"],
    ["numcodecs.zlib", "deflate"],
    ["numcodecs.gzip", "gzip"],
  ] as const) {
    const entry = boundedCodec(name.replace("numcodecs.", ""), format);
    zarr.registry.set(name, async () => entry);
  }
  const blosc = boundedBlosc();
  for (const name of ["blosc", "numcodecs.blosc"]) zarr.registry.set(name, async () => blosc);
}

// ---------------------------------------------------------------------------------- OME-Zarr (NGFF) ----

interface NgffImage {
  /** Path of the full-resolution array, relative to the group. */
  readonly path: string;
  /** One entry per dimension, when the metadata names them. */
  readonly axes?: readonly { name: string; type?: string; unit?: string }[];
  /** Voxel size per dimension (level 0 scale × the multiscale's own scale), when given. */
  readonly scale?: readonly number[];
  readonly version?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scaleOf(transforms: unknown): number[] | undefined {
  if (!Array.isArray(transforms)) return undefined;
  for (const t of transforms)
    if (
      isRecord(t) &&
      t.type === "scale" &&
      Array.isArray(t.scale) &&
      t.scale.every((s) => typeof s === "number")
    )
      return t.scale as number[];
  return undefined;
}

/** The first multiscale image of a group's attributes (NGFF 0.4 `multiscales`, 0.5 `ome.multiscales`). */
function ngffImage(attrs: Record<string, unknown>, source: string): NgffImage | undefined {
  const ome = isRecord(attrs.ome) ? attrs.ome : undefined;
  const list = ome?.multiscales ?? attrs.multiscales;
  if (list === undefined) return undefined;
  const ms: unknown = Array.isArray(list) ? list[0] : undefined;
  if (!isRecord(ms) || !Array.isArray(ms.datasets) || ms.datasets.length === 0)
    throw new ImageFormatError(source, "OME-Zarr multiscales metadata lists no datasets");
  const level0: unknown = ms.datasets[0];
  if (!isRecord(level0) || typeof level0.path !== "string" || level0.path === "")
    throw new ImageFormatError(source, "OME-Zarr multiscales metadata: the first dataset has no path");
  let axes: { name: string; type?: string; unit?: string }[] | undefined;
  if (Array.isArray(ms.axes)) {
    axes = ms.axes.map((a) =>
      typeof a === "string"
        ? { name: a } // NGFF 0.3: axis names only
        : {
            name: isRecord(a) && typeof a.name === "string" ? a.name : "",
            ...(isRecord(a) && typeof a.type === "string" ? { type: a.type } : {}),
            ...(isRecord(a) && typeof a.unit === "string" ? { unit: a.unit } : {}),
          },
    );
  }
  let scale = scaleOf(level0.coordinateTransformations);
  const outer = scaleOf(ms.coordinateTransformations);
  if (scale && outer && outer.length === scale.length) scale = scale.map((s, i) => s * outer[i]);
  const version =
    typeof ms.version === "string" ? ms.version : typeof ome?.version === "string" ? ome.version : undefined;
  return {
    path: level0.path,
    ...(axes ? { axes } : {}),
    ...(scale ? { scale } : {}),
    ...(version ? { version } : {}),
  };
}

/** Our axis letters for named dimensions ("t", "c", "z", "y", "x", or by NGFF type), if all map uniquely. */
function lettersFor(names: readonly { name: string; type?: string }[]): string | undefined {
  const letters = names.map(({ name, type }) => {
    const n = name.toLowerCase();
    if ((AXES as readonly string[]).includes(n)) return n;
    if (type === "time" || n === "time") return "t";
    if (type === "channel" || n === "channel" || n === "channels") return "c";
    return undefined;
  });
  if (letters.some((l) => l === undefined)) return undefined;
  const axes = letters.join("");
  if (new Set(axes).size !== axes.length || !axes.includes("y") || !axes.includes("x")) return undefined;
  return axes;
}

// ------------------------------------------------------------------------------------------ reading ----

const SUPPORTED = "uint8, uint16, uint32, int8, int16, int32, float32, float64";

/** How many chunks are fetched and decoded at once. */
const PARALLEL_CHUNKS = 8;

export interface ZarrReaderOptions {
  readonly limits?: ReadLimits;
  /** Names the array in messages (default: the path). */
  readonly source?: string;
}

type ZarrArray = zarr.Array<zarr.DataType, zarr.Readable>;

function isNotFound(e: unknown): boolean {
  return zarr.isZarritaError(e, "NotFoundError");
}

/** The ImageFormatError problem in an error's cause chain (our bounded codecs' errors), if any. */
function problemIn(e: unknown): string | undefined {
  for (let c = e, depth = 0; c !== undefined && depth < 8; depth++) {
    if (c instanceof ImageFormatError) return c.problem;
    c = c instanceof Error ? c.cause : undefined;
  }
  return undefined;
}

function innermostMessage(e: unknown): string {
  let c = e;
  for (let depth = 0; depth < 8 && c instanceof Error && c.cause !== undefined; depth++) c = c.cause;
  const outer = describeError(e);
  const inner = describeError(c);
  return inner === outer ? outer : `${outer}: ${inner}`;
}

/** numpy's name for a v2 dtype string ("<f2" → "float16"), for messages. */
function v2DtypeName(dtype: string): string {
  const m = /^[<>|=]?([a-zA-Z])(\d*)$/.exec(dtype);
  if (!m) return dtype;
  const [, kind, n] = m;
  const bits = Number(n) * 8;
  const names: Record<string, string> = {
    f: `float${bits}`,
    i: `int${bits}`,
    u: `uint${bits}`,
    c: `complex${bits}`,
    b: "bool",
    "?": "bool",
    O: "object",
    U: `${kind}${n} (string)`,
    S: `${kind}${n} (string)`,
    M: "datetime64",
    m: "timedelta64",
  };
  return names[kind] ?? dtype;
}

/**
 * Reads the array metadata at `location` (v2 `.zarray` or v3 `zarr.json`), if any, and refuses a data type
 * Sylva does not read by name, before zarrita (which cannot construct some, e.g. float16 without
 * Float16Array, and then reports "not found") opens it.
 */
async function checkArrayMetadata(location: zarr.Location<zarr.Readable>, source: string): Promise<void> {
  const read = async (key: string): Promise<Record<string, unknown> | undefined> => {
    const bytes = await location.store.get(location.resolve(key).path);
    if (!bytes) return undefined;
    try {
      const doc: unknown = JSON.parse(new TextDecoder().decode(bytes));
      return isRecord(doc) ? doc : undefined;
    } catch {
      return undefined; // zarrita reports malformed metadata
    }
  };
  const v3 = await read("zarr.json");
  let name: string | undefined;
  if (v3?.node_type === "array" && typeof v3.data_type === "string") name = v3.data_type;
  else {
    const v2 = v3 ? undefined : await read(".zarray");
    if (typeof v2?.dtype === "string") name = v2DtypeName(v2.dtype);
    else if (v2 && v2.dtype !== undefined) name = "structured";
  }
  if (name !== undefined && !isDType(name))
    throw new ImageFormatError(
      source,
      `Zarr array has unsupported data type ${name} (supported: ${SUPPORTED})`,
    );
}

/**
 * Opens the Zarr array at `path` in `store`, or the full-resolution level of the OME-Zarr image whose
 * group is at `path`. Axes come from the NGFF axes (or the array's dimension names) when they name them
 * with letters Sylva knows; otherwise they are guessed from the shape (axesGuessed true).
 */
export async function openZarrReader(
  store: zarr.Readable,
  path = "/",
  options: ZarrReaderOptions = {},
): Promise<VolumeReader> {
  registerBoundedZarrCodecs();
  const limits = options.limits ?? DEFAULT_READ_LIMITS;
  const name = options.source ?? path;
  const location = zarr.root(store).resolve(path);
  let node: ZarrArray | zarr.Group<zarr.Readable>;
  try {
    await checkArrayMetadata(location, name);
    node = await zarr.open(location);
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
    if (isNotFound(e))
      throw new ImageFormatError(name, `no Zarr array or group at "${location.path}"`, { cause: e });
    throw new ImageFormatError(name, `cannot read Zarr metadata: ${innermostMessage(e)}`, { cause: e });
  }
  let ngff: NgffImage | undefined;
  let array: ZarrArray;
  if (node.kind === "group") {
    ngff = ngffImage(node.attrs, name);
    if (!ngff)
      throw new ImageFormatError(
        name,
        "is a Zarr group without OME-Zarr multiscales metadata; name the array inside it",
      );
    const level = node.resolve(ngff.path);
    try {
      await checkArrayMetadata(level, name);
      array = await zarr.open(level, { kind: "array" });
    } catch (e) {
      if (e instanceof ImageFormatError) throw e;
      throw new ImageFormatError(
        name,
        `cannot open OME-Zarr level 0 ("${ngff.path}"): ${isNotFound(e) ? "no array there" : innermostMessage(e)}`,
        { cause: e },
      );
    }
  } else {
    array = node;
  }

  const zdtype = String(array.dtype);
  if (!isDType(zdtype)) {
    const shown = zdtype.startsWith("v2:") ? `${zdtype.slice(3)} (string)` : zdtype;
    throw new ImageFormatError(
      name,
      `Zarr array has unsupported data type ${shown} (supported: ${SUPPORTED})`,
    );
  }
  const dtype: DType = zdtype;
  const shape = [...array.shape];
  const chunks = [...array.chunks];
  if (shape.length === 0) throw new ImageFormatError(name, "Zarr array is a scalar, not an image");

  let axes: string | undefined;
  let axesGuessed = false;
  if (ngff?.axes && ngff.axes.length === shape.length) axes = lettersFor(ngff.axes);
  const dims = array.dimensionNames;
  if (axes === undefined && dims && dims.length === shape.length)
    axes = lettersFor(dims.map((d) => ({ name: d })));
  if (axes === undefined) {
    axes = guessAxes(shape);
    axesGuessed = true;
  }
  if (axes === undefined)
    throw new ImageFormatError(
      name,
      `Zarr array has ${shape.length} dimension${shape.length === 1 ? "" : "s"} (shape [${shape.join(", ")}]); images have 2 to 5`,
    );
  checkClaimedShape(shape, axes, name, limits);
  if (chunks.length !== shape.length || chunks.some((c) => !Number.isSafeInteger(c) || c < 1))
    throw new ImageFormatError(name, `Zarr array has an invalid chunk shape [${chunks.join(", ")}]`);
  checkDecodeSize(elementCount(chunks), dtype, name, `one Zarr chunk (${chunks.join(" × ")})`, limits);

  let scales: AxisScale[] | undefined;
  if (ngff?.scale && ngff.scale.length === shape.length && !axesGuessed) {
    scales = [];
    for (const [i, size] of ngff.scale.entries()) {
      if (axes[i] === "c" || !(size > 0)) continue;
      const unit = ngff.axes?.[i]?.unit;
      scales.push({ axis: axes[i], size, ...(unit ? { unit } : {}) });
    }
  }

  const resolvedAxes = axes;
  const n = shape.length;
  const Ctor = typedArrayConstructor(dtype);
  let closed = false;

  const reader: VolumeReader = {
    source: name,
    shape,
    axes: resolvedAxes,
    dtype,
    axesGuessed,
    ...(scales && scales.length > 0 ? { scales } : {}),
    async read(region: Region): Promise<Volume> {
      if (closed) throw new Error(`${name}: reader is closed`);
      checkRegion(reader, region);
      const outShape = region.start.map((s, i) => region.stop[i] - s);
      const out = new Ctor(elementCount(outShape));
      const outStrides = cStrides(outShape);
      const lo = region.start.map((s, i) => Math.floor(s / chunks[i]));
      const hi = region.stop.map((s, i) => Math.ceil(s / chunks[i]));
      const coords: number[][] = [];
      const c = lo.slice();
      for (;;) {
        coords.push(c.slice());
        let i = n - 1;
        for (; i >= 0; i--) {
          if (++c[i] < hi[i]) break;
          c[i] = lo[i];
        }
        if (i < 0) break;
      }
      const readChunk = async (at: number[]): Promise<void> => {
        const where = `chunk (${at.join(", ")})`;
        let chunk: { data: unknown; shape: number[]; stride: number[] };
        try {
          chunk = await array.getChunk(at);
        } catch (e) {
          const problem = problemIn(e);
          throw new ImageFormatError(
            name,
            `${where}: ${problem ?? `cannot read or decode it: ${innermostMessage(e)}`}`,
            {
              cause: e,
            },
          );
        }
        const expected = elementCount(chunks);
        const data = chunk.data;
        if (!(data instanceof Ctor) || data.length !== expected || chunk.shape.length !== n)
          throw new ImageFormatError(
            name,
            `${where}: decoded to ${ArrayBuffer.isView(data) ? `${(data as TypedArray).length} values` : "no typed array"}, a ${chunks.join(" × ")} chunk holds ${expected} (corrupt or truncated chunk)`,
          );
        copyChunk(
          data,
          chunk.stride,
          at.map((k, i) => k * chunks[i]),
          chunks,
          out,
          outStrides,
          region,
        );
      };
      for (let i = 0; i < coords.length; i += PARALLEL_CHUNKS)
        await Promise.all(coords.slice(i, i + PARALLEL_CHUNKS).map(readChunk));
      return { data: out, shape: outShape, axes: resolvedAxes };
    },
    async close() {
      closed = true;
    },
  };
  return reader;
}

function cStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Copies the part of a chunk (any strides, origin `origin`) inside `region` into the C-order output. */
function copyChunk(
  src: TypedArray,
  srcStrides: readonly number[],
  origin: readonly number[],
  chunkShape: readonly number[],
  out: TypedArray,
  outStrides: readonly number[],
  region: Region,
): void {
  const n = origin.length;
  const lo = origin.map((o, i) => Math.max(o, region.start[i]));
  const hi = origin.map((o, i) => Math.min(o + chunkShape[i], region.stop[i]));
  if (lo.some((l, i) => l >= hi[i])) return;
  const last = n - 1;
  const inner = hi[last] - lo[last];
  const idx = lo.slice(0, last);
  for (;;) {
    let s = (lo[last] - origin[last]) * srcStrides[last];
    let o = lo[last] - region.start[last];
    for (let i = 0; i < last; i++) {
      s += (idx[i] - origin[i]) * srcStrides[i];
      o += (idx[i] - region.start[i]) * outStrides[i];
    }
    const step = srcStrides[last];
    if (step === 1) out.set(src.subarray(s, s + inner), o);
    else for (let k = 0; k < inner; k++) out[o + k] = src[s + k * step];
    let i = last - 1;
    for (; i >= 0; i--) {
      if (++idx[i] < hi[i]) break;
      idx[i] = lo[i];
    }
    if (i < 0) break;
  }
}
