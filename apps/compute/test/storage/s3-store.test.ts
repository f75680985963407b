// S3BlobStore: the conformance suite against a real S3-protocol server (s3rver on loopback), under a
// prefix and at a bucket's root, plus paging, errors and parseS3Url.

import { randomUUID } from "node:crypto";
import { CreateBucketCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ClientFromEnv } from "../../src/storage/config.js";
import { StoreConfigError, StoreError } from "../../src/storage/errors.js";
import { parseS3Url, S3BlobStore } from "../../src/storage/s3-store.js";
import { type S3Server, startS3Server } from "../helpers/s3.js";
import { blobStoreConformance, listAll, text } from "./conformance.js";

let server: S3Server;
let client: S3Client;

beforeAll(async () => {
  server = await startS3Server({ extraBuckets: ["other-bucket"] });
  client = s3ClientFromEnv(server.env);
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

let counter = 0;

blobStoreConformance("S3BlobStore under a prefix", async () => {
  const store = new S3BlobStore({ client, bucket: server.bucket, prefix: `runs/t${++counter}` });
  return { store, cleanup: async () => {} };
});

blobStoreConformance("S3BlobStore at a bucket's root", async () => {
  const bucket = `root-${++counter}-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { store: new S3BlobStore({ client, bucket }), cleanup: async () => {} };
});

describe("S3BlobStore", () => {
  it("describes itself as an s3:// URL and strips its prefix from listed keys", async () => {
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix: "described/here" });
    expect(store.description).toBe(`s3://${server.bucket}/described/here/`);
    expect(store.prefix).toBe("described/here/");
    await store.put("k/1", text("1"));
    const root = new S3BlobStore({ client, bucket: server.bucket, prefix: "described/" });
    expect(await listAll(root, "here/")).toEqual(["here/k/1"]);
    expect(await listAll(store)).toEqual(["k/1"]);
  });

  it("pages through long listings with continuation tokens, in order", async () => {
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix: "paged", listPageSize: 3 });
    const keys = Array.from({ length: 11 }, (_, i) => `k/${String(i).padStart(2, "0")}`);
    await Promise.all(keys.map((k) => store.put(k, text(k))));
    expect(await listAll(store)).toEqual(keys);
    expect(await listAll(store, "k/")).toEqual(keys);
    expect(await store.deletePrefix("k/")).toBe(11);
    expect(await listAll(store)).toEqual([]);
  });

  it("deletes more than one DeleteObjects batch", async () => {
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix: "batches" });
    const keys = Array.from({ length: 1005 }, (_, i) => `b/${String(i).padStart(4, "0")}`);
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(keys.slice(i, i + 100).map((k) => store.put(k, new Uint8Array(1))));
    }
    expect((await listAll(store)).length).toBe(1005);
    expect(await store.deletePrefix("")).toBe(1005);
    expect(await listAll(store)).toEqual([]);
  });

  it("skips objects whose names are not valid keys (folder markers, foreign objects)", async () => {
    const store = new S3BlobStore({ client, bucket: server.bucket, prefix: "foreign" });
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: "foreign/folder/", Body: "" }));
    await client.send(new PutObjectCommand({ Bucket: server.bucket, Key: "foreign/back\\slash", Body: "x" }));
    await client.send(
      new PutObjectCommand({ Bucket: server.bucket, Key: "foreign/.sylva-tmp-1", Body: "x" }),
    );
    await store.put("folder/real", text("r"));
    expect(await listAll(store)).toEqual(["folder/real"]);
  });

  it("opens another bucket with the client of the environment", async () => {
    const { bucket, prefix } = parseS3Url("s3://other-bucket/imports/2024");
    const other = new S3BlobStore({ client: s3ClientFromEnv(server.env), bucket, prefix });
    try {
      await other.put("vol/.zarray", text("{}"));
      expect(new TextDecoder().decode(await other.get("vol/.zarray"))).toBe("{}");
      expect(other.description).toBe("s3://other-bucket/imports/2024/");
    } finally {
      other.close();
    }
  });

  it("reports a missing bucket as StoreError naming the store, operation and key (not as a missing key)", async () => {
    const store = new S3BlobStore({ client, bucket: "no-such-bucket", prefix: "pre" });
    const put = (await store.put("datasets/x/0/0", text("x")).catch((e: unknown) => e)) as StoreError;
    expect(put).toBeInstanceOf(StoreError);
    expect(put.message).toMatch(
      /^s3:\/\/no-such-bucket\/pre\/: put datasets\/x\/0\/0: NoSuchBucket \(HTTP 404\)/,
    );
    await expect(store.get("k")).rejects.toThrow(/s3:\/\/no-such-bucket\/pre\/: get k: NoSuchBucket/);
    await expect(listAll(store)).rejects.toThrow(/: list "": NoSuchBucket/);
  });

  it("reports bad credentials as StoreError", async () => {
    // s3rver checks the access key id of SigV4 requests, not their signature.
    const bad = s3ClientFromEnv({
      ...server.env,
      S3_ACCESS_KEY_ID: "NOBODY",
      S3_SECRET_ACCESS_KEY: "wrong-secret",
    });
    const store = new S3BlobStore({ client: bad, bucket: server.bucket });
    try {
      const error = (await store.put("k", text("x")).catch((e: unknown) => e)) as StoreError;
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(/^s3:\/\/sylva-test\/: put k: InvalidAccessKeyId \(HTTP 403\)/);
      expect(error.message).not.toContain("wrong-secret");
    } finally {
      bad.destroy();
    }
  });

  it("reports an unreachable server as StoreError", async () => {
    const store = new S3BlobStore({
      bucket: "sylva-test",
      config: {
        endpoint: "http://127.0.0.1:9",
        region: "us-east-1",
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: "a", secretAccessKey: "b" },
      },
    });
    try {
      await expect(store.get("k")).rejects.toThrow(/^s3:\/\/sylva-test\/: get k: .*ECONNREFUSED/);
    } finally {
      store.close();
    }
  });

  it("refuses a bad bucket, prefix or page size when built", () => {
    expect(() => new S3BlobStore({ client, bucket: "Bad_Bucket" })).toThrow(StoreConfigError);
    expect(() => new S3BlobStore({ client, bucket: "ok-bucket", prefix: "a//b" })).toThrow(/empty segments/);
    expect(() => new S3BlobStore({ client, bucket: "ok-bucket", prefix: "/abs" })).toThrow(/relative/);
    expect(() => new S3BlobStore({ client, bucket: "ok-bucket", listPageSize: 0 })).toThrow(RangeError);
  });
});

