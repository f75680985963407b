// The PostgreSQL driver (pg Pool): for several compute replicas sharing one metadata database. Statements
// take `?` placeholders (rewritten to $1..$n, cached per statement); a transaction runs on a client of
// its own, taken from the pool for its duration. An optional schema is put first (and alone) on the
// search_path of every connection, so that tests or deployments can share one database.

import pg from "pg";
import type { SqlDriver, SqlExecutor, SqlValue } from "./driver.js";
import { toNumberedPlaceholders } from "./placeholders.js";

export interface PostgresOptions {
  connectionString: string;
  /** A schema name (letters, digits, "_"); created when missing. Default: the server's search_path. */
  schema?: string;
  /** For messages: where the database is, without the password. */
  description: string;
  /** Connections in the pool; default 10. */
  max?: number;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

function statements(db: Queryable): SqlExecutor {
  const cache = new Map<string, string>();
  const text = (sql: string): string => {
    let t = cache.get(sql);
    if (t === undefined) {
      t = toNumberedPlaceholders(sql);
      cache.set(sql, t);
    }
    return t;
  };
  return {
    async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      const r = await db.query(text(sql), [...params]);
      return r.rows;
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
      const r = await db.query(text(sql), [...params]);
      return r.rows[0];
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
      const r = await db.query(text(sql), [...params]);
      return { changes: r.rowCount ?? 0 };
    },
  };
}

/** Whether `name` can be used as a schema name (it is quoted, but kept to a safe alphabet). */
export function isSchemaName(name: string): boolean {
  return SCHEMA_NAME.test(name);
}

/**
 * Connects to PostgreSQL (checking the connection, and creating the schema when one is given). Throws
 * what pg throws when the server cannot be reached or refuses the login.
 */
export async function openPostgresDriver(options: PostgresOptions): Promise<SqlDriver> {
  const { schema } = options;
  if (schema !== undefined && !isSchemaName(schema))
    throw new Error(`schema name "${schema}" is not letters, digits and "_"`);
  const base = { connectionString: options.connectionString, max: options.max ?? 10 };
  if (schema !== undefined) {
    const setup = new pg.Client(base);
    await setup.connect();
    try {
      await setup.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    } catch (e) {
      // Two processes creating the same schema at once: the loser sees a duplicate, which is fine.
      if (!(e instanceof Error && "code" in e && (e.code === "23505" || e.code === "42P06"))) throw e;
    } finally {
      await setup.end();
    }
  }
  const pool = new pg.Pool(schema === undefined ? base : { ...base, options: `-c search_path="${schema}"` });
  // An idle client losing its connection (server restart) must not crash the process; the pool drops it.
  pool.on("error", () => undefined);
  try {
    await pool.query("SELECT 1");
  } catch (e) {
    await pool.end();
    throw e;
  }
  const exec = statements(pool);

  return {
    dialect: "postgres",
    description: options.description,
    ...exec,
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query("BEGIN");
        const result = await fn(statements(client));
        await client.query("COMMIT");
        return result;
      } catch (e) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
        throw e;
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}
