// The SQLite driver (better-sqlite3): the embedded default. WAL journal (readers do not block the writer),
// foreign keys enforced, and a busy timeout so a second process (the CLI beside a running service) waits
// for the write lock instead of failing.
//
// better-sqlite3 is synchronous, while a transaction's function is async; so that the statements of other
// callers cannot slip into a transaction between two of its awaits, every statement and transaction on a
// database file goes through one queue per file and process (shared by every connection to that file).

import { AsyncLocalStorage } from "node:async_hooks";
import path from "node:path";
import Database from "better-sqlite3";
import type { SqlDriver, SqlExecutor, SqlValue } from "./driver.js";

/** How long a statement waits for another process's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

/** One queue per database file: operations run one after the other, in call order. */
class Queue {
  private tail: Promise<unknown> = Promise.resolve();
  /** The transaction running now, if any (to refuse the driver being called from inside it). */
  readonly active = new AsyncLocalStorage<true>();

  run<R>(fn: () => R | Promise<R>): Promise<R> {
    if (this.active.getStore())
      return Promise.reject(
        new Error("SQLite driver called from inside its own transaction: use the transaction's executor"),
      );
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

const queues = new Map<string, { queue: Queue; users: number }>();
let memoryDatabases = 0;

function statements(db: Database.Database): SqlExecutor {
  return {
    async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      const stmt = db.prepare<SqlValue[], T>(sql);
      return stmt.all(...params);
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []): Promise<T | undefined> {
      const stmt = db.prepare<SqlValue[], T>(sql);
      return stmt.get(...params);
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<{ changes: number }> {
      return { changes: db.prepare<SqlValue[]>(sql).run(...params).changes };
    },
  };
}

/** Opens (creating if missing) the SQLite database at `file`, or an in-memory one for ":memory:". */
export function openSqliteDriver(file: string): SqlDriver {
  const db = new Database(file, { timeout: SQLITE_BUSY_TIMEOUT_MS }); // sets busy_timeout
  db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  const key = file === ":memory:" ? `:memory:${++memoryDatabases}` : path.resolve(file);
  const shared = queues.get(key) ?? { queue: new Queue(), users: 0 };
  shared.users += 1;
  queues.set(key, shared);
  const { queue } = shared;
  const exec = statements(db);
  let closed = false;

  return {
    dialect: "sqlite",
    description: file === ":memory:" ? "SQLite in memory" : `SQLite at ${path.resolve(file)}`,
    all: (sql, params) => queue.run(() => exec.all(sql, params)),
    get: (sql, params) => queue.run(() => exec.get(sql, params)),
    run: (sql, params) => queue.run(() => exec.run(sql, params)),
    transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      return queue.run(async () => {
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await queue.active.run(true, () => fn(exec));
          db.exec("COMMIT");
          return result;
        } catch (e) {
          if (db.inTransaction) db.exec("ROLLBACK");
          throw e;
        }
      });
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await queue.run(() => undefined);
      db.close();
      shared.users -= 1;
      if (shared.users === 0) queues.delete(key);
    },
  };
}
