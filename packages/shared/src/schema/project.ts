// Projects (zod): the id and name of a project, the unit that owns a shared label document (one sync
// room), its members' roles, its datasets and its classifier generations.

import { z } from "zod";
import { prefixedIdSchema, randomId } from "./ids.js";

/** "pr_" + 12 characters of an unambiguous lower-case alphabet (no 0/o, 1/l). */
export const projectIdSchema = prefixedIdSchema<"ProjectId">("pr", "a project id");
export type ProjectId = z.infer<typeof projectIdSchema>;

export function isProjectId(s: string): s is ProjectId {
  return projectIdSchema.safeParse(s).success;
}

/** A fresh random project id. */
export function newProjectId(): ProjectId {
  return projectIdSchema.parse(randomId("pr"));
}

/** A project's display name: 1–200 characters, no control characters. */
export const projectNameSchema = z
  .string()
  .trim()
  .min(1, "project name is empty")
  .max(200, "project name is longer than 200 characters")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "project name may not contain control characters");
