// Projects of the metadata database: id, name, creator and the classifier generation, a counter that
// only goes up (across restarts and replicas) so that tiles of a stale classifier can be told apart.

import {
  newProjectId,
  type ProjectId,
  projectIdSchema,
  projectNameSchema,
  type Role,
  roleSchema,
  userNameSchema,
} from "@sylva/shared";
import { z } from "zod";
import { nowIso } from "./clock.js";
import type { SqlDriver } from "./driver.js";
import { NotFoundError } from "./errors.js";
import { byKey } from "./sort.js";
import { parseInput, parseOrUndefined } from "./validate.js";

export interface ProjectRecord {
  id: ProjectId;
  name: string;
  /** The user who created it (its first owner); null when an operator created it without one. */
  createdBy: string | null;
  createdAt: string;
  /** The classifier generation: 0 until the first bump. */
  generation: number;
}

/** A project as one user sees it: with their role there (membership, else site role). */
export interface UserProjectRecord extends ProjectRecord {
  role: Role;
}

const projectRow = z
  .object({
    id: projectIdSchema,
    name: z.string(),
    created_by: z.string().nullable(),
    created_at: z.string(),
    generation: z.coerce.number().int(),
  })
  .transform(
    (r): ProjectRecord => ({
      id: r.id,
      name: r.name,
      createdBy: r.created_by,
      createdAt: r.created_at,
      generation: r.generation,
    }),
  );

const COLUMNS = "id, name, created_by, created_at, generation";
const P_COLUMNS = "p.id, p.name, p.created_by, p.created_at, p.generation";
const sorted = byKey<ProjectRecord>(
  (p) => p.createdAt,
  (p) => p.id,
);

export class Projects {
  constructor(private readonly db: SqlDriver) {}

  /**
   * Creates a project; with `createdBy`, that user (who must exist: NotFoundError otherwise) becomes its
   * owner member.
   */
  async create(name: string, createdBy: string | null = null): Promise<ProjectRecord> {
    const project: ProjectRecord = {
      id: newProjectId(),
      name: parseInput(projectNameSchema, name, "project name"),
      createdBy: createdBy === null ? null : parseInput(userNameSchema, createdBy, "user name"),
      createdAt: nowIso(),
      generation: 0,
    };
    await this.db.transaction(async (tx) => {
      if (project.createdBy !== null) {
        const user = await tx.get("SELECT name FROM users WHERE name = ?", [project.createdBy]);
        if (user === undefined)
          throw new NotFoundError(`no user ${project.createdBy} to own project "${project.name}"`);
      }
      await tx.run(
        "INSERT INTO projects (id, name, created_by, created_at, generation) VALUES (?, ?, ?, ?, 0)",
        [project.id, project.name, project.createdBy, project.createdAt],
      );
      if (project.createdBy !== null)
        await tx.run("INSERT INTO members (project_id, user_name, role) VALUES (?, ?, 'owner')", [
          project.id,
          project.createdBy,
        ]);
    });
    return project;
  }

  /** The project, or undefined (also for a malformed id). */
  async get(id: string): Promise<ProjectRecord | undefined> {
    const valid = parseOrUndefined(projectIdSchema, id);
    if (valid === undefined) return undefined;
    const row = await this.db.get(`SELECT ${COLUMNS} FROM projects WHERE id = ?`, [valid]);
    return row === undefined ? undefined : projectRow.parse(row);
  }

  /** Every project, oldest first. */
  async list(): Promise<ProjectRecord[]> {
    const rows = await this.db.all(`SELECT ${COLUMNS} FROM projects`);
    return rows.map((r) => projectRow.parse(r)).sort(sorted);
  }

  /**
   * The projects `userName` may open, oldest first, each with the user's role there: every project where
   * they are a member, and every project when they have a site role. Empty for an unknown user.
   */
  async listForUser(userName: string): Promise<UserProjectRecord[]> {
    const valid = parseOrUndefined(userNameSchema, userName);
    if (valid === undefined) return [];
    const rows = await this.db.all(
      `SELECT ${P_COLUMNS}, COALESCE(m.role, u.site_role) AS role
         FROM users u
        CROSS JOIN projects p
         LEFT JOIN members m ON m.project_id = p.id AND m.user_name = u.name
        WHERE u.name = ? AND (m.role IS NOT NULL OR u.site_role IS NOT NULL)`,
      [valid],
    );
    const withRole = z.object({ role: roleSchema });
    return rows
      .map((r): UserProjectRecord => ({ ...projectRow.parse(r), role: withRole.parse(r).role }))
      .sort(sorted);
  }

  /** Renames a project; NotFoundError when there is no such project. */
  async rename(id: string, name: string): Promise<ProjectRecord> {
    const valid = parseInput(projectIdSchema, id, "project id");
    const newName = parseInput(projectNameSchema, name, "project name");
    const row = await this.db.get(`UPDATE projects SET name = ? WHERE id = ? RETURNING ${COLUMNS}`, [
      newName,
      valid,
    ]);
    if (row === undefined) throw new NotFoundError(`no project ${valid}`);
    return projectRow.parse(row);
  }

  /** Deletes a project with its memberships, dataset list and export jobs; NotFoundError when missing. */
  async delete(id: string): Promise<void> {
    const valid = parseInput(projectIdSchema, id, "project id");
    const { changes } = await this.db.run("DELETE FROM projects WHERE id = ?", [valid]);
    if (changes === 0) throw new NotFoundError(`no project ${valid}`);
  }

  /** Increments the classifier generation atomically and returns the new value; NotFoundError when missing. */
  async bumpGeneration(id: string): Promise<number> {
    const valid = parseInput(projectIdSchema, id, "project id");
    const row = await this.db.get<{ generation: number | string }>(
      "UPDATE projects SET generation = generation + 1 WHERE id = ? RETURNING generation",
      [valid],
    );
    if (row === undefined) throw new NotFoundError(`no project ${valid}`);
    return Number(row.generation);
  }

  /** The current classifier generation; NotFoundError when there is no such project. */
  async getGeneration(id: string): Promise<number> {
    const valid = parseInput(projectIdSchema, id, "project id");
    const row = await this.db.get<{ generation: number | string }>(
      "SELECT generation FROM projects WHERE id = ?",
      [valid],
    );
    if (row === undefined) throw new NotFoundError(`no project ${valid}`);
    return Number(row.generation);
  }
}
