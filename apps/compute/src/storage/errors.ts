// The errors of the storage layer: an invalid key or prefix (refused before any I/O), a backend failure
// (naming the store, the operation and the key), and an invalid storage configuration (naming the variable).

/** A key or prefix that breaks the rules of keys.ts; thrown before the store does any I/O. */
export class InvalidKeyError extends Error {
  override readonly name = "InvalidKeyError";
  constructor(
    /** The refused key or prefix, as given. */
    readonly key: string,
    /** What is wrong with it ("segment \"..\" is not allowed"). */
    readonly reason: string,
    readonly kind: "key" | "prefix" = "key",
  ) {
    super(`invalid ${kind} ${quoteKey(key)}: ${reason}`);
  }
}

/** The operations of a BlobStore, as they appear in StoreError messages. */
export type StoreOperation = "get" | "getRange" | "size" | "put" | "list" | "delete" | "deletePrefix";

/**
 * A backend failure other than "not found": permissions, network, a full disk, a misbehaving server.
 * The message reads `<store>: <operation> <key>: <problem>`, e.g.
 * `s3://bucket/pre/: put datasets/x/0/0: AccessDenied (HTTP 403): Access Denied`.
 */
export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    /** The store's description ("file system /data", "s3://bucket/prefix/"). */
    readonly store: string,
    readonly operation: StoreOperation,
    /** The key or prefix the operation was about. */
    readonly key: string,
    /** The problem, already worded (the backend's error code and message). */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${store}: ${operation} ${key === "" ? '""' : key}: ${problem}`, options);
  }
}

/** A storage configuration (environment variables) that cannot be used; the message names the variable. */
export class StoreConfigError extends Error {
  override readonly name = "StoreConfigError";
}

/** A key for a message: JSON-quoted (control characters escaped), cut after 120 characters. */
function quoteKey(key: string): string {
  const shown = key.length > 120 ? `${key.slice(0, 120)}…` : key;
  return `${JSON.stringify(shown)}${key.length > 120 ? ` (${key.length} characters)` : ""}`;
}
