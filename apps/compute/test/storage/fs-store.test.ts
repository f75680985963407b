// FsBlobStore: the conformance suite on a temporary folder, plus what only a file system can get wrong
// (symbolic links, temporary files, folders).

import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../../src/storage/errors.js";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { blobStoreConformance, listAll, pattern, text } from "./conformance.js";

blobStoreConformance("FsBlobStore", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "sylva-fs-store-"));
  return {
    store: new FsBlobStore(path.join(dir, "root")),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe("FsBlobStore on the file system", () => {
  let dir: string;
  let root: string;
  let outside: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-fs-store-"));
    root = path.join(dir, "root");
    outside = path.join(dir, "outside");
    await mkdir(root);
    await mkdir(outside);
    await writeFile(path.join(outside, "secret"), "secret");
    store = new FsBlobStore(root);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("maps keys to files under the root", async () => {
    await store.put("a/b/c.bin", text("abc"));
    expect(await readFile(path.join(root, "a", "b", "c.bin"), "utf8")).toBe("abc");
    expect(store.description).toBe(`file system ${root}`);
    expect(store.root).toBe(root);
  });

  it("resolves a relative root against the working directory", () => {
    expect(new FsBlobStore("some/data").root).toBe(path.resolve("some/data"));
  });

  it("works before its root exists, and creates it on the first put", async () => {
    const later = new FsBlobStore(path.join(dir, "later", "root"));
    expect(await later.get("x")).toBeUndefined();
    expect(await later.size("x")).toBeUndefined();
    expect(await later.getRange("x", { suffixLength: 2 })).toBeUndefined();
    expect(await listAll(later)).toEqual([]);
    await later.delete("x");
    expect(await later.deletePrefix("")).toBe(0);
    expect(existsSync(later.root)).toBe(false);
    await later.put("x", text("x"));
    expect(await readFile(path.join(later.root, "x"), "utf8")).toBe("x");
  });

  it("returns plain Uint8Arrays, not Buffers", async () => {
    await store.put("k", text("value"));
    const got = await store.get("k");
    expect(Buffer.isBuffer(got)).toBe(false);
    expect(got?.constructor).toBe(Uint8Array);
  });

  describe("symbolic links", () => {
    it("refuses a folder link inside the root that points outside", async () => {
      await symlink(outside, path.join(root, "escape"));
      await expect(store.get("escape/secret")).rejects.toThrow(StoreError);
      await expect(store.get("escape/secret")).rejects.toThrow(/outside the store/);
      await expect(store.getRange("escape/secret", { offset: 0, length: 3 })).rejects.toThrow(StoreError);
      await expect(store.size("escape/secret")).rejects.toThrow(StoreError);
      await expect(store.put("escape/planted", text("x"))).rejects.toThrow(StoreError);
      await expect(store.put("escape/deeper/planted", text("x"))).rejects.toThrow(StoreError);
      await expect(store.delete("escape/secret")).rejects.toThrow(StoreError);
      await expect(listAll(store, "escape/")).rejects.toThrow(StoreError);
      await expect(store.deletePrefix("escape/")).rejects.toThrow(StoreError);
      expect(await readdir(outside)).toEqual(["secret"]);
      expect(await readFile(path.join(outside, "secret"), "utf8")).toBe("secret");
    });

    it("refuses a file link inside the root that points outside", async () => {
      await symlink(path.join(outside, "secret"), path.join(root, "leak"));
      await expect(store.get("leak")).rejects.toThrow(StoreError);
      await expect(store.size("leak")).rejects.toThrow(StoreError);
      await expect(store.getRange("leak", { suffixLength: 2 }), "ranges too").rejects.toThrow(StoreError);
    });

    it("names the store, the operation and the key in the error", async () => {
      await symlink(outside, path.join(root, "escape"));
      const error = (await store.get("escape/secret").catch((e: unknown) => e)) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(new RegExp(`^file system ${root}: get escape/secret: refused`));
      expect(error.operation).toBe("get");
      expect(error.key).toBe("escape/secret");
    });

    it("does not list links", async () => {
      await symlink(outside, path.join(root, "escape"));
      await symlink(path.join(outside, "secret"), path.join(root, "leak"));
      await store.put("real", text("r"));
      expect(await listAll(store)).toEqual(["real"]);
    });

    it("follows a link that stays inside the root", async () => {
      await store.put("real/value", text("v"));
      await symlink(path.join(root, "real"), path.join(root, "alias"));
      expect(new TextDecoder().decode(await store.get("alias/value"))).toBe("v");
    });

    it("follows a root that is itself a link", async () => {
      await store.put("k", text("v"));
      const linked = new FsBlobStore(path.join(dir, "root-link"));
      await symlink(root, linked.root);
      expect(new TextDecoder().decode(await linked.get("k"))).toBe("v");
      await linked.put("k2", text("w"));
      expect(await listAll(linked)).toEqual(["k", "k2"]);
    });
  });

  describe("temporary files", () => {
    it("does not list the temporary files of an interrupted put", async () => {
      await store.put("a/b", text("b"));
      await writeFile(path.join(root, "a", ".sylva-tmp-0123456789abcdef"), "partial");
      await writeFile(path.join(root, ".sylva-tmp-fedcba9876543210"), "partial");
      expect(await listAll(store)).toEqual(["a/b"]);
      expect(await listAll(store, "a/")).toEqual(["a/b"]);
    });

    it("lists no names that are not valid keys", async () => {
      await store.put("ok", text("ok"));
      await writeFile(path.join(root, "back\\slash"), "x");
      await writeFile(path.join(root, "new\nline"), "x");
      expect(await listAll(store)).toEqual(["ok"]);
    });

    it("leaves no temporary file behind after puts", async () => {
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.put("f/x", pattern(10_000, i + 1))));
      expect(await readdir(path.join(root, "f"))).toEqual(["x"]);
    });

    it("never makes a partial file visible while a large put runs", async () => {
      const size = 24 * 1024 * 1024;
      const target = path.join(root, "big", "blob");
      await store.put("big/blob", new Uint8Array(size).fill(1));
      const observed = new Set<number>();
      let done = false;
      const put = store.put("big/blob", new Uint8Array(size).fill(2)).finally(() => {
        done = true;
      });
      while (!done) {
        const content = await readFile(target);
        observed.add(content.length);
        expect(content[0]).toBe(content[content.length - 1]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await put;
      expect([...observed]).toEqual([size]);
      expect((await readFile(target))[size - 1]).toBe(2);
    });
  });

  describe("folders", () => {
    it("removes the folders a delete leaves empty, up to the root", async () => {
      await store.put("x/y/z", text("z"));
      await store.put("x/keep", text("k"));
      await store.delete("x/y/z");
      expect(await readdir(path.join(root, "x"))).toEqual(["keep"]);
      await store.delete("x/keep");
      expect(await readdir(root)).toEqual([]);
      expect(existsSync(root)).toBe(true);
    });

    it("removes the folders of a deleted prefix", async () => {
      await store.put("p/q/r/1", text("1"));
      await store.put("p/q/2", text("2"));
      await store.put("other", text("o"));
      expect(await store.deletePrefix("p/q/")).toBe(2);
      expect(await readdir(root)).toEqual(["other"]);
      expect(await store.deletePrefix("")).toBe(1);
      expect(await readdir(root)).toEqual([]);
    });

    it("refuses a key below a blob and a blob over a folder, with a clear message", async () => {
      await store.put("a", text("a"));
      await expect(store.put("a/b", text("b"))).rejects.toThrow(/"a" is a blob, it cannot also be a folder/);
      await store.put("f/g", text("g"));
      await expect(store.put("f", text("f"))).rejects.toThrow(/folder of other keys/);
      expect(await listAll(store)).toEqual(["a", "f/g"]);
      expect(await readdir(root)).toEqual(["a", "f"]);
      expect(await readdir(path.join(root, "f"))).toEqual(["g"]);
    });

    it("reports other failures as StoreError naming the operation and key", async () => {
      await writeFile(path.join(dir, "file-root"), "not a folder");
      const broken = new FsBlobStore(path.join(dir, "file-root"));
      const error = (await broken.put("k", text("v")).catch((e: unknown) => e)) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toContain(`file system ${broken.root}: put k: `);
    });
  });
});
