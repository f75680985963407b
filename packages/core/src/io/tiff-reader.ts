// A lazy TIFF reader (classic and BigTIFF, via geotiff over range reads): opening walks the image file
// directories (IFDs) only, and `read(region)` decodes only the pages in the region's z range, and of each
// only the strips or tiles under its y/x window. `decodeTiff` is this reader reading everything.
//
// Page rules (shared with decodeTiff): one page → "yx" or "yxc"; several → a z-stack "zyx"/"zyxc" whose
// pages must all match in size, samples and dtype; reduced-resolution pages (NewSubfileType bit 0) are
// skipped; dtypes uint8/16/32, int8/16/32, float32/64 (others, e.g. 1-bit, 12-bit, float16, complex, are
// an ImageFormatError naming the page).
//
// Hostile input: the whole IFD chain is scanned before geotiff parses any of it (entry tables and tag
// values inside the file, no chain that loops), and the claimed volume (pages × the first page's size) is
// checked against `limits.maxVoxels` then; each strip/tile, and each page's decode step (the strips/tiles a
// window needs), against `limits.maxDecodedBytes`; and the strips/tiles a read needs must lie inside the
// file (else "truncated", naming the page). geotiff's deflate decoder (pako, unbounded) is replaced, once,
// by one that stops when a strip or tile inflates past its size (inflate.ts's `inflateBounded`).
// Voxel sizes come from XResolution/YResolution with ResolutionUnit (inch, centimetre), or from an ImageJ
// description (unit=…, spacing=… for z) when ResolutionUnit is "none".

import type { GeoTIFF, GeoTIFFImage } from "geotiff";
import type { DType, TypedArray } from "../array/dtype.js";
import { dtypeOf, typedArrayConstructor } from "../array/dtype.js";
import type { Volume } from "../array/volume.js";
import { describeError, ImageFormatError } from "./errors.js";
import { inflateBounded } from "./inflate.js";
import type { ReadLimits } from "./limits.js";
import { checkClaimedShape, checkDecodeSize, DEFAULT_READ_LIMITS } from "./limits.js";
import type { AxisScale, ByteSource, Region, VolumeReader } from "./reader.js";
import { checkRegion } from "./reader.js";

const SAMPLE_FORMAT_NAMES: Record<number, string> = {
  1: "unsigned integer",
  2: "signed integer",
  3: "floating point",
  4: "undefined",
  5: "complex integer",
  6: "complex floating point",
};

const SUPPORTED = "uint8, uint16, uint32, int8, int16, int32, float32, float64";

function dtypeFor(format: number, bits: number): DType | undefined {
  if (format === 1) return ({ 8: "uint8", 16: "uint16", 32: "uint32" } as const)[bits];
  if (format === 2) return ({ 8: "int8", 16: "int16", 32: "int32" } as const)[bits];
  if (format === 3) return ({ 32: "float32", 64: "float64" } as const)[bits];
  return undefined;
}

/** True when `b` starts with a classic ("II*\0", "MM\0*") or BigTIFF (43) byte-order header. */
export function isTiffSignature(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  if (b[0] === 0x49 && b[1] === 0x49) return (b[2] === 42 || b[2] === 43) && b[3] === 0;
  if (b[0] === 0x4d && b[1] === 0x4d) return b[2] === 0 && (b[3] === 42 || b[3] === 43);
  return false;
}

/** What one TIFF page holds. */
export interface TiffPageInfo {
  readonly width: number;
  readonly height: number;
  readonly samples: number;
  readonly dtype: DType;
}

export function describeTiffPage(p: TiffPageInfo): string {
  return `${p.height} × ${p.width}${p.samples > 1 ? ` × ${p.samples} samples` : ""} ${p.dtype}`;
}