describe("parseS3Url", () => {
  it("splits bucket and prefix", () => {
    expect(parseS3Url("s3://bucket")).toEqual({ bucket: "bucket", prefix: "" });
    expect(parseS3Url("s3://bucket/")).toEqual({ bucket: "bucket", prefix: "" });
    expect(parseS3Url("s3://bucket/some/prefix")).toEqual({ bucket: "bucket", prefix: "some/prefix/" });
    expect(parseS3Url("s3://my.bucket-1/some/prefix/")).toEqual({
      bucket: "my.bucket-1",
      prefix: "some/prefix/",
    });
    expect(parseS3Url("s3://b12/données/😀")).toEqual({ bucket: "b12", prefix: "données/😀/" });
  });

  it.each([
    ["http://bucket/x", /must start with "s3:\/\/"/],
    ["bucket/x", /must start with "s3:\/\/"/],
    ["s3://", /bucket name is missing/],
    ["s3:///prefix", /bucket name is missing/],
    ["s3://Bucket/x", /invalid bucket name "Bucket"/],
    ["s3://ab/x", /invalid bucket name "ab"/],
    ["s3://bucket//x", /relative/],
    ["s3://bucket/a//b", /empty segments/],
    ["s3://bucket/a/../b", /segment ".." is not allowed/],
    ["s3://bucket/x?versionId=1", /query or fragment/],
  ])("refuses %j", (url, message) => {
    expect(() => parseS3Url(url)).toThrow(StoreConfigError);
    expect(() => parseS3Url(url)).toThrow(message);
    expect(() => parseS3Url(url)).toThrow(`invalid S3 URL ${JSON.stringify(url)}`);
  });
});
