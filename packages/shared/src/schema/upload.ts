// Uploads: how a browser sends one image or a stack of files in one request body, without multipart
// parsing on the server. A small documented framing (all integers little-endian):
//
//   offset  size  field
//   0       4     magic "SYU1"
//   4       4     n: number of files (1…MAX_UPLOAD_FILES)
//   then n times:
//           2     name length in bytes (1…255)
//           …     name, UTF-8 (shown to users, never used as a path)
//           4     size, low 32 bits
//           4     size, high 32 bits
//           …     the file's bytes
//
// `uploadParts` builds the body as BlobParts (no copy of the files in the browser); `decodeUpload` reads
// it back and names what is wrong with a malformed body.

export const UPLOAD_MAGIC = "SYU1";
export const MAX_UPLOAD_FILES = 10_000;
const MAX_NAME_BYTES = 255;

export interface UploadFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export class UploadFormatError extends Error {
  override readonly name = "UploadFormatError";
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

/** The framing's pieces around each file's own bytes (or Blob), in order. */
export function uploadParts<B>(
  files: readonly { name: string; size: number; body: B }[],
): (Uint8Array | B)[] {
  if (files.length < 1 || files.length > MAX_UPLOAD_FILES)
    throw new UploadFormatError(`an upload holds 1 to ${MAX_UPLOAD_FILES} files, not ${files.length}`);
  const parts: (Uint8Array | B)[] = [new TextEncoder().encode(UPLOAD_MAGIC), u32(files.length)];
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    if (name.length < 1 || name.length > MAX_NAME_BYTES)
      throw new UploadFormatError(`file name "${f.name}" must be 1 to ${MAX_NAME_BYTES} bytes`);
    const head = new Uint8Array(2 + name.length + 8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, name.length, true);
    head.set(name, 2);
    dv.setUint32(2 + name.length, f.size % 2 ** 32, true);
    dv.setUint32(6 + name.length, Math.floor(f.size / 2 ** 32), true);
    parts.push(head, f.body);
  }
  return parts;
}

/** The whole body in one array (tests, Node clients). */
export function encodeUpload(files: readonly UploadFile[]): Uint8Array {
  const parts = uploadParts(files.map((f) => ({ name: f.name, size: f.bytes.length, body: f.bytes })));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The files of a body (views into it, not copies). */
export function decodeUpload(body: Uint8Array): UploadFile[] {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const need = (at: number, n: number, what: string) => {
    if (at + n > body.length) throw new UploadFormatError(`upload body ends inside ${what} (at byte ${at})`);
  };
  need(0, 8, "its header");
  if (new TextDecoder().decode(body.subarray(0, 4)) !== UPLOAD_MAGIC)
    throw new UploadFormatError("not a Sylva upload body (magic is not SYU1)");
  const n = dv.getUint32(4, true);
  if (n < 1 || n > MAX_UPLOAD_FILES)
    throw new UploadFormatError(`an upload holds 1 to ${MAX_UPLOAD_FILES} files, not ${n}`);
  const files: UploadFile[] = [];
  let at = 8;
  for (let i = 0; i < n; i++) {
    need(at, 2, `the name length of file ${i + 1}`);
    const len = dv.getUint16(at, true);
    if (len < 1 || len > MAX_NAME_BYTES)
      throw new UploadFormatError(`file ${i + 1} has a name of ${len} bytes`);
    need(at + 2, len + 8, `the name and size of file ${i + 1}`);
    const name = new TextDecoder("utf-8", { fatal: false }).decode(body.subarray(at + 2, at + 2 + len));
    const size = dv.getUint32(at + 2 + len, true) + dv.getUint32(at + 6 + len, true) * 2 ** 32;
    at += 10 + len;
    need(at, size, `file ${i + 1} ("${name}")`);
    files.push({ name, bytes: body.subarray(at, at + size) });
    at += size;
  }
  if (at !== body.length)
    throw new UploadFormatError(`upload body has ${body.length - at} bytes after its last file`);
  return files;
}
