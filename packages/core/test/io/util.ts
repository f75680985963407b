// Helpers for the lazy-reader tests: seeded random regions, "reader region = crop of the eager volume"
// checks, the ImageFormatError a call throws, counting range reads, and Python fixture scripts.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { dtypeOf } from "../../src/array/dtype.js";
import type { Volume } from "../../src/array/volume.js";
import { ImageFormatError } from "../../src/io/errors.js";
import type { ByteSource, Region, VolumeReader } from "../../src/io/reader.js";
import { cropVolume } from "../../src/io/reader.js";
import { PYTHON, SHARED } from "../fixtures/python.js";

export const ISBI_RAW = path.join(SHARED, "data/isbi2012/raw");

export function bytesOf(file: string): Uint8Array {
  return new Uint8Array(readFileSync(file));
}

/** A seeded generator of floats in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random non-empty region of `shape`. */
export function randomRegion(shape: readonly number[], rand: () => number): Region {
  const start: number[] = [];
  const stop: number[] = [];
  for (const s of shape) {
    const a = Math.floor(rand() * s);
    const b = a + 1 + Math.floor(rand() * (s - a));
    start.push(a);
    stop.push(b);
  }
  return { start, stop };
}

export function fullRegion(shape: readonly number[]): Region {
  return { start: shape.map(() => 0), stop: [...shape] };
}

/** Expects two volumes to be identical: axes, shape, dtype and every value (NaN equals NaN). */
export function expectSameVolume(actual: Volume, expected: Volume, what: string): void {
  expect(actual.axes, what).toBe(expected.axes);
  expect([...actual.shape], what).toEqual([...expected.shape]);
  expect(dtypeOf(actual.data), what).toBe(dtypeOf(expected.data));
  const a = new Uint8Array(actual.data.buffer, actual.data.byteOffset, actual.data.byteLength);
  const b = new Uint8Array(expected.data.buffer, expected.data.byteOffset, expected.data.byteLength);
  expect(Buffer.compare(a, b) === 0, `${what}: values differ`).toBe(true);
}

/**
 * Reads the whole volume and `rounds` random regions (plus single-voxel and single-row ones) and expects
 * each to equal the same region of `eager`.
 */
export async function expectReaderMatches(
  reader: VolumeReader,
  eager: Volume,
  rounds = 12,
  seed = 7,
): Promise<void> {
  expect(reader.axes).toBe(eager.axes);
  expect([...reader.shape]).toEqual([...eager.shape]);
  expect(reader.dtype).toBe(dtypeOf(eager.data));
  expectSameVolume(await reader.read(fullRegion(reader.shape)), eager, `${reader.source} whole`);
  const rand = rng(seed);
  const regions = Array.from({ length: rounds }, () => randomRegion(reader.shape, rand));
  const one = reader.shape.map((s) => Math.floor(s / 2));
  regions.push({ start: one, stop: one.map((v) => v + 1) });
  const row = reader.shape.map((s, i) => (i === reader.axes.indexOf("x") ? 0 : Math.floor(s / 3)));
  regions.push({
    start: row,
    stop: row.map((v, i) => (i === reader.axes.indexOf("x") ? reader.shape[i] : v + 1)),
  });
  for (const region of regions)
    expectSameVolume(
      await reader.read(region),
      cropVolume(eager, region),
      `${reader.source} [${region.start.join(",")}]..[${region.stop.join(",")}]`,
    );
}

/** The ImageFormatError `fn` throws (or rejects with); fails the test when it throws anything else. */
export async function formatError(fn: () => unknown): Promise<ImageFormatError> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof ImageFormatError)) throw e;
    return e;
  }
  throw new Error("expected an ImageFormatError, nothing was thrown");
}

/** A ByteSource over bytes that counts the range reads made and the bytes they returned. */
export function countingSource(
  bytes: Uint8Array,
  name: string,
): ByteSource & { reads: number; bytesRead: number } {
  const counter = {
    name,
    size: bytes.byteLength,
    reads: 0,
    bytesRead: 0,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength)
        throw new ImageFormatError(
          name,
          `truncated file: needs bytes ${offset}..${offset + length} but holds only ${bytes.byteLength}`,
        );
      counter.reads++;
      counter.bytesRead += length;
      return bytes.subarray(offset, offset + length);
    },
  };
  return counter;
}

/** True when Debian's python3 imports every module named. */
export function pythonHas(...modules: string[]): boolean {
  try {
    execFileSync(PYTHON, ["-c", modules.map((m) => `import ${m}`).join("; ")], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Runs a Python script (given as text) with `args`. */
export function runPython(script: string, args: string[]): void {
  execFileSync(PYTHON, ["-c", script, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}
