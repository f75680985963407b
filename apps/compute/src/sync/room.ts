// One project's sync room: its Y.Doc, awareness and connections, and the rule that nothing takes effect
// before it is durable. Every change — a client's sync step 2 or update, or a server-side `change` —
// goes through the same path: checked (malformed → connection closed; nothing new → ignored; from a
// role without "labels.write" → dropped, counted, and answered with y-protocols' permission-denied auth
// message), written to the project's log by group commit, and only then applied to `doc` and broadcast
// (what one durable batch changed, as one message per connection, less the connection's own updates).
// So whatever any client has received from the server is durable, and `doc` always equals the log.
//
// Server-side changes (`change(fn)`): `fn` runs on a scratch copy of the document whose client id is the
// room's own; the update it produces goes through the log like a client's, so it too is persisted before
// it is applied and broadcast. Changes run one at a time (each copy continues the previous one's clock).
// Never transact on `doc` directly: such a change would be broadcast without being persisted.
//
// Compaction: after `compactEveryUpdates` persisted writes or `compactEveryBytes` bytes since the last
// snapshot (and when the room closes), the state covering the applied log is written as a snapshot and
// the blobs it covers are deleted (doc-log.ts). Hooks observe through `on("update" | "awareness" |
// "connection-open" | "connection-close" | "close")` and talk to one client with `send`.

import type { ProjectId } from "@sylva/shared";
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from "y-protocols/awareness";
import * as Y from "yjs";
import type { BlobStore } from "../storage/blob-store.js";
import {
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_MALFORMED,
  Connection,
  type ConnectionInfo,
} from "./connection.js";
import { DocLog, loadDoc } from "./doc-log.js";
import { Emitter } from "./emitter.js";
import { type CommitEntry, DEFAULT_WRITES_IN_FLIGHT, GroupCommit } from "./group-commit.js";
import { consoleLogger, errorMessage, type SyncLogger } from "./logger.js";
import {
  decodeClientMessage,
  encodeAwareness,
  encodePermissionDenied,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  MalformedMessageError,
} from "./messages.js";
import { PresenceOwners } from "./presence-owners.js";
import {
  type AwarenessChanges,
  DEFAULT_COMPACT_EVERY_BYTES,
  DEFAULT_COMPACT_EVERY_UPDATES,
  type MessageHandler,
  PERMISSION_DENIED_REASON,
  RoomClosedError,
  type RoomEvents,
  type RoomOptions,
  type RoomStats,
} from "./room-types.js";
import { changeOnCopy, unusedClientId } from "./scratch-change.js";
import { checkUpdate } from "./update-check.js";

/** Message types the room handles itself (y-websocket's); others may get a handler. */
const RESERVED_TYPES = new Set([0, 1, 2, 3]);

const SERVER_ORIGIN = Symbol("sylva-sync-server");
type Origin = Connection | typeof SERVER_ORIGIN;

