// A real S3-protocol server for tests and benchmarks only (never the product): s3rver on loopback, in a
// child process, with a temporary folder and a bucket created. `env` holds the S3_* variables for
// storeFromEnv / s3ClientFromEnv. s3rver is a devDependency, resolved when a server starts (not imported),
// so this module compiles into dist without pulling it into production installs; the test helper
// test/helpers/s3.ts re-exports it and `npm run bench` (bench/datasets.ts) uses it for S3 tile reads.
//
// Why a child process: s3rver encrypts ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3
// only offers with --openssl-legacy-provider (without it, every truncated listing fails with HTTP 500).
// The child also keeps s3rver's synchronous folder walks off the caller's event loop, and its patches
// (below) out of the caller's process.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";

export interface S3Server {
  /** "http://127.0.0.1:<port>". */
  readonly endpoint: string;
  /** The bucket made at start ("sylva-test" unless asked otherwise). */
  readonly bucket: string;
  /** S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_FORCE_PATH_STYLE. */
  readonly env: Record<string, string>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

export interface S3ServerOptions {
  /** The main bucket (default "sylva-test"). */
  readonly bucket?: string;
  /** More buckets to create. */
  readonly extraBuckets?: readonly string[];
}

/** s3rver's built-in account. */
const ACCESS_KEY = "S3RVER";

// Runs in the child: starts s3rver, prints {"port":…}, exits when the parent closes its stdin. Two patches
// make s3rver behave as S3 does where a client cannot make up for it (the suffix-range quirk is left alone:
// S3BlobStore copes with it):
// - PUT is atomic: s3rver streams into the object file in place and answers before the stream is flushed,
//   so readers could see part of an object and concurrent PUTs of one key could interleave;
// - a ranged GET of an empty object is 416 InvalidRange: s3rver answers 206 with "Content-Length: 1" and
//   no byte, and the client waits for the missing byte until the connection is reset.
const CHILD = `
const [modulePath, directory, buckets] = process.argv.slice(1);
const crypto = require("node:crypto");
const fs = require("node:fs/promises");
const path = require("node:path");
const req = require("node:module").createRequire(modulePath);
const S3rver = req(modulePath);
const FilesystemStore = req("./stores/filesystem.js");
const S3Object = req("./models/object.js");
const { pick, pickBy } = req("lodash");

async function writeAtomic(file, data) {
  const temp = path.join(path.dirname(file), ".tmp-" + crypto.randomBytes(8).toString("hex"));
  await fs.writeFile(temp, data);
  await fs.rename(temp, file);
}

FilesystemStore.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, "object");
  await fs.mkdir(path.dirname(objectPath), { recursive: true });
  const chunks = [];
  if (Buffer.isBuffer(object.content)) chunks.push(object.content);
  else for await (const chunk of object.content) chunks.push(chunk);
  const content = Buffer.concat(chunks);
  const md5 = crypto.createHash("md5").update(content).digest("hex");
  await writeAtomic(objectPath, content);
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size: content.length, md5 };
};

FilesystemStore.prototype.putMetadata = async function (bucket, key, metadata, md5) {
  const json = {
    ...pick(metadata, S3Object.ALLOWED_METADATA),
    ...pickBy(metadata, (value, name) => name.startsWith("x-amz-meta-")),
  };
  if (md5) await writeAtomic(this.getResourcePath(bucket, key, "object.md5"), md5);
  await writeAtomic(this.getResourcePath(bucket, key, "metadata.json"), JSON.stringify(json, null, 2));
};

const getObject = FilesystemStore.prototype.getObject;
FilesystemStore.prototype.getObject = async function (bucket, key, options) {
  const object = await getObject.call(this, bucket, key, options);
  if (object && object.range && object.size === 0 && object.content) {
    object.content.destroy();
    object.content = null;
  }
  return object;
};

const server = new S3rver({
  port: 0,
  address: "127.0.0.1",
  silent: true,
  directory,
  configureBuckets: JSON.parse(buckets).map((name) => ({ name })),
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + "\\n"),
  (error) => { process.stderr.write(String((error && error.stack) || error)); process.exit(1); },
);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const bucket = options.bucket ?? "sylva-test";
  const directory = await mkdtemp(path.join(tmpdir(), "sylva-s3rver-"));
  const modulePath = createRequire(import.meta.url).resolve("s3rver");
  const child = spawn(
    process.execPath,
    [
      "--openssl-legacy-provider",
      "-e",
      CHILD,
      modulePath,
      directory,
      JSON.stringify([bucket, ...(options.extraBuckets ?? [])]),
    ],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let port: number;
  try {
    port = await readPort(child);
  } catch (e) {
    child.kill("SIGKILL");
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    env: {
      S3_ENDPOINT: endpoint,
      S3_REGION: "us-east-1",
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: ACCESS_KEY,
      S3_SECRET_ACCESS_KEY: ACCESS_KEY,
      S3_FORCE_PATH_STYLE: "true",
    },
    stop() {
      stopped ??= (async () => {
        const exited = new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) resolve();
          else child.once("exit", () => resolve());
        });
        child.kill("SIGTERM");
        await exited;
        await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Waits for the child's `{"port":…}` line (or its failure). */
function readPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error("s3rver did not start within 20 s")), 20_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    child.stderr?.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split("\n")[0];
      if (!out.includes("\n")) return;
      clearTimeout(timer);
      try {
        const { port } = JSON.parse(line) as { port: number };
        resolve(port);
      } catch {
        reject(new Error(`s3rver printed an unexpected line: ${line}`));
      }
    });
    child.once("error", fail);
    child.once("exit", (code, signal) =>
      fail(new Error(`s3rver exited (${code ?? signal}) before listening: ${err}`)),
    );
  });
}
