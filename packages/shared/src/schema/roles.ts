// Project roles (zod) and what each may do: the one table every API route, sync room, tile and export
// checks server-side. Owners manage members; instructors also review; annotators paint; viewers look.

import { z } from "zod";

export const ROLES = ["owner", "instructor", "annotator", "viewer"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export type Permission =
  | "project.read"
  | "labels.write"
  | "classifier.train"
  | "export.run"
  | "datasets.import"
  | "members.manage"
  | "review";

const GRANTS: Record<Role, readonly Permission[]> = {
  owner: [
    "project.read",
    "labels.write",
    "classifier.train",
    "export.run",
    "datasets.import",
    "members.manage",
    "review",
  ],
  instructor: ["project.read", "labels.write", "classifier.train", "export.run", "datasets.import", "review"],
  annotator: ["project.read", "labels.write", "classifier.train", "export.run"],
  viewer: ["project.read"],
};

/** Whether `role` (undefined: no role in the project) grants `permission`. */
export function can(role: Role | undefined, permission: Permission): boolean {
  return role !== undefined && GRANTS[role].includes(permission);
}

/** User names: 1–64 characters of letters, digits, ".", "_" and "-", starting with a letter or digit. */
export const userNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "user names are 1-64 letters, digits, '.', '_' or '-'");
