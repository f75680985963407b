// Writing an export's files as a set: all of them appear, or none does.
//
// 1. Check every target first: two files with the same path, a target that exists as something other than
//    a regular file (a folder, a link, a device), or a parent path that runs through a file are refused
//    before anything is written.
// 2. Create the missing folders (remembering which), then write each file's bytes to a temporary name in
//    its target folder (".NAME.PID.RANDOM.tmp"), flushed to disk.
// 3. Commit: for each target, move an existing file aside to a backup name, then rename the temporary file
//    onto the target. Renames within one folder are atomic, so each target is always either the old file
//    or the complete new one.
// 4. On success, delete the backups. On any failure, undo: committed targets are removed and their backups
//    renamed back, temporary files deleted, and the folders created in step 2 removed (when empty), so a
//    failed export leaves the file system as it found it; the error names the file and the cause.
// Existing regular files at the targets are replaced, as ilastik's export does.

import { randomBytes } from "node:crypto";
import type { Stats } from "node:fs";
import { lstat, mkdir, open, rename, rm, rmdir, stat } from "node:fs/promises";
import path from "node:path";

/** A file to write: `name` relative to the base folder, or absolute. */
export interface ExportFileToWrite {
  readonly name: string;
  readonly bytes: Uint8Array;
}

export class ExportWriteError extends Error {
  override readonly name = "ExportWriteError";
  /** The path the problem is about. */
  readonly path: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.path = file;
  }
}

export interface WriteExportOptions {
  /**
   * Called before each target is committed (renamed into place), with its path and index; a throw aborts
   * the export and rolls everything back. For tests of the rollback.
   */
  readonly beforeCommit?: (target: string, index: number) => void | Promise<void>;
}

function errno(e: unknown): string | undefined {
  return e instanceof Error && "code" in e && typeof e.code === "string" ? e.code : undefined;
}

function reason(e: unknown): string {
  const code = errno(e);
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "no space left on the device";
  if (code === "EROFS") return "read-only file system";
  if (code === "ENAMETOOLONG") return "file name too long";
  if (code === "EISDIR") return "it is a folder";
  if (code === "ENOTDIR") return "a parent path is not a folder";
  return e instanceof Error ? e.message : String(e);
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    if (errno(e) === "ENOENT") return undefined;
    throw e;
  }
}

function kind(s: Stats): string {
  if (s.isDirectory()) return "a folder";
  if (s.isSymbolicLink()) return "a symbolic link";
  if (s.isFIFO()) return "a pipe";
  if (s.isSocket()) return "a socket";
  if (s.isBlockDevice() || s.isCharacterDevice()) return "a device";
  return "not a regular file";
}

function sideName(target: string, suffix: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.${suffix}`,
  );
}

/** The folders between `dir` and its nearest existing ancestor, outermost first; refuses non-folders. */
async function missingFolders(dir: string, target: string): Promise<string[]> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    let s: Stats | undefined;
    try {
      s = await stat(at); // follows links: a link to a folder is a fine parent
    } catch (e) {
      // ENOTDIR: a path further up is not a folder, found on the way up
      if (errno(e) !== "ENOENT" && errno(e) !== "ENOTDIR") throw e;
    }
    if (s !== undefined) {
      if (!s.isDirectory())
        throw new ExportWriteError(
          target,
          `cannot write ${target}: ${at} is ${s.isFile() ? "a file" : kind(s)}, not a folder`,
        );
      return missing.reverse();
    }
    missing.push(at);
    const parent = path.dirname(at);
    if (parent === at) return missing.reverse();
    at = parent;
  }
}

async function writeTemp(file: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(file, "wx");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `files` under `baseDir` (names may hold folders, created as needed) all or nothing, as above.
 * Returns the absolute paths written, in the order given.
 */
export async function writeExportFiles(
  files: readonly ExportFileToWrite[],
  baseDir: string,
  options: WriteExportOptions = {},
): Promise<string[]> {
  const targets = files.map((f) => {
    if (f.name.trim() === "" || f.name.endsWith("/") || f.name.endsWith(path.sep))
      throw new ExportWriteError(f.name, `invalid export file name "${f.name}" (it names no file)`);
    return path.resolve(baseDir, f.name);
  });
  const seen = new Map<string, number>();
  for (const [i, t] of targets.entries()) {
    const j = seen.get(t);
    if (j !== undefined)
      throw new ExportWriteError(
        t,
        `files ${j + 1} and ${i + 1} of the export would both be written to ${t}`,
      );
    seen.set(t, i);
  }

  // 1. Check everything before touching anything.
  const toCreate: string[] = [];
  for (const target of targets) {
    try {
      for (const dir of await missingFolders(path.dirname(target), target))
        if (!toCreate.includes(dir)) toCreate.push(dir);
      const s = await lstatOrUndefined(target);
      if (s !== undefined && !s.isFile())
        throw new ExportWriteError(target, `refusing to overwrite ${target}: it is ${kind(s)}, not a file`);
    } catch (e) {
      if (e instanceof ExportWriteError) throw e;
      throw new ExportWriteError(target, `cannot write ${target}: ${reason(e)}; nothing was written`, {
        cause: e,
      });
    }
  }

  const created: string[] = [];
  const temps: (string | undefined)[] = new Array(targets.length).fill(undefined);
  const backups: (string | undefined)[] = new Array(targets.length).fill(undefined);
  const committed: boolean[] = new Array(targets.length).fill(false);
  let current = targets[0] ?? baseDir;
  try {
    // 2. Folders, then temporary files.
    toCreate.sort((a, b) => a.length - b.length);
    for (const dir of toCreate) {
      current = dir;
      await mkdir(dir);
      created.push(dir);
    }
    for (const [i, target] of targets.entries()) {
      current = target;
      const temp = sideName(target, "tmp");
      temps[i] = temp;
      await writeTemp(temp, files[i].bytes);
    }
    // 3. Commit.
    for (const [i, target] of targets.entries()) {
      current = target;
      await options.beforeCommit?.(target, i);
      if ((await lstatOrUndefined(target)) !== undefined) {
        const backup = sideName(target, "bak");
        await rename(target, backup);
        backups[i] = backup;
      }
      await rename(temps[i] as string, target);
      temps[i] = undefined;
      committed[i] = true;
    }
  } catch (e) {
    // Undo in reverse: committed targets back to their old state, then temporary files and new folders.
    for (let i = targets.length - 1; i >= 0; i--) {
      if (committed[i]) await rm(targets[i], { force: true }).catch(() => undefined);
      const backup = backups[i];
      if (backup !== undefined) await rename(backup, targets[i]).catch(() => undefined);
      const temp = temps[i];
      if (temp !== undefined) await rm(temp, { force: true }).catch(() => undefined);
    }
    for (const dir of [...created].reverse()) await rmdir(dir).catch(() => undefined);
    if (e instanceof ExportWriteError) throw e;
    throw new ExportWriteError(
      current,
      `cannot write ${current}: ${reason(e)}; the export was rolled back, no file was written or changed`,
      { cause: e },
    );
  }
  // 4. Done: drop the old versions.
  for (const backup of backups)
    if (backup !== undefined) await rm(backup, { force: true }).catch(() => undefined);
  return targets;
}
