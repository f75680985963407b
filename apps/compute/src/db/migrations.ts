// The metadata schema as numbered migrations, applied when the database is opened: in one transaction,
// each migration not yet recorded in schema_migrations runs and is recorded, so opening twice (or from
// several replicas at once: PostgreSQL serializes them with an advisory lock) changes nothing. The SQL is
// portable between SQLite and PostgreSQL: TEXT, INTEGER, DOUBLE PRECISION; timestamps are ISO 8601 UTC
// TEXT (sortable, readable, the same in both engines); JSON is TEXT.

import { nowIso } from "./clock.js";
import type { SqlDriver, SqlExecutor } from "./driver.js";
import { DbConfigError } from "./errors.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

const ROLE_CHECK = "('owner', 'instructor', 'annotator', 'viewer')";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "users, projects, members, project datasets, export jobs",
    statements: [
      `CREATE TABLE IF NOT EXISTS users (
        name TEXT PRIMARY KEY,
        site_role TEXT NULL CHECK (site_role IN ${ROLE_CHECK}),
        created_at TEXT NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_by TEXT NULL,
        created_at TEXT NOT NULL,
        generation INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TABLE IF NOT EXISTS members (
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        user_name TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ${ROLE_CHECK}),
        PRIMARY KEY (project_id, user_name)
      )`,
      "CREATE INDEX IF NOT EXISTS members_by_user ON members (user_name)",
      `CREATE TABLE IF NOT EXISTS project_datasets (
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        dataset_id TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (project_id, dataset_id)
      )`,
      `CREATE TABLE IF NOT EXISTS export_jobs (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
        dataset_id TEXT NOT NULL,
        created_by TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        progress DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
        params TEXT NOT NULL,
        result_key TEXT NULL,
        error TEXT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
      "CREATE INDEX IF NOT EXISTS export_jobs_by_project ON export_jobs (project_id)",
    ],
  },
];

/** An arbitrary constant: the advisory lock PostgreSQL replicas take while migrating. */
const MIGRATION_LOCK = 7_384_261_905;

async function appliedVersions(tx: SqlExecutor): Promise<Set<number>> {
  const rows = await tx.all<{ version: number | string }>("SELECT version FROM schema_migrations");
  return new Set(rows.map((r) => Number(r.version)));
}

/** Applies the migrations `driver`'s database lacks; returns the versions applied now (empty when none). */
export async function migrate(
  driver: SqlDriver,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  return driver.transaction(async (tx) => {
    if (driver.dialect === "postgres") await tx.get("SELECT pg_advisory_xact_lock(?)", [MIGRATION_LOCK]);
    await tx.run(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at TEXT NOT NULL
      )`,
    );
    const applied = await appliedVersions(tx);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    if (newest > known)
      throw new DbConfigError(
        `${driver.description} has schema version ${newest}, newer than this Sylva knows (${known}): upgrade Sylva`,
      );
    const done: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      for (const statement of m.statements) await tx.run(statement);
      await tx.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)", [
        m.version,
        m.name,
        nowIso(),
      ]);
      done.push(m.version);
    }
    return done;
  });
}
