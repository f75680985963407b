// Where a project document's update log lives in the BlobStore. Everything sits under
// `projects/<projectId>/doc/`:
//   updates/<seq>.bin    one persisted update (a Yjs v1 update, several client updates merged by group commit)
//   snapshot-<seq>.bin   the whole document state covering every update with sequence number ≤ seq
// Sequence numbers are positive integers, zero-padded to SEQ_DIGITS so that the store's lexicographic
// listing order is numeric order. They are never reused within one project's log.

import type { ProjectId } from "@sylva/shared";

/** Digits of a zero-padded sequence number (Number.MAX_SAFE_INTEGER has 16). */
export const SEQ_DIGITS = 16;

export type LogEntryKind = "update" | "snapshot";

export interface LogKey {
  readonly kind: LogEntryKind;
  readonly seq: number;
  readonly key: string;
}

function pad(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 1)
    throw new RangeError(`sequence number ${seq} is not a positive integer`);
  return String(seq).padStart(SEQ_DIGITS, "0");
}

/** The prefix of every blob of a project's document log. */
export function docPrefix(projectId: ProjectId): string {
  return `projects/${projectId}/doc/`;
}

export function updateKey(projectId: ProjectId, seq: number): string {
  return `${docPrefix(projectId)}updates/${pad(seq)}.bin`;
}

export function snapshotKey(projectId: ProjectId, seq: number): string {
  return `${docPrefix(projectId)}snapshot-${pad(seq)}.bin`;
}

const UPDATE = new RegExp(`^updates/(\\d{${SEQ_DIGITS}})\\.bin$`);
const SNAPSHOT = new RegExp(`^snapshot-(\\d{${SEQ_DIGITS}})\\.bin$`);

/** What a key of the project's log is, or undefined for a key that is not part of the log. */
export function parseLogKey(projectId: ProjectId, key: string): LogKey | undefined {
  const prefix = docPrefix(projectId);
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const u = UPDATE.exec(rest);
  const s = u ? undefined : SNAPSHOT.exec(rest);
  const match = u ?? s;
  if (!match) return undefined;
  const seq = Number(match[1]);
  if (!Number.isSafeInteger(seq) || seq < 1) return undefined;
  return { kind: u ? "update" : "snapshot", seq, key };
}
