// The token-signing secret of a deployment: SYLVA_SECRET when set (what a real deployment does, from its
// secret manager); otherwise, for the embedded single-machine default only, a random 32-byte secret kept
// in the data folder (`<SYLVA_DATA_DIR>/secret.key`, mode 0600), created on first use, so that `sylva
// serve` and `sylva token` agree without configuration. With S3 storage there is no data folder: then
// SYLVA_SECRET is required.

import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_DATA_DIR, type Env } from "../storage/config.js";
import { secretFromEnv, TokenError } from "./token.js";

export const SECRET_FILE = "secret.key";

export async function deploymentSecret(env: Env = process.env): Promise<Buffer> {
  if (env.SYLVA_SECRET) return secretFromEnv(env);
  if (env.S3_BUCKET)
    throw new TokenError(
      "SYLVA_SECRET is not set: with S3 storage, give the service a secret of at least 32 bytes",
    );
  const dir = path.resolve(env.SYLVA_DATA_DIR || DEFAULT_DATA_DIR);
  const file = path.join(dir, SECRET_FILE);
  try {
    return secretFromEnv({ SYLVA_SECRET: (await readFile(file, "utf8")).trim() });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await mkdir(dir, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  try {
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    // Another process created it first: use theirs.
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return secretFromEnv({ SYLVA_SECRET: (await readFile(file, "utf8")).trim() });
  }
  return secretFromEnv({ SYLVA_SECRET: secret });
}
