// A blob in a BlobStore (an object in S3, a file in the data folder) as a ByteSource, read by range:
// how `s3://bucket/key` images are decoded without downloading them first.

import type { ByteSource } from "@sylva/core";
import { ImageFormatError } from "@sylva/core";
import type { BlobStore } from "../storage/blob-store.js";
import { InputError } from "./errors.js";

export async function blobSource(store: BlobStore, key: string, name: string): Promise<ByteSource> {
  const size = await store.size(key);
  if (size === undefined) throw new InputError(name, `no such object: ${name}`);
  return {
    name,
    size,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > size)
        throw new ImageFormatError(
          name,
          `truncated file: needs bytes ${offset}..${offset + length} but holds only ${size}`,
        );
      if (length === 0) return new Uint8Array(0);
      const bytes = await store.getRange(key, { offset, length });
      if (!bytes) throw new InputError(name, `${name} disappeared while it was being read`);
      if (bytes.byteLength !== length)
        throw new ImageFormatError(
          name,
          `truncated object: read ${bytes.byteLength} of ${length} bytes at ${offset}`,
        );
      return bytes;
    },
  };
}
