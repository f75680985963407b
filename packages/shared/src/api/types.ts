// What the API returns and what a compute service must implement (`ApiServices`): the router in
// router.ts validates every input with zod, checks the caller's role, and delegates here.

import type { LabelClassEntry } from "../doc.js";
import type { LabelClass } from "../schema/classes.js";
import type { DatasetId, DatasetManifest, ImportOptions } from "../schema/dataset.js";
import type { ExportParams } from "../schema/export.js";
import type { FeatureSelectionInput } from "../schema/features.js";
import type { ProjectId } from "../schema/project.js";
import type { Role } from "../schema/roles.js";

export type { ExportParams };

export interface ApiUser {
  readonly name: string;
}

export interface ProjectSummary {
  id: ProjectId;
  name: string;
  /** The caller's role in the project. */
  role: Role;
  createdAt: string;
  createdBy: string;
  generation: number;
}

export interface Member {
  user: string;
  role: Role;
}

export interface SourceProbe {
  axes: string;
  shape: number[];
  dtype: string;
  axesGuessed: boolean;
  sources: string[];
}

export type JobStatus = "queued" | "running" | "done" | "failed" | "cancelled";

export interface ImportJob {
  id: string;
  projectId: ProjectId;
  name: string;
  status: JobStatus;
  /** 0…1 */
  progress: number;
  datasetId?: DatasetId;
  error?: string;
}

export interface TrainingState {
  generation: number;
  status: "idle" | "waiting-for-labels" | "training" | "error";
  error?: string;
  lastTrainMs?: number;
  lastTrainedAt?: string;
  /** Labeled voxels per class id, over every dataset of the project. */
  samplesPerClass: Record<string, number>;
}

export interface ExportJob {
  id: string;
  projectId: ProjectId;
  datasetId: DatasetId;
  createdBy: string;
  status: JobStatus;
  progress: number;
  params: ExportParams;
  /** Store key (prefix) of the result once done: the OME-Zarr dataset, or the folder of exported files. */
  resultKey?: string;
  /** For file formats: where to download the result (a zip of the files) once done. */
  downloadUrl?: string;
  error?: string;
  createdAt: string;
  updatedAt: string;
}

/** The compute service's side of the API; every method runs after the router's role check. */
export interface ApiServices {
  /** The caller's role in a project; undefined when they have none (or the project does not exist). */
  roleOf(user: string, projectId: ProjectId): Promise<Role | undefined>;
  projects: {
    list(user: string): Promise<ProjectSummary[]>;
    create(user: string, name: string): Promise<ProjectSummary>;
    get(user: string, projectId: ProjectId): Promise<ProjectSummary>;
    rename(projectId: ProjectId, name: string): Promise<void>;
  };
  members: {
    list(projectId: ProjectId): Promise<Member[]>;
    set(projectId: ProjectId, user: string, role: Role): Promise<void>;
    remove(projectId: ProjectId, user: string): Promise<void>;
  };
  datasets: {
    list(projectId: ProjectId): Promise<DatasetManifest[]>;
    probe(sources: string[], options: { axes?: string; stackAlong?: "z" | "t" | "c" }): Promise<SourceProbe>;
    import(projectId: ProjectId, user: string, sources: string[], options: ImportOptions): Promise<ImportJob>;
    importJobs(projectId: ProjectId): Promise<ImportJob[]>;
    attach(projectId: ProjectId, datasetId: DatasetId): Promise<void>;
    detach(projectId: ProjectId, datasetId: DatasetId): Promise<void>;
  };
  classes: {
    list(projectId: ProjectId): Promise<LabelClassEntry[]>;
    add(projectId: ProjectId, init: Partial<LabelClass>): Promise<LabelClassEntry>;
    update(projectId: ProjectId, id: number, change: Partial<LabelClass>): Promise<void>;
    remove(projectId: ProjectId, id: number): Promise<void>;
  };
  features: {
    get(projectId: ProjectId): Promise<FeatureSelectionInput>;
    set(projectId: ProjectId, selection: FeatureSelectionInput): Promise<void>;
  };
  training: {
    state(projectId: ProjectId): Promise<TrainingState>;
  };
  exports: {
    create(projectId: ProjectId, user: string, params: ExportParams): Promise<ExportJob>;
    list(projectId: ProjectId): Promise<ExportJob[]>;
    get(projectId: ProjectId, jobId: string): Promise<ExportJob>;
  };
}

export interface ApiContext {
  /** The signed-in caller; null when the request carried no valid token. */
  readonly user: ApiUser | null;
  readonly services: ApiServices;
}
