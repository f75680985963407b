// The thin SQL driver contract the metadata database is written against, with one implementation per
// engine (sqlite.ts, postgres.ts). SQL is written once, portable, with `?` placeholders; the PostgreSQL
// driver rewrites them to $1..$n. Values are TEXT, INTEGER, DOUBLE PRECISION or NULL; timestamps are ISO
// 8601 UTC strings (TEXT), produced by the application, never by the engine.

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

export type Dialect = "sqlite" | "postgres";

/** Statements on a connection: the driver itself, or the connection of a running transaction. */
export interface SqlExecutor {
  /** Every row the statement returns (typed by the caller: rows are not checked here). */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** The first row the statement returns, or undefined. */
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** A statement run for its effect: how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: Dialect;
  /** Where the database is, for messages (never with a password). */
  readonly description: string;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Statements of the
   * transaction go through `tx`; calling the driver itself from inside `fn` is an error (SQLite) or runs
   * outside the transaction (PostgreSQL).
   */
  transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}
