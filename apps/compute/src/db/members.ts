// Project memberships and the role question every route, sync room and tile asks: what may this user do
// in this project? A membership's role wins; without one, the user's site role; otherwise none.

import { type ProjectId, projectIdSchema, type Role, roleSchema, userNameSchema } from "@sylva/shared";
import { z } from "zod";
import type { SqlDriver, SqlExecutor } from "./driver.js";
import { NotFoundError } from "./errors.js";
import { byKey } from "./sort.js";
import { parseInput, parseOrUndefined } from "./validate.js";

export interface MemberRecord {
  projectId: ProjectId;
  userName: string;
  role: Role;
}

const memberRow = z
  .object({ project_id: projectIdSchema, user_name: z.string(), role: roleSchema })
  .transform((r): MemberRecord => ({ projectId: r.project_id, userName: r.user_name, role: r.role }));

const roleRow = z.object({ member_role: roleSchema.nullable(), site_role: roleSchema.nullable() });

/** NotFoundError naming what is missing when the project or the user does not exist. */
export async function requireProjectAndUser(
  tx: SqlExecutor,
  projectId: ProjectId,
  userName: string,
): Promise<void> {
  const project = await tx.get("SELECT id FROM projects WHERE id = ?", [projectId]);
  if (project === undefined) throw new NotFoundError(`no project ${projectId}`);
  const user = await tx.get("SELECT name FROM users WHERE name = ?", [userName]);
  if (user === undefined) throw new NotFoundError(`no user ${userName}`);
}

export class Members {
  constructor(private readonly db: SqlDriver) {}

  /** Makes `userName` a member of the project with `role` (or changes their role); both must exist. */
  async setRole(projectId: string, userName: string, role: Role): Promise<MemberRecord> {
    const member: MemberRecord = {
      projectId: parseInput(projectIdSchema, projectId, "project id"),
      userName: parseInput(userNameSchema, userName, "user name"),
      role: parseInput(roleSchema, role, "role"),
    };
    await this.db.transaction(async (tx) => {
      await requireProjectAndUser(tx, member.projectId, member.userName);
      await tx.run(
        `INSERT INTO members (project_id, user_name, role) VALUES (?, ?, ?)
         ON CONFLICT (project_id, user_name) DO UPDATE SET role = excluded.role`,
        [member.projectId, member.userName, member.role],
      );
    });
    return member;
  }

  /** Ends a membership; NotFoundError when `userName` is not a member of the project. */
  async remove(projectId: string, userName: string): Promise<void> {
    const project = parseInput(projectIdSchema, projectId, "project id");
    const user = parseInput(userNameSchema, userName, "user name");
    const { changes } = await this.db.run("DELETE FROM members WHERE project_id = ? AND user_name = ?", [
      project,
      user,
    ]);
    if (changes === 0) throw new NotFoundError(`user ${user} is not a member of project ${project}`);
  }

  /** The members of a project, by user name (empty for an unknown project). */
  async list(projectId: string): Promise<MemberRecord[]> {
    const project = parseInput(projectIdSchema, projectId, "project id");
    const rows = await this.db.all("SELECT project_id, user_name, role FROM members WHERE project_id = ?", [
      project,
    ]);
    return rows.map((r) => memberRow.parse(r)).sort(byKey((m) => m.userName));
  }

  /** The memberships of a user, by project id (empty for an unknown user). */
  async listForUser(userName: string): Promise<MemberRecord[]> {
    const user = parseInput(userNameSchema, userName, "user name");
    const rows = await this.db.all("SELECT project_id, user_name, role FROM members WHERE user_name = ?", [
      user,
    ]);
    return rows.map((r) => memberRow.parse(r)).sort(byKey((m) => m.projectId));
  }

  /**
   * The role of `userName` in the project: their membership's role, else their site role, else undefined.
   * Undefined as well for an unknown (or malformed) user or project: no role, no access.
   */
  async roleOf(userName: string, projectId: string): Promise<Role | undefined> {
    const user = parseOrUndefined(userNameSchema, userName);
    const project = parseOrUndefined(projectIdSchema, projectId);
    if (user === undefined || project === undefined) return undefined;
    const row = await this.db.get(
      `SELECT m.role AS member_role, u.site_role AS site_role
         FROM users u
        CROSS JOIN projects p
         LEFT JOIN members m ON m.project_id = p.id AND m.user_name = u.name
        WHERE u.name = ? AND p.id = ?`,
      [user, project],
    );
    if (row === undefined) return undefined;
    const { member_role, site_role } = roleRow.parse(row);
    return member_role ?? site_role ?? undefined;
  }
}
