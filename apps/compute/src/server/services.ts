// The compute service's side of the API contract (`ApiServices` in @sylva/shared/api): metadata from the
// database, datasets from the catalog, classes and feature selection from the project document (changed
// through its sync room, so every client sees the change), training state from the live trainer.
// Domain errors become `ApiError`s with the matching code; the router has already checked the role.
// A finished file export's view carries its download URL (export-download.ts).

import {
  addClass,
  type DatasetId,
  type DatasetManifest,
  deleteClass,
  exportParamsSchema,
  type ImportOptions,
  type ProjectId,
  readClasses,
  readFeatureSelection,
  setFeatureSelection,
  updateClass,
} from "@sylva/shared";
import {
  ApiError,
  type ApiServices,
  type ExportJob,
  type ExportParams,
  type ImportJob,
  type ProjectSummary,
  type TrainingState,
} from "@sylva/shared/api";
import type * as Y from "yjs";
import { DatasetNotFoundError } from "../datasets/catalog.js";
import { ImportError } from "../datasets/import.js";
import type { DatasetService, ImportCall, UploadedFile } from "../datasets/service.js";
import { ConflictError, InvalidInputError, NotFoundError } from "../db/errors.js";
import type { ExportJobRecord } from "../db/exports.js";
import type { MetadataDb } from "../db/metadata.js";
import { InputError } from "../io/errors.js";
import { exportDownloadPath } from "./export-download.js";
import { isFileExport } from "./export-manifest.js";
import { type JobRecord, JobRegistry } from "./jobs.js";

/** Reading and changing a project's document (through its sync room: persisted, then broadcast). */
export interface ProjectDocs {
  read<T>(projectId: ProjectId, fn: (doc: Y.Doc) => T): Promise<T>;
  change<T>(projectId: ProjectId, fn: (doc: Y.Doc) => T): Promise<T>;
}

export interface ServiceDeps {
  readonly db: MetadataDb;
  readonly datasets: DatasetService;
  readonly docs: ProjectDocs;
  /** The live trainer's state of a project (undefined when nobody has it open). */
  readonly trainingState: (projectId: ProjectId) => TrainingState | undefined;
  /** Starts an export job already recorded in the database. */
  readonly runExport: (job: ExportJobRecord) => void;
}

/** Domain errors as API errors; anything else is a bug and stays an internal error. */
function toApiError(e: unknown): unknown {
  if (e instanceof NotFoundError || e instanceof DatasetNotFoundError)
    return new ApiError("NOT_FOUND", e.message);
  if (e instanceof ConflictError) return new ApiError("CONFLICT", e.message);
  if (
    e instanceof InvalidInputError ||
    e instanceof InputError ||
    e instanceof ImportError ||
    e instanceof RangeError
  )
    return new ApiError("BAD_REQUEST", e.message);
  return e;
}

/** Wraps every method of a service group so its domain errors reach the router as ApiErrors. */
function guarded<G extends object>(group: G): G {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(group)) {
    out[name] =
      typeof fn === "function"
        ? async (...args: unknown[]) => {
            try {
              return await (fn as (...a: unknown[]) => Promise<unknown>).apply(group, args);
            } catch (e) {
              throw toApiError(e);
            }
          }
        : fn;
  }
  return out as G;
}

function importJobView(projectId: ProjectId, name: string, j: JobRecord<DatasetManifest>): ImportJob {
  return {
    id: j.id,
    projectId,
    name,
    status: j.status,
    progress: j.progress,
    ...(j.result ? { datasetId: j.result.id } : {}),
    ...(j.error ? { error: j.error } : {}),
  };
}

