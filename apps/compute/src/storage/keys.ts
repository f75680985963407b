// Key and prefix rules shared by every BlobStore backend, so that no key (which may come from user input)
// can address anything outside the store, and both backends accept exactly the same keys.
//
// A key is a relative, "/"-separated path: not empty, at most 1024 UTF-8 bytes (S3's limit), no leading
// "/", no empty segment ("a//b", trailing "/"), no "." or ".." segment, no backslash, no control character
// (NUL included), no unpaired UTF-16 surrogate, and no segment starting with ".sylva-tmp" (reserved for the
// file-system backend's temporary files). A prefix is "" (the whole store) or a valid key followed by "/".
// Byte ranges are checked here too (non-negative integers) and clipped to a blob's end.

import type { ByteRange } from "./blob-store.js";
import { InvalidKeyError } from "./errors.js";

/** The most UTF-8 bytes a key may have. */
export const MAX_KEY_BYTES = 1024;

/** The start of the reserved segment names of the file-system backend's temporary files. */
export const TEMP_SEGMENT_PREFIX = ".sylva-tmp";

const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** What is wrong with `key`, or undefined when it is a valid key. */
export function keyProblem(key: string): string | undefined {
  if (typeof key !== "string") return "a key must be a string";
  if (key === "") return "a key must not be empty";
  const bytes = Buffer.byteLength(key, "utf8");
  if (bytes > MAX_KEY_BYTES)
    return `a key must have at most ${MAX_KEY_BYTES} UTF-8 bytes, this one has ${bytes}`;
  if (key.startsWith("/")) return 'a key must be relative (no leading "/")';
  if (key.includes("\\")) return 'a key must not contain a backslash (segments are separated by "/")';
  if (CONTROL.test(key)) return "a key must not contain control characters (NUL included)";
  if (LONE_SURROGATE.test(key)) return "a key must be well-formed Unicode (unpaired surrogate)";
  for (const segment of key.split("/")) {
    if (segment === "") return 'a key must not have empty segments ("a//b" or a trailing "/")';
    if (segment === "." || segment === "..") return `segment "${segment}" is not allowed`;
    if (segment.startsWith(TEMP_SEGMENT_PREFIX))
      return `segments starting with "${TEMP_SEGMENT_PREFIX}" are reserved`;
  }
  return undefined;
}

/** Whether `key` is a valid key. */
export function isValidKey(key: string): boolean {
  return keyProblem(key) === undefined;
}

/** Returns `key` if it is a valid key; throws InvalidKeyError otherwise. */
export function checkKey(key: string): string {
  const problem = keyProblem(key);
  if (problem !== undefined) throw new InvalidKeyError(String(key), problem, "key");
  return key;
}

/** Returns `prefix` if it is "" or a valid key followed by "/"; throws InvalidKeyError otherwise. */
export function checkPrefix(prefix: string): string {
  if (typeof prefix !== "string")
    throw new InvalidKeyError(String(prefix), "a prefix must be a string", "prefix");
  if (prefix === "") return prefix;
  if (!prefix.endsWith("/")) {
    throw new InvalidKeyError(prefix, 'a prefix must be "" or end with "/"', "prefix");
  }
  const problem = keyProblem(prefix.slice(0, -1));
  if (problem !== undefined) throw new InvalidKeyError(prefix, problem, "prefix");
  return prefix;
}

/**
 * The order of keys in listings: by Unicode code point, which is the order of their UTF-8 bytes (S3's
 * order). It differs from JavaScript's `<` (UTF-16 code units) only for characters above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (0xD800–0xDFFF, part of a code point above U+FFFF) sorts after every other code unit.
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

/** Throws a RangeError unless `range` has non-negative safe integers (checked before any I/O). */
export function checkByteRange(range: ByteRange): ByteRange {
  const fields: [string, unknown][] =
    "suffixLength" in range
      ? [["suffixLength", range.suffixLength]]
      : [
          ["offset", range.offset],
          ["length", range.length],
        ];
  for (const [name, value] of fields) {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(
        `invalid byte range: ${name} must be a non-negative integer, got ${String(value)}`,
      );
    }
  }
  return range;
}

/** The half-open span [start, end) that `range` covers in a blob of `size` bytes, clipped to its end. */
export function clipByteRange(range: ByteRange, size: number): { start: number; end: number } {
  if ("suffixLength" in range) return { start: Math.max(0, size - range.suffixLength), end: size };
  const start = Math.min(range.offset, size);
  return { start, end: Math.min(size, range.offset + range.length) };
}
