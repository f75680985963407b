// The metadata database suite on SQLite (a temporary file), plus what only SQLite has: data surviving a
// close and reopen of the file, and the pragmas the driver sets.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openMetadataDb } from "../../src/db/open.js";
import { openSqliteDriver } from "../../src/db/sqlite.js";
import { metadataDbSuite } from "./suite.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "sylva-db-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

metadataDbSuite("SQLite", () => ({
  open: () => openMetadataDb({ SYLVA_DB_PATH: path.join(dir, "suite.sqlite") }),
}));

describe("SQLite specifics", () => {
  it("keeps the data across close and reopen, with the generation", async () => {
    const env = { SYLVA_DATA_DIR: path.join(dir, "nested", "data") };
    const first = await openMetadataDb(env);
    expect(first.description).toBe(`SQLite at ${path.resolve(dir, "nested", "data", "metadata.sqlite")}`);
    await first.users.add("alice", "owner");
    const p = await first.projects.create("Survives", "alice");
    await first.projects.bumpGeneration(p.id);
    await first.projects.bumpGeneration(p.id);
    await first.close();
    const again = await openMetadataDb(env);
    try {
      expect(await again.users.get("alice")).toMatchObject({ name: "alice", siteRole: "owner" });
      expect(await again.members.roleOf("alice", p.id)).toBe("owner");
      expect(await again.projects.bumpGeneration(p.id)).toBe(3);
    } finally {
      await again.close();
    }
  });

  it("runs in WAL mode with foreign keys on, and serializes transactions across connections", async () => {
    const file = path.join(dir, "pragmas.sqlite");
    const a = openSqliteDriver(file);
    const b = openSqliteDriver(file);
    try {
      expect(await a.get<{ journal_mode: string }>("PRAGMA journal_mode")).toEqual({ journal_mode: "wal" });
      expect(await a.get<{ foreign_keys: number }>("PRAGMA foreign_keys")).toEqual({ foreign_keys: 1 });
      expect(await a.get<{ timeout: number }>("PRAGMA busy_timeout")).toEqual({ timeout: 5000 });
      await a.run("CREATE TABLE t (v INTEGER)");
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? a : b).transaction(async (tx) => {
            const row = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM t");
            await new Promise((r) => setTimeout(r, 1));
            await tx.run("INSERT INTO t (v) VALUES (?)", [row?.n ?? -1]);
          }),
        ),
      );
      const values = (await a.all<{ v: number }>("SELECT v FROM t")).map((r) => r.v).sort((x, y) => x - y);
      expect(values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await expect(a.transaction(() => a.get("SELECT 1"))).rejects.toThrow(/inside its own transaction/);
      await expect(
        a.transaction(async (tx) => {
          await tx.run("INSERT INTO t (v) VALUES (100)");
          throw new Error("roll me back");
        }),
      ).rejects.toThrow("roll me back");
      expect(await a.get("SELECT v FROM t WHERE v = 100")).toBeUndefined();
    } finally {
      await a.close();
      await b.close();
    }
  });
});
