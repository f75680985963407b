// Projects (zod): the id and name of a project, the unit that owns a shared label document (one sync
// room), its members' roles, its datasets and its classifier generations.

import { z } from "zod";

const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
const ID_LENGTH = 12;

/** "pr_" + 12 characters of an unambiguous lower-case alphabet (no 0/o, 1/l). */
export const projectIdSchema = z
  .string()
  .regex(
    new RegExp(`^pr_[${ID_ALPHABET}]{${ID_LENGTH}}$`),
    "not a project id (pr_ followed by 12 letters/digits)",
  )
  .brand<"ProjectId">();
export type ProjectId = z.infer<typeof projectIdSchema>;

export function isProjectId(s: string): s is ProjectId {
  return projectIdSchema.safeParse(s).success;
}

/** A fresh random project id (60 bits of randomness from the platform's CSPRNG). */
export function newProjectId(): ProjectId {
  const bytes = new Uint8Array(ID_LENGTH);
  crypto.getRandomValues(bytes);
  return projectIdSchema.parse(`pr_${[...bytes].map((b) => ID_ALPHABET[b % ID_ALPHABET.length]).join("")}`);
}

/** A project's display name: 1–200 characters, no control characters. */
export const projectNameSchema = z
  .string()
  .trim()
  .min(1, "project name is empty")
  .max(200, "project name is longer than 200 characters")
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "project name may not contain control characters");
