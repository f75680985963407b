// Which import sources a caller may name. The `sylva` command line runs as the operator and may read
// anything the process can; the web app's upload dialog is restricted to the folders, buckets and URL
// schemes the operator allows (SYLVA_IMPORT_ROOTS, SYLVA_IMPORT_S3_BUCKETS, SYLVA_IMPORT_HTTP). Local paths
// are checked after resolving symlinks, for every file actually opened, so "../" and links cannot escape.

import { realpath } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../io/errors.js";
import type { Env } from "../storage/config.js";

export type SourceAccess =
  | { readonly kind: "operator" }
  | {
      readonly kind: "restricted";
      /** Real paths of the folders server-side files may come from (none: no server-side files). */
      readonly localRoots: readonly string[];
      /** Buckets `s3://` sources may name (none: no S3 sources). */
      readonly s3Buckets: readonly string[];
      /** Whether http(s) OME-Zarr URLs may be imported. */
      readonly http: boolean;
    };

export const OPERATOR_ACCESS: SourceAccess = { kind: "operator" };

export class AccessError extends InputError {}

/** The restricted access the operator configured for web imports. */
export async function accessFromEnv(env: Env = process.env): Promise<SourceAccess> {
  const roots = (env.SYLVA_IMPORT_ROOTS ?? "").split(path.delimiter).filter((r) => r.trim() !== "");
  const localRoots: string[] = [];
  for (const r of roots) {
    try {
      localRoots.push(await realpath(path.resolve(r)));
    } catch (e) {
      throw new Error(
        `SYLVA_IMPORT_ROOTS: cannot resolve folder "${r}": ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }
  const s3Buckets = (env.SYLVA_IMPORT_S3_BUCKETS ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter(Boolean);
  return { kind: "restricted", localRoots, s3Buckets, http: env.SYLVA_IMPORT_HTTP === "true" };
}

function within(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The real path of local file or folder `p`, refused unless the access allows it. */
export async function checkLocalPath(p: string, access: SourceAccess): Promise<string> {
  if (access.kind === "operator") return p;
  let real: string;
  try {
    real = await realpath(p);
  } catch {
    // Do not reveal whether a path outside the allowed folders exists.
    throw new AccessError(p, `${p}: not found in the folders imports may read`);
  }
  if (!access.localRoots.some((root) => within(real, root)))
    throw new AccessError(p, `${p}: not found in the folders imports may read`);
  return real;
}

export function checkS3Bucket(url: string, bucket: string, access: SourceAccess): void {
  if (access.kind === "restricted" && !access.s3Buckets.includes(bucket))
    throw new AccessError(url, `${url}: bucket "${bucket}" is not one imports may read`);
}

export function checkHttp(url: string, access: SourceAccess): void {
  if (access.kind === "restricted" && !access.http)
    throw new AccessError(url, `${url}: importing from http(s) URLs is not enabled on this server`);
}
