// The BlobStore conformance suite: every rule of the contract (src/storage/blob-store.ts), run against
// each backend by its own test file with a fresh, empty store per test.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { BlobStore } from "../../src/storage/blob-store.js";
import { InvalidKeyError } from "../../src/storage/errors.js";
import { compareKeys } from "../../src/storage/keys.js";

export interface StoreUnderTest {
  readonly store: BlobStore;
  readonly cleanup: () => Promise<void>;
}

export async function listAll(store: BlobStore, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list(prefix)) keys.push(key);
  return keys;
}

export function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

export function text(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** `n` bytes of a deterministic pseudo-random pattern (seeded). */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Compares as plain byte arrays (toEqual would also compare Buffer vs Uint8Array classes). */
function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual).toBeInstanceOf(Uint8Array);
  expect(actual!.length).toBe(expected.length);
  expect(
    Buffer.from(actual!.buffer, actual!.byteOffset, actual!.byteLength).equals(Buffer.from(expected)),
  ).toBe(true);
}

const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const TEN = bytes(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);

/** Keys that every store must refuse, with why. */
export const INVALID_KEYS: readonly [string, string][] = [
  ["", "empty"],
  ["/x", "leading slash"],
  ["../x", "parent segment"],
  ["a/../b", "inner parent segment"],
  ["x/..", "trailing parent segment"],
  ["./a", "dot segment"],
  ["a/./b", "inner dot segment"],
  ["a//b", "empty segment"],
  ["a/", "trailing slash"],
  ["a\\b", "backslash"],
  ["..\\x", "backslash parent"],
  ["a\0b", "NUL"],
  ["a\nb", "newline"],
  ["a\x7fb", "DEL"],
  ["x".repeat(1025), "1025 bytes"],
  ["é".repeat(513), "1026 UTF-8 bytes in 513 characters"],
  [".sylva-tmp-0123abcd", "reserved temp segment"],
  ["a/.sylva-tmpx/b", "reserved temp segment inside"],
  ["a\ud800b", "unpaired surrogate"],
];

export const INVALID_PREFIXES: readonly string[] = [
  "a",
  "/",
  "/a/",
  "a//",
  "../",
  "a/../",
  "./",
  "a\\b/",
  "a\0/",
];

/** Keys with spaces, Unicode, zarr-style dots and URL-special characters. */
export const UNUSUAL_KEYS: readonly string[] = [
  "my data/raw image (1).tif",
  "données/ünïcödé/日本語.bin",
  "emoji/😀/𝄞",
  "vol/.zarray",
  "vol/.zattrs",
  "vol/.zgroup",
  "vol/0.0.0",
  "vol/zarr.json",
  "vol/c/0/1/2",
  "chars/a+b=c&d,e;f",
  "chars/100% sure",
  "chars/what?#hash",
  "chars/quote'\"`~!@$^*()[]{}|<>",
  "chars/..dots..",
  "chars/...",
  "chars/.hidden",
  "chars/trailing space ",
  "chars/tab-free\u00a0nbsp",
];

/**
 * Holds a BlobStore backend to the contract. `makeStore` is called before each test and must return an
 * empty store; `cleanup` runs after it.
 */
