// storeFromEnv, s3ClientFromEnv and describeStoreConfig: both backends, defaults, and errors naming the
// variable (never a secret).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  describeStoreConfig,
  s3ClientConfigFromEnv,
  s3ClientFromEnv,
  storeFromEnv,
} from "../../src/storage/config.js";
import { StoreConfigError } from "../../src/storage/errors.js";
import { FsBlobStore } from "../../src/storage/fs-store.js";
import { S3BlobStore } from "../../src/storage/s3-store.js";
import { type S3Server, startS3Server } from "../helpers/s3.js";
import { listAll, text } from "./conformance.js";

describe("storeFromEnv: file system", () => {
  it("defaults to ./sylva-data against the working directory", () => {
    const store = storeFromEnv({});
    expect(store).toBeInstanceOf(FsBlobStore);
    expect((store as FsBlobStore).root).toBe(path.resolve("sylva-data"));
    expect(describeStoreConfig({})).toBe(`blob store: file system ${path.resolve("sylva-data")}`);
  });

  it("uses SYLVA_DATA_DIR, and ignores empty S3 variables", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "sylva-config-"));
    try {
      const store = storeFromEnv({ SYLVA_DATA_DIR: dir, S3_BUCKET: "", S3_ENDPOINT: "" });
      expect(store).toBeInstanceOf(FsBlobStore);
      expect((store as FsBlobStore).root).toBe(dir);
      await store.put("k", text("v"));
      expect(await listAll(storeFromEnv({ SYLVA_DATA_DIR: dir }))).toEqual(["k"]);
      expect(describeStoreConfig({ SYLVA_DATA_DIR: dir })).toBe(`blob store: file system ${dir}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("resolves a relative SYLVA_DATA_DIR against the working directory", () => {
    expect((storeFromEnv({ SYLVA_DATA_DIR: "data/here" }) as FsBlobStore).root).toBe(
      path.resolve("data/here"),
    );
  });
});

describe("storeFromEnv: S3", () => {
  let server: S3Server;
  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("opens the bucket of S3_BUCKET with the endpoint and credentials of the environment", async () => {
    const store = storeFromEnv(server.env);
    expect(store).toBeInstanceOf(S3BlobStore);
    const s3 = store as S3BlobStore;
    try {
      expect(s3.description).toBe("s3://sylva-test/");
      await s3.put("from-env", text("hello"));
      expect(new TextDecoder().decode(await s3.get("from-env"))).toBe("hello");
    } finally {
      s3.close();
    }
  });

  it("puts the store under S3_PREFIX", async () => {
    const store = storeFromEnv({ ...server.env, S3_PREFIX: "tenants/lab" }) as S3BlobStore;
    const whole = storeFromEnv(server.env) as S3BlobStore;
    try {
      expect(store.prefix).toBe("tenants/lab/");
      await store.put("k", text("v"));
      expect(await listAll(whole, "tenants/")).toEqual(["tenants/lab/k"]);
    } finally {
      store.close();
      whole.close();
    }
  });

  it("gives other code a client for other buckets", async () => {
    const client = s3ClientFromEnv({ ...server.env, S3_BUCKET: undefined });
    try {
      const store = new S3BlobStore({ client, bucket: server.bucket, prefix: "via-client" });
      await store.put("x", text("y"));
      expect(await listAll(store)).toEqual(["x"]);
    } finally {
      client.destroy();
    }
  });

  it("describes the configuration without secrets", () => {
    const line = describeStoreConfig({
      ...server.env,
      S3_SECRET_ACCESS_KEY: "hunter2-secret",
      S3_PREFIX: "p",
    });
    expect(line).toBe(
      `blob store: s3://sylva-test/p/ at ${server.endpoint} (region us-east-1, path-style, static credentials)`,
    );
    expect(line).not.toContain("hunter2");
    expect(line).not.toContain("S3RVER");
    const withUser = describeStoreConfig({ S3_BUCKET: "b12", S3_ENDPOINT: "http://user:pw@minio:9000/" });
    expect(withUser).toBe(
      "blob store: s3://b12/ at http://minio:9000 (region us-east-1, path-style, default credential chain)",
    );
    expect(describeStoreConfig({ S3_BUCKET: "b12", S3_REGION: "eu-west-3" })).toBe(
      "blob store: s3://b12/ at AWS (region eu-west-3, virtual-hosted-style, default credential chain)",
    );
  });
});

