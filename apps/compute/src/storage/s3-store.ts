// The S3 BlobStore (AWS S3, MinIO, Ceph RGW, any S3-protocol server) on @aws-sdk/client-s3: key "a/b" is
// the object `<prefix>a/b` of the bucket.
//
// - `get`/`getRange` use GetObject (ranged with `Range: bytes=a-b` or `bytes=-n`); a missing key
//   (NoSuchKey, 404) is undefined and a range starting past the end (416 InvalidRange) is empty. The answer's
//   Content-Range is checked, so a server that ignores or misreads a range (s3rver reads `bytes=-n` as
//   `bytes=0-n`) still yields the right bytes: they are cut locally, or asked again as `bytes=a-b`.
// - `list` pages through ListObjectsV2 (ContinuationToken) under the store prefix; keys come back without
//   it. Each page is sorted (some test servers list in their own file order) and keys that are not valid
//   keys (folder markers "x/", foreign objects) are skipped.
// - `deletePrefix` deletes the listed keys with DeleteObjects, 1000 at a time.

import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import type { BlobStore, ByteRange } from "./blob-store.js";
import { StoreConfigError, StoreError, type StoreOperation } from "./errors.js";
import { checkByteRange, checkKey, checkPrefix, clipByteRange, compareKeys, isValidKey } from "./keys.js";

export interface S3BlobStoreOptions {
  /** The client to use (shared with other stores; `close` leaves it open). */
  readonly client?: S3Client;
  /** Or the configuration of a client of the store's own (the SDK's defaults when neither is given). */
  readonly config?: S3ClientConfig;
  readonly bucket: string;
  /** The folder of the bucket the store lives in: "" (default) or "some/prefix" (a final "/" is added). */
  readonly prefix?: string;
  /** Keys per ListObjectsV2 page, 1 to 1000 (default 1000). */
  readonly listPageSize?: number;
}

/** DeleteObjects takes at most this many keys. */
const DELETE_BATCH = 1000;

