// writeExportFiles: an export's files appear all together or not at all. Failures while writing (an
// unwritable target) or while committing leave the folder as it was: no temporary files, no new folders,
// old files untouched.

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportVolume } from "@sylva/core";
import { afterAll, describe, expect, it } from "vitest";
import { ExportWriteError, writeExportFiles } from "../src/export/write.js";

const root = mkdtempSync(path.join(tmpdir(), "sylva-export-write-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function freshDir(): string {
  const d = path.join(root, `case-${++counter}`);
  mkdirSync(d);
  return d;
}

/** Every path under `dir`, relative, sorted (folders end with "/"). */
function tree(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const rel = path.relative(dir, path.join(e.parentPath, e.name));
    out.push(e.isDirectory() ? `${rel}/` : rel);
  }
  return out.sort();
}

const bytes = (s: string) => new TextEncoder().encode(s);

async function failure(p: Promise<unknown>): Promise<ExportWriteError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ExportWriteError);
  return e as ExportWriteError;
}

describe("writeExportFiles", () => {
  it("writes every file, creating folders, and returns the absolute paths", async () => {
    const d = freshDir();
    const written = await writeExportFiles(
      [
        { name: "a.h5", bytes: bytes("first") },
        { name: "deep/er/b_0.tiff", bytes: bytes("second") },
        { name: path.join(d, "abs", "c.npy"), bytes: bytes("third") },
      ],
      d,
    );
    expect(written).toEqual([
      path.join(d, "a.h5"),
      path.join(d, "deep/er/b_0.tiff"),
      path.join(d, "abs/c.npy"),
    ]);
    expect(tree(d)).toEqual(["a.h5", "abs/", "abs/c.npy", "deep/", "deep/er/", "deep/er/b_0.tiff"]);
    expect(readFileSync(path.join(d, "deep/er/b_0.tiff"), "utf8")).toBe("second");
  });

  it("replaces existing files and leaves no backups", async () => {
    const d = freshDir();
    writeFileSync(path.join(d, "out.h5"), "old");
    await writeExportFiles([{ name: "out.h5", bytes: bytes("new") }], d);
    expect(tree(d)).toEqual(["out.h5"]);
    expect(readFileSync(path.join(d, "out.h5"), "utf8")).toBe("new");
  });

  it("refuses a target that is a folder or a link, before writing anything", async () => {
    const d = freshDir();
    mkdirSync(path.join(d, "taken.tiff"));
    const e = await failure(
      writeExportFiles(
        [
          { name: "new/first.tiff", bytes: bytes("1") },
          { name: "taken.tiff", bytes: bytes("2") },
        ],
        d,
      ),
    );
    expect(e.message).toContain("refusing to overwrite");
    expect(e.message).toContain("taken.tiff: it is a folder");
    expect(tree(d)).toEqual(["taken.tiff/"]);
    writeFileSync(path.join(d, "real"), "x");
    symlinkSync(path.join(d, "real"), path.join(d, "link.png"));
    const l = await failure(writeExportFiles([{ name: "link.png", bytes: bytes("y") }], d));
    expect(l.message).toContain("symbolic link");
    expect(readFileSync(path.join(d, "real"), "utf8")).toBe("x");
  });

  it("refuses a parent path that is a file, and duplicate targets", async () => {
    const d = freshDir();
    writeFileSync(path.join(d, "plain"), "x");
    const e = await failure(
      writeExportFiles(
        [
          { name: "ok.png", bytes: bytes("1") },
          { name: "plain/sub/x.png", bytes: bytes("2") },
        ],
        d,
      ),
    );
    expect(e.message).toContain(`${path.join(d, "plain")} is a file, not a folder`);
    const dup = await failure(
      writeExportFiles(
        [
          { name: "x.png", bytes: bytes("1") },
          { name: "./sub/../x.png", bytes: bytes("2") },
        ],
        d,
      ),
    );
    expect(dup.message).toContain("files 1 and 2");
    expect(tree(d)).toEqual(["plain"]);
  });

  it("rolls back when the second file cannot be written (name too long): nothing is left", async () => {
    const d = freshDir();
    writeFileSync(path.join(d, "keep.txt"), "untouched");
    const e = await failure(
      writeExportFiles(
        [
          { name: "made/first.tiff", bytes: bytes("1") },
          { name: `made/${"x".repeat(300)}.tiff`, bytes: bytes("2") },
          { name: "made/third.tiff", bytes: bytes("3") },
        ],
        d,
      ),
    );
    expect(e.message).toContain("file name too long");
    expect(e.message).toContain("rolled back");
    expect(tree(d)).toEqual(["keep.txt"]);
  });

  it.skipIf(process.getuid?.() === 0)("rolls back when the second target's folder is read-only", async () => {
    const d = freshDir();
    mkdirSync(path.join(d, "locked"));
    chmodSync(path.join(d, "locked"), 0o555);
    try {
      const e = await failure(
        writeExportFiles(
          [
            { name: "first.tiff", bytes: bytes("1") },
            { name: "locked/second.tiff", bytes: bytes("2") },
          ],
          d,
        ),
      );
      expect(e.message).toContain("permission denied");
      expect(tree(d)).toEqual(["locked/"]);
    } finally {
      chmodSync(path.join(d, "locked"), 0o755);
    }
  });

  it("rolls back committed files when a later commit fails, restoring the old versions", async () => {
    const d = freshDir();
    writeFileSync(path.join(d, "a.tiff"), "old a");
    const e = await failure(
      writeExportFiles(
        [
          { name: "a.tiff", bytes: bytes("new a") },
          { name: "sub/b.tiff", bytes: bytes("new b") },
          { name: "c.tiff", bytes: bytes("new c") },
        ],
        d,
        {
          beforeCommit: (_target, i) => {
            if (i === 2) throw Object.assign(new Error("disk vanished"), { code: "EIO" });
          },
        },
      ),
    );
    expect(e.message).toContain("disk vanished");
    expect(e.path).toBe(path.join(d, "c.tiff"));
    expect(tree(d)).toEqual(["a.tiff"]);
    expect(readFileSync(path.join(d, "a.tiff"), "utf8")).toBe("old a");
  });
});

describe.skipIf(spawnSync("/usr/bin/python3", ["-c", "import tifffile"]).status !== 0 && !process.env.CI)(
  "exportVolume → writeExportFiles",
  () => {
    it("writes the Fiji recipe's slices next to the input image", async () => {
      const d = freshDir();
      const probs = new Float32Array(3 * 4 * 5 * 2);
      for (let i = 0; i < probs.length; i++) probs[i] = (i % 11) / 10;
      const { files } = await exportVolume(
        { data: probs, shape: [3, 4, 5, 2], axes: "zyxc" },
        {
          image: path.join(d, "cells.tif"),
          dtype: "uint8",
          renormalize: "0,1,0,255",
          format: "tiff-sequence",
        },
      );
      const written = await writeExportFiles(files, process.cwd());
      expect(tree(d)).toEqual([0, 1, 2].map((k) => `cells_Probabilities_${k}.tiff`));
      const r = spawnSync(
        "/usr/bin/python3",
        [
          "-c",
          "import sys, tifffile; a = tifffile.imread(sys.argv[1]); print(a.shape, a.dtype, a.max())",
          written[2],
        ],
        { encoding: "utf8" },
      );
      expect(r.stdout.trim()).toBe("(4, 5, 2) uint8 255");
    });
  },
);