function exportJobView(r: ExportJobRecord): ExportJob {
  const params = exportParamsSchema.safeParse(r.params);
  const files = r.status === "done" && params.success && isFileExport(params.data);
  return {
    id: r.id,
    projectId: r.projectId,
    datasetId: r.datasetId,
    createdBy: r.createdBy,
    status: r.status,
    progress: r.progress,
    params: r.params as unknown as ExportParams,
    ...(r.resultKey ? { resultKey: r.resultKey } : {}),
    ...(files ? { downloadUrl: exportDownloadPath(r.projectId, r.id) } : {}),
    ...(r.error ? { error: r.error } : {}),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** What the service offers beyond the tRPC contract: imports of uploaded files (their own HTTP route). */
export interface ServiceExtras {
  importUploaded(
    projectId: ProjectId,
    user: string,
    files: readonly UploadedFile[],
    options: ImportOptions,
    internalPath?: string,
  ): ImportJob;
  close(): void;
}

export function createApiServices(deps: ServiceDeps): ApiServices & ServiceExtras {
  const { db, datasets, docs } = deps;
  const imports = new JobRegistry<DatasetManifest>("im");
  const importNames = new Map<string, string>();

  const summary = async (user: string, projectId: ProjectId): Promise<ProjectSummary> => {
    const p = await db.projects.get(projectId);
    const role = await db.members.roleOf(user, projectId);
    if (!p || !role) throw new NotFoundError(`project ${projectId} not found`);
    return {
      id: p.id,
      name: p.name,
      role,
      createdAt: p.createdAt,
      createdBy: p.createdBy ?? "",
      generation: p.generation,
    };
  };

  /** Runs an import as a job of the project; the dataset joins the project when it is published. */
  const startImport = (
    projectId: ProjectId,
    name: string,
    run: (call: Pick<ImportCall, "signal" | "onProgress">) => Promise<DatasetManifest>,
  ): ImportJob => {
    const job = imports.start(projectId, async (ctx) => {
      const manifest = await run({
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.total > 0 ? p.done / p.total : 0),
      });
      await db.datasets.add(projectId, manifest.id);
      return manifest;
    });
    importNames.set(job.id, name);
    return importJobView(projectId, name, job);
  };

  const manifestsOf = async (projectId: ProjectId): Promise<DatasetManifest[]> => {
    const out: DatasetManifest[] = [];
    for (const r of await db.datasets.list(projectId)) {
      try {
        out.push(await datasets.get(r.datasetId));
      } catch (e) {
        if (!(e instanceof DatasetNotFoundError)) throw e; // deleted from the catalog since: not listed
      }
    }
    return out;
  };

  return {
    roleOf: (user, projectId) => db.members.roleOf(user, projectId),
    projects: guarded({
      list: async (user: string) =>
        (await db.projects.listForUser(user)).map((p) => ({
          id: p.id,
          name: p.name,
          role: p.role,
          createdAt: p.createdAt,
          createdBy: p.createdBy ?? "",
          generation: p.generation,
        })),
      create: async (user: string, name: string) => summary(user, (await db.projects.create(name, user)).id),
      get: summary,
      rename: async (projectId: ProjectId, name: string) => {
        await db.projects.rename(projectId, name);
      },
    }),
    members: guarded({
      list: (projectId: ProjectId) =>
        db.members.list(projectId).then((ms) => ms.map((m) => ({ user: m.userName, role: m.role }))),
      set: async (
        projectId: ProjectId,
        user: string,
        role: Parameters<MetadataDb["members"]["setRole"]>[2],
      ) => {
        await db.members.setRole(projectId, user, role);
      },
      remove: (projectId: ProjectId, user: string) => db.members.remove(projectId, user),
    }),
    datasets: guarded({
      list: manifestsOf,
      probe: (sources: string[], options: { axes?: string; stackAlong?: "z" | "t" | "c" }) =>
        datasets.probe(sources, options),
      import: async (
        projectId: ProjectId,
        user: string,
        sources: string[],
        options: Parameters<ApiServices["datasets"]["import"]>[3],
      ) => {
        return startImport(projectId, options.name, (call) =>
          datasets.importFromSources(sources, { ...call, options, userId: user }),
        );
      },
      importJobs: async (projectId: ProjectId) =>
        imports.list(projectId).map((j) => importJobView(projectId, importNames.get(j.id) ?? "", j)),
      attach: async (projectId: ProjectId, datasetId: DatasetId) => {
        await datasets.get(datasetId); // a NOT_FOUND for ids the catalog does not have
        await db.datasets.add(projectId, datasetId);
      },
      detach: (projectId: ProjectId, datasetId: DatasetId) => db.datasets.remove(projectId, datasetId),
    }),
    classes: guarded({
      list: (projectId: ProjectId) => docs.read(projectId, readClasses),
      add: (projectId: ProjectId, init: Parameters<typeof addClass>[1]) =>
        docs.change(projectId, (doc) => {
          const id = addClass(doc, init);
          const added = readClasses(doc).find((c) => c.id === id);
          if (!added) throw new Error(`class ${id} vanished while being added`);
          return added;
        }),
      update: (projectId: ProjectId, id: number, change: Parameters<typeof updateClass>[2]) =>
        docs.change(projectId, (doc) => updateClass(doc, id, change)),
      remove: (projectId: ProjectId, id: number) => docs.change(projectId, (doc) => deleteClass(doc, id)),
    }),
    features: guarded({
      get: (projectId: ProjectId) => docs.read(projectId, readFeatureSelection),
      set: (projectId: ProjectId, selection: Parameters<typeof setFeatureSelection>[1]) =>
        docs.change(projectId, (doc) => setFeatureSelection(doc, selection)),
    }),
    training: guarded({
      state: async (projectId: ProjectId): Promise<TrainingState> =>
        deps.trainingState(projectId) ?? {
          generation: await db.projects.getGeneration(projectId),
          status: "idle",
          samplesPerClass: {},
        },
    }),
    exports: guarded({
      create: async (projectId: ProjectId, user: string, params: ExportParams) => {
        if (!(await db.datasets.has(projectId, params.datasetId)))
          throw new NotFoundError(`dataset ${params.datasetId} is not in project ${projectId}`);
        const record = await db.exports.create({
          projectId,
          datasetId: params.datasetId,
          createdBy: user,
          params: { ...params },
        });
        deps.runExport(record);
        return exportJobView(record);
      },
      list: async (projectId: ProjectId) => (await db.exports.listByProject(projectId)).map(exportJobView),
      get: async (projectId: ProjectId, jobId: string) => {
        const r = await db.exports.get(jobId);
        if (!r || r.projectId !== projectId)
          throw new NotFoundError(`export job ${jobId} not found in project ${projectId}`);
        return exportJobView(r);
      },
    }),
    importUploaded(projectId, user, files, options, internalPath) {
      return startImport(projectId, options.name, (call) =>
        datasets.importUpload(files, { ...call, options, userId: user, internalPath }),
      );
    },
    close: () => imports.cancelAll(),
  };
}
