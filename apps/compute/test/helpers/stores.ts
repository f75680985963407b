// Stores for dataset tests: a file-system store in a temporary folder, an S3 store on a real s3rver,
// and a wrapper that records every request a store receives (to show which chunks a read touches).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BlobStore, ByteRange } from "../../src/storage/blob-store.js";
import { storeFromEnv } from "../../src/storage/config.js";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { startS3Server } from "./s3.js";

export interface TestStore {
  readonly store: BlobStore;
  /** The environment that selects this store (for the CLI). */
  readonly env: Record<string, string>;
  /** The data folder, for the file-system store. */
  readonly dir?: string;
  cleanup(): Promise<void>;
}

export async function fsTestStore(): Promise<TestStore> {
  const dir = await mkdtemp(path.join(tmpdir(), "sylva-store-"));
  return {
    store: new FsBlobStore(dir),
    env: { SYLVA_DATA_DIR: dir },
    dir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function s3TestStore(): Promise<TestStore> {
  const server = await startS3Server();
  return { store: storeFromEnv(server.env), env: server.env, cleanup: () => server.stop() };
}

export const BACKENDS = [
  ["file system", fsTestStore],
  ["S3 (s3rver)", s3TestStore],
] as const;

/** Every key a store holds. */
export async function allKeys(store: BlobStore, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  for await (const k of store.list(prefix)) keys.push(k);
  return keys;
}

export interface Request {
  readonly op: "get" | "getRange" | "size" | "put" | "list" | "delete" | "deletePrefix";
  readonly key: string;
}

/** A BlobStore passing everything to `inner` and recording each request in `requests`. */
export class CountingStore implements BlobStore {
  readonly requests: Request[] = [];
  readonly description: string;
  constructor(readonly inner: BlobStore) {
    this.description = inner.description;
  }
  get(key: string) {
    this.requests.push({ op: "get", key });
    return this.inner.get(key);
  }
  getRange(key: string, range: ByteRange) {
    this.requests.push({ op: "getRange", key });
    return this.inner.getRange(key, range);
  }
  size(key: string) {
    this.requests.push({ op: "size", key });
    return this.inner.size(key);
  }
  put(key: string, data: Uint8Array) {
    this.requests.push({ op: "put", key });
    return this.inner.put(key, data);
  }
  list(prefix: string) {
    this.requests.push({ op: "list", key: prefix });
    return this.inner.list(prefix);
  }
  delete(key: string) {
    this.requests.push({ op: "delete", key });
    return this.inner.delete(key);
  }
  deletePrefix(prefix: string) {
    this.requests.push({ op: "deletePrefix", key: prefix });
    return this.inner.deletePrefix(prefix);
  }
}