export class S3BlobStore implements BlobStore {
  readonly description: string;
  readonly client: S3Client;
  readonly bucket: string;
  /** "" or ends with "/". */
  readonly prefix: string;
  readonly #ownsClient: boolean;
  readonly #pageSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = checkBucketName(options.bucket);
    this.prefix = normalizeStorePrefix(options.prefix ?? "");
    this.#ownsClient = options.client === undefined;
    this.client = options.client ?? new S3Client(options.config ?? {});
    const pageSize = options.listPageSize ?? 1000;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
      throw new RangeError(`listPageSize must be an integer from 1 to 1000, got ${pageSize}`);
    }
    this.#pageSize = pageSize;
    this.description = `s3://${this.bucket}/${this.prefix}`;
  }

  /** Closes the client's connections if the store made the client. */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const got = await this.#getObject(key, "get", undefined);
    return got === "unsatisfiable" ? new Uint8Array(0) : got?.bytes;
  }

  async getRange(key: string, range: ByteRange): Promise<Uint8Array | undefined> {
    checkKey(key);
    checkByteRange(range);
    const wanted = "suffixLength" in range ? range.suffixLength : range.length;
    if (wanted === 0) {
      // "bytes=a-(a-1)" and "bytes=-0" are not valid ranges: only the key's existence matters.
      return (await this.#head(key, "getRange")) === undefined ? undefined : new Uint8Array(0);
    }
    const header =
      "suffixLength" in range
        ? `bytes=-${range.suffixLength}`
        : `bytes=${range.offset}-${range.offset + range.length - 1}`;
    const got = await this.#getObject(key, "getRange", header);
    if (got === undefined) return undefined;
    if (got === "unsatisfiable") return new Uint8Array(0);
    if (got.contentRange === undefined) {
      // The server ignored the range and sent the whole blob.
      const { start, end } = clipByteRange(range, got.bytes.length);
      return got.bytes.slice(start, end);
    }
    const cut = cutToRange(got.bytes, got.contentRange, range);
    if (cut !== undefined) return cut;
    // The server answered another span than asked (s3rver reads "bytes=-n" as "bytes=0-n"): ask for the
    // exact span, now that the blob's size is known.
    const { start, end } = clipByteRange(range, got.contentRange.total);
    if (end <= start) return new Uint8Array(0);
    const again = await this.#getObject(key, "getRange", `bytes=${start}-${end - 1}`);
    if (again === undefined) return undefined;
    if (again === "unsatisfiable") return new Uint8Array(0);
    const exact = { offset: start, length: end - start };
    const cutAgain =
      again.contentRange === undefined
        ? again.bytes.slice(start, end)
        : cutToRange(again.bytes, again.contentRange, exact);
    if (cutAgain !== undefined) return cutAgain;
    throw new StoreError(
      this.description,
      "getRange",
      key,
      `the server answered bytes ${formatContentRange(again.contentRange)} to "Range: bytes=${start}-${end - 1}"`,
    );
  }

  async size(key: string): Promise<number | undefined> {
    checkKey(key);
    return this.#head(key, "size");
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    checkKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.prefix + key,
          Body: data,
          ContentLength: data.byteLength,
        }),
      );
    } catch (e) {
      throw this.#error("put", key, e);
    }
  }

  list(prefix: string): AsyncIterable<string> {
    checkPrefix(prefix);
    return this.#list(prefix);
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (e) {
      if (isNotFound(e)) return;
      throw this.#error("delete", key, e);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    checkPrefix(prefix);
    let count = 0;
    let batch: string[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const keys = batch;
      batch = [];
      let errors: { Key?: string; Code?: string; Message?: string }[];
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: keys.map((key) => ({ Key: this.prefix + key })), Quiet: true },
          }),
        );
        errors = out.Errors ?? [];
      } catch (e) {
        throw this.#error("deletePrefix", prefix, e);
      }
      // A key that is already gone is not a failure (S3 reports none; some servers say NoSuchKey).
      const failures = errors.filter((x) => x.Code !== "NoSuchKey");
      if (failures.length > 0) {
        const first = failures[0];
        const key = (first.Key ?? "").slice(this.prefix.length);
        throw new StoreError(
          this.description,
          "deletePrefix",
          prefix,
          `${failures.length} of ${keys.length} keys not deleted, first ${key}: ${first.Code ?? "error"} ${first.Message ?? ""}`.trim(),
        );
      }
      count += keys.length - errors.length;
    };
    for await (const key of this.#list(prefix, "deletePrefix")) {
      batch.push(key);
      if (batch.length >= DELETE_BATCH) await flush();
    }
    await flush();
    return count;
  }

  // ---- requests ----

  /** GetObject: the bytes (and the answer's Content-Range), undefined when missing, or "unsatisfiable". */
  async #getObject(
    key: string,
    op: StoreOperation,
    range: string | undefined,
  ): Promise<{ bytes: Uint8Array; contentRange: ContentRange | undefined } | "unsatisfiable" | undefined> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range: range }),
      );
      const bytes =
        out.Body === undefined ? new Uint8Array(0) : ownBytes(await out.Body.transformToByteArray());
      let contentRange: ContentRange | undefined;
      if (range !== undefined && out.ContentRange !== undefined) {
        contentRange = parseContentRange(out.ContentRange);
        if (contentRange === undefined) {
          throw new StoreError(this.description, op, key, `unreadable Content-Range "${out.ContentRange}"`);
        }
      }
      return { bytes, contentRange };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (range !== undefined && errorInfo(e).name === "InvalidRange") return "unsatisfiable";
      if (range !== undefined && errorInfo(e).status === 416) return "unsatisfiable";
      throw this.#error(op, key, e);
    }
  }

  /** HeadObject: the blob's size, or undefined when missing. */
  async #head(key: string, op: StoreOperation): Promise<number | undefined> {
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return out.ContentLength ?? 0;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw this.#error(op, key, e);
    }
  }

  async *#list(prefix: string, op: StoreOperation = "list"): AsyncGenerator<string> {
    let token: string | undefined;
    let last: string | undefined;
    do {
      let page: { keys: string[]; next: string | undefined };
      try {
        const out = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            MaxKeys: this.#pageSize,
            ContinuationToken: token,
          }),
        );
        const keys = (out.Contents ?? [])
          .map((o) => o.Key)
          .filter((k): k is string => k?.startsWith(this.prefix + prefix) === true)
          .map((k) => k.slice(this.prefix.length))
          .filter(isValidKey)
          .sort(compareKeys);
        page = { keys, next: out.IsTruncated ? out.NextContinuationToken : undefined };
        if (out.IsTruncated && !out.NextContinuationToken) {
          throw new StoreError(
            this.description,
            op,
            prefix,
            "a truncated listing came without NextContinuationToken",
          );
        }
      } catch (e) {
        throw this.#error(op, prefix, e);
      }
      for (const key of page.keys) {
        if (last !== undefined && compareKeys(key, last) <= 0) {
          throw new StoreError(
            this.description,
            op,
            prefix,
            `the server listed keys out of order ("${key}" after "${last}") across pages`,
          );
        }
        last = key;
        yield key;
      }
      token = page.next;
    } while (token !== undefined);
  }

  #error(op: StoreOperation, key: string, e: unknown): StoreError {
    if (e instanceof StoreError) return e;
    return new StoreError(this.description, op, key, describeS3Error(e), { cause: e });
  }
}

