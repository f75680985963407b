// Export jobs: a batch export of one dataset of a project, its parameters (JSON), status and progress,
// and where the result went. A job goes queued → running → done | failed | cancelled (or straight from
// queued to an end); a finished job no longer changes.

import {
  type DatasetId,
  datasetIdSchema,
  type ExportJobId,
  exportJobIdSchema,
  newExportJobId,
  type ProjectId,
  projectIdSchema,
  userNameSchema,
} from "@sylva/shared";
import { z } from "zod";
import { nowIso } from "./clock.js";
import type { SqlDriver } from "./driver.js";
import { ConflictError, NotFoundError } from "./errors.js";
import { byKey } from "./sort.js";
import { parseInput, parseOrUndefined } from "./validate.js";

export const EXPORT_STATUSES = ["queued", "running", "done", "failed", "cancelled"] as const;
export const exportStatusSchema = z.enum(EXPORT_STATUSES);
export type ExportStatus = z.infer<typeof exportStatusSchema>;
const FINISHED: readonly ExportStatus[] = ["done", "failed", "cancelled"];

/** Job parameters: a JSON object (what the export panel sent), stored as JSON text. */
export const exportParamsSchema = z.record(z.string(), z.unknown()).refine((p) => {
  try {
    return JSON.stringify(p).length <= 64 * 1024;
  } catch {
    return false;
  }
}, "export parameters must be a JSON object of at most 64 KiB");
export type ExportParams = z.infer<typeof exportParamsSchema>;

const progressSchema = z.number().min(0, "progress is below 0").max(1, "progress is above 1");

export interface ExportJobRecord {
  id: ExportJobId;
  projectId: ProjectId;
  datasetId: DatasetId;
  createdBy: string;
  status: ExportStatus;
  /** 0..1 */
  progress: number;
  params: ExportParams;
  /** The BlobStore key (or prefix) of the result, once done. */
  resultKey: string | null;
  /** Why it failed. */
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What an update may change; absent fields stay as they are. */
export interface ExportJobUpdate {
  status?: ExportStatus;
  progress?: number;
  resultKey?: string | null;
  error?: string | null;
}

const jobRow = z
  .object({
    id: exportJobIdSchema,
    project_id: projectIdSchema,
    dataset_id: datasetIdSchema,
    created_by: z.string(),
    status: exportStatusSchema,
    progress: z.coerce.number(),
    params: z.string(),
    result_key: z.string().nullable(),
    error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .transform(
    (r): ExportJobRecord => ({
      id: r.id,
      projectId: r.project_id,
      datasetId: r.dataset_id,
      createdBy: r.created_by,
      status: r.status,
      progress: r.progress,
      params: exportParamsSchema.parse(JSON.parse(r.params)),
      resultKey: r.result_key,
      error: r.error,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }),
  );

const COLUMNS =
  "id, project_id, dataset_id, created_by, status, progress, params, result_key, error, created_at, updated_at";

export class ExportJobs {
  constructor(private readonly db: SqlDriver) {}

  /**
   * Queues an export of a dataset of a project; NotFoundError when the project does not exist or the
   * dataset is not in it.
   */
  async create(job: {
    projectId: string;
    datasetId: string;
    createdBy: string;
    params: ExportParams;
  }): Promise<ExportJobRecord> {
    const now = nowIso();
    const record: ExportJobRecord = {
      id: newExportJobId(),
      projectId: parseInput(projectIdSchema, job.projectId, "project id"),
      datasetId: parseInput(datasetIdSchema, job.datasetId, "dataset id"),
      createdBy: parseInput(userNameSchema, job.createdBy, "user name"),
      status: "queued",
      progress: 0,
      params: parseInput(exportParamsSchema, job.params, "export parameters"),
      resultKey: null,
      error: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.db.transaction(async (tx) => {
      const project = await tx.get("SELECT id FROM projects WHERE id = ?", [record.projectId]);
      if (project === undefined) throw new NotFoundError(`no project ${record.projectId}`);
      const dataset = await tx.get(
        "SELECT dataset_id FROM project_datasets WHERE project_id = ? AND dataset_id = ?",
        [record.projectId, record.datasetId],
      );
      if (dataset === undefined)
        throw new NotFoundError(`dataset ${record.datasetId} is not in project ${record.projectId}`);
      await tx.run(`INSERT INTO export_jobs (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
        record.id,
        record.projectId,
        record.datasetId,
        record.createdBy,
        record.status,
        record.progress,
        JSON.stringify(record.params),
        record.resultKey,
        record.error,
        record.createdAt,
        record.updatedAt,
      ]);
    });
    return record;
  }

  /**
   * Changes a job's status, progress, result key or error; "done" without a progress sets progress 1.
   * NotFoundError for an unknown job, ConflictError for a finished one.
   */
  async update(id: string, update: ExportJobUpdate): Promise<ExportJobRecord> {
    const jobId = parseInput(exportJobIdSchema, id, "export job id");
    const sets: string[] = [];
    const params: (string | number | null)[] = [];
    const set = (column: string, value: string | number | null) => {
      sets.push(`${column} = ?`);
      params.push(value);
    };
    if (update.status !== undefined)
      set("status", parseInput(exportStatusSchema, update.status, "export status"));
    const progress = update.progress ?? (update.status === "done" ? 1 : undefined);
    if (progress !== undefined) set("progress", parseInput(progressSchema, progress, "export progress"));
    if (update.resultKey !== undefined)
      set(
        "result_key",
        update.resultKey === null ? null : parseInput(z.string().min(1), update.resultKey, "result key"),
      );
    if (update.error !== undefined) set("error", update.error);
    set("updated_at", nowIso());
    const row = await this.db.get(
      `UPDATE export_jobs SET ${sets.join(", ")}
        WHERE id = ? AND status NOT IN (${FINISHED.map(() => "?").join(", ")})
       RETURNING ${COLUMNS}`,
      [...params, jobId, ...FINISHED],
    );
    if (row !== undefined) return jobRow.parse(row);
    const current = await this.get(jobId);
    if (current === undefined) throw new NotFoundError(`no export job ${jobId}`);
    throw new ConflictError(`export job ${jobId} is already ${current.status}`);
  }

  /** The job, or undefined (also for a malformed id). */
  async get(id: string): Promise<ExportJobRecord | undefined> {
    const jobId = parseOrUndefined(exportJobIdSchema, id);
    if (jobId === undefined) return undefined;
    const row = await this.db.get(`SELECT ${COLUMNS} FROM export_jobs WHERE id = ?`, [jobId]);
    return row === undefined ? undefined : jobRow.parse(row);
  }

  /** The jobs of a project, newest first (empty for an unknown project). */
  async listByProject(projectId: string): Promise<ExportJobRecord[]> {
    const project = parseInput(projectIdSchema, projectId, "project id");
    const rows = await this.db.all(`SELECT ${COLUMNS} FROM export_jobs WHERE project_id = ?`, [project]);
    return rows
      .map((r) => jobRow.parse(r))
      .sort(
        byKey(
          (j) => j.createdAt,
          (j) => j.id,
        ),
      )
      .reverse();
  }
}