export class Room {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly stats: RoomStats;
  readonly #log: DocLog;
  readonly #commit: GroupCommit<Origin>;
  readonly #events: Emitter<RoomEvents>;
  readonly #logger: SyncLogger;
  readonly #compactEveryUpdates: number;
  readonly #compactEveryBytes: number;
  readonly #conns = new Map<number, Connection>();
  readonly #owners = new PresenceOwners<Connection>();
  readonly #handlers = new Map<number, MessageHandler>();
  readonly #serverClientId: number;
  #sinceSnapshotWrites: number;
  #sinceSnapshotBytes: number;
  #compaction: Promise<void> = Promise.resolve();
  #changes: Promise<unknown> = Promise.resolve();
  /** While a durable batch is applied: the updates it produced, broadcast together at its end. */
  #applying: { update: Uint8Array; from: Connection | undefined }[] | undefined;
  #holds = 0;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** Loads the project's document from `store` (doc-log.ts) and opens its room. */
  static async load(
    store: BlobStore,
    projectId: ProjectId,
    options: RoomOptions = {},
    onIdle: (room: Room) => void = () => {},
  ): Promise<Room> {
    const loaded = await loadDoc(store, projectId);
    const room = new Room(
      projectId,
      loaded.doc,
      new DocLog(store, projectId, loaded.lastSeq),
      options,
      onIdle,
    );
    room.stats.appliedSeq = loaded.lastSeq;
    room.stats.snapshotSeq = loaded.snapshotSeq;
    room.#sinceSnapshotWrites = loaded.updates;
    room.#sinceSnapshotBytes = loaded.updateBytes;
    if (loaded.failedUpdates > 0)
      room.#logger.warn(`project ${projectId}: ${loaded.failedUpdates} logged updates did not apply`);
    if (loaded.staleKeys.length > 0)
      room.#compaction = room.#log.prune(loaded.snapshotSeq).then(
        (n) => room.#logger.info(`project ${projectId}: removed ${n} blobs an interrupted compaction left`),
        (e) =>
          room.#logger.warn(`project ${projectId}: could not remove stale log blobs: ${errorMessage(e)}`),
      );
    return room;
  }

  private constructor(
    readonly projectId: ProjectId,
    doc: Y.Doc,
    log: DocLog,
    options: RoomOptions,
    private readonly onIdle: (room: Room) => void,
  ) {
    this.doc = doc;
    this.#log = log;
    this.#logger = options.logger ?? consoleLogger;
    this.#compactEveryUpdates = options.compactEveryUpdates ?? DEFAULT_COMPACT_EVERY_UPDATES;
    this.#compactEveryBytes = options.compactEveryBytes ?? DEFAULT_COMPACT_EVERY_BYTES;
    this.#sinceSnapshotWrites = 0;
    this.#sinceSnapshotBytes = 0;
    this.stats = {
      writes: 0,
      updates: 0,
      bytes: 0,
      deniedWrites: 0,
      malformedMessages: 0,
      failedWrites: 0,
      compactions: 0,
      appliedSeq: 0,
      snapshotSeq: 0,
    };
    this.#serverClientId = unusedClientId(doc);
    this.#events = new Emitter<RoomEvents>((event, e) =>
      this.#logger.error(`project ${projectId}: a "${event}" listener threw: ${errorMessage(e)}`),
    );
    this.#commit = new GroupCommit<Origin>(
      (update) => this.#log.append(update),
      (entries, seq, bytes) => this.#apply(entries, seq, bytes),
      (e) => this.#logger.error(`project ${projectId}: applying a durable update failed: ${errorMessage(e)}`),
      options.writesInFlight ?? DEFAULT_WRITES_IN_FLIGHT,
    );
    this.doc.on("update", (update: Uint8Array, origin: unknown) => this.#onDocUpdate(update, origin));
    this.awareness = new Awareness(doc);
    this.awareness.setLocalState(null); // the server publishes no presence of its own
    this.awareness.on("update", (changes: AwarenessChanges, origin: unknown) =>
      this.#broadcastAwareness(changes, origin),
    );
    this.awareness.on("change", (changes: AwarenessChanges, origin: unknown) =>
      this.#events.emit("awareness", changes, origin instanceof Connection ? origin.id : undefined),
    );
  }

  /** The connected clients. */
  get connections(): ConnectionInfo[] {
    return [...this.#conns.values()];
  }

  connection(id: number): ConnectionInfo | undefined {
    return this.#conns.get(id);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Connections plus `retain` holds; the room may unload when this drops to 0. */
  get holds(): number {
    return this.#holds;
  }

  on<K extends keyof RoomEvents>(event: K, listener: RoomEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  off<K extends keyof RoomEvents>(event: K, listener: RoomEvents[K]): void {
    this.#events.off(event, listener);
  }

  /** Sends a binary message as is (e.g. a tile frame: varuint 100 + frame) to one connection. */
  send(connectionId: number, bytes: Uint8Array): boolean {
    return this.#conns.get(connectionId)?.send(bytes) ?? false;
  }

  /** Routes client messages of an application type (not 0–3) to `handler` (undefined: removes it). */
  setMessageHandler(type: number, handler: MessageHandler | undefined): void {
    if (RESERVED_TYPES.has(type)) throw new RangeError(`message type ${type} is y-websocket's`);
    if (handler) this.#handlers.set(type, handler);
    else this.#handlers.delete(type);
  }

  /** Keeps the room loaded until the returned function is called. */
  retain(): () => void {
    this.#holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds === 0) this.onIdle(this);
    };
  }

  /**
   * Changes the document from the service: `fn` runs in a transaction on a scratch copy, and its update
   * is persisted, applied and broadcast before this resolves (to `fn`'s result).
   */
  change<T>(fn: (doc: Y.Doc) => T): Promise<T> {
    const run = this.#changes.then(() => this.#changeNow(fn));
    this.#changes = run.catch(() => {});
    return run;
  }

  /**
   * Resolves once every update received so far is durable and applied, and the compaction under way (if
   * any) has finished.
   */
  async flush(): Promise<void> {
    await this.#changes;
    await this.#commit.drain();
    await this.#compaction;
  }

  /** Writes a snapshot of the applied state (if anything was applied since the last) and prunes the log. */
  compact(): Promise<void> {
    const run = this.#compaction.then(() => this.#compactNow());
    this.#compaction = run.catch((e) =>
      this.#logger.warn(`project ${this.projectId}: compaction failed: ${errorMessage(e)}`),
    );
    return run;
  }

  /** Closes the connections, finishes pending writes, compacts, and destroys the document. */
  close(reason = "room closed"): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      for (const c of this.#conns.values()) c.close(CLOSE_GOING_AWAY, reason);
      await this.#changes;
      await this.#commit.drain();
      await this.compact().catch(() => {});
      await this.#compaction;
      this.awareness.destroy();
      this.doc.destroy();
      this.#events.emit("close");
      this.#events.clear();
    })();
    return this.#closing;
  }

  /** @internal A connection joined (the server holds a `retain` for it): start the sync handshake. */
  attach(conn: Connection): void {
    if (this.#closed) {
      conn.close(CLOSE_GOING_AWAY, "room closed");
      return;
    }
    this.#conns.set(conn.id, conn);
    conn.send(encodeSyncStep1(Y.encodeStateVector(this.doc)));
    const states = [...this.awareness.getStates().keys()];
    if (states.length > 0) conn.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, states)));
    this.#events.emit("connection-open", conn);
  }

  /** @internal A connection left: its awareness states are removed. */
  detach(conn: Connection): void {
    if (!this.#conns.delete(conn.id)) return;
    const mine = this.#owners.ownedBy(conn);
    if (mine.length > 0 && !this.#closing) removeAwarenessStates(this.awareness, mine, null);
    this.#events.emit("connection-close", conn);
  }

  /** @internal One binary message from `conn`. */
  receive(conn: Connection, data: Uint8Array): void {
    if (this.#closed || this.#conns.get(conn.id) !== conn) return;
    try {
      const msg = decodeClientMessage(data);
      switch (msg.kind) {
        case "sync-step1": {
          let reply: Uint8Array;
          try {
            reply = Y.encodeStateAsUpdate(this.doc, msg.stateVector);
          } catch (e) {
            throw new MalformedMessageError(`state vector does not decode: ${errorMessage(e)}`);
          }
          conn.send(encodeSyncStep2(reply));
          return;
        }
        case "sync-step2":
        case "sync-update":
          this.#receiveUpdate(conn, msg.update);
          return;
        case "awareness":
          try {
            applyAwarenessUpdate(this.awareness, msg.update, conn);
          } catch (e) {
            throw new MalformedMessageError(`awareness update does not decode: ${errorMessage(e)}`);
          }
          return;
        case "query-awareness": {
          const states = [...this.awareness.getStates().keys()];
          conn.send(encodeAwareness(encodeAwarenessUpdate(this.awareness, states)));
          return;
        }
        case "auth":
          return; // clients have nothing to say here
        case "other": {
          const handler = this.#handlers.get(msg.type);
          if (!handler) throw new MalformedMessageError(`unknown message type ${msg.type}`);
          handler(conn, msg.body);
          return;
        }
      }
    } catch (e) {
      if (e instanceof MalformedMessageError) {
        this.stats.malformedMessages++;
        this.#logger.warn(
          `project ${this.projectId}: closing connection ${conn.id} (${conn.user}): ${e.message}`,
        );
        conn.close(CLOSE_MALFORMED, "malformed message");
        return;
      }
      // A bug (ours or a message handler's) must not take the server down: drop this client, which
      // resyncs when it reconnects.
      this.#logger.error(
        `project ${this.projectId}: handling a message of connection ${conn.id} failed: ${errorMessage(e)}`,
      );
      conn.close(CLOSE_INTERNAL_ERROR, "internal error");
    }
  }

  #receiveUpdate(conn: Connection, update: Uint8Array): void {
    const check = checkUpdate(this.doc, update);
    if (!check.changes) return;
    if (!conn.canWrite) {
      conn.deniedWrites++;
      this.stats.deniedWrites++;
      if (conn.deniedWrites === 1 || conn.deniedWrites % 100 === 0)
        this.#logger.warn(
          `project ${this.projectId}: dropped ${conn.deniedWrites} write(s) of ${conn.user} (role ${conn.role})`,
        );
      conn.send(encodePermissionDenied(PERMISSION_DENIED_REASON));
      return;
    }
    this.#commit.submit(check.update, conn).catch((e) => {
      this.stats.failedWrites++;
      this.#logger.error(
        `project ${this.projectId}: could not persist an update of ${conn.user}, disconnecting it: ${errorMessage(e)}`,
      );
      // The client still has its change and sends it again in its sync step 2 when it reconnects.
      conn.close(CLOSE_INTERNAL_ERROR, "could not persist the update");
    });
  }

  async #changeNow<T>(fn: (doc: Y.Doc) => T): Promise<T> {
    if (this.#closed) throw new RoomClosedError(`the room of project ${this.projectId} is closed`);
    const release = this.retain();
    try {
      const { result, update } = changeOnCopy(this.doc, this.#serverClientId, fn, SERVER_ORIGIN);
      if (update) {
        try {
          await this.#commit.submit(update, SERVER_ORIGIN);
        } catch (e) {
          this.stats.failedWrites++;
          throw e;
        }
      }
      return result;
    } finally {
      release();
    }
  }

  #apply(entries: readonly CommitEntry<Origin>[], seq: number, bytes: number): void {
    this.#applying = [];
    try {
      for (const entry of entries) {
        try {
          Y.applyUpdate(this.doc, entry.update, entry.origin);
        } catch (e) {
          // Loading applies the same blob the same way, so the document still equals the log.
          this.#logger.error(`project ${this.projectId}: update ${seq} did not apply: ${errorMessage(e)}`);
        }
      }
    } finally {
      const applied = this.#applying;
      this.#applying = undefined;
      this.#broadcastUpdates(applied);
    }
    this.stats.writes++;
    this.stats.updates += entries.length;
    this.stats.bytes += bytes;
    this.stats.appliedSeq = seq;
    this.#sinceSnapshotWrites++;
    this.#sinceSnapshotBytes += bytes;
    if (
      !this.#closing &&
      (this.#sinceSnapshotWrites >= this.#compactEveryUpdates ||
        this.#sinceSnapshotBytes >= this.#compactEveryBytes)
    ) {
      this.#sinceSnapshotWrites = 0;
      this.#sinceSnapshotBytes = 0;
      this.compact().catch(() => {}); // logged by compact()
    }
  }

  async #compactNow(): Promise<void> {
    const seq = this.stats.appliedSeq;
    if (seq <= this.stats.snapshotSeq) return;
    const state = Y.encodeStateAsUpdate(this.doc);
    this.#sinceSnapshotWrites = 0;
    this.#sinceSnapshotBytes = 0;
    await this.#log.compact(seq, state);
    this.stats.snapshotSeq = seq;
    this.stats.compactions++;
  }

  #onDocUpdate(update: Uint8Array, origin: unknown): void {
    const from = origin instanceof Connection ? origin : undefined;
    if (this.#applying) this.#applying.push({ update, from });
    else this.#broadcastUpdates([{ update, from }]);
    this.#events.emit(
      "update",
      update,
      from ? { kind: "client", connectionId: from.id, user: from.user } : { kind: "server" },
    );
  }

  /**
   * Sends what one durable batch changed as one message per connection: the merged updates, less the
   * connection's own (it has them).
   */
  #broadcastUpdates(applied: readonly { update: Uint8Array; from: Connection | undefined }[]): void {
    if (applied.length === 0) return;
    const merge = (list: readonly { update: Uint8Array }[]) =>
      list.length === 1 ? list[0].update : Y.mergeUpdates(list.map((u) => u.update));
    const everything = encodeSyncUpdate(merge(applied));
    const senders = new Set(applied.map((u) => u.from));
    for (const c of this.#conns.values()) {
      if (!senders.has(c)) {
        c.send(everything);
        continue;
      }
      const others = applied.filter((u) => u.from !== c);
      if (others.length > 0) c.send(encodeSyncUpdate(merge(others)));
    }
  }

  #broadcastAwareness(changes: AwarenessChanges, origin: unknown): void {
    const from = origin instanceof Connection ? origin : undefined;
    if (from && this.#conns.get(from.id) === from)
      this.#owners.claim([...changes.added, ...changes.updated], from);
    this.#owners.release(changes.removed);
    const changed = [...changes.added, ...changes.updated, ...changes.removed];
    if (changed.length === 0) return;
    const message = encodeAwareness(encodeAwarenessUpdate(this.awareness, changed));
    for (const c of this.#conns.values()) c.send(message);
  }
}
