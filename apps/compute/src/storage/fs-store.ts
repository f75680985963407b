// The file-system BlobStore, Sylva's embedded default: key "a/b/c" is the file `<root>/a/b/c`.
//
// - Every path is checked to stay inside the root, symbolic links included: reads resolve the file with
//   realpath, writes resolve the deepest existing folder; a link that leads outside is a StoreError.
// - `put` writes a temporary file `.sylva-tmp-<random>` next to the target, flushes it and renames it over
//   the target, so readers see the old blob or the new one, never a part (keys.ts reserves the name).
// - `list` walks the folders in key order without sorting whole listings; it lists regular files only
//   (no symbolic links, no temporary files, no names that are not valid keys).
// - `delete` removes the folders it leaves empty, up to the root.
// - Unlike S3, a key cannot be both a blob and a folder of other keys ("a" and "a/b"): such a put is a
//   StoreError. Sylva's key layouts never need both.

import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, readFile, realpath, rename, rm, rmdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { BlobStore, ByteRange } from "./blob-store.js";
import { StoreError, type StoreOperation } from "./errors.js";
import {
  checkByteRange,
  checkKey,
  checkPrefix,
  clipByteRange,
  compareKeys,
  isValidKey,
  TEMP_SEGMENT_PREFIX,
} from "./keys.js";

export interface FsBlobStoreOptions {
  /** Flush each blob to disk before it becomes visible (default true; off only for scratch data). */
  readonly fsync?: boolean;
}

/** How many files `deletePrefix` removes at once. */
const DELETE_CONCURRENCY = 32;

export class FsBlobStore implements BlobStore {
  readonly description: string;
  /** The root folder, absolute (it is created by the first `put`). */
  readonly root: string;
  readonly #fsync: boolean;
  #realRoot: string | undefined;