/** Size, samples and dtype of a page; an ImageFormatError for sample types Sylva does not read. */
export function tiffPageInfo(image: GeoTIFFImage, page: number, source?: string): TiffPageInfo {
  const width = image.getWidth();
  const height = image.getHeight();
  const samples = image.getSamplesPerPixel();
  // A missing BitsPerSample tag means 1 (bilevel), per the TIFF specification; geotiff reports 0.
  const bitsOf = (s: number): number => image.getBitsPerSample(s) || 1;
  const format = image.getSampleFormat(0);
  const bits = bitsOf(0);
  for (let s = 1; s < samples; s++) {
    if (image.getSampleFormat(s) !== format || bitsOf(s) !== bits)
      throw new ImageFormatError(
        source,
        `TIFF page ${page}: samples differ in type (sample 0 is ${bits}-bit ${SAMPLE_FORMAT_NAMES[format] ?? `format ${format}`}, sample ${s} is ${bitsOf(s)}-bit ${SAMPLE_FORMAT_NAMES[image.getSampleFormat(s)] ?? `format ${image.getSampleFormat(s)}`})`,
      );
  }
  const dtype = dtypeFor(format, bits);
  if (dtype === undefined)
    throw new ImageFormatError(
      source,
      `TIFF page ${page}: unsupported sample type, ${bits}-bit ${SAMPLE_FORMAT_NAMES[format] ?? `sample format ${format}`} (supported: ${SUPPORTED})`,
    );
  if (width < 1 || height < 1)
    throw new ImageFormatError(source, `TIFF page ${page} has no pixels (${width} × ${height})`);
  if (samples < 1) throw new ImageFormatError(source, `TIFF page ${page} has no samples per pixel`);
  return { width, height, samples, dtype };
}

// ------------------------------------------------------------------------------- IFD pre-validation ----

/** Bytes per value of each TIFF field type (unknown types are left to geotiff). */
const FIELD_TYPE_SIZE: Record<number, number> = {
  1: 1, // BYTE
  2: 1, // ASCII
  3: 2, // SHORT
  4: 4, // LONG
  5: 8, // RATIONAL
  6: 1, // SBYTE
  7: 1, // UNDEFINED
  8: 2, // SSHORT
  9: 4, // SLONG
  10: 8, // SRATIONAL
  11: 4, // FLOAT
  12: 8, // DOUBLE
  13: 4, // IFD
  16: 8, // LONG8
  17: 8, // SLONG8
  18: 8, // IFD8
};

interface TiffLayout {
  readonly little: boolean;
  readonly big: boolean;
  readonly firstIfd: number;
}

function readUint(view: DataView, at: number, bytes: 2 | 4 | 8, little: boolean): number {
  if (bytes === 2) return view.getUint16(at, little);
  if (bytes === 4) return view.getUint32(at, little);
  return Number(view.getBigUint64(at, little));
}

function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

async function readLayout(source: ByteSource): Promise<TiffLayout> {
  const head = await source.read(0, Math.min(source.size, 16));
  if (!isTiffSignature(head))
    throw new ImageFormatError(source.name, "not a TIFF file (no II*/MM* byte-order header)");
  const little = head[0] === 0x49;
  const view = viewOf(head);
  const big = view.getUint16(2, little) === 43;
  if (big) {
    if (head.length < 16)
      throw new ImageFormatError(source.name, `truncated BigTIFF header (${head.length} of 16 bytes)`);
    if (view.getUint16(4, little) !== 8)
      throw new ImageFormatError(source.name, "unsupported BigTIFF: offsets are not 8 bytes");
  }
  return { little, big, firstIfd: readUint(view, big ? 8 : 4, big ? 8 : 4, little) };
}

/** What the pre-scan of one IFD found: where the next one is, and the tags that give the page's shape. */
interface IfdSummary {
  readonly next: number;
  readonly reduced: boolean;
  readonly width?: number;
  readonly height?: number;
  readonly samples: number;
}

/** First read of an IFD: enough for the entry tables of ordinary pages in one go. */
const IFD_PROBE_BYTES = 1024;

/**
 * Checks the IFD of page `page` at `offset` before geotiff parses it: its entry table, and every tag value
 * stored outside it, must lie inside the file (geotiff allocates what a tag claims). Returns the next IFD's
 * offset and the page's claimed size.
 */
