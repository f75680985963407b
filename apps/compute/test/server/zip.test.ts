// The store-only ZIP writer and its CRC-32: checked against zlib's CRC-32, and archives (plain and with
// ZIP64 records forced) read back by Python's zipfile, which verifies every entry's CRC.

import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/server/crc32.js";
import { zipLayout } from "../../src/server/zip.js";
import { PYTHON } from "../helpers/data.js";

const READ = `
import base64, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps([{"name": i.filename, "size": i.file_size, "date": list(i.date_time), "method": i.compress_type,
                       "data": base64.b64encode(z.read(i.filename)).decode()} for i in z.infolist()]))
`;

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

function assemble(parts: ReturnType<typeof zipLayout>["parts"], data: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (p.kind === "bytes" ? p.bytes : data[p.entry])));
}

describe("crc32", () => {
  it("agrees with zlib, incrementally too", () => {
    for (const n of [0, 1, 7, 1000, 65537]) {
      const b = bytes(n, n + 1);
      expect(crc32(b)).toBe(zlib.crc32(b));
      const cut = Math.floor(n / 3);
      expect(crc32(b.subarray(cut), crc32(b.subarray(0, cut)))).toBe(zlib.crc32(b));
    }
  });
});

describe("zipLayout", () => {
  const files = [
    { name: "cells_Probabilities_00.tiff", data: bytes(5000, 1) },
    { name: "empty.npy", data: new Uint8Array(0) },
    { name: "sub/folder/Zellkerne — µm.h5", data: bytes(70_000, 2) },
  ];
  const entries = files.map((f) => ({ name: f.name, size: f.data.length, crc32: crc32(f.data) }));
  const date = new Date("2025-03-04T05:06:08Z");

  for (const zip64 of [false, true])
    it(`writes an archive Python's zipfile reads${zip64 ? " (ZIP64 records forced)" : ""}`, async () => {
      const layout = zipLayout(entries, { date, zip64 });
      const archive = assemble(
        layout.parts,
        files.map((f) => f.data),
      );
      expect(archive.length).toBe(layout.size);
      const dir = await mkdtemp(path.join(tmpdir(), "sylva-zip-test-"));
      try {
        await writeFile(path.join(dir, "a.zip"), archive);
        const { stdout } = await promisify(execFile)(PYTHON, ["-c", READ, path.join(dir, "a.zip")]);
        const read = JSON.parse(stdout) as {
          name: string;
          size: number;
          date: number[];
          method: number;
          data: string;
        }[];
        expect(read.map((r) => r.name)).toEqual(files.map((f) => f.name));
        for (const [i, r] of read.entries()) {
          expect(r.method).toBe(0);
          expect(r.size).toBe(files[i].data.length);
          expect(r.date).toEqual([2025, 3, 4, 5, 6, 8]);
          expect(Buffer.compare(Buffer.from(r.data, "base64"), Buffer.from(files[i].data))).toBe(0);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

  it("an empty archive is the 22-byte end record", () => {
    expect(zipLayout([]).size).toBe(22);
  });
});
