// The operator commands end to end, as an operator runs them against the built CLI: `sylva users`,
// `sylva projects` and `sylva token`, on the SQLite database in a temporary SYLVA_DATA_DIR; the token
// printed verifies with the service's secret.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentSecret } from "../../src/auth/secret.js";
import { secretFromEnv, verifyToken } from "../../src/auth/token.js";
import { openMetadataDb } from "../../src/db/open.js";

const SYLVA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../bin/sylva.js");
const SECRET = "an-operator-test-secret-of-at-least-32-bytes";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function sylva(env: Record<string, string>, ...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SYLVA, ...args],
      { env: { ...process.env, DATABASE_URL: "", SYLVA_DB_PATH: "", ...env } },
      (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function ok(r: Promise<Result>): Promise<string> {
  const { code, stdout, stderr } = await r;
  expect(code, stderr).toBe(0);
  return stdout;
}

describe("sylva users, projects, token", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "sylva-operator-"));
    env = { SYLVA_DATA_DIR: path.join(dir, "data"), SYLVA_SECRET: SECRET };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("adds users with site and project roles, lists them, and signs tokens that verify", async () => {
    expect(await ok(sylva(env, "users", "list"))).toMatch(/^no users in SQLite at .*metadata\.sqlite/);
    expect(existsSync(path.join(dir, "data", "metadata.sqlite"))).toBe(true);

    expect(await ok(sylva(env, "users", "add", "alice", "--role", "owner"))).toBe(
      "added user alice\nalice has site role owner (every project where they are not a member)\n",
    );
    const created = await ok(sylva(env, "projects", "add", "EM course", "--owner", "alice"));
    const projectId = created.split("\t")[0];
    expect(projectId).toMatch(/^pr_[a-z2-9]{12}$/);
    expect(created).toBe(`${projectId}\tEM course\towner alice\n`);

    expect(await ok(sylva(env, "users", "add", "bob", "--role", "annotator", "--project", projectId))).toBe(
      `added user bob\nbob is annotator in project ${projectId} "EM course"\n`,
    );
    expect(await ok(sylva(env, "users", "add", "bob"))).toBe("user bob already exists\n");

    const listed = JSON.parse(await ok(sylva(env, "users", "list", "--json")));
    expect(listed).toEqual([
      {
        name: "alice",
        siteRole: "owner",
        createdAt: expect.any(String),
        memberships: [{ projectId, role: "owner" }],
      },
      {
        name: "bob",
        siteRole: null,
        createdAt: expect.any(String),
        memberships: [{ projectId, role: "annotator" }],
      },
    ]);
    const text = await ok(sylva(env, "users", "list"));
    expect(text).toMatch(new RegExp(`^alice\towner\t${projectId}:owner\t`, "m"));
    expect(text).toMatch(new RegExp(`^bob\t-\t${projectId}:annotator\t`, "m"));

    const projects = JSON.parse(await ok(sylva(env, "projects", "list", "--json")));
    expect(projects).toMatchObject([
      {
        id: projectId,
        name: "EM course",
        createdBy: "alice",
        generation: 0,
        members: [
          { userName: "alice", role: "owner" },
          { userName: "bob", role: "annotator" },
        ],
      },
    ]);

    const token = (await ok(sylva(env, "token", "--user", "bob", "--days", "7"))).trim();
    const payload = verifyToken(secretFromEnv(env), token);
    expect(payload.sub).toBe("bob");
    expect(payload.exp - payload.iat).toBe(7 * 24 * 3600);

    // what the CLI wrote is what the service reads
    const db = await openMetadataDb(env);
    try {
      expect(await db.members.roleOf("bob", projectId)).toBe("annotator");
      expect(await db.members.roleOf("alice", projectId)).toBe("owner");
    } finally {
      await db.close();
    }
  });

  it("without SYLVA_SECRET, signs with the data folder's own secret, created once with mode 0600", async () => {
    const local = { SYLVA_DATA_DIR: env.SYLVA_DATA_DIR, SYLVA_SECRET: "" };
    const first = (await ok(sylva(local, "token", "--user", "alice"))).trim();
    const file = path.join(env.SYLVA_DATA_DIR, "secret.key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = (await ok(sylva(local, "token", "--user", "alice"))).trim();
    const secret = await deploymentSecret(local);
    expect(verifyToken(secret, first).sub).toBe("alice");
    expect(verifyToken(secret, second).sub).toBe("alice");
    expect(() => verifyToken(secretFromEnv(env), first)).toThrow(/signature/);
    const s3 = await sylva({ ...local, S3_BUCKET: "sylva-test" }, "token", "--user", "alice");
    expect(s3.code).toBe(1);
    expect(s3.stderr).toMatch(/SYLVA_SECRET is not set: with S3 storage/);
  });

  it("reports operator mistakes as one clear line with exit status 1", async () => {
    const unknown = await sylva(env, "token", "--user", "mallory");
    expect(unknown.code).toBe(1);
    expect(unknown.stdout).toBe("");
    expect(unknown.stderr).toBe(
      "sylva token: no user mallory (add one with: sylva users add mallory --role ROLE)\n",
    );

    const shortSecret = await sylva({ ...env, SYLVA_SECRET: "too short" }, "token", "--user", "alice");
    expect(shortSecret.code).toBe(1);
    expect(shortSecret.stderr).toBe("sylva token: SYLVA_SECRET is 9 bytes; it must be at least 32\n");

    const badRole = await sylva(env, "users", "add", "carol", "--role", "admin");
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toMatch(/--role must be one of owner, instructor, annotator, viewer, got "admin"/);

    const badProject = await sylva(env, "users", "add", "carol", "--role", "viewer", "--project", "pr_nope");
    expect(badProject.code).toBe(1);
    expect(badProject.stderr).toMatch(/no project pr_nope/);
    expect(
      JSON.parse(await ok(sylva(env, "users", "list", "--json"))).map((u: { name: string }) => u.name),
    ).toEqual(["alice", "bob"]); // carol was not created by the failed adds

    const badOwner = await sylva(env, "projects", "add", "Orphan", "--owner", "nobody");
    expect(badOwner.code).toBe(1);
    expect(badOwner.stderr).toBe('sylva projects: no user nobody to own project "Orphan"\n');

    const badDays = await sylva(env, "token", "--user", "alice", "--days", "0");
    expect(badDays.code).toBe(1);
    expect(badDays.stderr).toMatch(/--days must be an integer from 1 to 3650/);

    const badUrl = await sylva({ ...env, DATABASE_URL: "mysql://root:pw-s3cret@db/x" }, "users", "list");
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/DATABASE_URL must start with postgres:\/\//);
    expect(badUrl.stderr).not.toContain("pw-s3cret");
  });

  it("removes users and projects", async () => {
    expect(await ok(sylva(env, "users", "remove", "bob"))).toBe("removed user bob\n");
    const again = await sylva(env, "users", "remove", "bob");
    expect(again.code).toBe(1);
    expect(again.stderr).toBe("sylva users: no user bob\n");
    const [project] = JSON.parse(await ok(sylva(env, "projects", "list", "--json")));
    expect(await ok(sylva(env, "projects", "remove", project.id))).toBe(`removed project ${project.id}\n`);
    expect(await ok(sylva(env, "projects", "list"))).toMatch(/^no projects in /);
    expect(await ok(sylva(env, "--help"))).toMatch(/users +add, list or remove users/);
  });
});