async function scanIfd(
  source: ByteSource,
  layout: TiffLayout,
  offset: number,
  page: number,
): Promise<IfdSummary> {
  const { little, big } = layout;
  const size = source.size;
  const countBytes = big ? 8 : 2;
  const entryBytes = big ? 20 : 12;
  const offsetBytes = big ? 8 : 4;
  if (offset < 8 || offset + countBytes > size)
    throw new ImageFormatError(
      source.name,
      `truncated or corrupt TIFF: the directory of page ${page} is at byte ${offset}, outside the file (${size} bytes)`,
    );
  let bytes = await source.read(offset, Math.min(size - offset, IFD_PROBE_BYTES));
  const count = readUint(viewOf(bytes), 0, countBytes, little);
  const tableBytes = countBytes + count * entryBytes + offsetBytes;
  if (count === 0 || offset + tableBytes > size)
    throw new ImageFormatError(
      source.name,
      count === 0
        ? `corrupt TIFF: the directory of page ${page} (at byte ${offset}) has no entries`
        : `truncated or corrupt TIFF: the directory of page ${page} (at byte ${offset}) claims ${count} entries, which run past the end of the file (${size} bytes)`,
    );
  if (bytes.length < tableBytes) bytes = await source.read(offset, tableBytes);
  const table = viewOf(bytes);
  const inline: Record<number, number> = {};
  for (let e = 0; e < count; e++) {
    const at = countBytes + e * entryBytes;
    const tag = table.getUint16(at, little);
    const type = table.getUint16(at + 2, little);
    const typeSize = FIELD_TYPE_SIZE[type];
    if (typeSize === undefined) continue;
    const values = readUint(table, at + 4, big ? 8 : 4, little);
    const valueBytes = values * typeSize;
    const valueAt = at + (big ? 12 : 8);
    if (valueBytes <= offsetBytes) {
      if (values === 1 && (type === 3 || type === 4 || type === 16))
        inline[tag] = readUint(table, valueAt, type === 3 ? 2 : type === 4 ? 4 : 8, little);
      continue;
    }
    const valueOffset = readUint(table, valueAt, big ? 8 : 4, little);
    if (valueOffset + valueBytes > size)
      throw new ImageFormatError(
        source.name,
        `truncated or corrupt TIFF: page ${page}, tag ${tag} claims ${values} values (bytes ${valueOffset}..${valueOffset + valueBytes}) but the file has ${size} bytes`,
      );
  }
  return {
    next: readUint(table, tableBytes - offsetBytes, big ? 8 : 4, little),
    reduced: ((inline[254] ?? 0) & 1) === 1, // NewSubfileType bit 0: a reduced-resolution copy
    ...(inline[256] !== undefined ? { width: inline[256] } : {}),
    ...(inline[257] !== undefined ? { height: inline[257] } : {}),
    samples: inline[277] ?? 1,
  };
}

/** Walks the whole IFD chain (refusing one that loops), scanning every directory. */
async function scanIfds(source: ByteSource, layout: TiffLayout): Promise<IfdSummary[]> {
  const ifds: IfdSummary[] = [];
  const seen = new Set<number>();
  for (let offset = layout.firstIfd; offset !== 0; ) {
    if (seen.has(offset))
      throw new ImageFormatError(
        source.name,
        `corrupt TIFF: the directory of page ${ifds.length} (byte ${offset}) is one already read; the page chain loops`,
      );
    seen.add(offset);
    const ifd = await scanIfd(source, layout, offset, ifds.length);
    ifds.push(ifd);
    offset = ifd.next;
  }
  return ifds;
}

// ------------------------------------------------------------------------------------ geotiff source ----

type GeoSource = Parameters<typeof GeoTIFF.fromSource>[0];

/**
 * geotiff's BaseSource over a ByteSource. geotiff reads directories speculatively (1 KiB, or 4 KiB for
 * BigTIFF, from an offset), so reads running past the end are cut short; a read starting past the end is
 * an ImageFormatError (truncated file). Every slice is a copy: geotiff's decoders may work in place.
 */
