// The key and prefix rules (src/storage/keys.ts) and the key order of listings.

import { describe, expect, it } from "vitest";
import { InvalidKeyError } from "../../src/storage/errors.js";
import {
  checkByteRange,
  checkKey,
  checkPrefix,
  clipByteRange,
  compareKeys,
  isValidKey,
  keyProblem,
} from "../../src/storage/keys.js";
import { INVALID_KEYS, INVALID_PREFIXES, UNUSUAL_KEYS } from "./conformance.js";

describe("checkKey", () => {
  it.each(INVALID_KEYS.map(([key, why]) => ({ key, why })))("refuses a key with $why", ({ key }) => {
    expect(() => checkKey(key)).toThrow(InvalidKeyError);
    expect(isValidKey(key)).toBe(false);
  });

  it("accepts ordinary and unusual keys", () => {
    for (const key of [
      "a",
      "a/b/c",
      "datasets/x/0/0",
      ".zarray",
      "a/.zattrs",
      "..a",
      "a..",
      "...",
      ...UNUSUAL_KEYS,
    ]) {
      expect(checkKey(key)).toBe(key);
    }
    expect(isValidKey("x".repeat(1024))).toBe(true);
    expect(isValidKey("😀".repeat(256))).toBe(true); // 1024 UTF-8 bytes
    expect(isValidKey(`${"😀".repeat(256)}x`)).toBe(false);
  });

  it("explains what is wrong", () => {
    expect(keyProblem("a//b")).toMatch(/empty segments/);
    expect(keyProblem("../x")).toBe('segment ".." is not allowed');
    expect(keyProblem("/x")).toMatch(/relative/);
    expect(keyProblem("a\\b")).toMatch(/backslash/);
    expect(keyProblem("a\0b")).toMatch(/control characters/);
    expect(keyProblem("x".repeat(2000))).toMatch(/at most 1024 UTF-8 bytes, this one has 2000/);
    expect(keyProblem("a/.sylva-tmp-x")).toMatch(/reserved/);
    const error = new InvalidKeyError("a\0b", "why");
    expect(error.message).toBe('invalid key "a\\u0000b": why');
    expect(new InvalidKeyError("x".repeat(500), "too long").message).toMatch(
      /…" \(500 characters\): too long$/,
    );
  });
});

describe("checkPrefix", () => {
  it('accepts "" and keys followed by "/"', () => {
    for (const prefix of ["", "a/", "a/b/", "vol/.zarr/", "données/😀/"])
      expect(checkPrefix(prefix)).toBe(prefix);
  });

  it.each(INVALID_PREFIXES)("refuses %j", (prefix) => {
    expect(() => checkPrefix(prefix)).toThrow(InvalidKeyError);
    expect(() => checkPrefix(prefix)).toThrow(/^invalid prefix /);
  });
});

describe("compareKeys", () => {
  it("orders by code point (UTF-8 byte order), not by UTF-16 code unit", () => {
    const keys = ["😀", "\uff21", "a/b", "a.b", "a", "ab", "é", "a-b", "A", ""];
    expect([...keys].sort(compareKeys)).toEqual([
      "",
      "A",
      "a",
      "a-b",
      "a.b",
      "a/b",
      "ab",
      "é",
      "\uff21",
      "😀",
    ]);
    const utf8 = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareKeys)).toEqual(utf8);
    expect(compareKeys("a", "a")).toBe(0);
  });
});

describe("byte ranges", () => {
  it("checks ranges", () => {
    expect(checkByteRange({ offset: 0, length: 0 })).toEqual({ offset: 0, length: 0 });
    expect(() => checkByteRange({ offset: -1, length: 1 })).toThrow(
      /offset must be a non-negative integer, got -1/,
    );
    expect(() => checkByteRange({ suffixLength: 0.5 })).toThrow(RangeError);
    expect(() => checkByteRange({ offset: 0, length: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });

  it("clips ranges to the blob", () => {
    expect(clipByteRange({ offset: 2, length: 3 }, 10)).toEqual({ start: 2, end: 5 });
    expect(clipByteRange({ offset: 8, length: 5 }, 10)).toEqual({ start: 8, end: 10 });
    expect(clipByteRange({ offset: 12, length: 5 }, 10)).toEqual({ start: 10, end: 10 });
    expect(clipByteRange({ suffixLength: 3 }, 10)).toEqual({ start: 7, end: 10 });
    expect(clipByteRange({ suffixLength: 30 }, 10)).toEqual({ start: 0, end: 10 });
  });
});
