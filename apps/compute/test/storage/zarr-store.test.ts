// zarrStore: zarrita reads arrays written with plain puts (Zarr v2, and a sharded Zarr v3 array whose
// index is read with a suffix range) and writes through the adapter, on both backends.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as zarr from "zarrita";
import type { BlobStore } from "../../src/storage/blob-store.js";
import { storeFromEnv } from "../../src/storage/config.js";
import { InvalidKeyError } from "../../src/storage/errors.js";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { S3BlobStore } from "../../src/storage/s3-store.js";
import { zarrStore } from "../../src/storage/zarr-store.js";
import { type S3Server, startS3Server } from "../helpers/s3.js";
import { listAll, text } from "./conformance.js";

const json = (value: unknown) => text(JSON.stringify(value));

/** Little-endian uint16 bytes of `values`. */
function u16(...values: number[]): Uint8Array {
  return new Uint8Array(Uint16Array.from(values).buffer);
}

/** The 4×4 array 0…15 in 2×2 chunks, chunk (1,1) left missing (fill value 7). */
const EXPECTED = Uint16Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 7, 12, 13, 7, 7]);

async function writeV2(store: BlobStore, prefix: string): Promise<void> {
  await store.put(`${prefix}.zgroup`, json({ zarr_format: 2 }));
  await store.put(
    `${prefix}a/.zarray`,
    json({
      zarr_format: 2,
      shape: [4, 4],
      chunks: [2, 2],
      dtype: "<u2",
      compressor: null,
      filters: null,
      fill_value: 7,
      order: "C",
    }),
  );
  await store.put(`${prefix}a/0.0`, u16(0, 1, 4, 5));
  await store.put(`${prefix}a/0.1`, u16(2, 3, 6, 7));
  await store.put(`${prefix}a/1.0`, u16(8, 9, 12, 13));
}

/** The same array as one shard of 2×2 inner chunks, inner chunk (1,1) empty, the index at the end. */
async function writeV3Sharded(store: BlobStore, prefix: string): Promise<void> {
  await store.put(
    `${prefix}s/zarr.json`,
    json({
      zarr_format: 3,
      node_type: "array",
      shape: [4, 4],
      data_type: "uint16",
      chunk_grid: { name: "regular", configuration: { chunk_shape: [4, 4] } },
      chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
      fill_value: 7,
      codecs: [
        {
          name: "sharding_indexed",
          configuration: {
            chunk_shape: [2, 2],
            codecs: [{ name: "bytes", configuration: { endian: "little" } }],
            index_codecs: [{ name: "bytes", configuration: { endian: "little" } }],
            index_location: "end",
          },
        },
      ],
      attributes: {},
    }),
  );
  const chunks = [u16(0, 1, 4, 5), u16(2, 3, 6, 7), u16(8, 9, 12, 13)];
  const index = new BigUint64Array(8);
  let offset = 0;
  chunks.forEach((chunk, i) => {
    index[2 * i] = BigInt(offset);
    index[2 * i + 1] = BigInt(chunk.length);
    offset += chunk.length;
  });
  index[6] = 0xffff_ffff_ffff_ffffn; // inner chunk (1,1): empty
  index[7] = 0xffff_ffff_ffff_ffffn;
  const shard = new Uint8Array(offset + index.byteLength);
  let at = 0;
  for (const chunk of chunks) {
    shard.set(chunk, at);
    at += chunk.length;
  }
  shard.set(new Uint8Array(index.buffer), at);
  await store.put(`${prefix}s/c/0/0`, shard);
}

function zarrTests(name: string, makeStore: () => BlobStore): void {
  describe(`zarrStore on ${name}`, () => {
    it("opens a Zarr v2 array written with plain puts", async () => {
      const store = makeStore();
      await writeV2(store, "datasets/v2/");
      const root = zarr.root(zarrStore(store, "datasets/v2/"));
      const arr = await zarr.open(root.resolve("a"), { kind: "array" });
      expect(arr.shape).toEqual([4, 4]);
      expect(arr.dtype).toBe("uint16");
      const all = await zarr.get(arr);
      expect(all.data).toEqual(EXPECTED);
      const part = await zarr.get(arr, [zarr.slice(1, 3), zarr.slice(1, 3)]);
      expect(Array.from(part.data as Uint16Array)).toEqual([5, 6, 9, 7]);
      const group = await zarr.open(root, { kind: "group" });
      expect(group.path).toBe("/");
    });

    it("reads a sharded Zarr v3 array (its index through a suffix range)", async () => {
      const store = makeStore();
      await writeV3Sharded(store, "datasets/v3/");
      const arr = await zarr.open(zarr.root(zarrStore(store, "datasets/v3/")).resolve("s"), {
        kind: "array",
      });
      expect((await zarr.get(arr)).data).toEqual(EXPECTED);
    });

    it("writes through zarrita (set) into the BlobStore", async () => {
      const store = makeStore();
      const root = zarr.root(zarrStore(store, "datasets/written/"));
      const created = await zarr.create(root.resolve("w"), {
        shape: [3, 4],
        chunkShape: [2, 2],
        dtype: "int32",
      });
      await zarr.set(created, null, {
        data: Int32Array.from({ length: 12 }, (_, i) => i - 6),
        shape: [3, 4],
        stride: [4, 1],
      });
      expect(await listAll(store, "datasets/written/")).toEqual([
        "datasets/written/w/c/0/0",
        "datasets/written/w/c/0/1",
        "datasets/written/w/c/1/0",
        "datasets/written/w/c/1/1",
        "datasets/written/w/zarr.json",
      ]);
      const reopened = await zarr.open(zarr.root(zarrStore(store, "datasets/written/")).resolve("w"), {
        kind: "array",
      });
      expect(Array.from((await zarr.get(reopened)).data as Int32Array)).toEqual(
        Array.from({ length: 12 }, (_, i) => i - 6),
      );
    });

    it("maps keys under the prefix, reads missing keys as undefined, and refuses invalid keys", async () => {
      const store = makeStore();
      const z = zarrStore(store, "p/");
      await z.set("/x/.zattrs", json({ a: 1 }));
      expect(await store.get("p/x/.zattrs")).toBeDefined();
      expect(await z.get("/missing")).toBeUndefined();
      expect(await z.getRange("/x/.zattrs", { suffixLength: 2 })).toEqual(text("1}"));
      await expect(z.get("/../escape")).rejects.toThrow(InvalidKeyError);
      await expect(z.get("/a//b")).rejects.toThrow(InvalidKeyError);
      await expect(z.set("/", text("x"))).rejects.toThrow(InvalidKeyError);
      await expect(z.get("relative" as "/relative")).rejects.toThrow(/must be absolute/);
      expect(() => zarrStore(store, "no-slash")).toThrow(InvalidKeyError);
      const whole = zarrStore(store);
      expect(await whole.get("/p/x/.zattrs")).toEqual(json({ a: 1 }));
    });
  });
}

let dir: string;
let server: S3Server;
let s3: S3BlobStore;
let n = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sylva-zarr-store-"));
  server = await startS3Server();
  s3 = storeFromEnv(server.env) as S3BlobStore;
});
afterAll(async () => {
  s3?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

zarrTests("FsBlobStore", () => new FsBlobStore(path.join(dir, `fs-${++n}`)));
zarrTests(
  "S3BlobStore",
  () => new S3BlobStore({ client: s3.client, bucket: server.bucket, prefix: `zarr-${++n}` }),
);
