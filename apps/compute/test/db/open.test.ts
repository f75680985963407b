// Choosing the metadata database from the environment (without connecting), and the `?` → $n rewrite the
// PostgreSQL driver relies on.

import path from "node:path";
import { describe, expect, it } from "vitest";
import { DbConfigError } from "../../src/db/errors.js";
import { metadataDbConfig, openMetadataDb } from "../../src/db/open.js";
import { toNumberedPlaceholders } from "../../src/db/placeholders.js";

describe("metadataDbConfig", () => {
  it("defaults to SQLite in the data folder, or SYLVA_DB_PATH", () => {
    expect(metadataDbConfig({})).toEqual({
      kind: "sqlite",
      file: path.resolve("sylva-data/metadata.sqlite"),
    });
    expect(metadataDbConfig({ SYLVA_DATA_DIR: "/srv/sylva", DATABASE_URL: "" })).toEqual({
      kind: "sqlite",
      file: "/srv/sylva/metadata.sqlite",
    });
    expect(metadataDbConfig({ SYLVA_DATA_DIR: "/srv/sylva", SYLVA_DB_PATH: "/var/db/m.sqlite" })).toEqual({
      kind: "sqlite",
      file: "/var/db/m.sqlite",
    });
  });

  it("uses PostgreSQL for a postgres:// or postgresql:// DATABASE_URL, with an optional schema", () => {
    expect(metadataDbConfig({ DATABASE_URL: "postgres://u:pw@db.example:5433/sylva" })).toEqual({
      kind: "postgres",
      connectionString: "postgres://u:pw@db.example:5433/sylva",
      description: "PostgreSQL u@db.example:5433/sylva",
    });
    expect(
      metadataDbConfig({ DATABASE_URL: "postgresql://db.example/sylva", SYLVA_DB_SCHEMA: "tenant_1" }),
    ).toMatchObject({
      kind: "postgres",
      schema: "tenant_1",
      description: "PostgreSQL db.example/sylva (schema tenant_1)",
    });
  });

  it("refuses malformed settings clearly, never printing the password", () => {
    const secret = "s3cr3t-pa55";
    for (const [url, message] of [
      [`mysql://u:${secret}@host/db`, /must start with postgres:\/\/ or postgresql:\/\/, not mysql:\/\//],
      [`u:${secret}@host/db`, /must start with postgres/],
      [`not a url ${secret}`, /DATABASE_URL is not a valid URL/],
    ] as const) {
      let err: unknown;
      try {
        metadataDbConfig({ DATABASE_URL: url });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DbConfigError);
      expect(String(err)).toMatch(message);
      expect(String(err)).not.toContain(secret);
    }
    expect(() =>
      metadataDbConfig({ DATABASE_URL: "postgres://h/db", SYLVA_DB_SCHEMA: 'x"; DROP TABLE users; --' }),
    ).toThrow(/SYLVA_DB_SCHEMA .* is not a schema name/);
  });

  it("opens an in-memory SQLite database", async () => {
    const db = await openMetadataDb({ SYLVA_DB_PATH: ":memory:" });
    try {
      expect(db.description).toBe("SQLite in memory");
      expect(await db.users.list()).toEqual([]);
    } finally {
      await db.close();
    }
  });
});

describe("toNumberedPlaceholders", () => {
  it("numbers placeholders, leaving literals, identifiers and comments alone", () => {
    expect(toNumberedPlaceholders("SELECT * FROM t WHERE a = ? AND b IN (?, ?)")).toBe(
      "SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)",
    );
    expect(
      toNumberedPlaceholders(`SELECT '?', 'it''s ?', "col?" FROM t WHERE x = ? -- why?\nAND y = ?`),
    ).toBe(`SELECT '?', 'it''s ?', "col?" FROM t WHERE x = $1 -- why?\nAND y = $2`);
    expect(toNumberedPlaceholders("SELECT /* ? */ ?")).toBe("SELECT /* ? */ $1");
  });
});