export function blobStoreConformance(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`BlobStore conformance: ${name}`, () => {
    let store: BlobStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
    });
    afterEach(async () => {
      await cleanup?.();
      cleanup = undefined;
    });

    it("has a description", () => {
      expect(typeof store.description).toBe("string");
      expect(store.description.length).toBeGreaterThan(0);
    });

    describe("get and put", () => {
      it("round-trips an empty blob", async () => {
        await store.put("empty", new Uint8Array(0));
        expectBytes(await store.get("empty"), new Uint8Array(0));
        expect(await store.size("empty")).toBe(0);
        expect(await listAll(store)).toEqual(["empty"]);
      });

      it("round-trips a small blob", async () => {
        await store.put("small", text("hello, sylva"));
        expectBytes(await store.get("small"), text("hello, sylva"));
      });

      it("round-trips every byte value", async () => {
        await store.put("binary/all-bytes", ALL_BYTES);
        expectBytes(await store.get("binary/all-bytes"), ALL_BYTES);
      });

      it("round-trips a multi-megabyte blob", async () => {
        const big = pattern(5 * 1024 * 1024 + 17, 7);
        await store.put("big/blob", big);
        expectBytes(await store.get("big/blob"), big);
        expect(await store.size("big/blob")).toBe(big.length);
      });

      it("stores only the bytes of a view, not its whole buffer", async () => {
        const buffer = pattern(100, 3);
        const view = buffer.subarray(10, 30);
        await store.put("view", view);
        expectBytes(await store.get("view"), buffer.slice(10, 30));
      });

      it("keeps no link to the caller's array, and returns fresh arrays", async () => {
        const data = bytes(1, 2, 3);
        await store.put("copy", data);
        data[0] = 99;
        const first = (await store.get("copy"))!;
        expectBytes(first, bytes(1, 2, 3));
        first[1] = 42;
        expectBytes(await store.get("copy"), bytes(1, 2, 3));
      });

      it("returns arrays that span their whole buffer", async () => {
        await store.put("small", text("abc"));
        const got = (await store.get("small"))!;
        expect(got.byteOffset).toBe(0);
        expect(got.buffer.byteLength).toBe(got.byteLength);
      });

      it("overwrites", async () => {
        await store.put("k", pattern(1000, 1));
        await store.put("k", text("short"));
        expectBytes(await store.get("k"), text("short"));
        expect(await store.size("k")).toBe(5);
        await store.put("k", pattern(3000, 2));
        expectBytes(await store.get("k"), pattern(3000, 2));
        expect(await listAll(store)).toEqual(["k"]);
      });

      it("resolves undefined for missing keys", async () => {
        expect(await store.get("missing")).toBeUndefined();
        expect(await store.get("no/such/folder/key")).toBeUndefined();
        await store.put("present/leaf", text("x"));
        expect(await store.get("present")).toBeUndefined(); // a folder of keys, not a key
        expect(await store.get("present/other")).toBeUndefined();
        expect(await store.get("present/leaf/deeper")).toBeUndefined(); // below a blob
        expect(await store.size("missing")).toBeUndefined();
        expect(await store.size("present")).toBeUndefined();
        expect(await store.getRange("missing", { offset: 0, length: 4 })).toBeUndefined();
        expect(await store.getRange("missing", { suffixLength: 4 })).toBeUndefined();
        expect(await store.getRange("missing", { offset: 0, length: 0 })).toBeUndefined();
        expect(await store.getRange("missing", { suffixLength: 0 })).toBeUndefined();
        expect(await store.getRange("present/leaf/deeper", { offset: 0, length: 1 })).toBeUndefined();
      });

      it("accepts keys of exactly 1024 bytes", async () => {
        const key = Array.from({ length: 5 }, (_, i) => String(i).repeat(204)).join("/");
        expect(Buffer.byteLength(key)).toBe(1024);
        await store.put(key, text("long"));
        expectBytes(await store.get(key), text("long"));
        expect(await listAll(store)).toEqual([key]);
      });

      it("accepts keys with spaces, Unicode and zarr-style dots", async () => {
        for (const [i, key] of UNUSUAL_KEYS.entries()) await store.put(key, text(`value ${i}`));
        for (const [i, key] of UNUSUAL_KEYS.entries()) expectBytes(await store.get(key), text(`value ${i}`));
        expect(await listAll(store)).toEqual([...UNUSUAL_KEYS].sort(compareKeys));
        expect(await listAll(store, "vol/")).toEqual(
          UNUSUAL_KEYS.filter((k) => k.startsWith("vol/")).sort(compareKeys),
        );
        expect(await listAll(store, "emoji/😀/")).toEqual(["emoji/😀/𝄞"]);
        expect(await listAll(store, "my data/")).toEqual(["my data/raw image (1).tif"]);
      });
    });

    describe("getRange", () => {
      beforeEach(async () => {
        await store.put("ten", TEN);
        await store.put("empty", new Uint8Array(0));
      });

      it("reads offset ranges", async () => {
        expectBytes(await store.getRange("ten", { offset: 0, length: 3 }), bytes(0, 1, 2));
        expectBytes(await store.getRange("ten", { offset: 4, length: 2 }), bytes(4, 5));
        expectBytes(await store.getRange("ten", { offset: 9, length: 1 }), bytes(9));
        expectBytes(await store.getRange("ten", { offset: 0, length: 10 }), TEN);
      });

      it("clips offset ranges to the end", async () => {
        expectBytes(await store.getRange("ten", { offset: 7, length: 100 }), bytes(7, 8, 9));
        expectBytes(await store.getRange("ten", { offset: 0, length: 11 }), TEN);
      });

      it("answers an empty array for ranges starting at or past the end", async () => {
        expectBytes(await store.getRange("ten", { offset: 10, length: 5 }), new Uint8Array(0));
        expectBytes(await store.getRange("ten", { offset: 1000, length: 5 }), new Uint8Array(0));
        expectBytes(await store.getRange("empty", { offset: 0, length: 5 }), new Uint8Array(0));
      });

      it("answers an empty array for zero-length ranges of existing keys", async () => {
        expectBytes(await store.getRange("ten", { offset: 3, length: 0 }), new Uint8Array(0));
        expectBytes(await store.getRange("ten", { suffixLength: 0 }), new Uint8Array(0));
        expectBytes(await store.getRange("empty", { suffixLength: 0 }), new Uint8Array(0));
      });

      it("reads suffix ranges, clipped to the blob", async () => {
        expectBytes(await store.getRange("ten", { suffixLength: 3 }), bytes(7, 8, 9));
        expectBytes(await store.getRange("ten", { suffixLength: 1 }), bytes(9));
        expectBytes(await store.getRange("ten", { suffixLength: 10 }), TEN);
        expectBytes(await store.getRange("ten", { suffixLength: 25 }), TEN);
        expectBytes(await store.getRange("empty", { suffixLength: 4 }), new Uint8Array(0));
      });

      it("reads ranges of every byte value and of a large blob", async () => {
        await store.put("all", ALL_BYTES);
        expectBytes(await store.getRange("all", { offset: 250, length: 10 }), ALL_BYTES.slice(250));
        expectBytes(await store.getRange("all", { suffixLength: 128 }), ALL_BYTES.slice(128));
        const big = pattern(3 * 1024 * 1024, 11);
        await store.put("big", big);
        expectBytes(
          await store.getRange("big", { offset: 1_000_000, length: 65_536 }),
          big.slice(1_000_000, 1_065_536),
        );
        expectBytes(await store.getRange("big", { suffixLength: 100_000 }), big.slice(big.length - 100_000));
      });

      it("refuses invalid ranges before any I/O", async () => {
        await expect(store.getRange("ten", { offset: -1, length: 2 })).rejects.toThrow(RangeError);
        await expect(store.getRange("ten", { offset: 0, length: -2 })).rejects.toThrow(RangeError);
        await expect(store.getRange("ten", { offset: 1.5, length: 2 })).rejects.toThrow(RangeError);
        await expect(store.getRange("ten", { suffixLength: -1 })).rejects.toThrow(RangeError);
        await expect(store.getRange("ten", { suffixLength: Number.NaN })).rejects.toThrow(RangeError);
      });
    });

    describe("size", () => {
      it("answers the size in bytes", async () => {
        await store.put("a", TEN);
        await store.put("b/c", ALL_BYTES);
        await store.put("e", new Uint8Array(0));
        expect(await store.size("a")).toBe(10);
        expect(await store.size("b/c")).toBe(256);
        expect(await store.size("e")).toBe(0);
      });
    });

    describe("list", () => {
      const keys = [
        "b",
        "a/x",
        "a/y/z",
        "a.b",
        "a-b",
        "ab",
        "a0",
        "é",
        "z/1",
        "z/10",
        "z/2",
        "~",
        "😀",
        "\uff21",
      ];

      it("lists nothing in an empty store", async () => {
        expect(await listAll(store)).toEqual([]);
        expect(await listAll(store, "a/")).toEqual([]);
      });

      it("lists every key in lexicographic (code point) order", async () => {
        for (const key of keys) await store.put(key, text(key));
        const sorted = [...keys].sort(compareKeys);
        expect(sorted).toEqual([
          "a-b",
          "a.b",
          "a/x",
          "a/y/z",
          "a0",
          "ab",
          "b",
          "z/1",
          "z/10",
          "z/2",
          "~",
          "é",
          "\uff21",
          "😀",
        ]);
        expect(await listAll(store)).toEqual(sorted);
        expect(await listAll(store, "")).toEqual(sorted);
      });

      it("lists a prefix as a folder: 'a/' lists 'a/x' and 'a/y/z', not 'ab' or 'a.b'", async () => {
        for (const key of keys) await store.put(key, text(key));
        expect(await listAll(store, "a/")).toEqual(["a/x", "a/y/z"]);
        expect(await listAll(store, "a/y/")).toEqual(["a/y/z"]);
        expect(await listAll(store, "z/")).toEqual(["z/1", "z/10", "z/2"]);
      });

      it("lists nothing under a missing prefix or under a blob", async () => {
        await store.put("a/x", text("x"));
        expect(await listAll(store, "nope/")).toEqual([]);
        expect(await listAll(store, "a/x/")).toEqual([]);
        expect(await listAll(store, "a/x/y/")).toEqual([]);
      });

      it("can be iterated twice and reflects later changes", async () => {
        await store.put("p/1", text("1"));
        const listing = store.list("p/");
        const first: string[] = [];
        for await (const key of listing) first.push(key);
        expect(first).toEqual(["p/1"]);
        await store.put("p/2", text("2"));
        expect(await listAll(store, "p/")).toEqual(["p/1", "p/2"]);
      });
    });

    describe("delete", () => {
      it("deletes a key and nothing else", async () => {
        await store.put("a/x", text("x"));
        await store.put("a/y", text("y"));
        await store.put("ab", text("ab"));
        await store.delete("a/x");
        expect(await store.get("a/x")).toBeUndefined();
        expect(await store.size("a/x")).toBeUndefined();
        expect(await listAll(store)).toEqual(["a/y", "ab"]);
      });

      it("is idempotent and succeeds for missing keys", async () => {
        await store.put("deep/folder/key", text("v"));
        await store.delete("deep/folder/key");
        await store.delete("deep/folder/key");
        await store.delete("never/was/here");
        await store.delete("deep"); // a folder of no keys is no key either
        expect(await listAll(store)).toEqual([]);
        await store.put("deep/folder/key", text("again"));
        expectBytes(await store.get("deep/folder/key"), text("again"));
      });
    });

    describe("deletePrefix", () => {
      it("deletes every key under a prefix and counts them", async () => {
        for (const key of ["a/1", "a/2", "a/b/3", "a/b/c/4", "ab", "a.b", "b/1"])
          await store.put(key, text(key));
        expect(await store.deletePrefix("a/")).toBe(4);
        expect(await listAll(store)).toEqual(["a.b", "ab", "b/1"]);
        expect(await store.deletePrefix("a/")).toBe(0);
        expect(await store.deletePrefix("missing/")).toBe(0);
        expect(await store.deletePrefix("")).toBe(3);
        expect(await listAll(store)).toEqual([]);
        expect(await store.deletePrefix("")).toBe(0);
      });

      it("deletes many keys", async () => {
        const keys = Array.from({ length: 60 }, (_, i) => `many/${String(i).padStart(3, "0")}`);
        await Promise.all(keys.map((key) => store.put(key, text(key))));
        expect(await listAll(store, "many/")).toEqual(keys);
        expect(await store.deletePrefix("many/")).toBe(60);
        expect(await listAll(store)).toEqual([]);
      });
    });

    describe("invalid keys", () => {
      it.each(INVALID_KEYS.map(([key, why]) => ({ key, why })))(
        "refuses a key with $why, before any I/O",
        async ({ key }) => {
          await expect(store.put(key, text("x"))).rejects.toThrow(InvalidKeyError);
          await expect(store.get(key)).rejects.toThrow(InvalidKeyError);
          await expect(store.getRange(key, { offset: 0, length: 1 })).rejects.toThrow(InvalidKeyError);
          await expect(store.getRange(key, { suffixLength: 1 })).rejects.toThrow(InvalidKeyError);
          await expect(store.size(key)).rejects.toThrow(InvalidKeyError);
          await expect(store.delete(key)).rejects.toThrow(InvalidKeyError);
          expect(await listAll(store)).toEqual([]);
        },
      );

      it.each(INVALID_PREFIXES)("refuses the prefix %j in list and deletePrefix", async (prefix) => {
        await store.put("a/b", text("x"));
        await expect(listAll(store, prefix)).rejects.toThrow(InvalidKeyError);
        await expect(store.deletePrefix(prefix)).rejects.toThrow(InvalidKeyError);
        expect(await listAll(store)).toEqual(["a/b"]);
      });

      it("names the key and the rule in the error", async () => {
        const error = await store.get("a/../b").catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidKeyError);
        expect((error as InvalidKeyError).key).toBe("a/../b");
        expect((error as Error).message).toContain('"a/../b"');
        expect((error as Error).message).toContain("..");
      });
    });

    describe("atomicity", () => {
      it("leaves one complete value after concurrent puts of the same key", async () => {
        const size = 256 * 1024;
        const values = Array.from({ length: 8 }, (_, i) => new Uint8Array(size).fill(i + 1));
        await Promise.all(values.map((v) => store.put("contended", v)));
        const got = (await store.get("contended"))!;
        expect(got.length).toBe(size);
        expect(got.every((b) => b === got[0])).toBe(true);
        expect(got[0]).toBeGreaterThanOrEqual(1);
        expect(got[0]).toBeLessThanOrEqual(8);
        expect(await listAll(store)).toEqual(["contended"]);
      });

      it("never lets a reader see part of a value while puts run", async () => {
        const size = 512 * 1024;
        const values = Array.from({ length: 6 }, (_, i) => new Uint8Array(size).fill(i + 1));
        await store.put("watched", new Uint8Array(size).fill(100));
        const reads: Promise<Uint8Array | undefined>[] = [];
        const writes = values.map(async (v, i) => {
          await store.put("watched", v);
          reads.push(store.get("watched"));
          if (i % 2 === 0) reads.push(store.getRange("watched", { suffixLength: 10 }));
        });
        for (let i = 0; i < 6; i++) reads.push(store.get("watched"));
        await Promise.all(writes);
        for (const read of await Promise.all(reads)) {
          expect(read).toBeDefined();
          expect([size, 10]).toContain(read!.length);
          expect(read!.every((b) => b === read![0])).toBe(true);
        }
      });

      it("handles concurrent puts and deletes of different keys in one folder", async () => {
        const keys = Array.from({ length: 20 }, (_, i) => `shared/folder/k${i}`);
        await Promise.all(keys.map((k) => store.put(k, text(k))));
        await Promise.all(keys.map((k, i) => (i % 2 === 0 ? store.delete(k) : store.put(k, text(`${k}!`)))));
        expect(await listAll(store, "shared/")).toEqual(keys.filter((_, i) => i % 2 === 1).sort(compareKeys));
        for (const [i, k] of keys.entries()) {
          if (i % 2 === 1) expectBytes(await store.get(k), text(`${k}!`));
        }
      });
    });
  });
}
