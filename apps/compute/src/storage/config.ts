// Choosing and opening the BlobStore from the environment: S3 when S3_BUCKET is set, else a data folder.
//
//   S3_BUCKET             the bucket (switches to S3)
//   S3_PREFIX             the folder inside the bucket (optional)
//   S3_ENDPOINT           http(s) URL of an S3-compatible server (MinIO, Ceph RGW …); AWS when absent
//   S3_REGION             default "us-east-1"
//   S3_ACCESS_KEY_ID      } static credentials, both or neither;
//   S3_SECRET_ACCESS_KEY  } neither: the SDK's default chain (AWS_* variables, profiles, instance roles)
//   S3_FORCE_PATH_STYLE   "true" / "false"; default true when S3_ENDPOINT is set (MinIO and Ceph need it)
//   SYLVA_DATA_DIR        the data folder when S3_BUCKET is not set; default ./sylva-data (against cwd)
//
// An empty variable counts as unset. Errors name the variable; secrets are never printed.

import path from "node:path";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { z } from "zod";
import { StoreConfigError } from "./errors.js";
import { FsBlobStore } from "./fs-store.js";
import { checkPrefix } from "./keys.js";
import { checkBucketName, S3BlobStore } from "./s3-store.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** The default data folder, relative to the working directory. */
export const DEFAULT_DATA_DIR = "./sylva-data";
export const DEFAULT_S3_REGION = "us-east-1";

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

const envSchema = z.object({
  S3_BUCKET: optional(
    z.string().refine(
      (b) => {
        try {
          checkBucketName(b);
          return true;
        } catch {
          return false;
        }
      },
      {
        message:
          'not a valid bucket name (3 to 63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit)',
      },
    ),
  ),
  S3_PREFIX: optional(
    z
      .string()
      .transform((p) => (p.endsWith("/") ? p : `${p}/`))
      .refine(
        (p) => {
          try {
            checkPrefix(p);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'not a valid prefix (a relative "/"-separated path such as "sylva/prod")' },
      ),
  ),
  S3_ENDPOINT: optional(
    z.string().refine((u) => /^https?:\/\/[^/]/.test(u) && URL.canParse(u), {
      message: "expected an http:// or https:// URL",
    }),
  ),
  S3_REGION: optional(
    z.string().regex(/^[a-z0-9-]+$/, { message: 'expected a region name such as "us-east-1"' }),
  ),
  S3_ACCESS_KEY_ID: optional(z.string()),
  S3_SECRET_ACCESS_KEY: optional(z.string()),
  S3_FORCE_PATH_STYLE: optional(z.enum(["true", "false"], { message: 'expected "true" or "false"' })),
  SYLVA_DATA_DIR: optional(z.string()),
});

type StoreEnv = z.infer<typeof envSchema>;

/** Validates the storage variables of `env`; throws StoreConfigError naming each bad variable. */
function parseEnv(env: Env): StoreEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const name = String(i.path[0] ?? "environment");
      // Values of credentials are never echoed.
      const value =
        name.includes("SECRET") || name.includes("KEY_ID") ? "" : ` (got ${JSON.stringify(env[name])})`;
      return `${name}: ${i.message}${value}`;
    });
    throw new StoreConfigError(`invalid storage configuration: ${problems.join("; ")}`);
  }
  const vars = parsed.data;
  if ((vars.S3_ACCESS_KEY_ID === undefined) !== (vars.S3_SECRET_ACCESS_KEY === undefined)) {
    const missing = vars.S3_ACCESS_KEY_ID === undefined ? "S3_ACCESS_KEY_ID" : "S3_SECRET_ACCESS_KEY";
    const set = missing === "S3_ACCESS_KEY_ID" ? "S3_SECRET_ACCESS_KEY" : "S3_ACCESS_KEY_ID";
    throw new StoreConfigError(
      `invalid storage configuration: ${missing} is missing (${set} is set; give both, or neither for the SDK's default credentials)`,
    );
  }
  return vars;
}

function clientConfig(vars: StoreEnv): S3ClientConfig {
  const config: S3ClientConfig = {
    region: vars.S3_REGION ?? DEFAULT_S3_REGION,
    forcePathStyle: pathStyle(vars),
  };
  if (vars.S3_ENDPOINT !== undefined) {
    config.endpoint = vars.S3_ENDPOINT;
    // S3-compatible servers often reject or mis-store the CRC checksums that recent SDKs add by default.
    config.requestChecksumCalculation = "WHEN_REQUIRED";
    config.responseChecksumValidation = "WHEN_REQUIRED";
  }
  if (vars.S3_ACCESS_KEY_ID !== undefined && vars.S3_SECRET_ACCESS_KEY !== undefined) {
    config.credentials = { accessKeyId: vars.S3_ACCESS_KEY_ID, secretAccessKey: vars.S3_SECRET_ACCESS_KEY };
  }
  return config;
}

function pathStyle(vars: StoreEnv): boolean {
  if (vars.S3_FORCE_PATH_STYLE !== undefined) return vars.S3_FORCE_PATH_STYLE === "true";
  return vars.S3_ENDPOINT !== undefined;
}

/** The S3 client configuration of the S3_* variables (S3_BUCKET is not needed). */
export function s3ClientConfigFromEnv(env: Env = process.env): S3ClientConfig {
  return clientConfig(parseEnv(env));
}

/** An S3 client with the endpoint, region and credentials of the S3_* variables, e.g. to open other buckets. */
export function s3ClientFromEnv(env: Env = process.env): S3Client {
  return new S3Client(s3ClientConfigFromEnv(env));
}

/** The BlobStore the environment asks for: S3BlobStore when S3_BUCKET is set, else FsBlobStore. */
export function storeFromEnv(env: Env = process.env): S3BlobStore | FsBlobStore {
  const vars = parseEnv(env);
  if (vars.S3_BUCKET !== undefined) {
    return new S3BlobStore({
      config: clientConfig(vars),
      bucket: vars.S3_BUCKET,
      prefix: vars.S3_PREFIX ?? "",
    });
  }
  return new FsBlobStore(path.resolve(vars.SYLVA_DATA_DIR ?? DEFAULT_DATA_DIR));
}

/** One line for logs: which store, where, and how it authenticates (never the secrets). */
export function describeStoreConfig(env: Env = process.env): string {
  const vars = parseEnv(env);
  if (vars.S3_BUCKET === undefined) {
    return `blob store: file system ${path.resolve(vars.SYLVA_DATA_DIR ?? DEFAULT_DATA_DIR)}`;
  }
  const where = vars.S3_ENDPOINT === undefined ? "AWS" : new URL(vars.S3_ENDPOINT).origin; // no user:password@
  const style = pathStyle(vars) ? "path-style" : "virtual-hosted-style";
  const credentials = vars.S3_ACCESS_KEY_ID !== undefined ? "static credentials" : "default credential chain";
  return `blob store: s3://${vars.S3_BUCKET}/${vars.S3_PREFIX ?? ""} at ${where} (region ${vars.S3_REGION ?? DEFAULT_S3_REGION}, ${style}, ${credentials})`;
}
