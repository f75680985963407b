// Errors of the metadata database: what callers (API, sync, command line) tell apart and show as they are.
// Messages name the user, project, dataset or job concerned and never contain a password.

/** Base class: every error below is a MetadataError, so one check tells them from bugs. */
export class MetadataError extends Error {
  override readonly name: string = "MetadataError";
}

/** A user, project, membership, project dataset or export job that does not exist. */
export class NotFoundError extends MetadataError {
  override readonly name = "NotFoundError";
}

/** A write that contradicts what is stored: a duplicate, or a change to a finished export job. */
export class ConflictError extends MetadataError {
  override readonly name = "ConflictError";
}

/** An input that fails its schema: a malformed user name, project id, role, progress … */
export class InvalidInputError extends MetadataError {
  override readonly name = "InvalidInputError";
}

/** The database cannot be opened: bad DATABASE_URL or SYLVA_DB_SCHEMA, unreachable server, newer schema. */
export class DbConfigError extends MetadataError {
  override readonly name = "DbConfigError";
}