/** Splits "s3://bucket/some/prefix" into its bucket and its prefix ("" or ending with "/"). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const fail = (why: string): never => {
    throw new StoreConfigError(`invalid S3 URL ${JSON.stringify(url)}: ${why}`);
  };
  if (typeof url !== "string" || !url.startsWith("s3://")) return fail('it must start with "s3://"');
  const rest = url.slice("s3://".length);
  if (/[?#]/.test(rest)) fail('it must not have a query or fragment ("?" or "#")');
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (bucket === "") fail('the bucket name is missing ("s3://bucket/prefix")');
  let prefix: string;
  try {
    checkBucketName(bucket);
    prefix = normalizeStorePrefix(slash === -1 ? "" : rest.slice(slash + 1));
  } catch (e) {
    return fail(e instanceof Error ? e.message : String(e));
  }
  return { bucket, prefix };
}

/** Returns `bucket` if it follows S3's bucket naming rules; throws StoreConfigError otherwise. */
export function checkBucketName(bucket: string): string {
  if (typeof bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new StoreConfigError(
      `invalid bucket name ${JSON.stringify(bucket)}: 3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit`,
    );
  }
  return bucket;
}

/** A store prefix with its final "/" ("a/b" → "a/b/", "" stays ""), checked as a key prefix. */
function normalizeStorePrefix(prefix: string): string {
  const withSlash = prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`;
  return checkPrefix(withSlash);
}

// ---- answers ----

interface ContentRange {
  /** First byte sent. */
  readonly start: number;
  /** Last byte sent (inclusive). */
  readonly end: number;
  readonly total: number;
}

function parseContentRange(header: string): ContentRange | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
  if (m === null) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) };
}

function formatContentRange(r: ContentRange | undefined): string {
  return r === undefined ? "(no Content-Range)" : `${r.start}-${r.end}/${r.total}`;
}

/** The bytes of `range` out of an answer that holds `bytes` from `sent.start`, or undefined if not inside. */
function cutToRange(bytes: Uint8Array, sent: ContentRange, range: ByteRange): Uint8Array | undefined {
  const { start, end } = clipByteRange(range, sent.total);
  if (start < sent.start || end > sent.start + bytes.length) return undefined;
  if (start === sent.start && end === sent.start + bytes.length) return bytes;
  return bytes.slice(start - sent.start, end - sent.start);
}

// ---- errors ----

function errorInfo(e: unknown): { name: string; status: number | undefined; message: string } {
  if (!(e instanceof Error)) return { name: "Error", status: undefined, message: String(e) };
  const meta = "$metadata" in e ? (e.$metadata as { httpStatusCode?: number } | undefined) : undefined;
  const code = "code" in e && typeof e.code === "string" ? e.code : undefined;
  return { name: code ?? e.name, status: meta?.httpStatusCode, message: e.message };
}

function isNotFound(e: unknown): boolean {
  const { name, status } = errorInfo(e);
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || status === 404;
}

/** "AccessDenied (HTTP 403): Access Denied", "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9000". */
export function describeS3Error(e: unknown): string {
  const { name, status, message } = errorInfo(e);
  const head = status === undefined ? name : `${name} (HTTP ${status})`;
  if (message === "" || message === name || message === "UnknownError") return head;
  return `${head}: ${message}`;
}

/** `bytes` as a plain Uint8Array that spans its whole buffer (never a view into Node's shared Buffer pool). */
function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return Buffer.isBuffer(bytes) ? new Uint8Array(bytes.buffer, 0, bytes.byteLength) : bytes;
  }
  return new Uint8Array(bytes);
}