function geotiffSource(source: ByteSource): GeoSource {
  const readSlice = async (offset: number, length: number): Promise<ArrayBuffer> => {
    if (length > 0 && offset >= source.size)
      throw new ImageFormatError(
        source.name,
        `truncated file: needs bytes ${offset}..${offset + length} but holds only ${source.size}`,
      );
    const n = Math.max(0, Math.min(length, source.size - offset));
    const bytes = await source.read(offset, n);
    return bytes.slice().buffer;
  };
  return {
    get fileSize() {
      return source.size;
    },
    fetch: (slices) => Promise.all(slices.map((s) => readSlice(s.offset, s.length))),
    fetchSlice: async (slice) => ({ ...slice, data: await readSlice(slice.offset, slice.length) }),
    close: async () => {},
  };
}

// ---------------------------------------------------------------------------------- bounded deflate ----

type GeoTiffModule = typeof import("geotiff");

let boundedDeflateRegistered = false;

/**
 * Replaces geotiff's deflate decoder (pako, which inflates without bound) by one that stops once a strip or
 * tile inflates past what it can hold (width × height × bytes per pixel): a decompression bomb inside a
 * TIFF is refused like one in a Zarr chunk. Registered once, in geotiff's own decoder registry.
 */
function registerBoundedDeflate(geotiff: GeoTiffModule): void {
  if (boundedDeflateRegistered) return;
  boundedDeflateRegistered = true;
  class BoundedDeflateDecoder extends geotiff.BaseDecoder {
    override async decodeBlock(buffer: ArrayBufferLike): Promise<ArrayBuffer> {
      const { tileWidth, tileHeight, bitsPerSample, planarConfiguration } = this.parameters;
      const bits = typeof bitsPerSample === "number" ? [bitsPerSample] : Array.from(bitsPerSample);
      const pixelBits = planarConfiguration === 2 ? (bits[0] ?? 8) : bits.reduce((a, b) => a + b, 0);
      const max = Math.ceil((tileWidth * tileHeight * Math.max(pixelBits, 1)) / 8) + 1024;
      const out = await inflateBounded(new Uint8Array(buffer), "deflate", max, "TIFF strip or tile");
      return out.byteOffset === 0 &&
        out.byteLength === out.buffer.byteLength &&
        out.buffer instanceof ArrayBuffer
        ? out.buffer
        : out.slice().buffer;
    }
  }
  geotiff.addDecoder([8, 32946], async () => BoundedDeflateDecoder);
}

// ----------------------------------------------------------------------------------------- reading ----

interface Page {
  readonly index: number;
  readonly image: GeoTIFFImage;
  readonly info: TiffPageInfo;
}

/** The strip/tile grid of a page. */
function blockGrid(image: GeoTIFFImage): { tw: number; th: number; across: number; down: number } {
  const tw = image.getTileWidth();
  const th = image.getTileHeight();
  return {
    tw,
    th,
    across: Math.ceil(image.getWidth() / tw),
    down: Math.ceil(image.getHeight() / th),
  };
}

function checkBlockGrid(page: Page, source: string, limits: ReadLimits): void {
  const { image, index, info } = page;
  const { tw, th } = blockGrid(image);
  if (!(tw >= 1 && th >= 1))
    throw new ImageFormatError(
      source,
      `corrupt TIFF: page ${index} has an invalid ${image.isTiled ? "tile" : "strip"} size (${tw} × ${th})`,
    );
  const perBlock = tw * th * (image.planarConfiguration === 2 ? 1 : info.samples);
  checkDecodeSize(
    perBlock,
    info.dtype,
    source,
    `TIFF page ${index}: one ${image.isTiled ? "tile" : "strip"} (${th} × ${tw})`,
    limits,
  );
}

/**
 * Checks that the strips or tiles under `window` ([x0, y0, x1, y1]) for `samples` lie inside the file, and
 * that decoding them stays within the limits. geotiff would otherwise decode whatever a short read gave.
 */
