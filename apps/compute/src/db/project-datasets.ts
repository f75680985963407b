// Which datasets a project works on: dataset ids (the datasets themselves live in the BlobStore catalog)
// attached to a project, in the order they were added.

import { type DatasetId, datasetIdSchema, type ProjectId, projectIdSchema } from "@sylva/shared";
import { z } from "zod";
import { nowIso } from "./clock.js";
import type { SqlDriver } from "./driver.js";
import { ConflictError, NotFoundError } from "./errors.js";
import { byKey } from "./sort.js";
import { parseInput, parseOrUndefined } from "./validate.js";

export interface ProjectDatasetRecord {
  projectId: ProjectId;
  datasetId: DatasetId;
  addedAt: string;
}

const row = z
  .object({ project_id: projectIdSchema, dataset_id: datasetIdSchema, added_at: z.string() })
  .transform(
    (r): ProjectDatasetRecord => ({ projectId: r.project_id, datasetId: r.dataset_id, addedAt: r.added_at }),
  );

export class ProjectDatasets {
  constructor(private readonly db: SqlDriver) {}

  /** Attaches a dataset to a project; NotFoundError for an unknown project, ConflictError when attached. */
  async add(projectId: string, datasetId: string): Promise<ProjectDatasetRecord> {
    const record: ProjectDatasetRecord = {
      projectId: parseInput(projectIdSchema, projectId, "project id"),
      datasetId: parseInput(datasetIdSchema, datasetId, "dataset id"),
      addedAt: nowIso(),
    };
    await this.db.transaction(async (tx) => {
      const project = await tx.get("SELECT id FROM projects WHERE id = ?", [record.projectId]);
      if (project === undefined) throw new NotFoundError(`no project ${record.projectId}`);
      const { changes } = await tx.run(
        `INSERT INTO project_datasets (project_id, dataset_id, added_at) VALUES (?, ?, ?)
         ON CONFLICT (project_id, dataset_id) DO NOTHING`,
        [record.projectId, record.datasetId, record.addedAt],
      );
      if (changes === 0)
        throw new ConflictError(`dataset ${record.datasetId} is already in project ${record.projectId}`);
    });
    return record;
  }

  /** Detaches a dataset; NotFoundError when it is not in the project. */
  async remove(projectId: string, datasetId: string): Promise<void> {
    const project = parseInput(projectIdSchema, projectId, "project id");
    const dataset = parseInput(datasetIdSchema, datasetId, "dataset id");
    const { changes } = await this.db.run(
      "DELETE FROM project_datasets WHERE project_id = ? AND dataset_id = ?",
      [project, dataset],
    );
    if (changes === 0) throw new NotFoundError(`dataset ${dataset} is not in project ${project}`);
  }

  /** The datasets of a project, first added first (empty for an unknown project). */
  async list(projectId: string): Promise<ProjectDatasetRecord[]> {
    const project = parseInput(projectIdSchema, projectId, "project id");
    const rows = await this.db.all(
      "SELECT project_id, dataset_id, added_at FROM project_datasets WHERE project_id = ?",
      [project],
    );
    return rows
      .map((r) => row.parse(r))
      .sort(
        byKey(
          (d) => d.addedAt,
          (d) => d.datasetId,
        ),
      );
  }

  /** Whether the dataset is in the project (false for malformed ids). */
  async has(projectId: string, datasetId: string): Promise<boolean> {
    const project = parseOrUndefined(projectIdSchema, projectId);
    const dataset = parseOrUndefined(datasetIdSchema, datasetId);
    if (project === undefined || dataset === undefined) return false;
    const found = await this.db.get(
      "SELECT 1 AS found FROM project_datasets WHERE project_id = ? AND dataset_id = ?",
      [project, dataset],
    );
    return found !== undefined;
  }
}
