// Branded project ids from route parameters (the API's zod schemas brand them).
import { type ProjectId, projectIdSchema } from "@sylva/shared";

export function asProjectId(s: string): ProjectId {
  return projectIdSchema.parse(s);
}

export function isValidProjectId(s: string): boolean {
  return projectIdSchema.safeParse(s).success;
}
