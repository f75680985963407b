// Users of the metadata database: a name and an optional site role, the role a user has in every project
// where they have no membership (an instructor of a whole course, a site owner).

import { type Role, roleSchema, userNameSchema } from "@sylva/shared";
import { z } from "zod";
import { nowIso } from "./clock.js";
import type { SqlDriver } from "./driver.js";
import { ConflictError, NotFoundError } from "./errors.js";
import { byKey } from "./sort.js";
import { parseInput, parseOrUndefined } from "./validate.js";

export interface UserRecord {
  name: string;
  /** The role in every project where the user has no membership; null: none. */
  siteRole: Role | null;
  createdAt: string;
}

const userRow = z
  .object({ name: z.string(), site_role: roleSchema.nullable(), created_at: z.string() })
  .transform((r): UserRecord => ({ name: r.name, siteRole: r.site_role, createdAt: r.created_at }));

const USER_COLUMNS = "name, site_role, created_at";

export class Users {
  constructor(private readonly db: SqlDriver) {}

  /** Adds a user; ConflictError when the name is taken. */
  async add(name: string, siteRole: Role | null = null): Promise<UserRecord> {
    const user: UserRecord = {
      name: parseInput(userNameSchema, name, "user name"),
      siteRole: siteRole === null ? null : parseInput(roleSchema, siteRole, "site role"),
      createdAt: nowIso(),
    };
    const { changes } = await this.db.run(
      "INSERT INTO users (name, site_role, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
      [user.name, user.siteRole, user.createdAt],
    );
    if (changes === 0) throw new ConflictError(`user ${user.name} already exists`);
    return user;
  }

  /** The user, or undefined (also for a malformed name). */
  async get(name: string): Promise<UserRecord | undefined> {
    const valid = parseOrUndefined(userNameSchema, name);
    if (valid === undefined) return undefined;
    const row = await this.db.get(`SELECT ${USER_COLUMNS} FROM users WHERE name = ?`, [valid]);
    return row === undefined ? undefined : userRow.parse(row);
  }

  /** Every user, by name. */
  async list(): Promise<UserRecord[]> {
    const rows = await this.db.all(`SELECT ${USER_COLUMNS} FROM users`);
    return rows.map((r) => userRow.parse(r)).sort(byKey((u) => u.name));
  }

  /** Removes a user and their memberships; NotFoundError when there is no such user. */
  async remove(name: string): Promise<void> {
    const valid = parseInput(userNameSchema, name, "user name");
    const { changes } = await this.db.run("DELETE FROM users WHERE name = ?", [valid]);
    if (changes === 0) throw new NotFoundError(`no user ${valid}`);
  }

  /** Sets (or with null, clears) a user's site role; NotFoundError when there is no such user. */
  async setSiteRole(name: string, siteRole: Role | null): Promise<UserRecord> {
    const valid = parseInput(userNameSchema, name, "user name");
    const role = siteRole === null ? null : parseInput(roleSchema, siteRole, "site role");
    const row = await this.db.get(`UPDATE users SET site_role = ? WHERE name = ? RETURNING ${USER_COLUMNS}`, [
      role,
      valid,
    ]);
    if (row === undefined) throw new NotFoundError(`no user ${valid}`);
    return userRow.parse(row);
  }
}
