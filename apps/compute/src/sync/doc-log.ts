// A project document's durable log in a BlobStore (layout in keys.ts): loading, appending and compacting.
//
// - Loading reads the newest snapshot and then every update with a larger sequence number, in order.
//   Blobs a crash left behind are harmless: updates covered by the snapshot and older snapshots are
//   ignored (a crash between a snapshot's write and the deletes it allows), and a `put` is atomic, so a
//   write cut short leaves nothing. Applying a Yjs update twice is a no-op, so overlap never matters.
// - `append` writes one update under the next sequence number (retrying transient store failures with
//   the same key and bytes); a sequence number is never given out twice, even when its write failed.
// - `compact(seq, state)` writes the snapshot first, atomically, and only then deletes the updates it
//   covers (seq ≤ S) and the older snapshots, so a crash at any point leaves a loadable log.

import type { ProjectId } from "@sylva/shared";
import * as Y from "yjs";
import type { BlobStore } from "../storage/blob-store.js";
import { docPrefix, type LogKey, parseLogKey, snapshotKey, updateKey } from "./keys.js";

/** Parallel reads while loading. */
const READ_CONCURRENCY = 16;
/**
 * Parallel deletes while compacting: few, so that a compaction (hundreds of deletes, in the background)
 * never floods the I/O queue that the next log write waits in (Node's thread pool, for the file system).
 */
const DELETE_CONCURRENCY = 2;
/** Delays before the retries of a failed write (ms); a write is tried 1 + RETRY_DELAYS.length times. */
const RETRY_DELAYS = [50, 250, 1000];

export class DocLogError extends Error {
  override readonly name = "DocLogError";
}

export interface LoadedDoc {
  readonly doc: Y.Doc;
  /** Sequence number of the snapshot loaded (0: none). */
  readonly snapshotSeq: number;
  /** The highest sequence number in the log (0: empty log); the next append uses a larger one. */
  readonly lastSeq: number;
  /** Updates (and their bytes) after the snapshot: what the next compaction will fold in. */
  readonly updates: number;
  readonly updateBytes: number;
  /** Blobs a crash left behind (covered updates, older snapshots): the next compaction deletes them. */
  readonly staleKeys: readonly string[];
  /** Updates that threw while being applied (the live server applied them the same way). */
  readonly failedUpdates: number;
}

export interface LoadDocOptions {
  /** Garbage collection of the loaded document (Y.Doc's `gc`; default true). */
  readonly gc?: boolean;
}

/** Every key of the project's log, snapshots and updates, in sequence order. */
export async function listLog(store: BlobStore, projectId: ProjectId): Promise<LogKey[]> {
  const out: LogKey[] = [];
  for await (const key of store.list(docPrefix(projectId))) {
    const parsed = parseLogKey(projectId, key);
    if (parsed) out.push(parsed);
  }
  return out.sort((a, b) => a.seq - b.seq || (a.kind === b.kind ? 0 : a.kind === "snapshot" ? -1 : 1));
}

/** Maps `items` through `fn` with at most `limit` calls in flight, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Loads a project's document from its log: the newest snapshot, then every later update in order. */
export async function loadDoc(
  store: BlobStore,
  projectId: ProjectId,
  options: LoadDocOptions = {},
): Promise<LoadedDoc> {
  const keys = await listLog(store, projectId);
  const snapshots = keys.filter((k) => k.kind === "snapshot");
  const snapshot = snapshots.at(-1);
  const snapshotSeq = snapshot?.seq ?? 0;
  const updates = keys.filter((k) => k.kind === "update" && k.seq > snapshotSeq);
  const staleKeys = keys.filter((k) => k.seq < snapshotSeq || (k.kind === "update" && k.seq === snapshotSeq));
  const read = async (k: LogKey): Promise<Uint8Array> => {
    const bytes = await store.get(k.key);
    if (bytes === undefined)
      throw new DocLogError(
        `${k.key} was listed but is gone: is another server writing project ${projectId}?`,
      );
    return bytes;
  };
  const doc = new Y.Doc({ gc: options.gc ?? true });
  if (snapshot) {
    const bytes = await read(snapshot);
    try {
      Y.applyUpdate(doc, bytes);
    } catch (e) {
      doc.destroy();
      throw new DocLogError(`snapshot ${snapshot.key} does not apply: ${(e as Error).message}`);
    }
  }
  const blobs = await mapLimit(updates, READ_CONCURRENCY, read);
  let failedUpdates = 0;
  // Fast path: one merged update. A blob that does not merge falls back to one update at a time, each
  // applied (or not) the way the live server applied it.
  let merged: Uint8Array | undefined;
  try {
    merged = blobs.length === 0 ? undefined : blobs.length === 1 ? blobs[0] : Y.mergeUpdates(blobs);
    if (merged) Y.applyUpdate(doc, merged);
  } catch {
    for (const b of blobs)
      try {
        Y.applyUpdate(doc, b);
      } catch {
        failedUpdates++;
      }
  }
  return {
    doc,
    snapshotSeq,
    lastSeq: keys.reduce((m, k) => Math.max(m, k.seq), 0),
    updates: updates.length,
    updateBytes: blobs.reduce((s, b) => s + b.byteLength, 0),
    staleKeys: staleKeys.map((k) => k.key),
    failedUpdates,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The writing side of a project's log. One DocLog per project per process (the room that owns it). */
export class DocLog {
  #nextSeq: number;

  constructor(
    readonly store: BlobStore,
    readonly projectId: ProjectId,
    /** The highest sequence number already in the log (LoadedDoc.lastSeq). */
    lastSeq: number,
  ) {
    this.#nextSeq = lastSeq + 1;
  }

  /** The highest sequence number given out so far. */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  /** Writes `update` durably under the next sequence number and resolves to that number. */
  async append(update: Uint8Array): Promise<number> {
    const seq = this.#nextSeq++;
    await this.#put(updateKey(this.projectId, seq), update);
    return seq;
  }

  /**
   * Writes `state` (the whole document, covering every update with sequence number ≤ `seq`) as a
   * snapshot, then deletes what it makes redundant. Resolves to the number of blobs deleted.
   */
  async compact(seq: number, state: Uint8Array): Promise<number> {
    if (seq > this.lastSeq) throw new RangeError(`snapshot ${seq} is ahead of the log (${this.lastSeq})`);
    await this.#put(snapshotKey(this.projectId, seq), state);
    return this.prune(seq);
  }

  /** Deletes the updates covered by snapshot `seq` and the snapshots older than it. */
  async prune(seq: number): Promise<number> {
    const doomed = (await listLog(this.store, this.projectId)).filter(
      (k) => k.seq < seq || (k.kind === "update" && k.seq === seq),
    );
    await mapLimit(doomed, DELETE_CONCURRENCY, (k) => this.store.delete(k.key));
    return doomed.length;
  }

  async #put(key: string, bytes: Uint8Array): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.store.put(key, bytes);
        return;
      } catch (e) {
        if (attempt >= RETRY_DELAYS.length) throw e;
        await sleep(RETRY_DELAYS[attempt]);
      }
    }
  }
}
