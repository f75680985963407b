// Opening the metadata database from the environment:
//
//   DATABASE_URL      postgres:// or postgresql:// URL: PostgreSQL (for several compute replicas)
//   SYLVA_DB_SCHEMA   with DATABASE_URL: the schema to use (created when missing; letters, digits, "_")
//   SYLVA_DB_PATH     without DATABASE_URL: the SQLite file (":memory:" for a throwaway database);
//                     default <SYLVA_DATA_DIR>/metadata.sqlite
//   SYLVA_DATA_DIR    the data folder; default ./sylva-data (against cwd)
//
// An empty variable counts as unset. Errors name the variable and never show a password.

import { mkdirSync } from "node:fs";
import path from "node:path";
import { DEFAULT_DATA_DIR, type Env } from "../storage/config.js";
import { DbConfigError } from "./errors.js";
import { createMetadataDb, type MetadataDb } from "./metadata.js";
import { isSchemaName, openPostgresDriver } from "./postgres.js";
import { openSqliteDriver } from "./sqlite.js";

/** The SQLite file's name inside the data folder. */
export const METADATA_FILE = "metadata.sqlite";

export type MetadataDbConfig =
  | { kind: "sqlite"; file: string }
  | { kind: "postgres"; connectionString: string; schema?: string; description: string };

const set = (v: string | undefined): string | undefined => (v === undefined || v === "" ? undefined : v);

/** Which database the environment selects (without connecting). */
export function metadataDbConfig(env: Env = process.env): MetadataDbConfig {
  const url = set(env.DATABASE_URL);
  if (url === undefined) {
    const file =
      set(env.SYLVA_DB_PATH) ?? path.join(set(env.SYLVA_DATA_DIR) ?? DEFAULT_DATA_DIR, METADATA_FILE);
    return { kind: "sqlite", file: file === ":memory:" ? file : path.resolve(file) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DbConfigError(
      "DATABASE_URL is not a valid URL (expected postgres://user:password@host:port/db)",
    );
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:")
    throw new DbConfigError(
      `DATABASE_URL must start with postgres:// or postgresql://, not ${parsed.protocol}// (unset it for SQLite)`,
    );
  const schema = set(env.SYLVA_DB_SCHEMA);
  if (schema !== undefined && !isSchemaName(schema))
    throw new DbConfigError(
      `SYLVA_DB_SCHEMA "${schema}" is not a schema name (letters, digits and "_", at most 63, not starting with a digit)`,
    );
  const host = parsed.hostname || parsed.searchParams.get("host") || "localhost";
  const where = `${host}${parsed.port ? `:${parsed.port}` : ""}${parsed.pathname}`;
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : "";
  const description = `PostgreSQL ${user}${where}${schema === undefined ? "" : ` (schema ${schema})`}`;
  return {
    kind: "postgres",
    connectionString: url,
    description,
    ...(schema === undefined ? {} : { schema }),
  };
}

/** Opens (creating and migrating as needed) the metadata database the environment selects. */
export async function openMetadataDb(env: Env = process.env): Promise<MetadataDb> {
  const config = metadataDbConfig(env);
  if (config.kind === "sqlite") {
    if (config.file !== ":memory:") mkdirSync(path.dirname(config.file), { recursive: true });
    return createMetadataDb(openSqliteDriver(config.file));
  }
  let driver: Awaited<ReturnType<typeof openPostgresDriver>>;
  try {
    driver = await openPostgresDriver(config);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new DbConfigError(`cannot open ${config.description}: ${reason}`);
  }
  return createMetadataDb(driver);
}

/** Runs `fn` on the metadata database the environment selects, closing it afterwards. */
export async function withMetadataDb<R>(env: Env, fn: (db: MetadataDb) => Promise<R>): Promise<R> {
  const db = await openMetadataDb(env);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
