// The metadata database's behaviour, one suite run against every engine (sqlite.test.ts, postgres.test.ts):
// migrations, users, projects, members and roles, project datasets, generations, export jobs, and the
// errors invalid or conflicting inputs get. Each engine gives a fresh, empty database per test file.

import { newDatasetId, newProjectId } from "@sylva/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, InvalidInputError, NotFoundError } from "../../src/db/errors.js";
import type { MetadataDb } from "../../src/db/metadata.js";
import { MIGRATIONS } from "../../src/db/migrations.js";

export interface Engine {
  /** Opens (another handle on) the same test database. */
  open(): Promise<MetadataDb>;
}

/** A user name no other test of the file uses. */
let counter = 0;
const unique = (base: string) => `${base}-${Date.now().toString(36)}-${++counter}`;

export function metadataDbSuite(name: string, engine: () => Engine): void {
  describe(`metadata database on ${name}`, () => {
    let db: MetadataDb;
    beforeAll(async () => {
      db = await engine().open();
    });
    afterAll(async () => {
      await db?.close();
    });

    it("migrates once: opening again (and twice at once) applies nothing and keeps the data", async () => {
      const alice = unique("alice");
      await db.users.add(alice, "viewer");
      const [a, b] = await Promise.all([engine().open(), engine().open()]);
      try {
        expect((await a.users.get(alice))?.siteRole).toBe("viewer");
        const versions = await a.users.list();
        expect(versions.map((u) => u.name)).toContain(alice);
        expect(await b.users.get(alice)).toEqual(await a.users.get(alice));
      } finally {
        await a.close();
        await b.close();
      }
      expect(MIGRATIONS.map((m) => m.version)).toEqual([1]);
    });

    it("adds, gets, lists, re-roles and removes users", async () => {
      const bob = unique("bob");
      const carol = unique("Carol");
      const added = await db.users.add(bob);
      expect(added).toMatchObject({ name: bob, siteRole: null });
      expect(Date.parse(added.createdAt)).not.toBeNaN();
      await db.users.add(carol, "instructor");
      expect(await db.users.get(bob)).toEqual(added);
      expect(await db.users.get("nobody-at-all")).toBeUndefined();
      expect(await db.users.get("not a name!")).toBeUndefined();
      const names = (await db.users.list()).map((u) => u.name);
      expect(names).toEqual([...names].sort());
      expect(names).toEqual(expect.arrayContaining([bob, carol]));
      await expect(db.users.add(bob)).rejects.toThrow(new ConflictError(`user ${bob} already exists`));
      expect((await db.users.setSiteRole(bob, "annotator")).siteRole).toBe("annotator");
      expect((await db.users.setSiteRole(bob, null)).siteRole).toBeNull();
      await db.users.remove(carol);
      expect(await db.users.get(carol)).toBeUndefined();
      await expect(db.users.remove(carol)).rejects.toThrow(new NotFoundError(`no user ${carol}`));
      await expect(db.users.setSiteRole(carol, "viewer")).rejects.toThrow(NotFoundError);
    });

    it("creates projects (the creator becomes owner), renames, lists and deletes them", async () => {
      const owner = unique("owner");
      await db.users.add(owner);
      const p = await db.projects.create("  Mitochondria  ", owner);
      expect(p).toMatchObject({ name: "Mitochondria", createdBy: owner, generation: 0 });
      expect(p.id).toMatch(/^pr_[a-z2-9]{12}$/);
      expect(await db.projects.get(p.id)).toEqual(p);
      expect(await db.members.list(p.id)).toEqual([{ projectId: p.id, userName: owner, role: "owner" }]);
      const orphan = await db.projects.create("Operator's project");
      expect(orphan.createdBy).toBeNull();
      expect(await db.members.list(orphan.id)).toEqual([]);
      const ids = (await db.projects.list()).map((x) => x.id);
      expect(ids.indexOf(p.id)).toBeGreaterThanOrEqual(0);
      expect(ids.indexOf(p.id)).toBeLessThan(ids.indexOf(orphan.id));
      expect((await db.projects.rename(p.id, "Mito v2")).name).toBe("Mito v2");
      expect((await db.projects.get(p.id))?.name).toBe("Mito v2");
      await db.projects.delete(orphan.id);
      expect(await db.projects.get(orphan.id)).toBeUndefined();
      await expect(db.projects.delete(orphan.id)).rejects.toThrow(
        new NotFoundError(`no project ${orphan.id}`),
      );
      await expect(db.projects.rename(orphan.id, "x")).rejects.toThrow(NotFoundError);
      await expect(db.projects.create("Nobody's", unique("ghost"))).rejects.toThrow(
        /no user ghost-.* to own/,
      );
      expect(await db.projects.get("pr_notvalid")).toBeUndefined();
    });

    it("lists the projects a user may open, with their role there", async () => {
      const member = unique("member");
      const site = unique("site");
      const none = unique("none");
      await db.users.add(member);
      await db.users.add(site, "viewer");
      await db.users.add(none);
      const a = await db.projects.create("A");
      const b = await db.projects.create("B");
      await db.members.setRole(a.id, member, "annotator");
      await db.members.setRole(b.id, site, "instructor");
      expect((await db.projects.listForUser(member)).map((p) => [p.id, p.role])).toEqual([
        [a.id, "annotator"],
      ]);
      const seen = await db.projects.listForUser(site);
      expect(seen.find((p) => p.id === a.id)?.role).toBe("viewer");
      expect(seen.find((p) => p.id === b.id)?.role).toBe("instructor");
      expect(seen.length).toBe((await db.projects.list()).length);
      expect(await db.projects.listForUser(none)).toEqual([]);
      expect(await db.projects.listForUser(unique("unknown"))).toEqual([]);
    });

    it("answers roleOf: membership over site role, undefined for unknown or foreign", async () => {
      const dana = unique("dana");
      const eve = unique("eve");
      const frank = unique("frank");
      await db.users.add(dana, "viewer");
      await db.users.add(eve);
      await db.users.add(frank, "instructor");
      const p = await db.projects.create("Roles", dana);
      const other = await db.projects.create("Other");
      expect(await db.members.roleOf(dana, p.id)).toBe("owner"); // membership beats site role
      expect(await db.members.roleOf(dana, other.id)).toBe("viewer"); // site role elsewhere
      expect(await db.members.roleOf(eve, p.id)).toBeUndefined(); // foreign project, no site role
      expect(await db.members.roleOf(frank, p.id)).toBe("instructor");
      await db.members.setRole(p.id, frank, "viewer");
      expect(await db.members.roleOf(frank, p.id)).toBe("viewer"); // even a lesser membership wins
      await db.members.setRole(p.id, eve, "annotator");
      expect(await db.members.roleOf(eve, p.id)).toBe("annotator");
      await db.members.setRole(p.id, eve, "instructor");
      expect(await db.members.roleOf(eve, p.id)).toBe("instructor");
      await db.members.remove(p.id, eve);
      expect(await db.members.roleOf(eve, p.id)).toBeUndefined();
      await expect(db.members.remove(p.id, eve)).rejects.toThrow(
        new NotFoundError(`user ${eve} is not a member of project ${p.id}`),
      );
      expect(await db.members.roleOf(unique("ghost"), p.id)).toBeUndefined();
      expect(await db.members.roleOf(dana, newProjectId())).toBeUndefined();
      expect(await db.members.roleOf(dana, "not-a-project")).toBeUndefined();
      expect(await db.members.roleOf("bad name", p.id)).toBeUndefined();
      expect((await db.members.list(p.id)).map((m) => m.userName)).toEqual([dana, frank].sort());
      expect((await db.members.listForUser(dana)).map((m) => m.projectId)).toEqual([p.id]);
      // removing a user or a project removes the memberships
      await db.users.remove(frank);
      expect((await db.members.list(p.id)).map((m) => m.userName)).toEqual([dana]);
      await db.projects.delete(p.id);
      expect(await db.members.listForUser(dana)).toEqual([]);
      expect(await db.members.roleOf(dana, p.id)).toBeUndefined();
    });

    it("refuses memberships of unknown users or projects, naming them", async () => {
      const gina = unique("gina");
      await db.users.add(gina);
      const p = await db.projects.create("Members");
      const missing = newProjectId();
      await expect(db.members.setRole(missing, gina, "viewer")).rejects.toThrow(
        new NotFoundError(`no project ${missing}`),
      );
      await expect(db.members.setRole(p.id, "henry-nobody", "viewer")).rejects.toThrow(
        new NotFoundError("no user henry-nobody"),
      );
    });

    it("rejects invalid inputs with messages that say what is wrong", async () => {
      await expect(db.users.add("not a name!")).rejects.toThrow(InvalidInputError);
      await expect(db.users.add("not a name!")).rejects.toThrow(
        /invalid user name "not a name!": user names are/,
      );
      // @ts-expect-error: not a role
      await expect(db.users.add(unique("ivy"), "admin")).rejects.toThrow(/invalid site role "admin"/);
      await expect(db.projects.create("   ")).rejects.toThrow(/invalid project name .*project name is empty/);
      await expect(db.projects.create("a\u0007b")).rejects.toThrow(/control characters/);
      await expect(db.projects.create("x".repeat(201))).rejects.toThrow(/longer than 200/);
      await expect(db.projects.bumpGeneration("pr_0")).rejects.toThrow(
        /invalid project id "pr_0": not a project id/,
      );
      const p = await db.projects.create("Inputs");
      // @ts-expect-error: not a role
      await expect(db.members.setRole(p.id, "someone", "god")).rejects.toThrow(/invalid role "god"/);
      await expect(db.datasets.add(p.id, "ds_bad")).rejects.toThrow(/invalid dataset id "ds_bad"/);
      expect(await db.users.list()).not.toContainEqual(expect.objectContaining({ name: "not a name!" }));
    });

    it("attaches datasets to projects", async () => {
      const p = await db.projects.create("Datasets");
      const d1 = newDatasetId();
      const d2 = newDatasetId();
      expect((await db.datasets.add(p.id, d1)).datasetId).toBe(d1);
      await db.datasets.add(p.id, d2);
      expect((await db.datasets.list(p.id)).map((d) => d.datasetId)).toEqual([d1, d2]);
      expect(await db.datasets.has(p.id, d1)).toBe(true);
      await expect(db.datasets.add(p.id, d1)).rejects.toThrow(
        new ConflictError(`dataset ${d1} is already in project ${p.id}`),
      );
      const missing = newProjectId();
      await expect(db.datasets.add(missing, d1)).rejects.toThrow(new NotFoundError(`no project ${missing}`));
      await db.datasets.remove(p.id, d1);
      expect(await db.datasets.has(p.id, d1)).toBe(false);
      await expect(db.datasets.remove(p.id, d1)).rejects.toThrow(NotFoundError);
      expect((await db.datasets.list(p.id)).map((d) => d.datasetId)).toEqual([d2]);
    });

    it("bumps the classifier generation monotonically, also concurrently and from two connections", async () => {
      const p = await db.projects.create("Generations");
      expect(await db.projects.getGeneration(p.id)).toBe(0);
      expect(await db.projects.bumpGeneration(p.id)).toBe(1);
      expect(await db.projects.bumpGeneration(p.id)).toBe(2);
      const other = await engine().open();
      try {
        const bumps = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? db : other).projects.bumpGeneration(p.id)),
        );
        expect(new Set(bumps).size).toBe(20);
        expect([...bumps].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
        expect(await other.projects.getGeneration(p.id)).toBe(22);
      } finally {
        await other.close();
      }
      expect((await db.projects.get(p.id))?.generation).toBe(22);
      const missing = newProjectId();
      await expect(db.projects.bumpGeneration(missing)).rejects.toThrow(
        new NotFoundError(`no project ${missing}`),
      );
      await expect(db.projects.getGeneration(missing)).rejects.toThrow(NotFoundError);
    });

    it("keeps export jobs through their lifecycle", async () => {
      const user = unique("exporter");
      await db.users.add(user);
      const p = await db.projects.create("Exports", user);
      const d = newDatasetId();
      await expect(
        db.exports.create({ projectId: p.id, datasetId: d, createdBy: user, params: {} }),
      ).rejects.toThrow(new NotFoundError(`dataset ${d} is not in project ${p.id}`));
      await db.datasets.add(p.id, d);
      const params = {
        source: "probabilities",
        dtype: "uint8",
        renormalize: [0, 1, 0, 255],
        nested: { a: null },
      };
      const job = await db.exports.create({ projectId: p.id, datasetId: d, createdBy: user, params });
      expect(job).toMatchObject({ status: "queued", progress: 0, params, resultKey: null, error: null });
      expect(job.id).toMatch(/^ex_[a-z2-9]{12}$/);
      expect(await db.exports.get(job.id)).toEqual(job);
      const running = await db.exports.update(job.id, { status: "running", progress: 0.25 });
      expect(running).toMatchObject({ status: "running", progress: 0.25 });
      expect(running.updatedAt >= job.updatedAt).toBe(true);
      expect((await db.exports.update(job.id, { progress: 0.3 })).progress).toBe(0.3);
      await expect(db.exports.update(job.id, { progress: 1.5 })).rejects.toThrow(/progress is above 1/);
      await expect(db.exports.update(job.id, { progress: -0.1 })).rejects.toThrow(/progress is below 0/);
      // @ts-expect-error: not a status
      await expect(db.exports.update(job.id, { status: "paused" })).rejects.toThrow(/invalid export status/);
      const done = await db.exports.update(job.id, { status: "done", resultKey: "exports/ex/result.h5" });
      expect(done).toMatchObject({ status: "done", progress: 1, resultKey: "exports/ex/result.h5" });
      await expect(db.exports.update(job.id, { status: "failed" })).rejects.toThrow(
        new ConflictError(`export job ${job.id} is already done`),
      );
      const second = await db.exports.create({ projectId: p.id, datasetId: d, createdBy: user, params: {} });
      const failed = await db.exports.update(second.id, { status: "failed", error: "disk full" });
      expect(failed).toMatchObject({ status: "failed", error: "disk full", progress: 0 });
      const third = await db.exports.create({ projectId: p.id, datasetId: d, createdBy: user, params: {} });
      expect((await db.exports.update(third.id, { status: "cancelled" })).status).toBe("cancelled");
      expect((await db.exports.listByProject(p.id)).map((j) => j.id)).toEqual([third.id, second.id, job.id]);
      expect(await db.exports.get("ex_doesnotexist")).toBeUndefined();
      await expect(db.exports.update("ex_22222222222a", { progress: 0.5 })).rejects.toThrow(
        new NotFoundError("no export job ex_22222222222a"),
      );
      // deleting the project deletes its jobs
      await db.projects.delete(p.id);
      expect(await db.exports.get(job.id)).toBeUndefined();
      expect(await db.exports.listByProject(p.id)).toEqual([]);
    });
  });
}
