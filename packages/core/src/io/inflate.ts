// Bounded inflate: zlib and gzip data decompressed with a hard cap on the output, so a few KB of hostile
// data (a Zarr chunk, a TIFF strip) cannot inflate to gigabytes. The portable implementation uses the
// web-standard (De)CompressionStream; a platform with a faster inflate (Node's zlib, in the compute
// service) installs it with `setInflateImplementation`, keeping the same contract and messages.

import { describeError, ImageFormatError } from "./errors.js";

const PIECE = 16 * 1024;

/** Inflates `bytes`, rejecting with an ImageFormatError (source `container`) once output exceeds maxBytes. */
export type InflateImplementation = (
  bytes: Uint8Array,
  format: "deflate" | "gzip",
  maxBytes: number,
  container: string,
) => Promise<Uint8Array>;

let platformInflate: InflateImplementation | undefined;

/** Installs a faster inflate for this process (undefined restores the portable one). */
export function setInflateImplementation(impl: InflateImplementation | undefined): void {
  platformInflate = impl;
}

/** The message every implementation uses when data inflates past its bound. */
export function inflateBombMessage(codec: string, maxBytes: number, container: string): string {
  return `${codec} data inflates to more than ${maxBytes} bytes, more than the ${container} can hold; refusing to inflate further (corrupt data or decompression bomb)`;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Runs `bytes` through a (de)compression stream, refusing output beyond `maxBytes`. */
export async function transformBounded(
  stream: CompressionStream | DecompressionStream,
  bytes: Uint8Array,
  maxBytes: number,
  codec: string,
  container: string,
): Promise<Uint8Array> {
  const direction = stream instanceof DecompressionStream ? "inflate" : "deflate";
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  let stop = false;
  const writing = (async () => {
    for (let i = 0; i < bytes.length && !stop; i += PIECE) await writer.write(bytes.slice(i, i + PIECE));
    if (!stop) await writer.close();
  })();
  writing.catch(() => {}); // a failure shows on the reading side too
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > maxBytes)
        throw new ImageFormatError(container, inflateBombMessage(codec, maxBytes, container));
      parts.push(value);
    }
    await writing;
  } catch (e) {
    stop = true;
    await reader.cancel().catch(() => {});
    await writer.abort().catch(() => {});
    if (e instanceof ImageFormatError) throw e;
    throw new ImageFormatError(container, `cannot ${direction} ${codec} data: ${describeError(e)}`, {
      cause: e,
    });
  }
  return concat(parts, total);
}

/**
 * Inflates zlib ("deflate") or gzip data with the web-standard DecompressionStream, stopping with an
 * ImageFormatError as soon as the output exceeds `maxBytes` (what the `container`, e.g. "zarr chunk" or
 * "TIFF strip or tile", can hold): a few KB of hostile data cannot inflate to gigabytes. The error's source
 * is `container`; callers rewrap it with the file's name.
 */
export function inflateBounded(
  bytes: Uint8Array,
  format: "deflate" | "gzip",
  maxBytes: number,
  container: string,
): Promise<Uint8Array> {
  if (platformInflate) return platformInflate(bytes, format, maxBytes, container);
  return transformBounded(
    new DecompressionStream(format),
    bytes,
    maxBytes,
    format === "deflate" ? "zlib" : "gzip",
    container,
  );
}
