// Files on disk as ByteSources: range reads through a small pool of open file handles, so a stack of
// thousands of TIFFs can be probed and read lazily without holding a descriptor per file. Also the
// file-system error messages and the folder listing every input path shares.

import type { Dirent } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { ByteSource } from "@sylva/core";
import { ImageFormatError, naturalCompare } from "@sylva/core";
import { InputError } from "./errors.js";

const MAX_OPEN = 32;
/** Open handles, least recently used first (Map iteration order is insertion order). */
const handles = new Map<string, Promise<FileHandle>>();

async function handleFor(path: string): Promise<FileHandle> {
  let h = handles.get(path);
  if (h) {
    handles.delete(path);
    handles.set(path, h);
    return h;
  }
  h = open(path, "r");
  handles.set(path, h);
  h.catch(() => handles.delete(path));
  while (handles.size > MAX_OPEN) {
    const [oldest, handle] = handles.entries().next().value as [string, Promise<FileHandle>];
    handles.delete(oldest);
    // Closing may race a read still running on it; reads reopen on EBADF below.
    void handle.then((fh) => fh.close()).catch(() => undefined);
  }
  return h;
}

function errno(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

/** Describes a file-system error for a user: "no such file", "permission denied", … */
export function fileProblem(path: string, e: unknown, what = "file"): InputError {
  const code = errno(e);
  if (code === "ENOENT" || code === "ENOTDIR")
    return new InputError(path, `no such ${what}: ${path}`, { cause: e });
  if (code === "EISDIR") return new InputError(path, `${path} is a folder, not a file`, { cause: e });
  if (code === "EACCES" || code === "EPERM")
    return new InputError(path, `cannot read ${path}: permission denied`, { cause: e });
  return new InputError(path, `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
  });
}

/** A ByteSource on file `path` (its size read now; reads go through the shared handle pool). */
export async function fileSource(path: string, name = path): Promise<ByteSource> {
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
    size = s.size;
  } catch (e) {
    throw fileProblem(path, e);
  }
  const readAt = async (offset: number, length: number, retry: boolean): Promise<Uint8Array> => {
    const fh = await handleFor(path);
    const buf = new Uint8Array(length);
    try {
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      if (got < length)
        throw new ImageFormatError(
          name,
          `truncated file: needs bytes ${offset}..${offset + length} but holds only ${offset + got}`,
        );
      return buf;
    } catch (e) {
      if (retry && errno(e) === "EBADF") {
        handles.delete(path);
        return readAt(offset, length, false);
      }
      if (e instanceof ImageFormatError) throw e;
      throw fileProblem(path, e);
    }
  };
  return {
    name,
    size,
    read: async (offset, length) => {
      if (offset < 0 || length < 0 || offset + length > size)
        throw new ImageFormatError(
          name,
          `truncated file: needs bytes ${offset}..${offset + length} but holds only ${size}`,
        );
      return readAt(offset, length, true);
    },
  };
}

/**
 * The image files of folder `dir`, as stacks read them: every non-hidden file (or link), in natural
 * order ("2.png" before "10.png"), subfolders skipped; an InputError when it cannot be listed or is empty.
 */
export async function folderImages(dir: string): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (e) {
    throw new InputError(dir, `cannot list folder ${dir}: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  const names = entries
    .filter((e) => !e.name.startsWith(".") && (e.isFile() || e.isSymbolicLink()))
    .map((e) => e.name)
    .sort(naturalCompare);
  if (names.length === 0) throw new InputError(dir, `folder ${dir} holds no image files`);
  return names.map((n) => path.join(dir, n));
}