  constructor(rootDir: string, options: FsBlobStoreOptions = {}) {
    this.root = path.resolve(rootDir);
    this.description = `file system ${this.root}`;
    this.#fsync = options.fsync ?? true;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    try {
      const file = await this.#resolveExisting(key, "get");
      if (file === undefined) return undefined;
      return ownBytes(await readFile(file));
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR", "EISDIR")) return undefined;
      throw this.#error("get", key, e);
    }
  }

  async getRange(key: string, range: ByteRange): Promise<Uint8Array | undefined> {
    checkKey(key);
    checkByteRange(range);
    try {
      const file = await this.#resolveExisting(key, "getRange");
      if (file === undefined) return undefined;
      const handle = await open(file, "r");
      try {
        const info = await handle.stat();
        if (!info.isFile()) return undefined;
        const { start, end } = clipByteRange(range, info.size);
        const out = new Uint8Array(end - start);
        let done = 0;
        while (done < out.length) {
          const { bytesRead } = await handle.read(out, done, out.length - done, start + done);
          if (bytesRead === 0) break; // the file shrank meanwhile: it cannot, puts replace it whole
          done += bytesRead;
        }
        return done === out.length ? out : out.slice(0, done);
      } finally {
        await handle.close();
      }
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR", "EISDIR")) return undefined;
      throw this.#error("getRange", key, e);
    }
  }

  async size(key: string): Promise<number | undefined> {
    checkKey(key);
    try {
      const file = await this.#resolveExisting(key, "size");
      if (file === undefined) return undefined;
      const info = await stat(file);
      return info.isFile() ? info.size : undefined;
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR")) return undefined;
      throw this.#error("size", key, e);
    }
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    checkKey(key);
    const segments = key.split("/");
    const name = segments.pop()!;
    try {
      // A concurrent delete may remove the folder between mkdir and open (it prunes empty folders): retry.
      for (let attempt = 1; ; attempt++) {
        const dir = await this.#prepareFolder(segments, key);
        const temp = path.join(dir, `${TEMP_SEGMENT_PREFIX}-${randomBytes(8).toString("hex")}`);
        let handle: Awaited<ReturnType<typeof open>>;
        try {
          handle = await open(temp, "wx");
        } catch (e) {
          if (isCode(e, "ENOENT") && attempt < 5) continue;
          throw e;
        }
        try {
          try {
            await handle.writeFile(data);
            if (this.#fsync) await handle.sync();
          } finally {
            await handle.close();
          }
          await rename(temp, path.join(dir, name));
        } catch (e) {
          await rm(temp, { force: true });
          if (isCode(e, "EISDIR", "ENOTEMPTY", "EEXIST")) {
            throw new StoreError(
              this.description,
              "put",
              key,
              "this key is a folder of other keys, not a blob",
              {
                cause: e,
              },
            );
          }
          throw e;
        }
        return;
      }
    } catch (e) {
      throw this.#error("put", key, e);
    }
  }

  list(prefix: string): AsyncIterable<string> {
    checkPrefix(prefix);
    return this.#list(prefix);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      const dir = await this.#unlink(key, "delete");
      if (dir !== undefined) await this.#pruneUpward(dir);
    } catch (e) {
      throw this.#error("delete", key, e);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    let count = 0;
    try {
      let batch: string[] = [];
      const flush = async () => {
        const removed = await Promise.all(batch.map((key) => this.#unlink(key, "deletePrefix")));
        count += removed.filter((dir) => dir !== undefined).length;
        batch = [];
      };
      for await (const key of this.#list(prefix)) {
        batch.push(key);
        if (batch.length >= DELETE_CONCURRENCY) await flush();
      }
      await flush();
      const realRoot = await this.#getRealRoot();
      if (realRoot === undefined) return count;
      const dir = await this.#resolveFolder(prefix, "deletePrefix");
      if (dir !== undefined && dir !== realRoot) {
        await removeEmptyFolders(dir);
        await this.#pruneUpward(path.dirname(dir));
      } else if (dir === realRoot) {
        await removeEmptyFolders(dir, false);
      }
    } catch (e) {
      throw this.#error("deletePrefix", prefix, e);
    }
    return count;
  }

  // ---- paths ----

  /** The root's real path, or undefined while it does not exist. */
  async #getRealRoot(): Promise<string | undefined> {
    if (this.#realRoot !== undefined) return this.#realRoot;
    try {
      this.#realRoot = await realpath(this.root);
      return this.#realRoot;
    } catch (e) {
      if (isCode(e, "ENOENT")) return undefined;
      throw e;
    }
  }

  /** Throws unless the real path `real` is the root or inside it. */
  #checkInside(realRoot: string, real: string, op: StoreOperation, key: string): void {
    const rel = path.relative(realRoot, real);
    if (rel === "" || !(rel === ".." || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel))) return;
    throw new StoreError(
      this.description,
      op,
      key,
      `refused: the path leads outside the store's root to ${real} (a symbolic link?)`,
    );
  }

  /** The real path of the file of `key`, checked to be inside the root; undefined when it does not exist. */
  async #resolveExisting(key: string, op: StoreOperation): Promise<string | undefined> {
    const realRoot = await this.#getRealRoot();
    if (realRoot === undefined) return undefined;
    let real: string;
    try {
      real = await realpath(path.join(realRoot, ...key.split("/")));
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR")) return undefined;
      throw e;
    }
    this.#checkInside(realRoot, real, op, key);
    return real;
  }

  /** The real path of the folder of `prefix` ("" is the root), checked; undefined when it does not exist. */
  async #resolveFolder(prefix: string, op: StoreOperation): Promise<string | undefined> {
    const realRoot = await this.#getRealRoot();
    if (realRoot === undefined) return undefined;
    if (prefix === "") return realRoot;
    let real: string;
    try {
      real = await realpath(path.join(realRoot, ...prefix.slice(0, -1).split("/")));
      if (!(await stat(real)).isDirectory()) return undefined;
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR")) return undefined;
      throw e;
    }
    this.#checkInside(realRoot, real, op, prefix);
    return real;
  }

  /**
   * Creates the folder `segments` under the root as needed, after checking that its deepest existing
   * ancestor is inside the root; returns its path.
   */
  async #prepareFolder(segments: string[], key: string): Promise<string> {
    await mkdir(this.root, { recursive: true });
    const realRoot = (await this.#getRealRoot())!;
    const dir = path.join(realRoot, ...segments);
    let existing = segments.length;
    for (;;) {
      const candidate = path.join(realRoot, ...segments.slice(0, existing));
      try {
        const real = await realpath(candidate);
        this.#checkInside(realRoot, real, "put", key);
        if (!(await stat(real)).isDirectory()) {
          const blob = segments.slice(0, existing).join("/");
          throw new StoreError(
            this.description,
            "put",
            key,
            `"${blob}" is a blob, it cannot also be a folder`,
          );
        }
        break;
      } catch (e) {
        if (isCode(e, "ENOENT") && existing > 0) {
          existing--;
          continue;
        }
        if (isCode(e, "ENOTDIR")) {
          throw new StoreError(this.description, "put", key, "a parent of this key is a blob, not a folder", {
            cause: e,
          });
        }
        throw e;
      }
    }
    if (existing < segments.length) await mkdir(dir, { recursive: true });
    return dir;
  }

  // ---- listing and deleting ----

  async *#list(prefix: string): AsyncGenerator<string> {
    let dir: string | undefined;
    try {
      dir = await this.#resolveFolder(prefix, "list");
    } catch (e) {
      throw this.#error("list", prefix, e);
    }
    if (dir === undefined) return;
    yield* this.#walk(dir, prefix);
  }

  /** Yields the keys under the folder `dir` (whose keys start with `keyPrefix`) in key order. */
  async *#walk(dir: string, keyPrefix: string): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR")) return; // removed meanwhile
      throw this.#error("list", keyPrefix, e);
    }
    // A folder "d" holds keys "d/…", so it sorts as "d/" among its siblings.
    const items = entries
      .filter((e) => (e.isFile() || e.isDirectory()) && isValidKey(keyPrefix + e.name))
      .map((e) => ({ name: e.name, folder: e.isDirectory(), order: e.isDirectory() ? `${e.name}/` : e.name }))
      .sort((a, b) => compareKeys(a.order, b.order));
    for (const item of items) {
      if (item.folder) yield* this.#walk(path.join(dir, item.name), `${keyPrefix}${item.name}/`);
      else yield keyPrefix + item.name;
    }
  }

  /** Removes the file of `key`; returns its (real) folder when there was one, undefined when missing. */
  async #unlink(key: string, op: StoreOperation): Promise<string | undefined> {
    const realRoot = await this.#getRealRoot();
    if (realRoot === undefined) return undefined;
    const segments = key.split("/");
    const name = segments.pop()!;
    let dir: string;
    try {
      dir = await realpath(path.join(realRoot, ...segments));
    } catch (e) {
      if (isCode(e, "ENOENT", "ENOTDIR")) return undefined;
      throw e;
    }
    this.#checkInside(realRoot, dir, op, key);
    try {
      await unlink(path.join(dir, name));
      return dir;
    } catch (e) {
      // EISDIR/EPERM: the key names a folder of other keys, not a blob.
      if (isCode(e, "ENOENT", "ENOTDIR", "EISDIR", "EPERM")) return undefined;
      throw e;
    }
  }

  /** Removes `dir` and its parents while they are empty, stopping at the root. */
  async #pruneUpward(dir: string): Promise<void> {
    const realRoot = await this.#getRealRoot();
    if (realRoot === undefined) return;
    while (dir !== realRoot && dir.startsWith(realRoot + path.sep)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop
      }
      dir = path.dirname(dir);
    }
  }

  #error(op: StoreOperation, key: string, e: unknown): StoreError {
    if (e instanceof StoreError) return e;
    return new StoreError(this.description, op, key, e instanceof Error ? e.message : String(e), {
      cause: e,
    });
  }
}

/** Removes the empty folders under `dir` (and `dir` itself when `self` and it ends up empty). */
async function removeEmptyFolders(dir: string, self = true): Promise<boolean> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let empty = true;
  for (const entry of entries) {
    if (!entry.isDirectory() || !(await removeEmptyFolders(path.join(dir, entry.name)))) empty = false;
  }
  if (!empty || !self) return false;
  try {
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}

function isCode(e: unknown, ...codes: string[]): boolean {
  return e instanceof Error && "code" in e && typeof e.code === "string" && codes.includes(e.code);
}

/** `bytes` as a plain Uint8Array that spans its whole buffer (never a view into Node's shared Buffer pool). */
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : bytes;
  }
  return new Uint8Array(bytes);
}
