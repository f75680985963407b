// Branded ids from route parameters and API answers (the API's zod schemas brand them).
import { type DatasetId, datasetIdSchema, type ProjectId, projectIdSchema } from "@sylva/shared";

export function asProjectId(s: string): ProjectId {
  return projectIdSchema.parse(s);
}

export function isValidProjectId(s: string): boolean {
  return projectIdSchema.safeParse(s).success;
}

export function asDatasetId(s: string): DatasetId {
  return datasetIdSchema.parse(s);
}
