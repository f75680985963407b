// The metadata database (users, projects, roles, project datasets, export jobs): what the rest of the
// service imports.

export type { Dialect, SqlDriver, SqlExecutor, SqlValue } from "./driver.js";
export { ConflictError, DbConfigError, InvalidInputError, MetadataError, NotFoundError } from "./errors.js";
export type { ExportJobRecord, ExportJobUpdate, ExportParams, ExportStatus } from "./exports.js";
export { EXPORT_STATUSES, ExportJobs, exportStatusSchema } from "./exports.js";
export type { MemberRecord } from "./members.js";
export { Members } from "./members.js";
export type { MetadataDb } from "./metadata.js";
export { createMetadataDb } from "./metadata.js";
export { MIGRATIONS, migrate } from "./migrations.js";
export type { MetadataDbConfig } from "./open.js";
export { METADATA_FILE, metadataDbConfig, openMetadataDb, withMetadataDb } from "./open.js";
export type { ProjectDatasetRecord } from "./project-datasets.js";
export { ProjectDatasets } from "./project-datasets.js";
export type { ProjectRecord, UserProjectRecord } from "./projects.js";
export { Projects } from "./projects.js";
export type { UserRecord } from "./users.js";
export { Users } from "./users.js";
