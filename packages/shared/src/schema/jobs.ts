// Job ids (zod): export jobs ("ex_…", kept in the metadata database) and import jobs ("im_…", kept by the
// service while it runs them).

import type { z } from "zod";
import { prefixedIdSchema, randomId } from "./ids.js";

export const exportJobIdSchema = prefixedIdSchema<"ExportJobId">("ex", "an export job id");
export type ExportJobId = z.infer<typeof exportJobIdSchema>;

export function newExportJobId(): ExportJobId {
  return exportJobIdSchema.parse(randomId("ex"));
}

export const importJobIdSchema = prefixedIdSchema<"ImportJobId">("im", "an import job id");
export type ImportJobId = z.infer<typeof importJobIdSchema>;
