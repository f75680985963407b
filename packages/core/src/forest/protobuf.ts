// A small Protocol Buffers wire-format writer: enough to serialize ONNX models (onnx.ts) without a protobuf
// dependency. See https://protobuf.dev/programming-guides/encoding/ for the format. A message is a sequence
// of fields, each a key, varint(fieldNumber << 3 | wireType), followed by its value:
//   wire type 0 (VARINT): an unsigned LEB128 varint, 7 bits a byte, least significant group first, high bit
//     set on all bytes but the last. int32/int64 are two's complement, so negative values take 10 bytes.
//   wire type 1 (I64): 8 bytes little endian (double, fixed64).
//   wire type 2 (LEN): varint byte length, then that many bytes: strings (UTF-8), bytes, nested messages,
//     and packed repeated scalars (the values back to back without keys).
//   wire type 5 (I32): 4 bytes little endian (float, fixed32).
// Parsers accept packed and unpacked encodings of repeated scalar fields alike, whatever the .proto says,
// so this writer always packs them.

export const WireType = { VARINT: 0, I64: 1, LEN: 2, I32: 5 } as const;

const utf8 = new TextEncoder();

/** Appends protobuf fields to a growing byte buffer; `finish()` returns the encoded message. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /**
   * A varint of an integer in the safe range (|v| ≤ 2^53 − 1); negative values are written as their 64-bit
   * two's complement (int32 and int64 fields; 10 bytes).
   */
  varint(v: number): this {
    if (!Number.isSafeInteger(v)) throw new RangeError(`varint: ${v} is not a safe integer`);
    this.reserve(10);
    if (v < 0) {
      let u = BigInt.asUintN(64, BigInt(v));
      while (u >= 0x80n) {
        this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
        u >>= 7n;
      }
      this.buf[this.pos++] = Number(u);
      return this;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** A field key. */
  key(field: number, wireType: number): this {
    return this.varint(field * 8 + wireType);
  }

  /** Raw bytes, no key or length. */
  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** An int32, int64, uint32, uint64, bool or enum field. */
  int(field: number, v: number): this {
    return this.key(field, WireType.VARINT).varint(v);
  }

  /** A float field (I32). */
  float(field: number, v: number): this {
    this.key(field, WireType.I32);
    this.reserve(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  /** A double field (I64). */
  double(field: number, v: number): this {
    this.key(field, WireType.I64);
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  /** A bytes field. */
  bytes(field: number, v: Uint8Array): this {
    return this.key(field, WireType.LEN).varint(v.length).raw(v);
  }

  /** A string field (UTF-8). */
  string(field: number, v: string): this {
    return this.bytes(field, utf8.encode(v));
  }

  /** A nested message field, written by `body` into a writer of its own. */
  message(field: number, body: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    body(w);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated varint field (int32, int64, uint64, bool, enum); nothing when empty. */
  packedInts(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    const w = new ProtoWriter();
    for (let i = 0; i < values.length; i++) w.varint(values[i]);
    return this.bytes(field, w.finish());
  }

  /** A packed repeated float field; the values are rounded to float32. Nothing when empty. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.key(field, WireType.LEN).varint(values.length * 4);
    this.reserve(values.length * 4);
    for (let i = 0; i < values.length; i++, this.pos += 4) this.view.setFloat32(this.pos, values[i], true);
    return this;
  }

  /** A packed repeated double field; nothing when empty. */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.key(field, WireType.LEN).varint(values.length * 8);
    this.reserve(values.length * 8);
    for (let i = 0; i < values.length; i++, this.pos += 8) this.view.setFloat64(this.pos, values[i], true);
    return this;
  }

  /** A repeated string field (one keyed entry per value: strings are never packed). */
  strings(field: number, values: readonly string[]): this {
    for (const s of values) this.string(field, s);
    return this;
  }

  /** The message written so far (a copy, trimmed to length). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}
