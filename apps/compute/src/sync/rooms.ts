// The loaded rooms, one per project: loading on first use (concurrent opens share one load), unloading
// `unloadAfterMs` after the room was last held (no connection, no `retain`): the room finishes its
// writes, compacts and frees its document. Opening a project whose room is unloading waits for the
// unload and loads it afresh, so one process never has two rooms (two log writers) for a project.

import { type ProjectId, projectIdSchema } from "@sylva/shared";
import type * as Y from "yjs";
import type { BlobStore } from "../storage/blob-store.js";
import { Emitter } from "./emitter.js";
import { consoleLogger, errorMessage, type SyncLogger } from "./logger.js";
import { Room } from "./room.js";
import type { RoomOptions } from "./room-types.js";

export const DEFAULT_UNLOAD_AFTER_MS = 30_000;

export interface RoomsOptions extends RoomOptions {
  /** How long a room nobody holds stays loaded (default 30 s). */
  readonly unloadAfterMs?: number;
}

export interface RoomsEvents {
  /** A room was loaded (attach live hooks here). */
  open: (room: Room) => void;
  /** A room finished closing. */
  close: (room: Room) => void;
}

/** A room kept loaded until `release` is called. */
export interface RoomLease {
  readonly room: Room;
  release(): void;
}

export class Rooms {
  readonly #store: BlobStore;
  readonly #options: RoomsOptions;
  readonly #logger: SyncLogger;
  readonly #unloadAfterMs: number;
  readonly #loading = new Map<ProjectId, Promise<Room>>();
  readonly #loaded = new Map<ProjectId, Room>();
  readonly #unloading = new Map<ProjectId, Promise<void>>();
  readonly #timers = new Map<Room, NodeJS.Timeout>();
  readonly #events: Emitter<RoomsEvents>;
  #closed = false;

  constructor(store: BlobStore, options: RoomsOptions = {}) {
    this.#store = store;
    this.#options = options;
    this.#logger = options.logger ?? consoleLogger;
    this.#unloadAfterMs = options.unloadAfterMs ?? DEFAULT_UNLOAD_AFTER_MS;
    this.#events = new Emitter<RoomsEvents>((event, e) =>
      this.#logger.error(`a rooms "${event}" listener threw: ${errorMessage(e)}`),
    );
  }

  on<K extends keyof RoomsEvents>(event: K, listener: RoomsEvents[K]): () => void {
    return this.#events.on(event, listener);
  }

  /** The loaded room of a project, if any. */
  get(projectId: string): Room | undefined {
    return this.#loaded.get(projectId as ProjectId);
  }

  /** The loaded rooms. */
  list(): Room[] {
    return [...this.#loaded.values()];
  }

  /**
   * The project's room, loaded if needed (from the server side: no client needed). A room nobody holds
   * unloads after `unloadAfterMs`; use `acquire` (or `room.retain()`) to keep it.
   */
  async open(projectId: string): Promise<Room> {
    const lease = await this.acquire(projectId);
    lease.release();
    return lease.room;
  }

  /** The project's room, held loaded until `release`. */
  async acquire(projectId: string): Promise<RoomLease> {
    const id = projectIdSchema.parse(projectId);
    for (;;) {
      if (this.#closed) throw new Error("the sync rooms are closed");
      const unloading = this.#unloading.get(id);
      if (unloading) {
        await unloading;
        continue;
      }
      const room = this.#loaded.get(id) ?? (await this.#load(id));
      if (room.closed) continue; // it began to unload meanwhile
      const release = room.retain();
      this.#cancelUnload(room);
      return { room, release };
    }
  }

  /** Persists a server-side change to a project's document (see Room.change). */
  async change<T>(projectId: string, fn: (doc: Y.Doc) => T): Promise<T> {
    const { room, release } = await this.acquire(projectId);
    try {
      return await room.change(fn);
    } finally {
      release();
    }
  }

  /** Unloads every room (closing its connections) and refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#loading.values()]);
    await Promise.all([...this.#loaded.values()].map((room) => this.#unload(room, "server shutting down")));
    await Promise.all([...this.#unloading.values()]);
  }

  #load(id: ProjectId): Promise<Room> {
    let loading = this.#loading.get(id);
    if (!loading) {
      loading = Room.load(this.#store, id, this.#options, (room) => this.#scheduleUnload(room));
      this.#loading.set(id, loading);
      loading.then(
        (room) => {
          this.#loading.delete(id);
          this.#loaded.set(id, room);
          this.#scheduleUnload(room); // unless acquired right away (the caller cancels it)
          this.#events.emit("open", room);
        },
        (e) => {
          this.#loading.delete(id);
          this.#logger.error(`project ${id}: could not load the document: ${errorMessage(e)}`);
        },
      );
    }
    return loading;
  }

  #scheduleUnload(room: Room): void {
    this.#cancelUnload(room);
    if (room.closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(room);
      if (room.holds === 0) void this.#unload(room, "idle");
    }, this.#unloadAfterMs);
    timer.unref();
    this.#timers.set(room, timer);
  }

  #cancelUnload(room: Room): void {
    const timer = this.#timers.get(room);
    if (timer) clearTimeout(timer);
    this.#timers.delete(room);
  }

  #unload(room: Room, reason: string): Promise<void> {
    const id = room.projectId;
    const existing = this.#unloading.get(id);
    if (existing) return existing;
    this.#cancelUnload(room);
    if (this.#loaded.get(id) === room) this.#loaded.delete(id);
    const done = room
      .close(reason)
      .catch((e) => this.#logger.error(`project ${id}: closing the room failed: ${errorMessage(e)}`))
      .finally(() => {
        this.#unloading.delete(id);
        this.#events.emit("close", room);
      });
    this.#unloading.set(id, done);
    return done;
  }
}