describe("s3ClientConfigFromEnv", () => {
  it("forces path-style requests when S3_ENDPOINT is set, unless told otherwise", () => {
    expect(s3ClientConfigFromEnv({ S3_ENDPOINT: "http://minio:9000" }).forcePathStyle).toBe(true);
    expect(
      s3ClientConfigFromEnv({ S3_ENDPOINT: "http://minio:9000", S3_FORCE_PATH_STYLE: "false" })
        .forcePathStyle,
    ).toBe(false);
    expect(s3ClientConfigFromEnv({}).forcePathStyle).toBe(false);
    expect(s3ClientConfigFromEnv({ S3_FORCE_PATH_STYLE: "true" }).forcePathStyle).toBe(true);
  });

  it("defaults the region and falls back to the SDK's credential chain", () => {
    const config = s3ClientConfigFromEnv({ S3_BUCKET: "b12" });
    expect(config.region).toBe("us-east-1");
    expect(config.credentials).toBeUndefined();
    expect(config.endpoint).toBeUndefined();
    const fixed = s3ClientConfigFromEnv({
      S3_ACCESS_KEY_ID: "id",
      S3_SECRET_ACCESS_KEY: "secret",
      S3_REGION: "x-1",
    });
    expect(fixed.credentials).toEqual({ accessKeyId: "id", secretAccessKey: "secret" });
    expect(fixed.region).toBe("x-1");
  });
});

describe("storage configuration errors", () => {
  it.each([
    [
      { S3_BUCKET: "b12", S3_FORCE_PATH_STYLE: "yes" },
      /S3_FORCE_PATH_STYLE: expected "true" or "false" \(got "yes"\)/,
    ],
    [{ S3_BUCKET: "b12", S3_ENDPOINT: "minio:9000" }, /S3_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/],
    [{ S3_BUCKET: "Bad_Bucket" }, /S3_BUCKET: not a valid bucket name .* \(got "Bad_Bucket"\)/],
    [{ S3_BUCKET: "b12", S3_PREFIX: "a//b" }, /S3_PREFIX: not a valid prefix/],
    [{ S3_BUCKET: "b12", S3_PREFIX: "/abs" }, /S3_PREFIX: not a valid prefix/],
    [{ S3_BUCKET: "b12", S3_REGION: "US East" }, /S3_REGION: expected a region name/],
    [
      { S3_BUCKET: "b12", S3_ACCESS_KEY_ID: "id" },
      /S3_SECRET_ACCESS_KEY is missing \(S3_ACCESS_KEY_ID is set/,
    ],
    [{ S3_BUCKET: "b12", S3_SECRET_ACCESS_KEY: "hunter2" }, /S3_ACCESS_KEY_ID is missing/],
  ])("refuses %j", (env, message) => {
    expect(() => storeFromEnv(env)).toThrow(StoreConfigError);
    expect(() => storeFromEnv(env)).toThrow(message);
    expect(() => describeStoreConfig(env)).toThrow(message);
    expect(() => s3ClientFromEnv(env)).toThrow(message);
  });

  it("names every bad variable at once, and never prints a secret", () => {
    let message = "";
    try {
      storeFromEnv({
        S3_BUCKET: "b12",
        S3_FORCE_PATH_STYLE: "1",
        S3_ENDPOINT: "nope",
        S3_SECRET_ACCESS_KEY: "hunter2",
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^invalid storage configuration: /);
    expect(message).toContain("S3_FORCE_PATH_STYLE");
    expect(message).toContain("S3_ENDPOINT");
    expect(message).not.toContain("hunter2");
  });
});