async function checkBlocks(
  page: Page,
  window: readonly number[],
  samples: readonly number[],
  source: ByteSource,
  limits: ReadLimits,
): Promise<void> {
  const { image, index, info } = page;
  const { tw, th, across, down } = blockGrid(image);
  const [x0, y0, x1, y1] = window;
  const bx0 = Math.floor(x0 / tw);
  const bx1 = Math.ceil(x1 / tw);
  const by0 = Math.floor(y0 / th);
  const by1 = Math.ceil(y1 / th);
  const planar = image.planarConfiguration === 2;
  const planes = planar ? samples : [0];
  const blocks = (bx1 - bx0) * (by1 - by0) * planes.length;
  const blockVoxels = tw * th * (planar ? 1 : info.samples);
  checkDecodeSize(
    blocks * blockVoxels + (x1 - x0) * (y1 - y0) * samples.length,
    info.dtype,
    source.name,
    `TIFF page ${index} (${blocks} ${image.isTiled ? "tiles" : "strips"} for a ${y1 - y0} × ${x1 - x0} window)`,
    limits,
  );
  const kind = image.isTiled ? "tile" : "strip";
  const offsetsTag = image.isTiled ? "TileOffsets" : "StripOffsets";
  const countsTag = image.isTiled ? "TileByteCounts" : "StripByteCounts";
  const dir = image.fileDirectory;
  for (const s of planes)
    for (let by = by0; by < by1; by++)
      for (let bx = bx0; bx < bx1; bx++) {
        const b = (planar ? s * across * down : 0) + by * across + bx;
        let offset: number;
        let count: number;
        try {
          offset = Number(await dir.loadValueIndexed(offsetsTag, b));
          count = Number(await dir.loadValueIndexed(countsTag, b));
        } catch (e) {
          if (e instanceof ImageFormatError) throw e;
          throw new ImageFormatError(
            source.name,
            `corrupt TIFF: page ${index}: cannot read the offset of ${kind} ${b}: ${describeError(e)}`,
            {
              cause: e,
            },
          );
        }
        if (!Number.isFinite(offset) || !Number.isFinite(count))
          throw new ImageFormatError(
            source.name,
            `corrupt TIFF: page ${index} has no ${offsetsTag}/${countsTag} entry for ${kind} ${b}`,
          );
        if (count > 0 && offset + count > source.size)
          throw new ImageFormatError(
            source.name,
            `truncated TIFF: page ${index}, ${kind} ${b} needs bytes ${offset}..${offset + count}, the file has ${source.size}`,
          );
      }
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * The fast path for the commonest microscopy TIFF: uncompressed, striped, interleaved samples in the host's
 * byte order, all samples wanted. Reads each strip's rows under `window` with one range read and copies
 * whole rows, where geotiff would convert sample by sample (about 10× slower). Undefined when it does not
 * apply; `checkBlocks` has already checked that the strips lie inside the file.
 */
async function readUncompressedWindow(
  page: Page,
  window: readonly number[],
  wanted: readonly number[],
  little: boolean,
  source: ByteSource,
): Promise<TypedArray | undefined> {
  const { image, info } = page;
  const dir = image.fileDirectory;
  const compression = Number(dir.getValue("Compression") ?? 1);
  // (FillOrder only reorders bits within bytes: irrelevant for the 8- to 64-bit samples we read.)
  if (compression !== 1 || image.isTiled || little !== HOST_LITTLE_ENDIAN) return undefined;
  if (info.samples > 1 && (image.planarConfiguration === 2 || wanted.length !== info.samples))
    return undefined;
  const [x0, y0, x1, y1] = window;
  const C = typedArrayConstructor(info.dtype);
  const bpe = C.BYTES_PER_ELEMENT;
  const rowValues = info.width * info.samples;
  const outRow = (x1 - x0) * info.samples;
  const out = new C((y1 - y0) * outRow);
  const { th } = blockGrid(image);
  for (let strip = Math.floor(y0 / th); strip * th < y1; strip++) {
    const r0 = Math.max(y0, strip * th);
    const r1 = Math.min(y1, (strip + 1) * th);
    const offset = Number(await dir.loadValueIndexed("StripOffsets", strip));
    const start = offset + (r0 - strip * th) * rowValues * bpe;
    const bytes = await source.read(start, ((r1 - r0 - 1) * rowValues + x1 * info.samples) * bpe);
    // A copy into aligned memory, so the rows can be viewed as typed values.
    const values = new C(bytes.slice().buffer);
    for (let r = r0; r < r1; r++) {
      const from = (r - r0) * rowValues + x0 * info.samples;
      out.set(values.subarray(from, from + outRow), (r - y0) * outRow);
    }
  }
  return out;
}

const RESOLUTION_UNITS: Record<number, number> = { 2: 25400, 3: 10000 }; // micrometres per inch, per cm

function rationalValue(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (v && typeof v === "object" && "length" in v) {
    const a = v as ArrayLike<number>;
    if (a.length >= 2 && a[1] !== 0) return a[0] / a[1];
    if (a.length === 1) return a[0];
  }
  return undefined;
}

/** Voxel sizes from the first page's resolution tags (or ImageJ description); undefined when absent. */
async function readScales(image: GeoTIFFImage, hasZ: boolean): Promise<AxisScale[] | undefined> {
  try {
    const dir = image.fileDirectory;
    if (!dir.hasTag("XResolution") || !dir.hasTag("YResolution")) return undefined;
    const xres = rationalValue(await dir.loadValue("XResolution"));
    const yres = rationalValue(await dir.loadValue("YResolution"));
    if (!xres || !yres || !(xres > 0) || !(yres > 0)) return undefined;
    const unitCode = dir.hasTag("ResolutionUnit") ? Number(await dir.loadValue("ResolutionUnit")) : 2;
    const perUnit = RESOLUTION_UNITS[unitCode];
    if (perUnit !== undefined)
      return [
        { axis: "y", size: perUnit / yres, unit: "micrometer" },
        { axis: "x", size: perUnit / xres, unit: "micrometer" },
      ];
    // ResolutionUnit "none": ImageJ keeps the unit (and the z spacing) in its ImageDescription.
    const description = dir.hasTag("ImageDescription") ? String(await dir.loadValue("ImageDescription")) : "";
    if (!description.startsWith("ImageJ=")) return undefined;
    const raw = /^unit=(.+)$/m.exec(description)?.[1]?.trim();
    if (!raw) return undefined;
    const unit = raw === "micron" || raw === "\\u00B5m" || raw === "µm" || raw === "um" ? "micrometer" : raw;
    const scales: AxisScale[] = [];
    const spacing = Number(/^spacing=(.+)$/m.exec(description)?.[1]);
    if (hasZ && spacing > 0) scales.push({ axis: "z", size: spacing, unit });
    scales.push({ axis: "y", size: 1 / yres, unit }, { axis: "x", size: 1 / xres, unit });
    return scales;
  } catch {
    return undefined; // voxel sizes are a nicety: a broken tag does not stop the pixels from being read
  }
}

/**
 * Opens a TIFF lazily: reads its directories, checks the claimed shape, and returns a reader that
 * decodes only what each `read` asks for. Axes "yx", "yxc", "zyx" or "zyxc" (never guessed).
 */
export async function openTiffReader(
  source: ByteSource,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<VolumeReader> {
  const name = source.name;
  const layout = await readLayout(source);
  let tiff: GeoTIFF;
  try {
    // Loaded on first use: geotiff pulls in the `web-worker` shim, whose Node start-up takes any worker
    // thread for one of its own and fails — importing @sylva/core in a worker must not run it.
    const geotiff = await import("geotiff");
    registerBoundedDeflate(geotiff);
    tiff = await geotiff.GeoTIFF.fromSource(geotiffSource(source));
  } catch (e) {
    if (e instanceof ImageFormatError) throw e;
    throw new ImageFormatError(name, `cannot read TIFF structure: ${describeError(e)}`, { cause: e });
  }

  // The whole directory chain first: the claimed volume is refused before geotiff parses anything.
  const ifds = await scanIfds(source, layout);
  const full = ifds.flatMap((ifd, index) => (ifd.reduced ? [] : [{ index, ifd }]));
  if (full.length === 0) throw new ImageFormatError(name, "TIFF file holds no full-resolution image");
  const { width: w0, height: h0, samples: s0 } = full[0].ifd;
  if (w0 !== undefined && h0 !== undefined) {
    const yxc = s0 > 1 ? [h0, w0, s0] : [h0, w0];
    const zyxc = full.length > 1 ? [full.length, ...yxc] : yxc;
    checkClaimedShape(zyxc, `${full.length > 1 ? "z" : ""}yx${s0 > 1 ? "c" : ""}`, name, limits);
  }

  const pages: Page[] = [];
  for (const { index: i } of full) {
    let image: GeoTIFFImage;
    try {
      image = await tiff.getImage(i);
    } catch (e) {
      if (e instanceof ImageFormatError) throw e;
      throw new ImageFormatError(name, `cannot read TIFF page ${i}: ${describeError(e)}`, { cause: e });
    }
    const info = tiffPageInfo(image, i, name);
    const first = pages[0]?.info;
    if (
      first &&
      (info.width !== first.width ||
        info.height !== first.height ||
        info.samples !== first.samples ||
        info.dtype !== first.dtype)
    )
      throw new ImageFormatError(
        name,
        `TIFF page ${i} is ${describeTiffPage(info)} but page ${pages[0].index} is ${describeTiffPage(first)}; all pages of a multi-page TIFF must match to form a z-stack`,
      );
    pages.push({ index: i, image, info });
  }
  for (const page of pages) checkBlockGrid(page, name, limits);

  const { width, height, samples, dtype } = pages[0].info;
  const hasZ = pages.length > 1;
  const hasC = samples > 1;
  const axes = `${hasZ ? "z" : ""}yx${hasC ? "c" : ""}`;
  const shape = [...(hasZ ? [pages.length] : []), height, width, ...(hasC ? [samples] : [])];
  checkClaimedShape(shape, axes, name, limits);
  const scales = await readScales(pages[0].image, hasZ);
  let closed = false;

  const reader: VolumeReader = {
    source: name,
    shape,
    axes,
    dtype,
    axesGuessed: false,
    ...(scales ? { scales } : {}),
    async read(region: Region): Promise<Volume> {
      if (closed) throw new Error(`${name}: reader is closed`);
      checkRegion(reader, region);
      const k = hasZ ? 1 : 0;
      const [z0, z1] = hasZ ? [region.start[0], region.stop[0]] : [0, 1];
      const [y0, y1] = [region.start[k], region.stop[k]];
      const [x0, x1] = [region.start[k + 1], region.stop[k + 1]];
      const [c0, c1] = hasC ? [region.start[k + 2], region.stop[k + 2]] : [0, 1];
      const wanted = Array.from({ length: c1 - c0 }, (_, i) => c0 + i);
      const window = [x0, y0, x1, y1];
      const pageLength = (y1 - y0) * (x1 - x0) * wanted.length;
      const data = new (typedArrayConstructor(dtype))(pageLength * (z1 - z0));
      for (let z = z0; z < z1; z++) {
        const page = pages[z];
        await checkBlocks(page, window, wanted, source, limits);
        let raster: TypedArray;
        try {
          raster =
            (await readUncompressedWindow(page, window, wanted, layout.little, source)) ??
            (await page.image.readRasters({ window, samples: wanted, interleave: true }));
        } catch (e) {
          // Our own errors (a truncated read, the bounded inflate) name other sources: keep their problem.
          const problem = e instanceof ImageFormatError ? e.problem : describeError(e);
          throw new ImageFormatError(name, `cannot decode TIFF page ${page.index}: ${problem}`, { cause: e });
        }
        if (raster.length !== pageLength || dtypeOf(raster) !== dtype)
          throw new ImageFormatError(
            name,
            `TIFF page ${page.index} decoded to ${raster.length} ${dtypeOf(raster)} values, expected ${pageLength} ${dtype}`,
          );
        data.set(raster, (z - z0) * pageLength);
      }
      return { data, shape: region.start.map((s, i) => region.stop[i] - s), axes };
    },
    async close() {
      closed = true;
      await tiff.close();
    },
  };
  return reader;
}
