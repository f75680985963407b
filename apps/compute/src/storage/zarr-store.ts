// A zarrita store over a BlobStore folder, so zarrita reads (and writes) OME-Zarr volumes in any backend:
// zarrita's absolute keys "/a/b" map to the blob keys `${prefix}a/b`. Keys go through the same validation
// (an invalid one is an InvalidKeyError before any I/O); missing keys are undefined, as zarrita expects.

import type { AbsolutePath, AsyncMutable, GetOptions, RangeQuery } from "zarrita";
import type { BlobStore } from "./blob-store.js";
import { InvalidKeyError } from "./errors.js";
import { checkKey, checkPrefix } from "./keys.js";

export interface ZarrBlobStore extends AsyncMutable {
  readonly blobStore: BlobStore;
  /** "" or ends with "/". */
  readonly prefix: string;
  get(key: AbsolutePath, opts?: GetOptions): Promise<Uint8Array | undefined>;
  getRange(key: AbsolutePath, range: RangeQuery, opts?: GetOptions): Promise<Uint8Array | undefined>;
  set(key: AbsolutePath, value: Uint8Array): Promise<void>;
}

/** A zarrita AsyncMutable store rooted at `prefix` ("" or ending with "/") of `blobStore`. */
export function zarrStore(blobStore: BlobStore, prefix = ""): ZarrBlobStore {
  checkPrefix(prefix);
  const blobKey = (key: string): string => {
    if (typeof key !== "string" || !key.startsWith("/")) {
      throw new InvalidKeyError(String(key), 'a zarr key must be absolute ("/a/b")');
    }
    return checkKey(prefix + key.slice(1));
  };
  return {
    blobStore,
    prefix,
    async get(key, opts) {
      const k = blobKey(key);
      opts?.signal?.throwIfAborted();
      return blobStore.get(k);
    },
    async getRange(key, range, opts) {
      const k = blobKey(key);
      opts?.signal?.throwIfAborted();
      return blobStore.getRange(k, range);
    },
    async set(key, value) {
      await blobStore.put(blobKey(key), value);
    },
  };
}
