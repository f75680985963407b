// The metadata database suite on PostgreSQL, in a fresh random schema (dropped afterwards) of the database
// at DATABASE_URL (default: the local test server). An unreachable server fails this file unless
// SYLVA_SKIP_POSTGRES=1 says to skip it.

import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMetadataDb } from "../../src/db/open.js";
import { metadataDbSuite } from "./suite.js";

const URL_ = process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/test";
const SCHEMA = `sylva_test_${randomBytes(6).toString("hex")}`;
const SKIP = process.env.SYLVA_SKIP_POSTGRES === "1";
const env = { DATABASE_URL: URL_, SYLVA_DB_SCHEMA: SCHEMA };

describe.skipIf(SKIP)("PostgreSQL", () => {
  beforeAll(async () => {
    const client = new pg.Client({ connectionString: URL_, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
    } catch (e) {
      throw new Error(
        `PostgreSQL is not reachable (${e instanceof Error ? e.message : e}); start it, set DATABASE_URL, or set SYLVA_SKIP_POSTGRES=1 to skip`,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: URL_ });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  metadataDbSuite("PostgreSQL", () => ({ open: () => openMetadataDb(env) }));

  describe("PostgreSQL specifics", () => {
    it("keeps its tables in the schema it was given, and describes itself without a password", async () => {
      const db = await openMetadataDb({ ...env, DATABASE_URL: URL_ });
      try {
        expect(db.dialect).toBe("postgres");
        expect(db.description).toContain(`(schema ${SCHEMA})`);
      } finally {
        await db.close();
      }
      const client = new pg.Client({ connectionString: URL_ });
      await client.connect();
      try {
        const r = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name",
          [SCHEMA],
        );
        expect(r.rows.map((x) => x.table_name)).toEqual([
          "export_jobs",
          "members",
          "project_datasets",
          "projects",
          "schema_migrations",
          "users",
        ]);
      } finally {
        await client.end();
      }
    });

    it("names an unreachable server without showing the password", async () => {
      const err = await openMetadataDb({
        DATABASE_URL: "postgres://sylva:hunter2secret@127.0.0.1:1/x",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String(err)).toMatch(/cannot open PostgreSQL sylva@127\.0\.0\.1:1\/x/);
      expect(String(err)).not.toContain("hunter2secret");
    });
  });
});
