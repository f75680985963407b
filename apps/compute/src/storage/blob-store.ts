// The storage contract every Sylva blob lives behind: OME-Zarr chunks and metadata, dataset manifests,
// classifiers, Yjs update logs, exports. Two backends implement it, `FsBlobStore` (a data folder, the
// embedded default) and `S3BlobStore` (AWS S3, MinIO, Ceph RGW …), and one conformance suite
// (test/storage/conformance.ts) holds both to the same semantics:
//
// - Keys are relative, "/"-separated paths of safe segments (see keys.ts); an invalid key is an
//   InvalidKeyError before any I/O, so no user input can address anything outside the store.
// - `get` of a missing key resolves undefined (not an error); so does `getRange`. Both resolve a fresh
//   Uint8Array the caller owns, spanning its whole buffer (offset 0). A range starting at or past the end
//   is an empty array; an invalid range (negative, fractional) is a RangeError before any I/O.
// - A backend failure other than "not found" is a StoreError naming the store, the operation and the key.
// - `put` is atomic: a concurrent or later reader sees the old value or the new one, never a prefix.
// - `list(prefix)` yields every key under a prefix ("a/" lists "a/b" and "a/b/c", not "ab"), in
//   lexicographic order of code points (= UTF-8 bytes, S3's order; see compareKeys in keys.ts). A prefix
//   is "" or a valid key followed by "/".
// - `delete` of a missing key succeeds.

/** A byte range: `length` bytes from `offset`, or the last `suffixLength` bytes. */
export type ByteRange =
  | { readonly offset: number; readonly length: number }
  | { readonly suffixLength: number };

export interface BlobStore {
  /** Where the blobs are, for messages and logs ("file system /data", "s3://bucket/prefix"). */
  readonly description: string;
  get(key: string): Promise<Uint8Array | undefined>;
  /** The bytes of `range` (clipped to the blob's end), or undefined when the key is missing. */
  getRange(key: string, range: ByteRange): Promise<Uint8Array | undefined>;
  /** The blob's size in bytes, or undefined when the key is missing. */
  size(key: string): Promise<number | undefined>;
  put(key: string, data: Uint8Array): Promise<void>;
  /** Every key starting with `prefix` ("" or ending with "/"; "" lists the whole store), in lexicographic order. */
  list(prefix: string): AsyncIterable<string>;
  delete(key: string): Promise<void>;
  /** Deletes every key under `prefix` (which must be "" or end with "/"); returns how many. */
  deletePrefix(prefix: string): Promise<number>;
}
