// A store-only ZIP writer, laid out ahead of time so it can be streamed with an exact Content-Length:
// given each entry's name, size and CRC-32 (known from the export manifest), `zipLayout` returns the
// archive as a list of parts — header bytes, and placeholders for the entries' data, which the caller
// streams from wherever it lives — and the archive's total size.
//
// Format (PKWARE APPNOTE 6.3): per entry a local file header, the data stored (method 0, no data
// descriptor), then the central directory and the end-of-central-directory record. Names are UTF-8
// (flag bit 11). ZIP64 extra fields and records are used where a size or offset reaches 4 GiB or there
// are 65535 entries or more (or always, with `zip64: true`, for tests). Times are the given date in UTC,
// in MS-DOS format (2-second resolution, 1980–2107).

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  readonly crc32: number;
}

export type ZipPart =
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "data"; readonly entry: number };

export interface ZipLayout {
  readonly parts: readonly ZipPart[];
  /** Total bytes of the archive. */
  readonly size: number;
}

export interface ZipOptions {
  /** Modification time of every entry (default: now). */
  readonly date?: Date;
  /** Write ZIP64 fields even where they are not needed. */
  readonly zip64?: boolean;
}

const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
const VERSION_ZIP64 = 45;
const VERSION_STORED = 20;
const UTF8_FLAG = 0x0800;
/** "Made by" Unix (3), so the external attributes are a file mode: a regular file, rw-r--r--. */
const MADE_BY_UNIX = 3 << 8;
const FILE_MODE = (0o100644 << 16) >>> 0;

function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.min(2107, Math.max(1980, d.getUTCFullYear()));
  const early = d.getUTCFullYear() < 1980;
  return {
    time: early ? 0 : (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: early ? (1 << 5) | 1 : ((year - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

class Writer {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private at = 0;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u16(v: number): this {
    this.view.setUint16(this.at, v, true);
    this.at += 2;
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
    return this;
  }
  u64(v: number): this {
    this.view.setBigUint64(this.at, BigInt(v), true);
    this.at += 8;
    return this;
  }
  raw(b: Uint8Array): this {
    this.bytes.set(b, this.at);
    this.at += b.length;
    return this;
  }
}

export function zipLayout(entries: readonly ZipEntry[], options: ZipOptions = {}): ZipLayout {
  const { time, date } = dosDateTime(options.date ?? new Date());
  const force = options.zip64 === true;
  const encoder = new TextEncoder();
  const parts: ZipPart[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [i, e] of entries.entries()) {
    if (!Number.isSafeInteger(e.size) || e.size < 0) throw new RangeError(`zip: bad size of "${e.name}"`);
    const name = encoder.encode(e.name);
    if (name.length > MAX16) throw new RangeError(`zip: the name "${e.name.slice(0, 40)}…" is too long`);
    const zip64 = force || e.size >= MAX32 || offset >= MAX32;
    const version = zip64 ? VERSION_ZIP64 : VERSION_STORED;
    const size32 = zip64 ? MAX32 : e.size;
    const local = new Writer(30 + name.length + (zip64 ? 20 : 0))
      .u32(0x04034b50)
      .u16(version)
      .u16(UTF8_FLAG)
      .u16(0)
      .u16(time)
      .u16(date)
      .u32(e.crc32)
      .u32(size32)
      .u32(size32)
      .u16(name.length)
      .u16(zip64 ? 20 : 0)
      .raw(name);
    if (zip64) local.u16(0x0001).u16(16).u64(e.size).u64(e.size);
    const header = new Writer(46 + name.length + (zip64 ? 28 : 0))
      .u32(0x02014b50)
      .u16(MADE_BY_UNIX | VERSION_ZIP64)
      .u16(version)
      .u16(UTF8_FLAG)
      .u16(0)
      .u16(time)
      .u16(date)
      .u32(e.crc32)
      .u32(size32)
      .u32(size32)
      .u16(name.length)
      .u16(zip64 ? 28 : 0)
      .u16(0)
      .u16(0)
      .u16(0)
      .u32(FILE_MODE)
      .u32(zip64 ? MAX32 : offset)
      .raw(name);
    if (zip64) header.u16(0x0001).u16(24).u64(e.size).u64(e.size).u64(offset);
    parts.push({ kind: "bytes", bytes: local.bytes }, { kind: "data", entry: i });
    central.push(header.bytes);
    offset += local.bytes.length + e.size;
  }
  const cdOffset = offset;
  const cdSize = central.reduce((s, b) => s + b.length, 0);
  for (const b of central) parts.push({ kind: "bytes", bytes: b });
  offset += cdSize;
  const count = entries.length;
  const zip64End = force || count >= MAX16 || cdOffset >= MAX32 || cdSize >= MAX32;
  if (zip64End) {
    const record = new Writer(56 + 20)
      .u32(0x06064b50)
      .u64(44)
      .u16(MADE_BY_UNIX | VERSION_ZIP64)
      .u16(VERSION_ZIP64)
      .u32(0)
      .u32(0)
      .u64(count)
      .u64(count)
      .u64(cdSize)
      .u64(cdOffset)
      .u32(0x07064b50)
      .u32(0)
      .u64(offset)
      .u32(1);
    parts.push({ kind: "bytes", bytes: record.bytes });
    offset += record.bytes.length;
  }
  const end = new Writer(22)
    .u32(0x06054b50)
    .u16(0)
    .u16(0)
    .u16(zip64End ? MAX16 : count)
    .u16(zip64End ? MAX16 : count)
    .u32(zip64End ? MAX32 : cdSize)
    .u32(zip64End ? MAX32 : cdOffset)
    .u16(0);
  parts.push({ kind: "bytes", bytes: end.bytes });
  offset += end.bytes.length;
  return { parts, size: offset };
}
